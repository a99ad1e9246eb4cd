// Test helper: resolves a compiled condition's field slots in a JSON document
// the way the shim does in jsonb, and owns the wf_fact storage.
#pragma once
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "workflow_core.h"

class ResolvedFacts {
 public:
  ResolvedFacts(const wf_condition* cond, const nlohmann::json& doc) {
    const size_t n = wf_condition_field_count(cond);
    facts_.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const nlohmann::json* at = &doc;
      for (size_t s = 0; s < wf_condition_segment_count(cond, i) && at; ++s) {
        size_t len = 0;
        const char* seg = wf_condition_segment(cond, i, s, &len);
        std::string key(seg, len);
        at = at->is_object() && at->contains(key) ? &(*at)[key] : nullptr;
      }
      facts_[i] = at ? convert(*at) : wf_fact{};
    }
  }
  const wf_fact* data() const { return facts_.data(); }

 private:
  wf_fact convert(const nlohmann::json& v) {
    wf_fact f{};
    switch (v.type()) {
      case nlohmann::json::value_t::null: f.kind = WF_FACT_NULL; break;
      case nlohmann::json::value_t::boolean: f.kind = WF_FACT_BOOL; f.boolean = v.get<bool>(); break;
      case nlohmann::json::value_t::string: {
        strings_.push_back(v.get<std::string>());
        f.kind = WF_FACT_STRING;
        f.str = strings_.back().data();
        f.len = strings_.back().size();
        break;
      }
      case nlohmann::json::value_t::array: {
        items_.emplace_back();
        auto& items = items_.back();
        for (const auto& e : v) items.push_back(convert(e));
        f.kind = WF_FACT_ARRAY;
        f.items = items.data();
        f.n_items = items.size();
        break;
      }
      case nlohmann::json::value_t::object: f.kind = WF_FACT_OBJECT; break;
      default: f.kind = WF_FACT_NUMBER; f.number = v.get<double>(); break;
    }
    return f;
  }
  std::vector<wf_fact> facts_;
  std::deque<std::string> strings_;
  std::deque<std::vector<wf_fact>> items_;
};
