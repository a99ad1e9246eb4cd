// The compiled form of a condition: a flat tree of groups and leaves whose
// operands are pre-parsed (numbers, folded strings, instants, regexes), so
// evaluation neither re-parses JSON nor allocates.
#pragma once
#include "no_postgres.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include "operators.hpp"

namespace wf {

// One comparison operand from the condition's "value".
struct Operand {
  enum class Kind { Null, Bool, Number, String } kind = Kind::Null;
  bool boolean = false;
  double number = 0;
  std::string text;                // as written
  std::string folded;              // ASCII-lowercased, for ignore_case
  std::optional<int64_t> instant;  // set when text is an ISO-8601 date/timestamp
};

struct Leaf {
  uint32_t slot = 0;      // index into Condition::fields (and the facts array)
  Op op = Op::Eq;
  bool ignore_case = false;
  bool negated = false;   // under an odd number of "not" groups
  std::string path;       // JSON path of this leaf in the condition
  std::string field;      // dot path as written
  nlohmann::json value;   // as written (null when the operator takes none)
  std::vector<Operand> operands;  // 1, or n for in/not_in, or 2 for between
  std::unique_ptr<re2::RE2> regex;
};

struct Node {
  enum class Type { All, Any, Not, Leaf } type = Type::Leaf;
  uint32_t first = 0;  // Leaf: index into leaves; group: index into children
  uint32_t count = 0;  // group: number of children
};

struct Condition {
  std::vector<Node> nodes;  // nodes[0] is the root
  std::vector<uint32_t> children;
  std::vector<Leaf> leaves;
  std::vector<std::vector<std::string>> fields;  // distinct paths, split on '.'
};

// Why compilation failed: a message and the JSON path of the offending node.
struct CompileError {
  std::string message;
  std::string path;
};

std::unique_ptr<Condition> compile_condition(const nlohmann::json& doc, CompileError& error);
// An alert's (field, operator, value) as a one-leaf condition; value may be
// null for exists/not_exists.
std::unique_ptr<Condition> compile_alert(const std::string& field, const std::string& op,
                                         const nlohmann::json* value, bool ignore_case,
                                         CompileError& error);

}  // namespace wf
