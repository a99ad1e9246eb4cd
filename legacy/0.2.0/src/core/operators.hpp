// The operators of the condition language and their aliases.
#pragma once
#include "no_postgres.hpp"

#include <optional>
#include <string_view>

namespace wf {

enum class Op {
  Eq, Ne, Lt, Lte, Gt, Gte, In, NotIn, Contains, NotContains,
  StartsWith, EndsWith, Matches, Exists, NotExists, Between,
  SizeEq, SizeNe, SizeLt, SizeLte, SizeGt, SizeGte,
  WithinLast, WithinNext, OlderThan,
  Some, Every, None  // quantified groups (as an alert's operator)
};

// Canonical name ("gte"); aliases map onto these.
std::string_view op_name(Op op);
// Accepts canonical names and aliases (= == != <> < <= > >=).
std::optional<Op> parse_op(std::string_view text);
// exists / not_exists take no value.
bool op_takes_value(Op op);
bool op_is_size(Op op);
bool op_is_relative_time(Op op);
bool op_is_quantifier(Op op);

}  // namespace wf
