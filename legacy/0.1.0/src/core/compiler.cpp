// Parser, validator and compiler: condition JSON -> wf::Condition.
// Validation stops at the first offending node and reports its JSON path.
#include "condition.hpp"

#include <cmath>
#include <unordered_map>

#include "instant.hpp"
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

std::string fold(const std::string& s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

class Compiler {
 public:
  explicit Compiler(CompileError& error) : error_(error) {}

  std::unique_ptr<Condition> compile(const json& doc) {
    cond_ = std::make_unique<Condition>();
    if (!node(doc, "$", 1, false)) return nullptr;
    return std::move(cond_);
  }

 private:
  bool fail(std::string message, std::string path) {
    error_.message = std::move(message);
    error_.path = std::move(path);
    return false;
  }

  // Compiles the node at doc into a new entry of cond_->nodes.
  bool node(const json& doc, const std::string& path, int depth, bool negated) {
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
    for (const char* g : {"all", "any", "not"})
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
      if (std::string(group) == "not") {
        cond_->nodes[index].type = Node::Type::Not;
        const uint32_t child = static_cast<uint32_t>(cond_->nodes.size());
        if (!node(body, body_path, depth + 1, !negated)) return false;
        cond_->nodes[index].first = static_cast<uint32_t>(cond_->children.size());
        cond_->nodes[index].count = 1;
        cond_->children.push_back(child);
        return true;
      }
      cond_->nodes[index].type = group[1] == 'l' ? Node::Type::All : Node::Type::Any;
      if (!body.is_array())
        return fail(std::string("\"") + group + "\" needs an array, not " + kind_name(body),
                    body_path);
      if (body.empty()) return fail(std::string("\"") + group + "\" is an empty group", body_path);
      std::vector<uint32_t> kids;
      kids.reserve(body.size());
      for (size_t i = 0; i < body.size(); ++i) {
        kids.push_back(static_cast<uint32_t>(cond_->nodes.size()));
        if (!node(body[i], body_path + "[" + std::to_string(i) + "]", depth + 1, negated))
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
      if (k != "field" && k != "op" && k != "value" && k != "ignore_case")
        return fail("unexpected key \"" + k + "\" in a leaf", path);
    }
    const json& field = doc.at("field");
    if (!field.is_string())
      return fail(std::string("\"field\" must be a string, not ") + kind_name(field),
                  path + ".field");
    if (!doc.contains("op")) return fail("a leaf needs \"op\"", path);
    const json& op = doc.at("op");
    if (!op.is_string())
      return fail(std::string("\"op\" must be a string, not ") + kind_name(op), path + ".op");
    bool ignore_case = false;
    if (doc.contains("ignore_case")) {
      if (!doc.at("ignore_case").is_boolean())
        return fail("\"ignore_case\" must be a boolean", path + ".ignore_case");
      ignore_case = doc.at("ignore_case").get<bool>();
    }
    const bool has_value = doc.contains("value");
    static const json kNull;
    if (!leaf(index, field.get<std::string>(), op.get<std::string>(),
              has_value ? doc.at("value") : kNull, has_value, negated, path))
      return false;
    cond_->leaves.back().ignore_case = ignore_case;
    return finish_leaf(cond_->leaves.back(), path);
  }

  bool leaf(uint32_t index, const std::string& field, const std::string& op_text,
            const json& value, bool has_value, bool negated, const std::string& path) {
    if (field.empty()) return fail("\"field\" is empty", path + ".field");
    if (field.size() > WF_MAX_FIELD_BYTES)
      return fail("\"field\" is longer than " + std::to_string(WF_MAX_FIELD_BYTES) + " bytes",
                  path + ".field");
    std::vector<std::string> segments;
    size_t start = 0;
    for (;;) {
      size_t dot = field.find('.', start);
      std::string seg = field.substr(start, dot == std::string::npos ? std::string::npos
                                                                     : dot - start);
      if (seg.empty()) return fail("\"field\" has an empty path segment", path + ".field");
      segments.push_back(std::move(seg));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    auto op = parse_op(op_text);
    if (!op) return fail("unknown operator \"" + op_text + "\"", path + ".op");
    if (op_takes_value(*op) && !has_value)
      return fail("operator \"" + std::string(op_name(*op)) + "\" needs a \"value\"", path);
    if (!op_takes_value(*op) && has_value)
      return fail("operator \"" + std::string(op_name(*op)) + "\" takes no \"value\"",
                  path + ".value");

    cond_->nodes[index].type = Node::Type::Leaf;
    cond_->nodes[index].first = static_cast<uint32_t>(cond_->leaves.size());
    cond_->leaves.emplace_back();
    Leaf& l = cond_->leaves.back();
    l.op = *op;
    l.negated = negated;
    l.path = path;
    l.field = field;
    if (has_value) l.value = value;
    l.slot = slot_for(field, std::move(segments));
    return true;
  }

  uint32_t slot_for(const std::string& field, std::vector<std::string> segments) {
    auto it = slots_.find(field);
    if (it != slots_.end()) return it->second;
    const uint32_t slot = static_cast<uint32_t>(cond_->fields.size());
    cond_->fields.push_back(std::move(segments));
    slots_.emplace(field, slot);
    return slot;
  }

  bool operand(const json& v, bool ignore_case, const std::string& path, Operand& out) {
    switch (v.type()) {
      case json::value_t::null: out.kind = Operand::Kind::Null; return true;
      case json::value_t::boolean:
        out.kind = Operand::Kind::Bool;
        out.boolean = v.get<bool>();
        return true;
      case json::value_t::string:
        out.kind = Operand::Kind::String;
        out.text = v.get<std::string>();
        out.folded = ignore_case ? fold(out.text) : out.text;
        out.instant = parse_instant(out.text);
        return true;
      case json::value_t::number_integer:
      case json::value_t::number_unsigned:
      case json::value_t::number_float:
        out.kind = Operand::Kind::Number;
        out.number = v.get<double>();
        if (!std::isfinite(out.number)) return fail("number is out of range", path);
        return true;
      default:
        return fail(std::string("value must be null, a boolean, a number or a string, not ") +
                        kind_name(v),
                    path);
    }
  }

  // Checks the value's shape for its operator and pre-parses the operands.
  bool finish_leaf(Leaf& l, const std::string& leaf_path) {
    const std::string path = leaf_path + ".value";
    const std::string op(op_name(l.op));
    const json& v = l.value;
    switch (l.op) {
      case Op::Exists:
      case Op::NotExists:
        return true;
      case Op::In:
      case Op::NotIn: {
        if (!v.is_array())
          return fail("operator \"" + op + "\" needs an array, not " + kind_name(v), path);
        l.operands.resize(v.size());
        for (size_t i = 0; i < v.size(); ++i)
          if (!operand(v[i], l.ignore_case, path + "[" + std::to_string(i) + "]", l.operands[i]))
            return false;
        return true;
      }
      case Op::Between: {
        if (!v.is_array() || v.size() != 2)
          return fail("operator \"between\" needs an array of two bounds [low, high]", path);
        l.operands.resize(2);
        for (size_t i = 0; i < 2; ++i) {
          if (!v[i].is_number() && !v[i].is_string())
            return fail(std::string("a bound of \"between\" must be a number or a string, not ") +
                            kind_name(v[i]),
                        path + "[" + std::to_string(i) + "]");
          if (!operand(v[i], l.ignore_case, path + "[" + std::to_string(i) + "]", l.operands[i]))
            return false;
        }
        const Operand &lo = l.operands[0], &hi = l.operands[1];
        if (lo.kind != hi.kind || lo.instant.has_value() != hi.instant.has_value())
          return fail("the bounds of \"between\" must be of one type", path);
        bool ordered = lo.kind == Operand::Kind::Number ? lo.number <= hi.number
                       : lo.instant                     ? *lo.instant <= *hi.instant
                                                        : lo.folded <= hi.folded;
        if (!ordered) return fail("the bounds of \"between\" are not in order (low > high)", path);
        return true;
      }
      case Op::Lt:
      case Op::Lte:
      case Op::Gt:
      case Op::Gte:
        if (!v.is_number() && !v.is_string())
          return fail("operator \"" + op + "\" needs a number or a string, not " + kind_name(v),
                      path);
        break;
      case Op::StartsWith:
      case Op::EndsWith:
      case Op::Matches:
        if (!v.is_string())
          return fail("operator \"" + op + "\" needs a string, not " + kind_name(v), path);
        break;
      case Op::Contains:
      case Op::NotContains:
        if (v.is_null() || v.is_array() || v.is_object())
          return fail("operator \"" + op + "\" needs a boolean, a number or a string, not " +
                          kind_name(v),
                      path);
        break;
      case Op::Eq:
      case Op::Ne:
        break;
    }
    l.operands.resize(1);
    if (!operand(v, l.ignore_case, path, l.operands[0])) return false;
    if (l.op == Op::Matches) {
      const std::string& pattern = l.operands[0].text;
      if (pattern.size() > WF_MAX_PATTERN_BYTES)
        return fail("regular expression is longer than " + std::to_string(WF_MAX_PATTERN_BYTES) +
                        " bytes",
                    path);
      RE2::Options options;
      options.set_log_errors(false);
      options.set_case_sensitive(!l.ignore_case);
      options.set_max_mem(1 << 20);  // bounds the compiled program and DFA cache
      l.regex = std::make_unique<RE2>(pattern, options);
      if (!l.regex->ok())
        return fail("invalid regular expression: " + l.regex->error(), path);
    }
    return true;
  }

  CompileError& error_;
  std::unique_ptr<Condition> cond_;
  std::unordered_map<std::string, uint32_t> slots_;
};

}  // namespace

std::unique_ptr<Condition> compile_condition(const json& doc, CompileError& error) {
  return Compiler(error).compile(doc);
}

std::unique_ptr<Condition> compile_alert(const std::string& field, const std::string& op,
                                         const json* value, bool ignore_case,
                                         CompileError& error) {
  // An alert is exactly one leaf: validate it through the same path.
  json leaf = {{"field", field}, {"op", op}};
  if (value) leaf["value"] = *value;
  if (ignore_case) leaf["ignore_case"] = true;
  return compile_condition(leaf, error);
}

}  // namespace wf
