// Evaluation of a compiled condition against resolved facts (one wf_fact per
// field slot), with an optional per-leaf explanation.
#pragma once
#include "no_postgres.hpp"

#include <nlohmann/json.hpp>

#include "condition.hpp"
#include "workflow_core.h"

namespace wf {

// How one leaf came out, and why when it is false.  TooLong: the text is
// longer than WF_MAX_MATCH_TEXT_BYTES, which "matches" does not scan.
enum class Outcome { True, False, Missing, TypeMismatch, TooLong };

// Thrown when the host's interrupt poll asks evaluation to stop; the C ABI
// turns it into WF_INTERRUPTED.
struct Interrupted {};

// What one evaluation carries: the facts, the host (interrupt poll), and a
// work counter that polls the host every kPollEvery units of work.
class EvalContext {
 public:
  static constexpr uint32_t kPollEvery = 4096;
  EvalContext(const wf_fact* facts, const wf_host* host) : facts_(facts), host_(host) {}
  const wf_fact* facts() const { return facts_; }
  // Counts work; polls the host now and then, and throws Interrupted when asked.
  void work(uint32_t units = 1) {
    if (units < left_) {
      left_ -= units;
      return;
    }
    left_ = kPollEvery;
    if (host_ && host_->interrupted && host_->interrupted()) throw Interrupted{};
  }

 private:
  const wf_fact* facts_;
  const wf_host* host_;
  uint32_t left_ = kPollEvery;
};

Outcome evaluate_leaf(const Leaf& leaf, const wf_fact& fact, EvalContext& ctx);
bool evaluate(const Condition& cond, EvalContext& ctx);

// {"result": bool, "leaves": [...]}; see wf_condition_explain.
nlohmann::ordered_json explain(const Condition& cond, EvalContext& ctx, bool only_failed);

}  // namespace wf
