// Parser, validator and compiler: condition JSON -> wf::Condition.
// Validation stops at the first offending node and reports its JSON path.
#include "condition.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "decimal.hpp"
#include "evaluation_order.hpp"
#include "instant.hpp"
#include "text.hpp"
#include "workflow_core.h"

namespace wf {
namespace {

using json = nlohmann::json;

const char* kind_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return v.is_number() ? "a number" : "an unsupported value";
  }
}

// {"field": "..."}, maybe with its "source" (and nothing else): a value
// naming another fact.
bool is_fact_reference(const json& v) {
  return v.is_object() && v.contains("field") &&
         (v.size() == 1 || (v.size() == 2 && v.contains("source")));
}

}  // namespace

const char* source_name(Source s) {
  switch (s) {
    case Source::Application: return "application";
    case Source::Job: return "job";
    case Source::Candidate: break;
  }
  return "candidate";
}

bool parse_field(const std::string& f, Path& out, bool& exact, std::string& message) {
  out.clear();
  exact = f.size() >= 2 && f[0] == '$' && (f[1] == '.' || f[1] == '[');
  if (!exact) {
    // Today's dot paths: split on dots, every segment a key.
    size_t start = 0;
    for (;;) {
      const size_t dot = f.find('.', start);
      PathStep step;
      step.key = f.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (step.key.empty()) {
        message = "\"field\" has an empty path segment";
        return false;
      }
      out.push_back(std::move(step));
      if (dot == std::string::npos) return true;
      start = dot + 1;
    }
  }
  // Exact paths: $ then .key, [index] or ["any key"] (a JSON string literal).
  size_t p = 1;
  while (p < f.size()) {
    PathStep step;
    if (f[p] == '.') {
      const size_t start = ++p;
      while (p < f.size() && f[p] != '.' && f[p] != '[') {
        if (f[p] == ']' || f[p] == '"' || f[p] == '\\') {
          message = "\"field\": character '" + std::string(1, f[p]) + "' at byte " +
                    std::to_string(p) + " must be inside [\"...\"]";
          return false;
        }
        ++p;
      }
      step.key = f.substr(start, p - start);
      if (step.key.empty()) {
        message = "\"field\" has an empty path segment";
        return false;
      }
    } else if (f[p] == '[') {
      ++p;
      if (p < f.size() && f[p] == '"') {
        const size_t start = p++;
        while (p < f.size() && f[p] != '"') p += f[p] == '\\' ? 2 : 1;
        if (p >= f.size()) {
          message = "\"field\": unterminated [\"...\"]";
          return false;
        }
        ++p;
        try {
          step.key = json::parse(f.substr(start, p - start)).get<std::string>();
        } catch (const json::exception&) {
          message = "\"field\": invalid string in [\"...\"]";
          return false;
        }
      } else {
        const size_t start = p;
        uint64_t index = 0;
        while (p < f.size() && f[p] >= '0' && f[p] <= '9') {
          index = index * 10 + static_cast<uint64_t>(f[p] - '0');
          if (index > 0x7fffffff) {
            message = "\"field\": array index too large";
            return false;
          }
          ++p;
        }
        if (p == start) {
          message = "\"field\": expected an index or a quoted key after '['";
          return false;
        }
        step.is_index = true;
        step.index = static_cast<uint32_t>(index);
      }
      if (p >= f.size() || f[p] != ']') {
        message = "\"field\": expected ']' at byte " + std::to_string(p);
        return false;
      }
      ++p;
    } else {
      message = "\"field\": expected '.' or '[' at byte " + std::to_string(p);
      return false;
    }
    out.push_back(std::move(step));
  }
  if (out.empty()) {
    message = "\"field\" names no key";
    return false;
  }
  return true;
}

namespace {

class Compiler {
 public:
  Compiler(CompileError& error, const RawNumbers* raw) : error_(error), raw_(raw) {}

  std::unique_ptr<Condition> compile(const json& doc) {
    cond_ = std::make_unique<Condition>();
    if (!node(doc, "$", 1, false, 0) || !compile_regexes()) return nullptr;
    order_cheap_first(*cond_);
    return std::move(cond_);
  }

 private:
  bool fail(std::string message, std::string path) {
    error_.message = std::move(message);
    error_.path = std::move(path);
    return false;
  }

  // The "source" of obj (a leaf, a fact operand or a quantified group's body),
  // whose JSON path is path; the candidate when it names none.  Refused in an
  // element's scope: fields there are the element's, and a root ($) path
  // there reads the candidate, so a source could only mislead.
  bool source_of(const json& obj, const std::string& path, int scope, Source& out) {
    out = Source::Candidate;
    if (!obj.contains("source")) return true;
    const json& s = obj.at("source");
    const std::string at = path + ".source";
    if (scope > 0)
      return fail("\"source\" cannot be used inside \"" +
                      std::string(op_name(cond_->quantifiers[owners_.back()].op)) +
                      "\": fields there are read from the element", at);
    if (!s.is_string())
      return fail(std::string("\"source\" must be a string, not ") + kind_name(s), at);
    const std::string name = s.get<std::string>();
    for (Source k : {Source::Candidate, Source::Application, Source::Job})
      if (name == source_name(k)) {
        out = k;
        return true;
      }
    return fail("unknown source \"" + name + "\" (candidate, application or job)", at);
  }

  // A field as written, at scope (0: the facts' root; >0: inside a quantified
  // group, where a plain path is relative to the element and an exact path
  // starting with $ reads from the root), read from source's facts.
  bool field_ref(const json& field, const std::string& path, int scope, Source source,
                 FieldRef& out) {
    if (!field.is_string())
      return fail(std::string("\"field\" must be a string, not ") + kind_name(field), path);
    const std::string text = field.get<std::string>();
    if (text.empty()) return fail("\"field\" is empty", path);
    if (text.size() > WF_MAX_FIELD_BYTES)
      return fail("\"field\" is longer than " + std::to_string(WF_MAX_FIELD_BYTES) + " bytes",
                  path);
    Path steps;
    bool exact = false;
    std::string message;
    if (!parse_field(text, steps, exact, message)) return fail(message, path);
    out.text = text;
    out.relative = scope > 0 && !exact;
    if (out.relative) {
      out.path = std::move(steps);
    } else {
      out.source = source;
      out.slot = slot_for(source, text, std::move(steps));
    }
    return true;
  }

  // Compiles the node at doc into a new entry of cond_->nodes.
  bool node(const json& doc, const std::string& path, int depth, bool negated, int scope) {
    if (depth > WF_MAX_DEPTH)
      return fail("condition is nested deeper than " + std::to_string(WF_MAX_DEPTH) +
                      " levels", path);
    if (cond_->nodes.size() >= WF_MAX_NODES)
      return fail("condition has more than " + std::to_string(WF_MAX_NODES) + " nodes", path);
    if (!doc.is_object())
      return fail(std::string("a condition node must be an object, not ") + kind_name(doc),
                  path);
    const uint32_t index = static_cast<uint32_t>(cond_->nodes.size());
    cond_->nodes.emplace_back();

    const char* group = nullptr;
    for (const char* g : {"all", "any", "not", "some", "every", "none"})
      if (doc.contains(g)) {
        if (group) return fail(std::string("a node has both \"") + group + "\" and \"" + g + "\"", path);
        group = g;
      }
    if (group) {
      if (doc.size() != 1) {
        for (auto it = doc.begin(); it != doc.end(); ++it)
          if (it.key() != group)
            return fail("unexpected key \"" + it.key() + "\" beside \"" + group + "\"", path);
      }
      const json& body = doc.at(group);
      const std::string body_path = path + "." + group;
      const std::string g(group);
      if (g == "not") {
        cond_->nodes[index].type = Node::Type::Not;
        const uint32_t child = static_cast<uint32_t>(cond_->nodes.size());
        if (!node(body, body_path, depth + 1, !negated, scope)) return false;
        cond_->nodes[index].first = static_cast<uint32_t>(cond_->children.size());
        cond_->nodes[index].count = 1;
        cond_->children.push_back(child);
        return true;
      }
      if (g == "some" || g == "every" || g == "none")
        return quantified(index, *parse_op(g), body, body_path, depth, negated, scope);
      cond_->nodes[index].type = g == "all" ? Node::Type::All : Node::Type::Any;
      if (!body.is_array())
        return fail(std::string("\"") + group + "\" needs an array, not " + kind_name(body),
                    body_path);
      if (body.empty()) return fail(std::string("\"") + group + "\" is an empty group", body_path);
      std::vector<uint32_t> kids;
      kids.reserve(body.size());
      for (size_t i = 0; i < body.size(); ++i) {
        kids.push_back(static_cast<uint32_t>(cond_->nodes.size()));
        if (!node(body[i], body_path + "[" + std::to_string(i) + "]", depth + 1, negated, scope))
          return false;
      }
      cond_->nodes[index].first = static_cast<uint32_t>(cond_->children.size());
      cond_->nodes[index].count = static_cast<uint32_t>(kids.size());
      cond_->children.insert(cond_->children.end(), kids.begin(), kids.end());
      return true;
    }

    if (!doc.contains("field"))
      return fail("a node needs \"all\", \"any\", \"not\" or \"field\"", path);
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      const std::string& k = it.key();
      if (k != "field" && k != "op" && k != "value" && k != "ignore_case" && k != "source")
        return fail("unexpected key \"" + k + "\" in a leaf", path);
    }
    if (!doc.contains("op")) {
      if (!doc.at("field").is_string())
        return fail(std::string("\"field\" must be a string, not ") + kind_name(doc.at("field")),
                    path + ".field");
      return fail("a leaf needs \"op\"", path);
    }
    const json& op = doc.at("op");
    if (!op.is_string()) {
      if (!doc.at("field").is_string())
        return fail(std::string("\"field\" must be a string, not ") + kind_name(doc.at("field")),
                    path + ".field");
      return fail(std::string("\"op\" must be a string, not ") + kind_name(op), path + ".op");
    }
    bool ignore_case = false;
    if (doc.contains("ignore_case")) {
      if (!doc.at("ignore_case").is_boolean())
        return fail("\"ignore_case\" must be a boolean", path + ".ignore_case");
      ignore_case = doc.at("ignore_case").get<bool>();
    }
    const bool has_value = doc.contains("value");
    static const json kNull;
    return leaf(index, doc, op.get<std::string>(), has_value ? doc.at("value") : kNull,
                has_value, negated, ignore_case, path, scope);
  }

  bool quantified(uint32_t index, Op op, const json& body, const std::string& path, int depth,
                  bool negated, int scope) {
    const std::string name(op_name(op));
    if (!body.is_object() || !body.contains("field") || !body.contains("where"))
      return fail("\"" + name + "\" needs {\"field\": an array field, \"where\": a condition}",
                  path);
    for (auto it = body.begin(); it != body.end(); ++it)
      if (it.key() != "field" && it.key() != "where" && it.key() != "source")
        return fail("unexpected key \"" + it.key() + "\" in \"" + name + "\"", path);
    Quantifier q;
    Source source;
    if (!source_of(body, path, scope, source) ||
        !field_ref(body.at("field"), path + ".field", scope, source, q.field))
      return false;
    q.op = op;
    q.negated = negated;
    q.in_quantifier = scope > 0;
    q.path = path.substr(0, path.size() - name.size() - 1);  // the node's own path
    q.where = body.at("where");
    const uint32_t qi = static_cast<uint32_t>(cond_->quantifiers.size());
    cond_->quantifiers.push_back(std::move(q));
    cond_->nodes[index].type = Node::Type::Quantified;
    cond_->nodes[index].first = qi;
    cond_->nodes[index].count = 1;
    add_unit(Unit{true, qi, index});
    const uint32_t child = static_cast<uint32_t>(cond_->nodes.size());
    cond_->nodes[index].child = child;
    owners_.push_back(qi);
    const bool ok = node(body.at("where"), path + ".where", depth + 1, false, scope + 1);
    owners_.pop_back();
    return ok;
  }

  bool leaf(uint32_t index, const json& doc, const std::string& op_text, const json& value,
            bool has_value, bool negated, bool ignore_case, const std::string& path,
            int scope) {
    FieldRef ref;
    Source source;
    if (!source_of(doc, path, scope, source) ||
        !field_ref(doc.at("field"), path + ".field", scope, source, ref))
      return false;
    auto op = parse_op(op_text);
    if (!op || op_is_quantifier(*op))
      return fail("unknown operator \"" + op_text + "\"", path + ".op");
    if (op_takes_value(*op) && !has_value)
      return fail("operator \"" + std::string(op_name(*op)) + "\" needs a \"value\"", path);
    if (!op_takes_value(*op) && has_value)
      return fail("operator \"" + std::string(op_name(*op)) + "\" takes no \"value\"",
                  path + ".value");

    cond_->nodes[index].type = Node::Type::Leaf;
    cond_->nodes[index].first = static_cast<uint32_t>(cond_->leaves.size());
    const uint32_t li = static_cast<uint32_t>(cond_->leaves.size());
    cond_->leaves.emplace_back();
    Leaf& l = cond_->leaves.back();
    l.field = std::move(ref);
    l.op = *op;
    l.negated = negated;
    l.ignore_case = ignore_case;
    l.in_quantifier = scope > 0;
    l.path = path;
    if (has_value) l.value = value;
    add_unit(Unit{false, li, index});
    if (!finish_leaf(cond_->leaves.back(), path, scope)) return false;
    for (const Operand& o : cond_->leaves.back().operands)
      cond_->leaves.back().has_ref |= o.ref.has_value();
    return true;
  }

  // A leaf or group goes to the condition's units, or to the units of the
  // quantified group it is directly in.
  void add_unit(const Unit& u) {
    if (owners_.empty())
      cond_->units.push_back(u);
    else
      cond_->quantifiers[owners_.back()].inner.push_back(u);
  }

  // One slot per (source, field as written): the same path in two sources
  // is two facts.
  uint32_t slot_for(Source source, const std::string& field, Path steps) {
    std::string key(1, static_cast<char>('0' + static_cast<int>(source)));
    key += field;
    auto it = slots_.find(key);
    if (it != slots_.end()) return it->second;
    const uint32_t slot = static_cast<uint32_t>(cond_->fields.size());
    cond_->fields.push_back(std::move(steps));
    cond_->field_sources.push_back(source);
    slots_.emplace(std::move(key), slot);
    return slot;
  }

  // compares_as_instant: the operator compares a date-shaped string as an
  // instant (all but starts_with, ends_with and matches), so such a string
  // that is no real date is refused rather than compared as text.
  bool operand(const json& v, bool ignore_case, const std::string& path, Operand& out,
               int scope, bool compares_as_instant = true, bool allow_ref = true) {
    if (is_fact_reference(v) && allow_ref) {
      out.ref.emplace();
      Source source;
      return source_of(v, path, scope, source) &&
             field_ref(v.at("field"), path + ".field", scope, source, *out.ref);
    }
    switch (v.type()) {
      case json::value_t::null: out.kind = Operand::Kind::Null; return true;
      case json::value_t::boolean:
        out.kind = Operand::Kind::Bool;
        out.boolean = v.get<bool>();
        return true;
      case json::value_t::string:
        out.kind = Operand::Kind::String;
        out.text = v.get<std::string>();
        {  // compared in NFC (README: Types and comparison); regexes too
          std::string composed;
          if (to_nfc(out.text, composed)) out.text.swap(composed);
        }
        out.folded = ignore_case ? fold_case(out.text) : out.text;
        out.instant = parse_instant(out.text);
        if (!out.instant && compares_as_instant && looks_like_instant(out.text))
          return fail("\"" + out.text + "\" has the shape of an ISO-8601 date or timestamp but is "
                      "not a valid one", path);
        return true;
      case json::value_t::number_integer:
      case json::value_t::number_unsigned:
      case json::value_t::number_float: {
        out.kind = Operand::Kind::Number;
        out.number = v.get<double>();
        if (!std::isfinite(out.number)) return fail("number is out of range", path);
        if (v.is_number_float()) {
          // The text as written, when the parser kept it (exact decimals).
          auto raw = raw_ ? raw_->find(path) : RawNumbers::const_iterator();
          out.decimal = raw_ && raw != raw_->end() ? raw->second : v.dump();
          out.inexact = true;
        } else {
          // Integers are exact in the DOM; as doubles only below 2^53.
          out.decimal = v.dump();
          const uint64_t kExact = 1ULL << 53;
          out.inexact = v.is_number_unsigned()
                            ? v.get<uint64_t>() >= kExact
                            : (v.get<int64_t>() >= static_cast<int64_t>(kExact) ||
                               v.get<int64_t>() <= -static_cast<int64_t>(kExact));
        }
        return true;
      }
      default:
        return fail(std::string("value must be null, a boolean, a number or a string, not ") +
                        kind_name(v), path);
    }
  }

  // Checks the value's shape for its operator and pre-parses the operands.
  bool finish_leaf(Leaf& l, const std::string& leaf_path, int scope) {
    const std::string path = leaf_path + ".value";
    const std::string op(op_name(l.op));
    const json& v = l.value;
    switch (l.op) {
      case Op::Exists:
      case Op::NotExists:
        return true;
      case Op::In:
      case Op::NotIn: {
        if (is_fact_reference(v)) {  // the list is another fact (an array)
          l.operands.resize(1);
          return operand(v, l.ignore_case, path, l.operands[0], scope);
        }
        if (!v.is_array())
          return fail("operator \"" + op + "\" needs an array, not " + kind_name(v), path);
        l.operands.resize(v.size());
        for (size_t i = 0; i < v.size(); ++i)
          if (!operand(v[i], l.ignore_case, path + "[" + std::to_string(i) + "]", l.operands[i],
                       scope, true, false))
            return false;
        return true;
      }
      case Op::Between: {
        if (!v.is_array() || v.size() != 2)
          return fail("operator \"between\" needs an array of two bounds [low, high]", path);
        l.operands.resize(2);
        for (size_t i = 0; i < 2; ++i) {
          const std::string bound_path = path + "[" + std::to_string(i) + "]";
          if (!v[i].is_number() && !v[i].is_string() && !is_fact_reference(v[i]))
            return fail(std::string("a bound of \"between\" must be a number or a string, not ") +
                            kind_name(v[i]), bound_path);
          if (!operand(v[i], l.ignore_case, bound_path, l.operands[i], scope)) return false;
        }
        const Operand &lo = l.operands[0], &hi = l.operands[1];
        if (lo.ref || hi.ref) return true;  // checked when evaluated
        if (lo.kind != hi.kind || lo.instant.has_value() != hi.instant.has_value())
          return fail("the bounds of \"between\" must be of one type", path);
        bool ordered = lo.kind == Operand::Kind::Number ? compare_numbers(lo, hi) <= 0
                       : lo.instant                     ? *lo.instant <= *hi.instant
                                                        : lo.folded <= hi.folded;
        if (!ordered) return fail("the bounds of \"between\" are not in order (low > high)", path);
        return true;
      }
      case Op::Lt:
      case Op::Lte:
      case Op::Gt:
      case Op::Gte:
        if (!v.is_number() && !v.is_string() && !is_fact_reference(v))
          return fail("operator \"" + op + "\" needs a number or a string, not " + kind_name(v),
                      path);
        break;
      case Op::StartsWith:
      case Op::EndsWith:
        if (!v.is_string() && !is_fact_reference(v))
          return fail("operator \"" + op + "\" needs a string, not " + kind_name(v), path);
        break;
      case Op::Matches:
        if (!v.is_string())
          return fail("operator \"" + op + "\" needs a string, not " + kind_name(v), path);
        break;
      case Op::Contains:
      case Op::NotContains:
        if (!is_fact_reference(v) && (v.is_null() || v.is_array() || v.is_object()))
          return fail("operator \"" + op + "\" needs a boolean, a number or a string, not " +
                          kind_name(v), path);
        break;
      case Op::SizeEq:
      case Op::SizeNe:
      case Op::SizeLt:
      case Op::SizeLte:
      case Op::SizeGt:
      case Op::SizeGte:
        if (!v.is_number())
          return fail("operator \"" + op + "\" needs a number (a length), not " + kind_name(v),
                      path);
        break;
      case Op::WithinLast:
      case Op::WithinNext:
      case Op::OlderThan: {
        if (!v.is_string())
          return fail("operator \"" + op + "\" needs an ISO-8601 duration such as \"P30D\", not " +
                          kind_name(v), path);
        auto d = parse_duration(v.get<std::string>());
        if (!d)
          return fail("\"" + v.get<std::string>() + "\" is not an ISO-8601 duration such as "
                      "\"P30D\", \"PT12H\" or \"P1Y2M\"", path);
        l.duration_months = d->months;
        l.duration_micros = d->micros;
        cond_->uses_relative_time = true;
        return true;
      }
      case Op::Eq:
      case Op::Ne:
        break;
      case Op::Some:
      case Op::Every:
      case Op::None:
        return fail("operator \"" + op + "\" is a group, not a leaf operator", leaf_path + ".op");
    }
    l.operands.resize(1);
    const bool textual = l.op == Op::StartsWith || l.op == Op::EndsWith || l.op == Op::Matches;
    if (!operand(v, l.ignore_case, path, l.operands[0], scope, !textual, l.op != Op::Matches &&
                 !op_is_size(l.op)))
      return false;
    if (l.op == Op::Matches) {
      const std::string& pattern = l.operands[0].text;
      if (pattern.size() > WF_MAX_PATTERN_BYTES)
        return fail("regular expression is longer than " + std::to_string(WF_MAX_PATTERN_BYTES) +
                        " bytes",
                    path);
      // Compiled once every leaf is known: the regexes share one budget.
      pending_regexes_.push_back({static_cast<uint32_t>(cond_->leaves.size() - 1), path});
    }
    return true;
  }

  // All regexes of the condition share WF_REGEX_BUDGET_BYTES of RE2 memory
  // (compiled program plus the DFA cache it grows while matching), so
  // compile time and memory are bounded whatever the number of leaves.
  bool compile_regexes() {
    if (pending_regexes_.empty()) return true;
    const int64_t share = std::clamp<int64_t>(
        WF_REGEX_BUDGET_BYTES / static_cast<int64_t>(pending_regexes_.size()),
        WF_MIN_REGEX_BYTES, WF_MAX_REGEX_BYTES);
    for (const auto& [leaf_index, path] : pending_regexes_) {
      Leaf& l = cond_->leaves[leaf_index];
      RE2::Options options;
      options.set_log_errors(false);
      options.set_case_sensitive(!l.ignore_case);
      options.set_max_mem(share);
      l.regex = std::make_unique<RE2>(l.operands[0].text, options);
      if (!l.regex->ok()) {
        if (l.regex->error_code() == RE2::ErrorPatternTooLarge)
          return fail("regular expression needs more than its " + std::to_string(share / 1024) +
                          " KiB share of the condition's regex memory (" +
                          std::to_string(pending_regexes_.size()) + " regexes share " +
                          std::to_string(WF_REGEX_BUDGET_BYTES / (1024 * 1024)) + " MiB)",
                      path);
        return fail("invalid regular expression: " + l.regex->error(), path);
      }
    }
    return true;
  }

  CompileError& error_;
  const RawNumbers* raw_;
  std::unique_ptr<Condition> cond_;
  std::unordered_map<std::string, uint32_t> slots_;
  std::vector<std::pair<uint32_t, std::string>> pending_regexes_;  // leaf, JSON path
  std::vector<uint32_t> owners_;  // the quantified groups being compiled, innermost last
};

}  // namespace

std::unique_ptr<Condition> compile_condition(const json& doc, CompileError& error,
                                             const RawNumbers* raw) {
  return Compiler(error, raw).compile(doc);
}

std::unique_ptr<Condition> compile_alert(const std::string& field, const std::string& op,
                                         const json* value, bool ignore_case,
                                         CompileError& error, const RawNumbers* raw,
                                         const std::string* source) {
  // An alert is exactly one leaf (or one quantified group): validate it
  // through the same path.
  auto parsed = parse_op(op);
  if (parsed && op_is_quantifier(*parsed)) {
    json group = {{"field", field}};
    if (source) group["source"] = *source;
    if (value) group["where"] = *value;
    json doc = {{std::string(op_name(*parsed)), group}};
    if (ignore_case) doc[std::string(op_name(*parsed))]["ignore_case"] = true;  // refused
    return compile_condition(doc, error, nullptr);
  }
  json leaf = {{"field", field}, {"op", op}};
  if (source) leaf["source"] = *source;
  if (value) leaf["value"] = *value;
  if (ignore_case) leaf["ignore_case"] = true;
  return compile_condition(leaf, error, raw);
}

}  // namespace wf
