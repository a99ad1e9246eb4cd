// The compiled form of a condition: a flat tree of groups and leaves whose
// operands are pre-parsed (numbers, folded strings, instants, regexes), so
// evaluation neither re-parses JSON nor, for literal operands, allocates.
#pragma once
#include "no_postgres.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include "operators.hpp"

namespace wf {

// One step of a field path: an object key or an array index.
struct PathStep {
  bool is_index = false;
  std::string key;
  uint32_t index = 0;
};
using Path = std::vector<PathStep>;

// Where a field is read: from the facts' root (a slot the host resolves,
// up front or when a leaf first reads it) or from the element of the innermost quantified group.
struct FieldRef {
  bool relative = false;  // true: relative to the current element
  uint32_t slot = 0;      // !relative: index into Condition::fields
  Path path;              // relative: the steps from the element
  std::string text;       // as written
};

// One comparison operand from the condition's "value": a literal, or
// another fact ({"field": "budget.max"}).
struct Operand {
  enum class Kind { Null, Bool, Number, String } kind = Kind::Null;
  bool boolean = false;
  double number = 0;
  std::string text;                // as written
  std::string folded;              // case-folded, for ignore_case
  std::optional<int64_t> instant;  // set when text is an ISO-8601 date/timestamp
  std::string decimal;             // Number: exact decimal text (JSON number syntax)
  bool inexact = false;            // Number: the double is rounded from decimal
  std::optional<FieldRef> ref;     // a fact instead of a literal
};

struct Leaf {
  FieldRef field;
  Op op = Op::Eq;
  bool ignore_case = false;
  bool negated = false;   // under an odd number of "not" groups
  bool in_quantifier = false;
  std::string path;       // JSON path of this leaf in the condition
  nlohmann::json value;   // as written (null when the operator takes none)
  std::vector<Operand> operands;  // 1, or n for in/not_in, or 2 for between
  bool has_ref = false;           // an operand is {"field": ...}
  std::unique_ptr<re2::RE2> regex;
  int64_t duration_months = 0;   // relative time operators: the duration,
  int64_t duration_micros = 0;   // calendar months plus fixed microseconds
};

// What explain and condition_leaves list: leaves and quantified groups that
// are not inside a quantified group, in document order (and, per quantified
// group, those directly inside it).
struct Unit {
  bool quantifier = false;
  uint32_t index = 0;   // into leaves or quantifiers
  uint32_t node = 0;    // Quantified: its node
};

// A quantified group: some / every / none of the elements of an array field
// satisfy "where", whose fields are relative to each element.
struct Quantifier {
  FieldRef field;
  Op op = Op::Some;  // Some, Every or None
  bool negated = false;
  bool in_quantifier = false;
  std::string path;
  nlohmann::json where;  // as written
  std::vector<Unit> inner;  // the leaves and groups directly in "where"
};

struct Node {
  enum class Type { All, Any, Not, Leaf, Quantified } type = Type::Leaf;
  uint32_t first = 0;  // Leaf: index into leaves; Quantified: into quantifiers;
                       // group: index into children
  uint32_t count = 0;  // group: number of children; Quantified: 1 (children[first2])
  uint32_t child = 0;  // Quantified: the node of "where"
};

struct Condition {
  std::vector<Node> nodes;  // nodes[0] is the root
  std::vector<uint32_t> children;
  std::vector<Leaf> leaves;
  std::vector<Quantifier> quantifiers;
  std::vector<Unit> units;
  std::vector<Path> fields;  // distinct root paths, resolved by the host
  bool uses_relative_time = false;
};

// The text of non-integer numbers as written, by JSON path (json_input.hpp).
using RawNumbers = std::unordered_map<std::string, std::string>;

// Why compilation failed: a message and the JSON path of the offending node.
struct CompileError {
  std::string message;
  std::string path;
};

// Parses a field as written: a dot path ("address.city", split on dots), or
// an exact path from the root ("$.education[0].degree", "$[\"name.first\"]").
// exact is set for the latter.  False with message when malformed.
bool parse_field(const std::string& text, Path& out, bool& exact, std::string& message);

std::unique_ptr<Condition> compile_condition(const nlohmann::json& doc, CompileError& error,
                                             const RawNumbers* raw = nullptr);
// An alert's (field, operator, value) as a one-leaf condition; value may be
// null for exists/not_exists.  Operators some/every/none make the quantified
// group {op: {"field": field, "where": value}}.
std::unique_ptr<Condition> compile_alert(const std::string& field, const std::string& op,
                                         const nlohmann::json* value, bool ignore_case,
                                         CompileError& error, const RawNumbers* raw = nullptr);

}  // namespace wf
