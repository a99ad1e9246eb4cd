// The order in which all/any groups try their members: cheap first.
#pragma once
#include "no_postgres.hpp"

#include "condition.hpp"

namespace wf {

// A member's cost class, lowest first (README "Conditions: evaluation order"):
//   0 exists / not_exists
//   1 numbers, booleans and null; sizes
//   2 text compared as written: eq ... lte, in / not_in, starts_with / ends_with
//   3 folded text (ignore_case), contains / not_contains, a fact as the operand
//   4 dates: a date operand, within_last / within_next / older_than
//   5 matches (a regular expression)
//   6 some / every / none (a loop over the elements)
// A group costs as much as its costliest member, and "not" as its member.
int cost_class(const Condition& cond, uint32_t node);

// Reorders the members of every all/any group by cost class, keeping written
// order among equals.  all/any are commutative and leaves have no side
// effects, so only the time changes; explanations keep the written order
// (they follow Condition::units, not the groups' members).
void order_cheap_first(Condition& cond);

}  // namespace wf
