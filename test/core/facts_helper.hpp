// Test helper: resolves a compiled condition's field slots in a JSON document
// the way the shim does in jsonb, and serves as the core's host (nested
// lookups, exact number text, interrupt poll, reference instant).
#pragma once
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "workflow_core.h"

namespace test_host {

inline int (*interrupt_hook)() = nullptr;    // the interrupt poll, when set
inline std::optional<int64_t> now;           // the host's reference instant

inline wf_fact convert(const nlohmann::json& v) {
  wf_fact f{};
  f.node = &v;
  switch (v.type()) {
    case nlohmann::json::value_t::null: f.kind = WF_FACT_NULL; break;
    case nlohmann::json::value_t::boolean: f.kind = WF_FACT_BOOL; f.boolean = v.get<bool>(); break;
    case nlohmann::json::value_t::string: {
      const std::string& s = v.get_ref<const std::string&>();
      f.kind = WF_FACT_STRING;
      f.str = s.data();
      f.len = s.size();
      break;
    }
    case nlohmann::json::value_t::array:
      f.kind = WF_FACT_ARRAY;  // elements through child()
      f.n_items = v.size();
      break;
    case nlohmann::json::value_t::object: f.kind = WF_FACT_OBJECT; break;
    default:
      f.kind = WF_FACT_NUMBER;
      f.number = v.get<double>();
      // Beyond 2^53 an integer is rounded as a double too.
      f.inexact = v.is_number_float() || f.number >= 9007199254740992.0 ||
                  f.number <= -9007199254740992.0;
      break;
  }
  return f;
}

inline int interrupted() { return interrupt_hook ? interrupt_hook() : 0; }

inline int child(const wf_fact* parent, const char* key, size_t key_len, size_t index,
                 wf_fact* out) {
  const auto* j = static_cast<const nlohmann::json*>(parent->node);
  *out = wf_fact{};
  out->kind = WF_FACT_MISSING;
  if (!j) return 0;
  if (key) {
    auto it = j->is_object() ? j->find(std::string(key, key_len)) : j->end();
    if (j->is_object() && it != j->end()) *out = convert(*it);
  } else if (j->is_array() && index < j->size()) {
    *out = convert((*j)[index]);
  }
  return 1;
}

inline size_t number_text(const wf_fact* f, char* buf, size_t cap) {
  const auto* j = static_cast<const nlohmann::json*>(f->node);
  if (!j) return 0;
  const std::string s = j->dump();
  if (s.size() > cap) return 0;
  std::memcpy(buf, s.data(), s.size());
  return s.size();
}

inline int get_now(int64_t* at) {
  if (!now) return 0;
  *at = *now;
  return 1;
}

inline const wf_host host = {interrupted, child, number_text, get_now};

}  // namespace test_host

// A compiled condition, freed with the object (cond NULL and status set when
// it does not compile).
struct Compiled {
  wf_condition* cond = nullptr;
  wf_status status{};
  explicit Compiled(const std::string& text) {
    cond = wf_condition_compile(text.data(), text.size(), &status);
  }
  ~Compiled() { wf_condition_free(cond); }
  Compiled(const Compiled&) = delete;
  Compiled& operator=(const Compiled&) = delete;
};

// The three documents facts come from, one per source (WF_SOURCE_*), as the
// shim finds them: the candidate's facts, the application's attributes, the
// job's facts.  One document alone serves all three sources.
struct FactDocs {
  nlohmann::json by_source[3];
  FactDocs(const nlohmann::json& all) : by_source{all, all, all} {}  // NOLINT: implicit
  FactDocs(const nlohmann::json& candidate, const nlohmann::json& application,
           const nlohmann::json& job)
      : by_source{candidate, application, job} {}
};

// Field `field` of cond in its source's document, or NULL when missing.
inline const nlohmann::json* lookup(const wf_condition* cond, size_t field, const FactDocs& docs) {
  const int source = wf_condition_field_source(cond, field);
  if (source < 0 || source > 2) return nullptr;
  const nlohmann::json* at = &docs.by_source[source];
  for (size_t s = 0; s < wf_condition_segment_count(cond, field) && at; ++s) {
    size_t index = 0;
    if (wf_condition_segment_index(cond, field, s, &index)) {
      at = at->is_array() && index < at->size() ? &(*at)[index] : nullptr;
      continue;
    }
    size_t len = 0;
    const char* seg = wf_condition_segment(cond, field, s, &len);
    std::string key(seg, len);
    at = at->is_object() && at->contains(key) ? &(*at)[key] : nullptr;
  }
  return at;
}

class ResolvedFacts {
 public:
  ResolvedFacts(const wf_condition* cond, const FactDocs& docs)
      : docs_(std::make_unique<FactDocs>(docs)) {
    wf_core_set_host(&test_host::host);
    const size_t n = wf_condition_field_count(cond);
    facts_.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const nlohmann::json* at = lookup(cond, i, *docs_);
      facts_[i] = at ? top(*at) : wf_fact{};
    }
  }
  const wf_fact* data() const { return facts_.data(); }

 private:
  // Top-level arrays come with their items, as the shim hands them over.
  wf_fact top(const nlohmann::json& v) {
    wf_fact f = test_host::convert(v);
    if (v.is_array()) {
      items_.emplace_back();
      for (const auto& e : v) items_.back().push_back(test_host::convert(e));
      f.items = items_.back().data();
    }
    return f;
  }
  std::unique_ptr<FactDocs> docs_;
  std::vector<wf_fact> facts_;
  std::vector<std::vector<wf_fact>> items_;
};

// The same lookups on demand, as the shim's wf_fact_source does: counts how
// often each field is asked for; arrays come without items (elements through
// child()).  refuse: fields whose lookup fails (resolve returns 0).
class LazyFacts {
 public:
  LazyFacts(const wf_condition* cond, const FactDocs& docs)
      : cond_(cond), docs_(std::make_unique<FactDocs>(docs)),
        asked_(wf_condition_field_count(cond), 0) {
    wf_core_set_host(&test_host::host);
    source_.resolve = &LazyFacts::resolve;
    source_.arg = this;
  }
  const wf_fact_source* source() const { return &source_; }
  // How often field `name` (as the condition writes its dot path) of source
  // was asked for.
  int asked(const std::string& name, int source = WF_SOURCE_CANDIDATE) const {
    for (size_t i = 0; i < asked_.size(); ++i)
      if (path(i) == name && wf_condition_field_source(cond_, i) == source) return asked_[i];
    return -1;
  }
  int total_asked() const {
    int n = 0;
    for (int a : asked_) n += a;
    return n;
  }
  std::vector<std::string> refuse;

 private:
  std::string path(size_t field) const {
    std::string out;
    for (size_t s = 0; s < wf_condition_segment_count(cond_, field); ++s) {
      size_t len = 0;
      const char* seg = wf_condition_segment(cond_, field, s, &len);
      if (!out.empty()) out += ".";
      out += seg ? std::string(seg, len) : "[]";
    }
    return out;
  }
  static int resolve(void* arg, size_t field, wf_fact* out) {
    auto* self = static_cast<LazyFacts*>(arg);
    self->asked_.at(field)++;
    for (const std::string& r : self->refuse)
      if (self->path(field) == r) return 0;
    const nlohmann::json* at = lookup(self->cond_, field, *self->docs_);
    *out = at ? test_host::convert(*at) : wf_fact{};
    return 1;
  }
  const wf_condition* cond_;
  std::unique_ptr<FactDocs> docs_;
  std::vector<int> asked_;
  wf_fact_source source_{};
};

