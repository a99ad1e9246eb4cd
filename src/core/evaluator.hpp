// Evaluation of a compiled condition against facts (one wf_fact per root
// field slot, resolved up front or on demand), with an optional per-leaf
// explanation.
#pragma once
#include "no_postgres.hpp"

#include <optional>
#include <string>
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

// What one evaluation carries: the root facts (an array resolved up front,
// or a source asked for each field the first time a leaf reads it), the
// host, the reference instant, the elements of the quantified groups being
// evaluated, and a work counter that polls the host every kPollEvery units
// of work.
class EvalContext {
 public:
  static constexpr uint32_t kPollEvery = 4096;
  EvalContext(const wf_fact* facts, const wf_host* host, std::optional<int64_t> at)
      : facts_(facts), host_(host), at_(at) {}
  // Lazy: n_fields is the condition's field count.
  EvalContext(const wf_fact_source* source, size_t n_fields, const wf_host* host,
              std::optional<int64_t> at)
      : source_(source), host_(host), at_(at) {
    if (n_fields > kInlineFields) {
      heap_facts_.resize(n_fields);
      heap_known_.assign(n_fields, 0);
    }
  }
  EvalContext(const EvalContext&) = delete;
  EvalContext& operator=(const EvalContext&) = delete;

  // Root field slot, looked up on first use when lazy.
  const wf_fact& root(uint32_t slot) {
    if (facts_) return facts_[slot];
    const bool inline_slot = heap_facts_.empty();
    wf_fact& f = inline_slot ? inline_facts_[slot] : heap_facts_[slot];
    if (inline_slot ? !(inline_known_ >> slot & 1u) : !heap_known_[slot]) {
      // (resolve fills f whenever it answers 1)
      if (!source_->resolve(source_->arg, slot, &f)) {
        f = wf_fact{};
        f.kind = WF_FACT_MISSING;
      }
      if (inline_slot)
        inline_known_ |= uint64_t{1} << slot;
      else
        heap_known_[slot] = 1;
    }
    return f;
  }
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
  // What an explanation may still spend, in bytes of JSON (explain()).
  int64_t explain_left = 0;

 private:
  static constexpr size_t kInlineFields = 64;  // one bit each in inline_known_
  const wf_fact* facts_ = nullptr;
  const wf_fact_source* source_ = nullptr;
  const wf_host* host_;
  std::optional<int64_t> at_;
  uint32_t left_ = kPollEvery;
  uint64_t inline_known_ = 0;
  wf_fact inline_facts_[kInlineFields];
  std::vector<wf_fact> heap_facts_;
  std::vector<uint8_t> heap_known_;
};

bool evaluate(const Condition& cond, EvalContext& ctx);

// Bytes this thread's NFC buffers hold (the copies of non-ASCII texts a leaf
// compares): one grown past 1 MB is released by the next evaluation.  For
// tests.
size_t nfc_buffer_bytes();

// {"result": bool, "leaves": [...]}; see wf_condition_explain.
nlohmann::ordered_json explain(const Condition& cond, EvalContext& ctx, bool only_failed);

// The JSON paths of what made the condition fail, every one (*result: the
// condition's value); see wf_condition_failed_paths_lazy.
std::vector<std::string> failed_paths(const Condition& cond, EvalContext& ctx, bool* result);

}  // namespace wf
