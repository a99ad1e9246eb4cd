// Facts looked up on demand (wf_fact_source), short-circuit groups and the
// cheap-first order of their members (evaluation_order.hpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "facts_helper.hpp"
#include "workflow_core.h"

using nlohmann::json;

namespace {

int lazy(const Compiled& c, LazyFacts& facts, const int64_t* at = nullptr) {
  EXPECT_NE(c.cond, nullptr) << c.status.message;
  wf_status st{};
  const int r = wf_condition_evaluate_lazy(c.cond, facts.source(), at, &st);
  EXPECT_GE(r, 0) << st.message;
  return r;
}

int eager(const Compiled& c, const json& doc) {
  ResolvedFacts facts(c.cond, doc);
  wf_status st{};
  const int r = wf_condition_evaluate(c.cond, facts.data(), &st);
  EXPECT_GE(r, 0) << st.message;
  return r;
}

std::string explain_lazy(const Compiled& c, LazyFacts& facts, int* result) {
  wf_status st{};
  char* text = wf_condition_explain_lazy(c.cond, facts.source(), 0, nullptr, result, &st);
  EXPECT_NE(text, nullptr) << st.message;
  std::string out = text ? text : "";
  wf_free(text);
  return out;
}

std::string explain_eager(const Compiled& c, const json& doc, int* result) {
  ResolvedFacts facts(c.cond, doc);
  wf_status st{};
  char* text = wf_condition_explain(c.cond, facts.data(), 0, result, &st);
  EXPECT_NE(text, nullptr) << st.message;
  std::string out = text ? text : "";
  wf_free(text);
  return out;
}

TEST(LazyLookup, AsksOnlyForTheFieldsTheDecidingLeavesRead) {
  Compiled c(R"({"all": [{"field": "years", "op": "gte", "value": 3},
                          {"field": "city", "op": "eq", "value": "Berlin"},
                          {"field": "skills", "op": "contains", "value": "go"}]})");
  LazyFacts facts(c.cond, json::parse(R"({"years": 1, "city": "Berlin", "skills": ["go"]})"));
  EXPECT_EQ(lazy(c, facts), 0);
  EXPECT_EQ(facts.asked("years"), 1);
  EXPECT_EQ(facts.asked("city"), 0);
  EXPECT_EQ(facts.asked("skills"), 0);
}

TEST(LazyLookup, AnyStopsAtTheFirstTrueMember) {
  Compiled c(R"({"any": [{"field": "a", "op": "eq", "value": 1},
                          {"field": "b", "op": "eq", "value": 2}]})");
  LazyFacts facts(c.cond, json::parse(R"({"a": 1, "b": 2})"));
  EXPECT_EQ(lazy(c, facts), 1);
  EXPECT_EQ(facts.asked("a"), 1);
  EXPECT_EQ(facts.asked("b"), 0);
}

TEST(LazyLookup, AFieldReadByManyLeavesIsLookedUpOnce) {
  Compiled c(R"({"all": [{"field": "n", "op": "gte", "value": 1},
                          {"field": "n", "op": "lte", "value": 9},
                          {"not": {"field": "n", "op": "eq", "value": 5}},
                          {"some": {"field": "list", "where": {"field": "$.n", "op": "gt", "value": 0}}}]})");
  LazyFacts facts(c.cond, json::parse(R"({"n": 4, "list": [1, 2]})"));
  EXPECT_EQ(lazy(c, facts), 1);
  EXPECT_EQ(facts.asked("n"), 1);
  EXPECT_EQ(facts.asked("list"), 1);
}

TEST(CheapFirst, ARegexWrittenFirstRunsAfterTheNumbers) {
  // Written order would look up and scan "email" first; the number leaf is
  // cheaper, fails, and decides.
  Compiled c(R"({"all": [{"field": "email", "op": "matches", "value": "@example\\.com$"},
                          {"field": "applied", "op": "gte", "value": "2024-01-01"},
                          {"field": "name", "op": "contains", "value": "a", "ignore_case": true},
                          {"field": "years", "op": "gte", "value": 3}]})");
  LazyFacts facts(c.cond, json::parse(
      R"({"email": "x@example.com", "applied": "2024-05-01", "name": "Ana", "years": 1})"));
  EXPECT_EQ(lazy(c, facts), 0);
  EXPECT_EQ(facts.asked("years"), 1);
  EXPECT_EQ(facts.total_asked(), 1);
}

TEST(CheapFirst, OrderOfCostClasses) {
  // Each member true but the last written; every cheaper member is asked
  // for before the one that decides, nothing after it.
  Compiled c(R"({"all": [{"some": {"field": "jobs", "where": {"field": "x", "op": "eq", "value": 1}}},
                          {"field": "email", "op": "matches", "value": "^a"},
                          {"field": "applied", "op": "within_last", "value": "P1D"},
                          {"field": "tags", "op": "contains", "value": "x"},
                          {"field": "city", "op": "in", "value": ["Berlin"]},
                          {"field": "years", "op": "gte", "value": 3},
                          {"field": "phone", "op": "exists"}]})");
  // phone missing: the exists leaf (class 0) decides alone.
  LazyFacts facts(c.cond, json::parse(R"({"years": 5, "city": "Berlin"})"));
  const int64_t at = 0;
  EXPECT_EQ(lazy(c, facts, &at), 0);
  EXPECT_EQ(facts.asked("phone"), 1);
  EXPECT_EQ(facts.total_asked(), 1);
  // phone present, years too low: exists then numbers, nothing costlier.
  LazyFacts low(c.cond, json::parse(R"({"phone": "1", "years": 1, "city": "Berlin"})"));
  EXPECT_EQ(lazy(c, low, &at), 0);
  EXPECT_EQ(low.asked("phone"), 1);
  EXPECT_EQ(low.asked("years"), 1);
  EXPECT_EQ(low.asked("city"), 0);
  // city wrong: text after numbers, before contains/dates/regex/loops.
  LazyFacts city(c.cond, json::parse(R"({"phone": "1", "years": 5, "city": "Rome", "tags": ["x"]})"));
  EXPECT_EQ(lazy(c, city, &at), 0);
  EXPECT_EQ(city.asked("city"), 1);
  EXPECT_EQ(city.asked("tags"), 0);
  EXPECT_EQ(city.asked("email"), 0);
  EXPECT_EQ(city.asked("jobs"), 0);
}

TEST(CheapFirst, ExplanationsKeepTheWrittenOrder) {
  Compiled c(R"({"all": [{"field": "email", "op": "matches", "value": "^a"},
                          {"field": "years", "op": "gte", "value": 3}]})");
  LazyFacts facts(c.cond, json::parse(R"({"email": "b", "years": 1})"));
  int result = -1;
  const json doc = json::parse(explain_lazy(c, facts, &result));
  EXPECT_EQ(result, 0);
  ASSERT_EQ(doc["leaves"].size(), 2u);
  EXPECT_EQ(doc["leaves"][0]["field"], "email");
  EXPECT_EQ(doc["leaves"][1]["field"], "years");
}

TEST(LazyLookup, AnswersEqualTheEagerLookup) {
  const std::vector<std::string> conditions = {
      R"({"all": [{"field": "a", "op": "gt", "value": 1}, {"field": "s", "op": "matches", "value": "^x"}]})",
      R"({"any": [{"field": "s", "op": "starts_with", "value": "X", "ignore_case": true}, {"field": "a", "op": "lt", "value": 0}]})",
      R"({"not": {"any": [{"field": "list", "op": "contains", "value": 2}, {"field": "d", "op": "gte", "value": "2024-01-01"}]}})",
      R"({"all": [{"field": "o.k", "op": "eq", "value": true}, {"field": "$.list[1]", "op": "eq", "value": 2}]})",
      R"({"every": {"field": "rows", "where": {"all": [{"field": "v", "op": "gte", "value": 1}, {"field": "$.a", "op": "gte", "value": {"field": "v"}}]}}})",
      R"({"all": [{"field": "a", "op": "lte", "value": {"field": "b"}}, {"field": "list", "op": "size_gte", "value": 2}]})",
      R"({"any": [{"field": "missing", "op": "not_exists"}, {"field": "a", "op": "between", "value": [0, 3]}]})",
      R"({"none": {"field": "list", "where": {"field": "$.a", "op": "in", "value": [7, 8]}}})",
  };
  const std::vector<std::string> docs = {
      R"({})",
      R"({"a": 2, "b": 3, "s": "xylo", "list": [1, 2, 3], "d": "2024-02-01", "o": {"k": true}, "rows": [{"v": 1}, {"v": 2}]})",
      R"({"a": -1, "b": -5, "s": "Xeno", "list": [5], "d": "2020-01-01", "o": {"k": false}, "rows": [{"v": 0}]})",
      R"({"a": "2", "s": 7, "list": "2", "d": 20240101, "o": [1], "rows": {"v": 1}})",
      R"({"a": 8, "b": 8, "s": "", "list": [], "rows": []})",
  };
  for (const auto& text : conditions) {
    Compiled c(text);
    for (const auto& d : docs) {
      const json doc = json::parse(d);
      LazyFacts facts(c.cond, doc);
      EXPECT_EQ(lazy(c, facts), eager(c, doc)) << text << " on " << d;
      int r1 = -1, r2 = -1;
      LazyFacts again(c.cond, doc);
      EXPECT_EQ(explain_lazy(c, again, &r1), explain_eager(c, doc, &r2)) << text << " on " << d;
      EXPECT_EQ(r1, r2);
    }
  }
}

TEST(LazyLookup, AFieldTheHostCannotLookUpIsMissing) {
  Compiled c(R"({"all": [{"field": "a", "op": "not_exists"}, {"field": "b", "op": "exists"}]})");
  LazyFacts facts(c.cond, json::parse(R"({"a": 1, "b": 2})"));
  facts.refuse = {"a"};
  EXPECT_EQ(lazy(c, facts), 1);
}

TEST(LazyLookup, ManyFieldsBeyondTheInlineSlots) {
  json doc = json::object();
  json all = json::array();
  for (int i = 0; i < 100; ++i) {
    doc["f" + std::to_string(i)] = i;
    all.push_back({{"field", "f" + std::to_string(i)}, {"op", "eq"}, {"value", i}});
  }
  Compiled c(json{{"all", all}}.dump());
  LazyFacts facts(c.cond, doc);
  EXPECT_EQ(lazy(c, facts), 1);
  EXPECT_EQ(facts.total_asked(), 100);
  doc["f0"] = -1;
  LazyFacts fails(c.cond, doc);
  EXPECT_EQ(lazy(c, fails), 0);
  EXPECT_EQ(fails.total_asked(), 1);
}

TEST(LazyLookup, RelativeTimeWithoutAnInstantFailsWhicheverLeavesRun) {
  // The number leaf runs first and decides; the missing instant is still an error.
  test_host::now.reset();
  Compiled c(R"({"all": [{"field": "d", "op": "within_last", "value": "P1D"},
                          {"field": "a", "op": "eq", "value": 1}]})");
  LazyFacts facts(c.cond, json::parse(R"({"a": 2, "d": "2024-01-01"})"));
  wf_status st{};
  EXPECT_EQ(wf_condition_evaluate_lazy(c.cond, facts.source(), nullptr, &st), -1);
  EXPECT_STREQ(st.sqlstate, "22023");
  ResolvedFacts eager_facts(c.cond, json::parse(R"({"a": 2, "d": "2024-01-01"})"));
  EXPECT_EQ(wf_condition_evaluate(c.cond, eager_facts.data(), &st), -1);
  EXPECT_STREQ(st.sqlstate, "22023");
}

TEST(LazyLookup, RefusesNoSource) {
  Compiled c(R"({"field": "a", "op": "exists"})");
  wf_status st{};
  EXPECT_EQ(wf_condition_evaluate_lazy(c.cond, nullptr, nullptr, &st), -1);
  EXPECT_NE(st.code, WF_OK);
}

}  // namespace
