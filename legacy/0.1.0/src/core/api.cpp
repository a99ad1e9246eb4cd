// The C ABI of workflow_core.h.  Every entry point catches everything: no C++
// exception ever reaches the PostgreSQL shim.
#include "no_postgres.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "condition.hpp"
#include "evaluator.hpp"
#include "workflow_core.h"

struct wf_condition {
  std::unique_ptr<wf::Condition> impl;
};

namespace {

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

void ok(wf_status* st) { set_status(st, WF_OK, "00000", ""); }

// Runs body; maps any exception onto a status.  Returns fallback on failure.
template <typename T, typename F>
T guarded(wf_status* st, T fallback, F&& body) noexcept {
  try {
    ok(st);
    return body();
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
    auto doc = nlohmann::json::parse(json_text, json_text + len);
    wf::CompileError err;
    return wrap(wf::compile_condition(doc, err), err, st);
  });
}

wf_condition* wf_alert_compile(const char* field, const char* op, const char* value_json,
                               size_t value_len, int ignore_case, wf_status* st) {
  return guarded<wf_condition*>(st, nullptr, [&]() -> wf_condition* {
    wf::CompileError err;
    std::unique_ptr<wf::Condition> impl;
    if (value_json) {
      auto value = nlohmann::json::parse(value_json, value_json + value_len);
      impl = wf::compile_alert(field ? field : "", op ? op : "", &value, ignore_case != 0, err);
    } else {
      impl = wf::compile_alert(field ? field : "", op ? op : "", nullptr, ignore_case != 0, err);
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
      segment >= cond->impl->fields[field].size()) {
    if (len) *len = 0;
    return nullptr;
  }
  const std::string& s = cond->impl->fields[field][segment];
  if (len) *len = s.size();
  return s.data();
}

int wf_condition_evaluate(const wf_condition* cond, const wf_fact* facts, wf_status* st) {
  return guarded<int>(st, -1, [&]() -> int {
    if (!cond) throw std::invalid_argument("no condition");
    return wf::evaluate(*cond->impl, facts) ? 1 : 0;
  });
}

char* wf_condition_explain(const wf_condition* cond, const wf_fact* facts, int only_failed,
                           int* result, wf_status* st) {
  return guarded<char*>(st, nullptr, [&]() -> char* {
    if (!cond) throw std::invalid_argument("no condition");
    auto doc = wf::explain(*cond->impl, facts, only_failed != 0);
    if (result) *result = doc["result"].get<bool>() ? 1 : 0;
    return malloc_copy(only_failed ? doc["leaves"].dump() : doc.dump());
  });
}

char* wf_condition_leaves(const wf_condition* cond, wf_status* st) {
  return guarded<char*>(st, nullptr, [&]() -> char* {
    if (!cond) throw std::invalid_argument("no condition");
    nlohmann::json out = nlohmann::json::array();
    for (const wf::Leaf& l : cond->impl->leaves) {
      nlohmann::json leaf = {{"path", l.path},
                             {"field", l.field},
                             {"op", std::string(wf::op_name(l.op))},
                             {"ignore_case", l.ignore_case},
                             {"negated", l.negated}};
      if (wf::op_takes_value(l.op)) leaf["value"] = l.value;
      out.push_back(std::move(leaf));
    }
    return malloc_copy(out.dump());
  });
}

const char* wf_operator_canonical(const char* op) {
  if (!op) return nullptr;
  auto parsed = wf::parse_op(op);
  return parsed ? wf::op_name(*parsed).data() : nullptr;
}

void wf_free(void* p) { std::free(p); }

}  // extern "C"
