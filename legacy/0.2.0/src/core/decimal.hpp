// Exact comparison of numbers: doubles first, decimals when the doubles are
// equal and one side was rounded (integers beyond 2^53, 0.1 vs
// 0.1000000000000000000001, 1e-400 vs 0).
#pragma once
#include "no_postgres.hpp"

#include <optional>
#include <string_view>

#include "condition.hpp"

namespace wf {

// Three-way order of two decimals in JSON number syntax; nullopt when either
// does not parse.
std::optional<int> compare_decimal_text(std::string_view a, std::string_view b);

// Three-way order of two number operands (exact when both carry decimals).
int compare_numbers(const Operand& a, const Operand& b);

}  // namespace wf
