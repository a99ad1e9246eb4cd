#include "evaluator.hpp"

#include <cmath>
#include <cstring>
#include <string_view>

#include "instant.hpp"

namespace wf {
namespace {

using json = nlohmann::ordered_json;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view fact_text(const wf_fact& f) { return std::string_view(f.str, f.len); }

// Compares actual text against an operand, folding ASCII case when asked.
int compare_text(std::string_view actual, const Operand& o, bool ignore_case) {
  const std::string& expected = ignore_case ? o.folded : o.text;
  const size_t n = actual.size() < expected.size() ? actual.size() : expected.size();
  for (size_t i = 0; i < n; ++i) {
    const unsigned char a = static_cast<unsigned char>(ignore_case ? lower(actual[i]) : actual[i]);
    const unsigned char e = static_cast<unsigned char>(expected[i]);
    if (a != e) return a < e ? -1 : 1;
  }
  return actual.size() == expected.size() ? 0 : (actual.size() < expected.size() ? -1 : 1);
}

bool equal_text_at(std::string_view hay, size_t pos, std::string_view needle, bool ignore_case) {
  for (size_t i = 0; i < needle.size(); ++i) {
    char h = hay[pos + i];
    if (ignore_case) h = lower(h);
    if (h != needle[i]) return false;
  }
  return true;
}

bool find_text(std::string_view hay, std::string_view needle, bool ignore_case) {
  if (needle.size() > hay.size()) return false;
  for (size_t pos = 0; pos + needle.size() <= hay.size(); ++pos)
    if (equal_text_at(hay, pos, needle, ignore_case)) return true;
  return false;
}

// Three-way order of actual against an operand of the same type; nullopt when
// the two are not comparable (different JSON types, or a date against a non-date).
std::optional<int> order(const wf_fact& actual, const Operand& o, bool ignore_case) {
  if (o.kind == Operand::Kind::Number && actual.kind == WF_FACT_NUMBER)
    return actual.number < o.number ? -1 : (actual.number > o.number ? 1 : 0);
  if (o.kind == Operand::Kind::String && actual.kind == WF_FACT_STRING) {
    if (o.instant) {
      auto seen = parse_instant(fact_text(actual));
      if (!seen) return std::nullopt;
      return *seen < *o.instant ? -1 : (*seen > *o.instant ? 1 : 0);
    }
    return compare_text(fact_text(actual), o, ignore_case);
  }
  return std::nullopt;
}

// JSON equality of a scalar fact and an operand; nullopt on a type mismatch
// (null is comparable with anything: it equals only null).
std::optional<bool> equals(const wf_fact& actual, const Operand& o, bool ignore_case) {
  if (actual.kind == WF_FACT_NULL || o.kind == Operand::Kind::Null)
    return actual.kind == WF_FACT_NULL && o.kind == Operand::Kind::Null;
  if (o.kind == Operand::Kind::Bool)
    return actual.kind == WF_FACT_BOOL ? std::optional<bool>((actual.boolean != 0) == o.boolean)
                                       : std::nullopt;
  auto c = order(actual, o, ignore_case);
  if (!c) {
    // A date operand against a string that is no date is simply unequal.
    if (o.kind == Operand::Kind::String && actual.kind == WF_FACT_STRING) return false;
    return std::nullopt;
  }
  return *c == 0;
}

bool in_list(const wf_fact& actual, const Leaf& l) {
  for (const auto& o : l.operands) {
    auto eq = equals(actual, o, l.ignore_case);
    if (eq && *eq) return true;
  }
  return false;
}

Outcome from(bool b) { return b ? Outcome::True : Outcome::False; }

bool is_scalar(const wf_fact& f) {
  return f.kind == WF_FACT_NULL || f.kind == WF_FACT_BOOL || f.kind == WF_FACT_NUMBER ||
         f.kind == WF_FACT_STRING;
}

}  // namespace

Outcome evaluate_leaf(const Leaf& l, const wf_fact& f) {
  if (l.op == Op::NotExists)
    return from(f.kind == WF_FACT_MISSING || f.kind == WF_FACT_NULL);
  if (f.kind == WF_FACT_MISSING) return Outcome::Missing;
  const Operand* o = l.operands.empty() ? nullptr : &l.operands[0];
  switch (l.op) {
    case Op::Exists:
      return from(f.kind != WF_FACT_NULL);
    case Op::Eq:
    case Op::Ne: {
      if (!is_scalar(f)) return Outcome::TypeMismatch;
      auto eq = equals(f, *o, l.ignore_case);
      if (!eq) return Outcome::TypeMismatch;
      return from(l.op == Op::Eq ? *eq : !*eq);
    }
    case Op::Lt:
    case Op::Lte:
    case Op::Gt:
    case Op::Gte: {
      auto c = order(f, *o, l.ignore_case);
      if (!c) return Outcome::TypeMismatch;
      switch (l.op) {
        case Op::Lt: return from(*c < 0);
        case Op::Lte: return from(*c <= 0);
        case Op::Gt: return from(*c > 0);
        default: return from(*c >= 0);
      }
    }
    case Op::Between: {
      if (l.operands[0].instant && f.kind == WF_FACT_STRING) {
        // Dates: parse the field once for both bounds.
        auto seen = parse_instant(fact_text(f));
        if (!seen) return Outcome::TypeMismatch;
        return from(*seen >= *l.operands[0].instant && *seen <= *l.operands[1].instant);
      }
      auto lo = order(f, l.operands[0], l.ignore_case);
      auto hi = order(f, l.operands[1], l.ignore_case);
      if (!lo || !hi) return Outcome::TypeMismatch;
      return from(*lo >= 0 && *hi <= 0);
    }
    case Op::In:
    case Op::NotIn: {
      bool found = false;
      if (f.kind == WF_FACT_ARRAY) {
        for (size_t i = 0; i < f.n_items && !found; ++i) found = in_list(f.items[i], l);
      } else if (is_scalar(f)) {
        found = in_list(f, l);
      } else {
        return Outcome::TypeMismatch;
      }
      return from(l.op == Op::In ? found : !found);
    }
    case Op::Contains:
    case Op::NotContains: {
      bool found = false;
      if (f.kind == WF_FACT_ARRAY) {
        for (size_t i = 0; i < f.n_items && !found; ++i) {
          auto eq = equals(f.items[i], *o, l.ignore_case);
          found = eq && *eq;
        }
      } else if (f.kind == WF_FACT_STRING && o->kind == Operand::Kind::String) {
        found = find_text(fact_text(f), l.ignore_case ? o->folded : o->text, l.ignore_case);
      } else {
        return Outcome::TypeMismatch;
      }
      return from(l.op == Op::Contains ? found : !found);
    }
    case Op::StartsWith:
    case Op::EndsWith: {
      if (f.kind != WF_FACT_STRING) return Outcome::TypeMismatch;
      const std::string& needle = l.ignore_case ? o->folded : o->text;
      if (needle.size() > f.len) return Outcome::False;
      const size_t pos = l.op == Op::StartsWith ? 0 : f.len - needle.size();
      return from(equal_text_at(fact_text(f), pos, needle, l.ignore_case));
    }
    case Op::Matches:
      if (f.kind != WF_FACT_STRING) return Outcome::TypeMismatch;
      return from(RE2::PartialMatch(re2::StringPiece(f.str, f.len), *l.regex));
    case Op::NotExists:
      break;
  }
  return Outcome::False;
}

namespace {

bool eval_node(const Condition& c, uint32_t index, const wf_fact* facts) {
  const Node& n = c.nodes[index];
  switch (n.type) {
    case Node::Type::Leaf: {
      const Leaf& l = c.leaves[n.first];
      return evaluate_leaf(l, facts[l.slot]) == Outcome::True;
    }
    case Node::Type::Not:
      return !eval_node(c, c.children[n.first], facts);
    case Node::Type::All:
      for (uint32_t i = 0; i < n.count; ++i)
        if (!eval_node(c, c.children[n.first + i], facts)) return false;
      return true;
    case Node::Type::Any:
      for (uint32_t i = 0; i < n.count; ++i)
        if (eval_node(c, c.children[n.first + i], facts)) return true;
      return false;
  }
  return false;
}

json fact_json(const wf_fact& f) {
  switch (f.kind) {
    case WF_FACT_NULL: return nullptr;
    case WF_FACT_BOOL: return f.boolean != 0;
    case WF_FACT_NUMBER:
      // Integral numbers print as integers, as they were most likely written.
      // (Range first: casting a huge double to an integer is undefined.)
      if (f.number > -9e15 && f.number < 9e15 && f.number == std::floor(f.number))
        return static_cast<int64_t>(f.number);
      return f.number;
    case WF_FACT_STRING: return std::string(f.str, f.len);
    case WF_FACT_ARRAY: {
      json a = json::array();
      for (size_t i = 0; i < f.n_items; ++i) a.push_back(fact_json(f.items[i]));
      return a;
    }
    case WF_FACT_OBJECT: return json::object();
    default: return nullptr;
  }
}

const char* fact_kind(const wf_fact& f) {
  switch (f.kind) {
    case WF_FACT_NULL: return "null";
    case WF_FACT_BOOL: return "a boolean";
    case WF_FACT_NUMBER: return "a number";
    case WF_FACT_STRING: return "a string";
    case WF_FACT_ARRAY: return "an array";
    case WF_FACT_OBJECT: return "an object";
    default: return "missing";
  }
}

std::string reason(const Leaf& l, const wf_fact& f, Outcome outcome) {
  switch (outcome) {
    case Outcome::True: return "";
    case Outcome::Missing: return "field \"" + l.field + "\" is missing";
    case Outcome::TypeMismatch: {
      const Operand* o = l.operands.empty() ? nullptr : &l.operands[0];
      std::string wanted = !o                                  ? "a value"
                           : o->kind == Operand::Kind::Number ? "a number"
                           : o->instant                         ? "an ISO-8601 date"
                           : o->kind == Operand::Kind::String ? "a string"
                           : o->kind == Operand::Kind::Bool   ? "a boolean"
                                                               : "a value";
      return "type mismatch: \"" + std::string(op_name(l.op)) + "\" compares " + wanted +
             ", the field holds " + fact_kind(f);
    }
    case Outcome::False:
      break;
  }
  return fact_json(f).dump() + " " + std::string(op_name(l.op)) + " " + l.value.dump() +
         " is false";
}

}  // namespace

bool evaluate(const Condition& c, const wf_fact* facts) { return eval_node(c, 0, facts); }

json explain(const Condition& c, const wf_fact* facts, bool only_failed) {
  json leaves = json::array();
  for (const Leaf& l : c.leaves) {
    const wf_fact& f = facts[l.slot];
    const Outcome outcome = evaluate_leaf(l, f);
    const bool result = outcome == Outcome::True;
    const bool passed = result != l.negated;
    if (only_failed && passed) continue;
    json entry = {{"path", l.path},
                  {"field", l.field},
                  {"op", std::string(op_name(l.op))},
                  {"expected", l.value},
                  {"actual", f.kind == WF_FACT_MISSING ? json() : fact_json(f)},
                  {"missing", f.kind == WF_FACT_MISSING},
                  {"result", result},
                  {"negated", l.negated},
                  {"passed", passed}};
    if (!result) entry["reason"] = reason(l, f, outcome);
    if (l.ignore_case) entry["ignore_case"] = true;
    leaves.push_back(std::move(entry));
  }
  return json{{"result", evaluate(c, facts)}, {"leaves", std::move(leaves)}};
}

}  // namespace wf
