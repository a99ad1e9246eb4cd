// Evaluation of a compiled condition against resolved facts (one wf_fact per
// root field slot), with an optional per-leaf explanation.
#pragma once
#include "no_postgres.hpp"

#include <optional>
#include <vector>

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
// Thrown when relative time has no reference instant; the C ABI turns it
// into WF_INVALID (22023).
struct NoReferenceInstant {};

// What one evaluation carries: the facts, the host, the reference instant,
// the elements of the quantified groups being evaluated, and a work counter
// that polls the host every kPollEvery units of work.
class EvalContext {
 public:
  static constexpr uint32_t kPollEvery = 4096;
  EvalContext(const wf_fact* facts, const wf_host* host, std::optional<int64_t> at)
      : facts_(facts), host_(host), at_(at) {}
  const wf_fact* facts() const { return facts_; }
  const wf_host* host() const { return host_; }
  int64_t at() {
    if (!at_ && host_ && host_->now) {
      int64_t now = 0;
      if (host_->now(&now)) at_ = now;
    }
    if (!at_) throw NoReferenceInstant{};
    return *at_;
  }
  // Counts work; polls the host now and then, and throws Interrupted when asked.
  void work(uint32_t units = 1) {
    if (units < left_) {
      left_ -= units;
      return;
    }
    left_ = kPollEvery;
    if (host_ && host_->interrupted && host_->interrupted()) throw Interrupted{};
  }
  std::vector<wf_fact> elements;  // innermost quantified group's element last

 private:
  const wf_fact* facts_;
  const wf_host* host_;
  std::optional<int64_t> at_;
  uint32_t left_ = kPollEvery;
};

bool evaluate(const Condition& cond, EvalContext& ctx);

// {"result": bool, "leaves": [...]}; see wf_condition_explain.
nlohmann::ordered_json explain(const Condition& cond, EvalContext& ctx, bool only_failed);

}  // namespace wf
