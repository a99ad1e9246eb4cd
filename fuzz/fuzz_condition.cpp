// libFuzzer target over the core: parse + validate + compile a condition,
// then evaluate and explain it against facts (relative time at a fixed
// instant), the facts resolved up front and on demand (same answers); the
// leaves it lists must compile back as alerts.  Input: condition JSON, a NUL
// byte, facts JSON (facts default to {} when there is no NUL), which serves
// every source (candidate, application, job).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "facts_helper.hpp"
#include "workflow_core.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* text = reinterpret_cast<const char*>(data);
  const char* nul = static_cast<const char*>(std::memchr(text, '\0', size));
  const size_t cond_len = nul ? static_cast<size_t>(nul - text) : size;

  wf_status status;
  wf_condition* cond = wf_condition_compile(text, cond_len, &status);
  if (!cond) {
    // A rejection must say why, with a SQLSTATE.
    if (status.code == WF_OK || status.sqlstate[5] != '\0') __builtin_trap();
    return 0;
  }
  nlohmann::json facts = nlohmann::json::object();
  if (nul) {
    auto parsed = nlohmann::json::parse(nul + 1, text + size, nullptr, false);
    if (!parsed.is_discarded()) facts = std::move(parsed);
  }
  ResolvedFacts resolved(cond, facts);
  // Relative time is measured from a fixed instant (2024-06-01T12:00:00Z).
  const int64_t at = 1717243200LL * 1000000LL;
  const int result = wf_condition_evaluate_at(cond, resolved.data(), at, &status);
  int explained = -1;
  char* explanation = wf_condition_explain_at(cond, resolved.data(), 0, at, &explained, &status);
  // evaluate and explain must agree.
  if (!explanation || result < 0 || explained != result) __builtin_trap();
  // Facts looked up on demand give the same answer and the same explanation.
  {
    LazyFacts lazy(cond, facts);
    if (wf_condition_evaluate_lazy(cond, lazy.source(), &at, &status) != result) __builtin_trap();
    int lazy_explained = -1;
    LazyFacts again(cond, facts);
    char* lazy_explanation =
        wf_condition_explain_lazy(cond, again.source(), 0, &at, &lazy_explained, &status);
    if (!lazy_explanation || std::strcmp(lazy_explanation, explanation) != 0 ||
        lazy_explained != result)
      __builtin_trap();
    wf_free(lazy_explanation);
  }
  wf_free(explanation);
  char* failed = wf_condition_explain_at(cond, resolved.data(), 1, at, &explained, &status);
  // Without an instant, relative time is refused (22023), never a crash.
  if (wf_condition_evaluate(cond, resolved.data(), &status) < 0 &&
      !(wf_condition_uses_relative_time(cond) && status.code == WF_INVALID))
    __builtin_trap();
  wf_free(failed);
  char* leaves = wf_condition_leaves(cond, &status);
  if (!leaves) __builtin_trap();
  // The leaves re-validate one by one as alerts, with their sources.
  auto list = nlohmann::json::parse(leaves);
  wf_free(leaves);
  for (const auto& leaf : list) {
    std::string value = leaf.contains("value") ? leaf["value"].dump() : std::string();
    std::string source = leaf.contains("source") ? leaf["source"].get<std::string>() : "";
    wf_condition* alert = wf_alert_compile_source(
        leaf["field"].get<std::string>().c_str(), leaf.contains("source") ? source.c_str() : nullptr,
        leaf["op"].get<std::string>().c_str(), leaf.contains("value") ? value.c_str() : nullptr,
        value.size(), leaf["ignore_case"].get<bool>() ? 1 : 0, &status);
    if (!alert) __builtin_trap();
    // Every field reads a known source.
    for (size_t i = 0; i < wf_condition_field_count(alert); ++i)
      if (wf_condition_field_source(alert, i) < WF_SOURCE_CANDIDATE ||
          wf_condition_field_source(alert, i) > WF_SOURCE_JOB)
        __builtin_trap();
    wf_condition_free(alert);
  }
  wf_condition_free(cond);
  return 0;
}
