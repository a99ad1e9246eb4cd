// Derives a jsonpath that a GIN index on the facts column can answer, from
// the leaves whose semantics it covers: every document the condition accepts
// satisfies the jsonpath (lax mode only widens it: an array is unwrapped, a
// key read through an array), so the condition itself, rechecked on each
// row the index returns, decides.  A leaf is left out whenever that superset
// is not exact (README: Screening through an index lists why for each).
#include "index_prefilter.hpp"

#include <cmath>
#include <cstdio>

namespace wf {
namespace {

// Larger prefilters (a long "in" list) are not worth planning with.
constexpr size_t kMaxPrefilterBytes = 64 * 1024;

// A jsonpath string literal: JSON escapes, control characters as \u00XX.
void quote(const std::string& s, std::string& out) {
  out += '"';
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20 || ch == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", ch);
      out += buf;
    } else {
      out += static_cast<char>(ch);
    }
  }
  out += '"';
}

bool ascii(const std::string& s) {
  for (unsigned char ch : s)
    if (ch >= 0x80) return false;
  return true;
}

// "@."k1"."k2"", or nothing for a path the index cannot follow (an array
// index) or a key it may not spell.
std::optional<std::string> accessor(const Path& path, const PrefilterOptions& options) {
  std::string out = "@";
  for (const PathStep& step : path) {
    if (step.is_index) return std::nullopt;
    if (!options.utf8 && !ascii(step.key)) return std::nullopt;
    out += '.';
    quote(step.key, out);
  }
  return out;
}

// A number as a jsonpath literal, only when the index's numeric comparison
// says what the engine says: JSON number syntax, a value that is not a
// nonzero decimal underflowing to a zero double, and at most 1000
// significant digits (the engine compares facts exactly against those).
// JSON number syntax: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?
bool json_number(const std::string& s) {
  size_t p = 0;
  auto digits = [&]() {
    const size_t start = p;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
    return p > start;
  };
  if (p < s.size() && s[p] == '-') ++p;
  if (p < s.size() && s[p] == '0') {
    ++p;
  } else if (!digits()) {
    return false;
  }
  if (p < s.size() && s[p] == '.') {
    ++p;
    if (!digits()) return false;
  }
  if (p < s.size() && (s[p] == 'e' || s[p] == 'E')) {
    ++p;
    if (p < s.size() && (s[p] == '-' || s[p] == '+')) ++p;
    if (!digits()) return false;
  }
  return p == s.size();
}

std::optional<std::string> number_literal(const Operand& o) {
  if (!std::isfinite(o.number) || o.decimal.empty() || !json_number(o.decimal))
    return std::nullopt;
  size_t digits = 0;
  bool nonzero = false;
  for (char ch : o.decimal) {
    if (ch == 'e' || ch == 'E') break;
    if (ch >= '0' && ch <= '9') {
      ++digits;
      nonzero |= ch != '0';
    }
  }
  if (digits > 1000 || (nonzero && (o.number == 0 || std::fabs(o.number) < 2.2250738585072014e-308)))
    return std::nullopt;
  return o.decimal;
}

// Text the engine compares as written: ASCII (its own NFC form), no
// character that a non-ASCII one normalizes to (U+212A KELVIN SIGN is "K",
// U+037E GREEK QUESTION MARK ";", U+1FEF GREEK VARIA "`"), not date-shaped
// (compared as an instant), and case not folded.
bool plain_text(const Operand& o, bool ignore_case) {
  if (ignore_case || o.instant || !ascii(o.text)) return false;
  return o.text.find_first_of("K;`") == std::string::npos;
}

// An equality operand as a jsonpath literal: null, a boolean, an exact
// number or plain text.
std::optional<std::string> equality_literal(const Operand& o, bool ignore_case) {
  if (o.ref) return std::nullopt;
  switch (o.kind) {
    case Operand::Kind::Null: return std::string("null");
    case Operand::Kind::Bool: return std::string(o.boolean ? "true" : "false");
    case Operand::Kind::Number: return number_literal(o);
    case Operand::Kind::String: {
      if (!plain_text(o, ignore_case)) return std::nullopt;
      std::string out;
      quote(o.text, out);
      return out;
    }
  }
  return std::nullopt;
}

class Builder {
 public:
  Builder(const Condition& c, const PrefilterOptions& options) : c_(c), options_(options) {}

  std::optional<std::string> node(uint32_t index) const {
    const Node& n = c_.nodes[index];
    switch (n.type) {
      case Node::Type::All: {
        // Any subset of the members is a superset of the group.
        std::string out;
        size_t kept = 0;
        for (uint32_t i = 0; i < n.count; ++i) {
          auto member = node(c_.children[n.first + i]);
          if (!member) continue;
          if (kept++) out += " && ";
          out += *member;
        }
        if (kept == 0) return std::nullopt;
        return kept == 1 ? out : "(" + out + ")";
      }
      case Node::Type::Any: {
        // Only when every member can be looked up.
        std::string out;
        for (uint32_t i = 0; i < n.count; ++i) {
          auto member = node(c_.children[n.first + i]);
          if (!member) return std::nullopt;
          if (i) out += " || ";
          out += *member;
        }
        return n.count == 1 ? out : "(" + out + ")";
      }
      case Node::Type::Leaf: {
        auto out = leaf(c_.leaves[n.first]);
        if (out && out->size() > kMaxPrefilterBytes) return std::nullopt;
        return out;
      }
      case Node::Type::Not:         // the index finds documents, not their absence
      case Node::Type::Quantified:  // a "where" over elements: left out
        return std::nullopt;
    }
    return std::nullopt;
  }

 private:
  std::optional<std::string> leaf(const Leaf& l) const {
    // condition_matches reads the candidate's facts only; a fact operand
    // names another field of the same document, unknown to the index.
    if (l.field.relative || l.in_quantifier || l.negated || l.has_ref ||
        l.field.source != Source::Candidate)
      return std::nullopt;
    auto at = accessor(c_.fields[l.field.slot], options_);
    if (!at) return std::nullopt;
    switch (l.op) {
      case Op::Eq: {
        // A scalar equal to the operand; lax mode also finds it inside an
        // array, which the engine does not: wider, so fine.
        auto v = equality_literal(l.operands[0], l.ignore_case);
        if (!v) return std::nullopt;
        return *at + " == " + *v;
      }
      case Op::In: {
        // The fact, or an element of an array fact, equals one of the list.
        if (l.operands.empty()) return std::nullopt;
        std::string out;
        for (size_t i = 0; i < l.operands.size(); ++i) {
          auto v = equality_literal(l.operands[i], l.ignore_case);
          if (!v) return std::nullopt;
          if (i) out += " || ";
          out += *at + " == " + *v;
        }
        return l.operands.size() == 1 ? out : "(" + out + ")";
      }
      case Op::Contains: {
        // An array element equal to the operand; a text operand also means
        // a substring of a text fact, which no index entry says: left out.
        const Operand& o = l.operands[0];
        if (o.kind == Operand::Kind::String) return std::nullopt;
        auto v = equality_literal(o, l.ignore_case);
        if (!v) return std::nullopt;
        return *at + " == " + *v;
      }
      case Op::Exists:
        // Present and not null; the index has the key (null included).
        if (!options_.keys_indexed) return std::nullopt;
        return "exists(" + *at + ")";
      case Op::Lt:
      case Op::Lte:
      case Op::Gt:
      case Op::Gte:
      case Op::Between: {
        // Numbers only (text orders and dates are the engine's own); the
        // index narrows to documents with the key.
        if (!options_.keys_indexed) return std::nullopt;
        static const char* const kCompare[] = {"<", "<=", ">", ">="};
        std::string out;
        for (size_t i = 0; i < l.operands.size(); ++i) {
          const Operand& o = l.operands[i];
          if (o.ref || o.kind != Operand::Kind::Number) return std::nullopt;
          auto v = number_literal(o);
          if (!v) return std::nullopt;
          const char* cmp = l.op == Op::Between ? (i == 0 ? ">=" : "<=")
                            : kCompare[static_cast<int>(l.op) - static_cast<int>(Op::Lt)];
          if (i) out += " && ";
          out += *at + " " + cmp + " " + *v;
        }
        return l.operands.size() == 1 ? out : "(" + out + ")";
      }
      default:
        // ne, not_in, not_contains, starts_with, ends_with, matches,
        // not_exists, sizes, relative time: no index entry says them.
        return std::nullopt;
    }
  }

  const Condition& c_;
  const PrefilterOptions& options_;
};

}  // namespace

std::optional<std::string> index_prefilter(const Condition& c, const PrefilterOptions& options) {
  if (c.nodes.empty()) return std::nullopt;
  auto pred = Builder(c, options).node(0);
  if (!pred || pred->size() > kMaxPrefilterBytes) return std::nullopt;
  return "$ ? (" + *pred + ")";
}

}  // namespace wf
