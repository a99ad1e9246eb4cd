// The C ABI of workflow_core.h.  Every entry point catches everything: no C++
// exception ever reaches the PostgreSQL shim.
#include "no_postgres.hpp"

#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>

#include "condition.hpp"
#include "evaluator.hpp"
#include "index_prefilter.hpp"
#include "json_input.hpp"
#include "workflow_core.h"

struct wf_condition {
  std::unique_ptr<wf::Condition> impl;
};

namespace {

// The host's callbacks (one per process: a backend is single-threaded).
const wf_host* g_host = nullptr;

void copy_text(char* dst, size_t size, const std::string& src) {
  const size_t n = src.size() < size - 1 ? src.size() : size - 1;
  std::memcpy(dst, src.data(), n);
  dst[n] = '\0';
}

void set_status(wf_status* st, int code, const char* sqlstate, const std::string& message,
                const std::string& path = "") {
  if (!st) return;
  st->code = code;
  std::memcpy(st->sqlstate, sqlstate, 6);
  copy_text(st->message, sizeof st->message, message);
  copy_text(st->path, sizeof st->path, path);
}

// Success, written field by field: this runs once per evaluated row.
void ok(wf_status* st) {
  if (!st) return;
  st->code = WF_OK;
  std::memcpy(st->sqlstate, "00000", 6);
  st->message[0] = '\0';
  st->path[0] = '\0';
}

// Runs body; maps any exception onto a status.  Returns fallback on failure.
template <typename T, typename F>
T guarded(wf_status* st, T fallback, F&& body) noexcept {
  try {
    ok(st);
    return body();
  } catch (const wf::NoReferenceInstant&) {
    set_status(st, WF_INVALID, "22023",
               "relative time (within_last, within_next, older_than) needs a reference instant: "
               "use the three-argument form with at");
  } catch (const wf::Interrupted&) {
    set_status(st, WF_INTERRUPTED, "57014", "condition evaluation interrupted");
  } catch (const std::bad_alloc&) {
    set_status(st, WF_INTERNAL, "53200", "out of memory in the condition engine");
  } catch (const nlohmann::json::exception& e) {
    set_status(st, WF_INVALID, "22023", std::string("malformed JSON: ") + e.what(), "$");
  } catch (const std::exception& e) {
    set_status(st, WF_INTERNAL, "XX000", std::string("condition engine failure: ") + e.what());
  } catch (...) {
    set_status(st, WF_INTERNAL, "XX000", "condition engine failure");
  }
  return fallback;
}

char* malloc_copy(const std::string& s) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (!out) throw std::bad_alloc();
  std::memcpy(out, s.data(), s.size() + 1);
  return out;
}

wf_condition* wrap(std::unique_ptr<wf::Condition> impl, const wf::CompileError& err,
                   wf_status* st) {
  if (!impl) {
    set_status(st, WF_INVALID, "22023", err.message, err.path);
    return nullptr;
  }
  auto* c = new wf_condition{std::move(impl)};
  return c;
}

}  // namespace

extern "C" {

wf_condition* wf_condition_compile(const char* json_text, size_t len, wf_status* st) {
  return guarded<wf_condition*>(st, nullptr, [&]() -> wf_condition* {
    // Depth is bounded before parsing: nlohmann's parser is iterative, and
    // the compiler stops at WF_MAX_DEPTH, so deep input cannot exhaust the stack.
    wf::ParsedJson parsed;
    wf::CompileError err;
    if (!wf::parse_condition_json(json_text, len, parsed, err)) return wrap(nullptr, err, st);
    return wrap(wf::compile_condition(parsed.doc, err, &parsed.raw_numbers), err, st);
  });
}

wf_condition* wf_alert_compile(const char* field, const char* op, const char* value_json,
                               size_t value_len, int ignore_case, wf_status* st) {
  return wf_alert_compile_source(field, nullptr, op, value_json, value_len, ignore_case, st);
}

wf_condition* wf_alert_compile_source(const char* field, const char* source, const char* op,
                                      const char* value_json, size_t value_len, int ignore_case,
                                      wf_status* st) {
  return guarded<wf_condition*>(st, nullptr, [&]() -> wf_condition* {
    wf::CompileError err;
    const std::string source_text = source ? source : "";
    const std::string* src = source ? &source_text : nullptr;  // NULL: the candidate
    std::unique_ptr<wf::Condition> impl;
    if (value_json) {
      wf::ParsedJson value;
      if (!wf::parse_condition_json(value_json, value_len, value, err)) {
        err.path = "$.value" + err.path.substr(1);  // the value is the leaf's "value"
        return wrap(nullptr, err, st);
      }
      // Raw number texts are keyed from the value's root: re-key them to the leaf's.
      wf::RawNumbers raw;
      for (auto& [path, text] : value.raw_numbers) raw.emplace("$.value" + path.substr(1), text);
      impl = wf::compile_alert(field ? field : "", op ? op : "", &value.doc, ignore_case != 0, err,
                               &raw, src);
    } else {
      impl = wf::compile_alert(field ? field : "", op ? op : "", nullptr, ignore_case != 0, err,
                               nullptr, src);
    }
    return wrap(std::move(impl), err, st);
  });
}

void wf_condition_free(wf_condition* cond) { delete cond; }

size_t wf_condition_field_count(const wf_condition* cond) {
  return cond ? cond->impl->fields.size() : 0;
}

size_t wf_condition_segment_count(const wf_condition* cond, size_t field) {
  return cond && field < cond->impl->fields.size() ? cond->impl->fields[field].size() : 0;
}

const char* wf_condition_segment(const wf_condition* cond, size_t field, size_t segment,
                                 size_t* len) {
  if (!cond || field >= cond->impl->fields.size() ||
      segment >= cond->impl->fields[field].size() ||
      cond->impl->fields[field][segment].is_index) {
    if (len) *len = 0;
    return nullptr;
  }
  const std::string& s = cond->impl->fields[field][segment].key;
  if (len) *len = s.size();
  return s.data();
}

int wf_condition_field_source(const wf_condition* cond, size_t field) {
  if (!cond || field >= cond->impl->field_sources.size()) return -1;
  return static_cast<int>(cond->impl->field_sources[field]);
}

int wf_condition_segment_index(const wf_condition* cond, size_t field, size_t segment,
                               size_t* index) {
  if (!cond || field >= cond->impl->fields.size() ||
      segment >= cond->impl->fields[field].size() ||
      !cond->impl->fields[field][segment].is_index)
    return 0;
  if (index) *index = cond->impl->fields[field][segment].index;
  return 1;
}

int wf_condition_uses_relative_time(const wf_condition* cond) {
  return cond && cond->impl->uses_relative_time ? 1 : 0;
}

void wf_core_set_host(const wf_host* host) { g_host = host; }

int wf_condition_evaluate(const wf_condition* cond, const wf_fact* facts, wf_status* st) {
  return guarded<int>(st, -1, [&]() -> int {
    if (!cond) throw std::invalid_argument("no condition");
    wf::EvalContext ctx(facts, g_host, std::nullopt);
    return wf::evaluate(*cond->impl, ctx) ? 1 : 0;
  });
}

int wf_condition_evaluate_at(const wf_condition* cond, const wf_fact* facts, int64_t at,
                             wf_status* st) {
  return guarded<int>(st, -1, [&]() -> int {
    if (!cond) throw std::invalid_argument("no condition");
    wf::EvalContext ctx(facts, g_host, at);
    return wf::evaluate(*cond->impl, ctx) ? 1 : 0;
  });
}

int wf_condition_evaluate_lazy(const wf_condition* cond, const wf_fact_source* source,
                               const int64_t* at, wf_status* st) {
  return guarded<int>(st, -1, [&]() -> int {
    if (!cond || !source || !source->resolve) throw std::invalid_argument("no condition or facts");
    wf::EvalContext ctx(source, cond->impl->fields.size(), g_host,
                        at ? std::optional<int64_t>(*at) : std::nullopt);
    return wf::evaluate(*cond->impl, ctx) ? 1 : 0;
  });
}

namespace {
char* explain_in(const wf_condition* cond, wf::EvalContext& ctx, int only_failed, int* result) {
  auto doc = wf::explain(*cond->impl, ctx, only_failed != 0);
  if (result) *result = doc["result"].get<bool>() ? 1 : 0;
  return malloc_copy(only_failed ? doc["leaves"].dump() : doc.dump());
}

char* explain_with(const wf_condition* cond, const wf_fact* facts, int only_failed,
                   std::optional<int64_t> at, int* result, wf_status* st) {
  return guarded<char*>(st, nullptr, [&]() -> char* {
    if (!cond) throw std::invalid_argument("no condition");
    wf::EvalContext ctx(facts, g_host, at);
    return explain_in(cond, ctx, only_failed, result);
  });
}
}  // namespace

char* wf_condition_explain_lazy(const wf_condition* cond, const wf_fact_source* source,
                                int only_failed, const int64_t* at, int* result, wf_status* st) {
  return guarded<char*>(st, nullptr, [&]() -> char* {
    if (!cond || !source || !source->resolve) throw std::invalid_argument("no condition or facts");
    wf::EvalContext ctx(source, cond->impl->fields.size(), g_host,
                        at ? std::optional<int64_t>(*at) : std::nullopt);
    return explain_in(cond, ctx, only_failed, result);
  });
}

char* wf_condition_failed_paths_lazy(const wf_condition* cond, const wf_fact_source* source,
                                     const int64_t* at, int* result, wf_status* st) {
  return guarded<char*>(st, nullptr, [&]() -> char* {
    if (!cond || !source || !source->resolve) throw std::invalid_argument("no condition or facts");
    wf::EvalContext ctx(source, cond->impl->fields.size(), g_host,
                        at ? std::optional<int64_t>(*at) : std::nullopt);
    bool holds = false;
    nlohmann::json out = wf::failed_paths(*cond->impl, ctx, &holds);
    if (result) *result = holds ? 1 : 0;
    return malloc_copy(out.dump());
  });
}

char* wf_condition_explain(const wf_condition* cond, const wf_fact* facts, int only_failed,
                           int* result, wf_status* st) {
  return explain_with(cond, facts, only_failed, std::nullopt, result, st);
}

char* wf_condition_explain_at(const wf_condition* cond, const wf_fact* facts, int only_failed,
                              int64_t at, int* result, wf_status* st) {
  return explain_with(cond, facts, only_failed, at, result, st);
}

char* wf_condition_leaves(const wf_condition* cond, wf_status* st) {
  return guarded<char*>(st, nullptr, [&]() -> char* {
    if (!cond) throw std::invalid_argument("no condition");
    nlohmann::json out = nlohmann::json::array();
    const wf::Condition& c = *cond->impl;
    for (const wf::Unit& u : c.units) {
      if (u.quantifier) {  // one entry for the group: an alert re-creates it
        const wf::Quantifier& q = c.quantifiers[u.index];
        nlohmann::json group = {{"path", q.path},
                                {"field", q.field.text},
                                {"op", std::string(wf::op_name(q.op))},
                                {"ignore_case", false},
                                {"negated", q.negated},
                                {"value", q.where}};
        if (q.field.source != wf::Source::Candidate)
          group["source"] = wf::source_name(q.field.source);
        out.push_back(std::move(group));
        continue;
      }
      const wf::Leaf& l = c.leaves[u.index];
      nlohmann::json leaf = {{"path", l.path},
                             {"field", l.field.text},
                             {"op", std::string(wf::op_name(l.op))},
                             {"ignore_case", l.ignore_case},
                             {"negated", l.negated}};
      if (wf::op_takes_value(l.op)) leaf["value"] = l.value;
      // Only when not the candidate: a 0.2 leaf lists as it always did.
      if (l.field.source != wf::Source::Candidate) leaf["source"] = wf::source_name(l.field.source);
      out.push_back(std::move(leaf));
    }
    return malloc_copy(out.dump());
  });
}

char* wf_condition_index_prefilter(const wf_condition* cond, int flags, wf_status* st) {
  return guarded<char*>(st, nullptr, [&]() -> char* {
    if (!cond) throw std::invalid_argument("no condition");
    wf::PrefilterOptions options;
    options.keys_indexed = (flags & WF_PREFILTER_KEYS) != 0;
    options.utf8 = (flags & WF_PREFILTER_UTF8) != 0;
    auto text = wf::index_prefilter(*cond->impl, options);
    return text ? malloc_copy(*text) : nullptr;
  });
}

const char* wf_operator_canonical(const char* op) {
  if (!op) return nullptr;
  auto parsed = wf::parse_op(op);
  return parsed ? wf::op_name(*parsed).data() : nullptr;
}

void wf_free(void* p) { std::free(p); }

}  // extern "C"
