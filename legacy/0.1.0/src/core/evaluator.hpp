// Evaluation of a compiled condition against resolved facts (one wf_fact per
// field slot), with an optional per-leaf explanation.
#pragma once
#include "no_postgres.hpp"

#include <nlohmann/json.hpp>

#include "condition.hpp"
#include "workflow_core.h"

namespace wf {

// How one leaf came out, and why when it is false.
enum class Outcome { True, False, Missing, TypeMismatch };

Outcome evaluate_leaf(const Leaf& leaf, const wf_fact& fact);
bool evaluate(const Condition& cond, const wf_fact* facts);

// {"result": bool, "leaves": [...]}; see wf_condition_explain.
nlohmann::ordered_json explain(const Condition& cond, const wf_fact* facts, bool only_failed);

}  // namespace wf
