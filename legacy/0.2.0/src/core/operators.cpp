#include "operators.hpp"

namespace wf {
namespace {
struct OpName {
  std::string_view name;
  Op op;
};
// Canonical names first: op_name() returns the first match.
constexpr OpName kNames[] = {
    {"eq", Op::Eq},           {"ne", Op::Ne},
    {"lt", Op::Lt},           {"lte", Op::Lte},
    {"gt", Op::Gt},           {"gte", Op::Gte},
    {"in", Op::In},           {"not_in", Op::NotIn},
    {"contains", Op::Contains}, {"not_contains", Op::NotContains},
    {"starts_with", Op::StartsWith}, {"ends_with", Op::EndsWith},
    {"matches", Op::Matches}, {"exists", Op::Exists},
    {"not_exists", Op::NotExists}, {"between", Op::Between},
    {"size_eq", Op::SizeEq},  {"size_ne", Op::SizeNe},
    {"size_lt", Op::SizeLt},  {"size_lte", Op::SizeLte},
    {"size_gt", Op::SizeGt},  {"size_gte", Op::SizeGte},
    {"within_last", Op::WithinLast}, {"within_next", Op::WithinNext},
    {"older_than", Op::OlderThan},
    {"some", Op::Some},       {"every", Op::Every},
    {"none", Op::None},
    {"=", Op::Eq},            {"==", Op::Eq},
    {"!=", Op::Ne},           {"<>", Op::Ne},
    {"<", Op::Lt},            {"<=", Op::Lte},
    {">", Op::Gt},            {">=", Op::Gte},
};
}  // namespace

std::string_view op_name(Op op) {
  for (const auto& n : kNames)
    if (n.op == op) return n.name;
  return "?";
}

std::optional<Op> parse_op(std::string_view text) {
  for (const auto& n : kNames)
    if (n.name == text) return n.op;
  return std::nullopt;
}

bool op_takes_value(Op op) { return op != Op::Exists && op != Op::NotExists; }

bool op_is_size(Op op) { return op >= Op::SizeEq && op <= Op::SizeGte; }

bool op_is_relative_time(Op op) {
  return op == Op::WithinLast || op == Op::WithinNext || op == Op::OlderThan;
}

bool op_is_quantifier(Op op) { return op == Op::Some || op == Op::Every || op == Op::None; }

}  // namespace wf
