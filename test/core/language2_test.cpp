// Condition language 2 (issue 9): exact paths, sizes, fact against fact,
// quantified groups, relative time, Unicode case folding, exact decimals.
// Each feature: true, false, missing, null and wrong-type cases.
#include <gtest/gtest.h>

#include <cstring>

#include <string>

#include "condition_asserts.hpp"
#include "facts_helper.hpp"
#include "workflow_core.h"

using nlohmann::json;

namespace {

// -1 on a compile or evaluation error (the test then fails on the EXPECT).
int run(const std::string& cond_text, const std::string& facts_text,
        std::optional<int64_t> at = std::nullopt) {
  Compiled c(cond_text);
  EXPECT_NE(c.cond, nullptr) << cond_text << ": " << c.status.message << " at " << c.status.path;
  if (!c.cond) return -1;
  ResolvedFacts facts(c.cond, json::parse(facts_text));
  wf_status st{};
  int r = at ? wf_condition_evaluate_at(c.cond, facts.data(), *at, &st)
             : wf_condition_evaluate(c.cond, facts.data(), &st);
  EXPECT_EQ(st.code, WF_OK) << st.message;
  // explain must agree with evaluate
  int explained = -1;
  char* text = at ? wf_condition_explain_at(c.cond, facts.data(), 0, *at, &explained, &st)
                  : wf_condition_explain(c.cond, facts.data(), 0, &explained, &st);
  EXPECT_NE(text, nullptr);
  wf_free(text);
  EXPECT_EQ(explained, r) << cond_text << " / " << facts_text;
  return r;
}
bool yes(const std::string& c, const std::string& f) { return run(c, f) == 1; }
bool no(const std::string& c, const std::string& f) { return run(c, f) == 0; }

json explain(const std::string& cond_text, const std::string& facts_text,
             std::optional<int64_t> at = std::nullopt) {
  Compiled c(cond_text);
  EXPECT_NE(c.cond, nullptr) << c.status.message;
  if (!c.cond) return json();
  ResolvedFacts facts(c.cond, json::parse(facts_text));
  wf_status st{};
  int result = -1;
  char* text = at ? wf_condition_explain_at(c.cond, facts.data(), 0, *at, &result, &st)
                  : wf_condition_explain(c.cond, facts.data(), 0, &result, &st);
  EXPECT_NE(text, nullptr) << st.message;
  if (!text) return json();
  auto doc = json::parse(text);
  wf_free(text);
  return doc;
}

json leaves(const std::string& text) {
  Compiled c(text);
  wf_status st{};
  char* out = wf_condition_leaves(c.cond, &st);
  if (!out) return json();
  auto doc = json::parse(out);
  wf_free(out);
  return doc;
}

}  // namespace

// --- exact paths -------------------------------------------------------------
TEST(ExactPaths, IndexesAndQuotedKeys) {
  const std::string facts = R"({"education": [{"degree": "MSc"}, {"degree": "BSc"}],
                               "name.first": "Ann", "skills": {"c++": 5}, "a b": {"c": 1},
                               "q\"k": true, "name": {"first": "Bob"}})";
  EXPECT_TRUE(yes(R"({"field": "$.education[0].degree", "op": "eq", "value": "MSc"})", facts));
  EXPECT_TRUE(yes(R"({"field": "$.education[1].degree", "op": "eq", "value": "BSc"})", facts));
  EXPECT_TRUE(no(R"({"field": "$.education[0].degree", "op": "eq", "value": "BSc"})", facts));
  EXPECT_TRUE(yes(R"({"field": "$[\"name.first\"]", "op": "eq", "value": "Ann"})", facts));
  EXPECT_TRUE(yes(R"({"field": "name.first", "op": "eq", "value": "Bob"})", facts));  // dot path: as today
  EXPECT_TRUE(yes(R"({"field": "$.skills[\"c++\"]", "op": "gte", "value": 5})", facts));
  EXPECT_TRUE(yes(R"({"field": "$[\"a b\"].c", "op": "eq", "value": 1})", facts));
  EXPECT_TRUE(yes(R"({"field": "$[\"q\\\"k\"]", "op": "eq", "value": true})", facts));
  // missing: index out of range, index into an object, key into an array
  EXPECT_TRUE(no(R"({"field": "$.education[2].degree", "op": "exists"})", facts));
  EXPECT_TRUE(yes(R"({"field": "$.education[2].degree", "op": "not_exists"})", facts));
  EXPECT_TRUE(no(R"({"field": "$.skills[0]", "op": "exists"})", facts));
  EXPECT_TRUE(no(R"({"field": "$.education.degree", "op": "exists"})", facts));
  // null and wrong type at the end of an exact path
  EXPECT_TRUE(no(R"({"field": "$.x[0]", "op": "eq", "value": 1})", R"({"x": [null]})"));
  EXPECT_TRUE(yes(R"({"field": "$.x[0]", "op": "eq", "value": null})", R"({"x": [null]})"));
  EXPECT_TRUE(no(R"({"field": "$.x[0]", "op": "gt", "value": 1})", R"({"x": ["2"]})"));
  // A key with brackets is still a plain dot-path key when not starting with $.
  EXPECT_TRUE(yes(R"({"field": "tags[0]", "op": "eq", "value": 1})", R"({"tags[0]": 1})"));
}

TEST(ExactPaths, MalformedPathsRejectedWithPath) {
  rejects(R"({"field": "$.", "op": "exists"})", "$.field", "empty path segment");
  rejects(R"({"field": "$[", "op": "exists"})", "$.field");
  rejects(R"({"field": "$[x]", "op": "exists"})", "$.field", "index or a quoted key");
  rejects(R"({"field": "$[\"open", "op": "exists"})", "$.field", "unterminated");
  rejects(R"({"field": "$.a]", "op": "exists"})", "$.field", "must be inside");
  rejects(R"({"field": "$[0", "op": "exists"})", "$.field", "expected ']'");
  rejects(R"({"field": "$[99999999999]", "op": "exists"})", "$.field", "too large");
  rejects(R"({"all": [{"field": "$.a..b", "op": "exists"}]})", "$.all[0].field");
}

TEST(ExactPaths, LeavesCarryTheExactPath) {
  auto l = leaves(R"({"field": "$.education[0][\"degree name\"]", "op": "eq", "value": "x"})");
  EXPECT_EQ(l[0]["field"], "$.education[0][\"degree name\"]");
  wf_status st{};
  wf_condition* alert = wf_alert_compile("$.education[0][\"degree name\"]", "eq", "\"x\"", 3, 0, &st);
  EXPECT_NE(alert, nullptr) << st.message;
  wf_condition_free(alert);
}

// --- sizes -------------------------------------------------------------------
TEST(Sizes, ArraysAndStrings) {
  EXPECT_TRUE(yes(R"({"field": "skills", "op": "size_gte", "value": 3})", R"({"skills": ["a", "b", "c"]})"));
  EXPECT_TRUE(no(R"({"field": "skills", "op": "size_gte", "value": 4})", R"({"skills": ["a", "b", "c"]})"));
  EXPECT_TRUE(yes(R"({"field": "skills", "op": "size_eq", "value": 0})", R"({"skills": []})"));
  EXPECT_TRUE(yes(R"({"field": "name", "op": "size_eq", "value": 5})", R"({"name": "héllo"})"));  // characters
  EXPECT_TRUE(yes(R"({"field": "name", "op": "size_lt", "value": 1})", R"({"name": ""})"));
  EXPECT_TRUE(yes(R"({"field": "n", "op": "size_ne", "value": 2})", R"({"n": [1]})"));
  EXPECT_TRUE(yes(R"({"field": "n", "op": "size_lte", "value": 1})", R"({"n": [1]})"));
  EXPECT_TRUE(yes(R"({"field": "n", "op": "size_gt", "value": 0})", R"({"n": [[1, 2]]})"));
  // missing is not empty: false (and explained as missing); null and wrong types mismatch
  EXPECT_TRUE(no(R"({"field": "skills", "op": "size_eq", "value": 0})", R"({})"));
  EXPECT_TRUE(no(R"({"field": "skills", "op": "size_eq", "value": 0})", R"({"skills": null})"));
  EXPECT_TRUE(no(R"({"field": "skills", "op": "size_gte", "value": 0})", R"({"skills": 7})"));
  EXPECT_TRUE(no(R"({"field": "skills", "op": "size_gte", "value": 0})", R"({"skills": {"a": 1}})"));
  auto doc = explain(R"({"field": "skills", "op": "size_eq", "value": 0})", R"({"skills": 7})");
  EXPECT_NE(doc["leaves"][0]["reason"].get<std::string>().find("measures an array or a string"),
            std::string::npos);
  rejects(R"({"field": "skills", "op": "size_gte", "value": "3"})", "$.value", "needs a number");
  rejects(R"({"field": "skills", "op": "size_gte", "value": {"field": "n"}})", "$.value");
}

// --- fact against fact -------------------------------------------------------
TEST(FactAgainstFact, ComparesTwoFacts) {
  const std::string c = R"({"field": "salary", "op": "lte", "value": {"field": "budget.max"}})";
  EXPECT_TRUE(yes(c, R"({"salary": 90, "budget": {"max": 100}})"));
  EXPECT_TRUE(no(c, R"({"salary": 120, "budget": {"max": 100}})"));
  EXPECT_TRUE(no(c, R"({"salary": 90})"));                               // the value's field missing
  EXPECT_TRUE(no(c, R"({"budget": {"max": 100}})"));                     // the field missing
  EXPECT_TRUE(no(c, R"({"salary": 90, "budget": {"max": null}})"));      // null
  EXPECT_TRUE(no(c, R"({"salary": 90, "budget": {"max": "100"}})"));     // wrong type
  EXPECT_TRUE(no(c, R"({"salary": 90, "budget": {"max": [100]}})"));     // not a value
  EXPECT_TRUE(yes(R"({"field": "a", "op": "eq", "value": {"field": "b"}})", R"({"a": null, "b": null})"));
  EXPECT_TRUE(yes(R"({"field": "a", "op": "eq", "value": {"field": "b"}, "ignore_case": true})",
                  R"({"a": "Straße", "b": "STRASSE"})"));
  EXPECT_TRUE(yes(R"({"field": "a", "op": "lt", "value": {"field": "b"}})",
                  R"({"a": "2024-01-01", "b": "2024-01-01T10:00:00+02:00"})"));  // instants
  EXPECT_TRUE(yes(R"({"field": "city", "op": "in", "value": {"field": "allowed"}})",
                  R"({"city": "Berlin", "allowed": ["Paris", "Berlin"]})"));
  EXPECT_TRUE(no(R"({"field": "city", "op": "in", "value": {"field": "allowed"}})",
                 R"({"city": "Berlin", "allowed": "Berlin"})"));  // the list must be an array
  EXPECT_TRUE(yes(R"({"field": "n", "op": "between", "value": [{"field": "lo"}, 10]})",
                  R"({"n": 5, "lo": 1})"));
  EXPECT_TRUE(no(R"({"field": "n", "op": "between", "value": [{"field": "lo"}, 10]})",
                 R"({"n": 5, "lo": "1"})"));
  EXPECT_TRUE(yes(R"({"field": "email", "op": "ends_with", "value": {"field": "domain"}})",
                  R"({"email": "a@x.org", "domain": "@x.org"})"));
  EXPECT_TRUE(yes(R"({"field": "tags", "op": "contains", "value": {"field": "wanted"}})",
                  R"({"tags": ["go", "c"], "wanted": "c"})"));
  // Explained with both sides.
  auto doc = explain(c, R"({"salary": 120, "budget": {"max": 100}})");
  EXPECT_EQ(doc["leaves"][0]["expected"], json({{"field", "budget.max"}}));
  EXPECT_EQ(doc["leaves"][0]["expected_value"], 100);
  EXPECT_EQ(doc["leaves"][0]["actual"], 120);
  doc = explain(c, R"({"salary": 90, "budget": {"max": null}})");
  EXPECT_EQ(doc["leaves"][0]["reason"], "type mismatch: field \"budget.max\" (the value) holds null");
  doc = explain(c, R"({"salary": 90})");
  EXPECT_NE(doc["leaves"][0]["reason"].get<std::string>().find("budget.max"), std::string::npos);
  // Validation: a reference is exactly {"field": string}; not for matches or sizes.
  rejects(R"({"field": "a", "op": "eq", "value": {"field": 5}})", "$.value.field");
  rejects(R"({"field": "a", "op": "eq", "value": {"field": "b", "x": 1}})", "$.value");
  rejects(R"({"field": "a", "op": "eq", "value": {"field": ""}})", "$.value.field");
  rejects(R"({"field": "a", "op": "matches", "value": {"field": "b"}})", "$.value");
  rejects(R"({"field": "a", "op": "in", "value": [{"field": "b"}]})", "$.value[0]");
}

// --- quantified groups -------------------------------------------------------
TEST(Quantified, SomeEveryNone) {
  const std::string facts = R"({"experience": [{"title": "Junior Engineer", "years": 1},
                                              {"title": "Senior Engineer", "years": 3},
                                              {"title": "Manager", "years": 5}]})";
  const std::string where = R"({"all": [{"field": "title", "op": "contains", "value": "Engineer"},
                                         {"field": "years", "op": "gte", "value": 2}]})";
  EXPECT_TRUE(yes(R"({"some": {"field": "experience", "where": )" + where + "}}", facts));
  EXPECT_TRUE(no(R"({"every": {"field": "experience", "where": )" + where + "}}", facts));
  EXPECT_TRUE(no(R"({"none": {"field": "experience", "where": )" + where + "}}", facts));
  EXPECT_TRUE(yes(R"({"every": {"field": "experience", "where": {"field": "years", "op": "gte", "value": 1}}})", facts));
  EXPECT_TRUE(yes(R"({"none": {"field": "experience", "where": {"field": "years", "op": "gt", "value": 9}}})", facts));
  // empty: some false, every and none true; missing and wrong type: false
  const std::string any_years = R"({"field": "years", "op": "exists"})";
  EXPECT_TRUE(no(R"({"some": {"field": "e", "where": )" + any_years + "}}", R"({"e": []})"));
  EXPECT_TRUE(yes(R"({"every": {"field": "e", "where": )" + any_years + "}}", R"({"e": []})"));
  EXPECT_TRUE(yes(R"({"none": {"field": "e", "where": )" + any_years + "}}", R"({"e": []})"));
  for (const char* op : {"some", "every", "none"}) {
    EXPECT_TRUE(no(std::string(R"({")") + op + R"(": {"field": "e", "where": )" + any_years + "}}", R"({})"));
    EXPECT_TRUE(no(std::string(R"({")") + op + R"(": {"field": "e", "where": )" + any_years + "}}", R"({"e": null})"));
    EXPECT_TRUE(no(std::string(R"({")") + op + R"(": {"field": "e", "where": )" + any_years + "}}", R"({"e": {"years": 1}})"));
  }
  // Elements that are not records have no fields; $ paths read the root.
  EXPECT_TRUE(no(R"({"some": {"field": "e", "where": {"field": "x", "op": "exists"}}})", R"({"e": [1, "a"]})"));
  EXPECT_TRUE(yes(R"({"some": {"field": "experience", "where": {"field": "years", "op": "gte", "value": {"field": "$.min_years"}}}})",
                  R"({"min_years": 4, "experience": [{"years": 1}, {"years": 5}]})"));
  EXPECT_TRUE(yes(R"({"some": {"field": "jobs", "where": {"field": "$.name", "op": "eq", "value": "Ann"}}})",
                  R"({"name": "Ann", "jobs": [{}]})"));
  // Nested: an element's own array.
  EXPECT_TRUE(yes(R"({"some": {"field": "jobs", "where": {"some": {"field": "skills", "where": {"field": "name", "op": "eq", "value": "go"}}}}})",
                  R"({"jobs": [{"skills": [{"name": "c"}]}, {"skills": [{"name": "go"}]}]})"));
  // Under not.
  EXPECT_TRUE(yes(R"({"not": {"some": {"field": "e", "where": )" + any_years + "}}}", R"({"e": []})"));
}

TEST(Quantified, ExplainedAndListedAsOneLeaf) {
  const std::string c = R"({"all": [{"field": "a", "op": "eq", "value": 1},
      {"some": {"field": "experience", "where": {"field": "years", "op": "gte", "value": 2}}}]})";
  auto doc = explain(c, R"({"a": 1, "experience": [{"years": 1}, {"years": 3}]})");
  ASSERT_EQ(doc["leaves"].size(), 2u);
  EXPECT_EQ(doc["leaves"][1]["path"], "$.all[1]");
  EXPECT_EQ(doc["leaves"][1]["op"], "some");
  EXPECT_EQ(doc["leaves"][1]["element"], 1);
  EXPECT_EQ(doc["leaves"][1]["actual"]["elements"], 2);
  doc = explain(c, R"({"a": 1, "experience": [{"years": 1}]})");
  EXPECT_EQ(doc["leaves"][1]["reason"], "none of the 1 elements matches");
  // Why none did: each element's failed inner leaves (paths inside "where").
  ASSERT_EQ(doc["leaves"][1]["elements_explained"].size(), 1u);
  EXPECT_EQ(doc["leaves"][1]["elements_explained"][0]["element"], 0);
  EXPECT_EQ(doc["leaves"][1]["elements_explained"][0]["leaves"][0]["path"], "$.all[1].some.where");
  EXPECT_EQ(doc["leaves"][1]["elements_explained"][0]["leaves"][0]["reason"], "1 gte 2 is false");
  // A passing group explains no elements.
  doc = explain(c, R"({"a": 1, "experience": [{"years": 3}]})");
  EXPECT_FALSE(doc["leaves"][1].contains("elements_explained"));
  doc = explain(R"({"every": {"field": "e", "where": {"field": "ok", "op": "eq", "value": true}}})",
                R"({"e": [{"ok": true}, {"ok": false}]})");
  EXPECT_EQ(doc["leaves"][0]["reason"], "element 1 does not match");
  EXPECT_EQ(doc["leaves"][0]["elements_explained"][0]["element"], 1);
  EXPECT_EQ(doc["leaves"][0]["elements_explained"][0]["leaves"][0]["actual"], false);
  doc = explain(R"({"none": {"field": "e", "where": {"all": [{"field": "ok", "op": "eq", "value": true},
                   {"field": "n", "op": "gt", "value": 1}]}}})",
                R"({"e": [{"ok": false}, {"ok": true, "n": 2}]})");
  EXPECT_EQ(doc["leaves"][0]["reason"], "element 1 matches");
  EXPECT_EQ(doc["leaves"][0]["elements_explained"][0]["leaves"].size(), 2u);  // what held
  // Nested groups explain recursively.
  doc = explain(R"({"some": {"field": "jobs", "where": {"some": {"field": "skills", "where": {"field": "name", "op": "eq", "value": "go"}}}}})",
                R"({"jobs": [{"skills": [{"name": "c"}]}]})");
  EXPECT_EQ(doc["leaves"][0]["elements_explained"][0]["leaves"][0]["op"], "some");
  EXPECT_EQ(doc["leaves"][0]["elements_explained"][0]["leaves"][0]["elements_explained"][0]["leaves"][0]["actual"], "c");
  doc = explain(R"({"none": {"field": "e", "where": {"field": "ok", "op": "eq", "value": true}}})", R"({"e": 3})");
  EXPECT_NE(doc["leaves"][0]["reason"].get<std::string>().find("needs an array"), std::string::npos);
  auto l = leaves(c);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[1]["op"], "some");
  EXPECT_EQ(l[1]["field"], "experience");
  EXPECT_EQ(l[1]["value"], json::parse(R"({"field": "years", "op": "gte", "value": 2})"));
  // The listed leaf re-creates the group as an alert.
  const std::string where = l[1]["value"].dump();
  wf_status st{};
  wf_condition* alert = wf_alert_compile("experience", "some", where.data(), where.size(), 0, &st);
  ASSERT_NE(alert, nullptr) << st.message;
  ResolvedFacts facts(alert, json::parse(R"({"experience": [{"years": 3}]})"));
  EXPECT_EQ(wf_condition_evaluate(alert, facts.data(), &st), 1);
  wf_condition_free(alert);
}

TEST(Quantified, ValidationAndLimits) {
  rejects(R"({"some": {"field": "e"}})", "$.some", "needs {\"field\"");
  rejects(R"({"some": {"field": "e", "where": {}, "x": 1}})", "$.some", "unexpected key");
  rejects(R"({"some": {"field": 3, "where": {"field": "a", "op": "exists"}}})", "$.some.field");
  rejects(R"({"some": {"field": "e", "where": {"field": "a", "op": "nope"}}})", "$.some.where.op");
  rejects(R"({"some": {"field": "e", "where": {"field": "a", "op": "exists"}}, "all": []})", "$");
  rejects(R"({"field": "e", "op": "some", "value": 1})", "$.op", "unknown operator");
  // Inner nodes count toward the node and depth limits.
  std::string deep = R"({"field": "a", "op": "exists"})";
  for (int i = 0; i < 32; ++i) deep = R"({"some": {"field": "e", "where": )" + deep + "}}";
  Compiled c(deep);
  EXPECT_EQ(c.cond, nullptr);
  EXPECT_NE(std::string(c.status.message).find("deeper than 32"), std::string::npos);
  std::string wide = R"({"some": {"field": "e", "where": {"any": [)";
  for (int i = 0; i < 1100; ++i) wide += std::string(i ? "," : "") + R"({"field": "a", "op": "exists"})";
  wide += "]}}}";
  Compiled w(wide);
  EXPECT_EQ(w.cond, nullptr);
  EXPECT_NE(std::string(w.status.message).find("more than 1024 nodes"), std::string::npos);
}

// --- relative time -------------------------------------------------------------
namespace {
const int64_t kAt = 1717243200LL * 1000000LL;  // 2024-06-01T12:00:00Z
}

TEST(RelativeTime, WithinLastNextOlderThan) {
  const std::string last = R"({"field": "applied", "op": "within_last", "value": "P30D"})";
  EXPECT_EQ(run(last, R"({"applied": "2024-05-15"})", kAt), 1);
  EXPECT_EQ(run(last, R"({"applied": "2024-05-02T12:00:00Z"})", kAt), 1);   // exactly 30 days
  EXPECT_EQ(run(last, R"({"applied": "2024-05-02T11:59:59Z"})", kAt), 0);
  EXPECT_EQ(run(last, R"({"applied": "2024-06-02"})", kAt), 0);             // the future
  EXPECT_EQ(run(last, R"({})", kAt), 0);                                    // missing
  EXPECT_EQ(run(last, R"({"applied": null})", kAt), 0);
  EXPECT_EQ(run(last, R"({"applied": 20240515})", kAt), 0);                 // wrong type
  EXPECT_EQ(run(last, R"({"applied": "last week"})", kAt), 0);
  const std::string next = R"({"field": "start", "op": "within_next", "value": "PT12H"})";
  EXPECT_EQ(run(next, R"({"start": "2024-06-01T23:00:00Z"})", kAt), 1);
  EXPECT_EQ(run(next, R"({"start": "2024-06-02T01:00:00+02:00"})", kAt), 1);  // 23:00Z
  EXPECT_EQ(run(next, R"({"start": "2024-06-02T00:00:01Z"})", kAt), 0);
  const std::string older = R"({"field": "seen", "op": "older_than", "value": "P1M"})";
  EXPECT_EQ(run(older, R"({"seen": "2024-04-30"})", kAt), 1);
  EXPECT_EQ(run(older, R"({"seen": "2024-05-01T12:00:00Z"})", kAt), 0);     // exactly one month
  // Calendar months clamp to the month's length: 2024-03-31 minus P1M is 2024-02-29.
  const int64_t end_of_march = 1711843200LL * 1000000LL;  // 2024-03-31T00:00:00Z
  EXPECT_EQ(run(older, R"({"seen": "2024-02-28T23:59:59Z"})", end_of_march), 1);
  EXPECT_EQ(run(older, R"({"seen": "2024-02-29T00:00:00Z"})", end_of_march), 0);
  EXPECT_EQ(run(R"({"field": "d", "op": "within_last", "value": "P1Y2M3W4DT5H6M7.5S"})",
                R"({"d": "2023-06-01"})", kAt), 1);
}

TEST(RelativeTime, NeedsAReferenceInstant) {
  Compiled c(R"({"field": "d", "op": "within_last", "value": "P1D"})");
  ASSERT_NE(c.cond, nullptr);
  EXPECT_EQ(wf_condition_uses_relative_time(c.cond), 1);
  Compiled plain(R"({"field": "d", "op": "exists"})");
  EXPECT_EQ(wf_condition_uses_relative_time(plain.cond), 0);
  ResolvedFacts facts(c.cond, json::parse(R"({"d": "2024-06-01"})"));
  wf_status st{};
  test_host::now.reset();
  EXPECT_EQ(wf_condition_evaluate(c.cond, facts.data(), &st), -1);
  EXPECT_STREQ(st.sqlstate, "22023");
  EXPECT_NE(std::string(st.message).find("three-argument"), std::string::npos);
  test_host::now = kAt;  // the host's clock (the transaction's timestamp in the shim)
  EXPECT_EQ(wf_condition_evaluate(c.cond, facts.data(), &st), 1);
  test_host::now.reset();
  rejects(R"({"field": "d", "op": "within_last", "value": "30 days"})", "$.value", "ISO-8601 duration");
  rejects(R"({"field": "d", "op": "within_last", "value": "P"})", "$.value");
  rejects(R"({"field": "d", "op": "within_last", "value": "PT"})", "$.value");
  rejects(R"({"field": "d", "op": "within_last", "value": "P1.5D"})", "$.value");
  rejects(R"({"field": "d", "op": "within_last", "value": "P1H"})", "$.value");
  rejects(R"({"field": "d", "op": "older_than", "value": 30})", "$.value");
}

// --- Unicode case folding ------------------------------------------------------
TEST(UnicodeCase, FullFoldingForEveryTextOperator) {
  auto ic = [](const std::string& op, const std::string& value, const std::string& fact) {
    return run(R"({"field": "f", "op": ")" + op + R"(", "value": )" + value +
                   R"(, "ignore_case": true})",
               R"({"f": )" + fact + "}");
  };
  EXPECT_EQ(ic("eq", R"("STRASSE")", R"("Straße")"), 1);     // ß folds to ss
  EXPECT_EQ(ic("ne", R"("STRASSE")", R"("Straße")"), 0);
  EXPECT_EQ(ic("eq", R"("ISTANBUL")", R"("istanbul")"), 1);
  // İ (U+0130) folds to i + combining dot above (default, non-Turkic folding):
  EXPECT_EQ(ic("eq", R"("İstanbul")", R"("istanbul")"), 0);
  EXPECT_EQ(ic("eq", R"("İstanbul")", R"("i̇stanbul")"), 1);
  EXPECT_EQ(ic("eq", R"("ΟΔΟΣ")", R"("οδος")"), 1);           // final sigma folds to σ
  EXPECT_EQ(ic("eq", R"("ΟΔΟΣ")", R"("οδοσ")"), 1);
  EXPECT_EQ(ic("in", R"(["Paris", "STRASSE"])", R"("straße")"), 1);
  EXPECT_EQ(ic("not_in", R"(["Paris", "STRASSE"])", R"("straße")"), 0);
  EXPECT_EQ(ic("contains", R"("STRASSE")", R"("Hauptstraße 5")"), 1);
  EXPECT_EQ(ic("contains", R"("ss")", R"(["SS", "x"])"), 1);
  EXPECT_EQ(ic("starts_with", R"("ÉCOLE")", R"("école normale")"), 1);
  EXPECT_EQ(ic("ends_with", R"("STRASSE")", R"("Hauptstraße")"), 1);
  EXPECT_EQ(ic("eq", R"("straße")", R"(null)"), 0);                // null
  EXPECT_EQ(ic("eq", R"("straße")", R"(5)"), 0);                   // wrong type
  EXPECT_EQ(run(R"({"field": "g", "op": "eq", "value": "x", "ignore_case": true})", "{}"), 0);  // missing
  // Without ignore_case nothing folds.
  EXPECT_EQ(run(R"({"field": "f", "op": "eq", "value": "STRASSE"})", R"({"f": "Straße"})"), 0);
  // matches folds with RE2's simple case folding: one character to one.
  EXPECT_EQ(ic("matches", R"("^ÉCOLE")", R"("école")"), 1);
  EXPECT_EQ(ic("matches", R"("STRASSE")", R"("straße")"), 0);
}

// --- exact decimals ------------------------------------------------------------
TEST(Decimals, ExactWhereADoubleWouldLie) {
  // 2^53 + 1 and 2^53 are one double.
  EXPECT_EQ(run(R"({"field": "n", "op": "eq", "value": 9007199254740993})", R"({"n": 9007199254740992})"), 0);
  EXPECT_EQ(run(R"({"field": "n", "op": "gt", "value": 9007199254740992})", R"({"n": 9007199254740993})"), 1);
  EXPECT_EQ(run(R"({"field": "n", "op": "eq", "value": 9007199254740993})", R"({"n": 9007199254740993})"), 1);
  EXPECT_EQ(run(R"({"field": "n", "op": "in", "value": [1, 9007199254740993]})", R"({"n": 9007199254740992})"), 0);
  // An operand with more digits than a double holds keeps them.
  EXPECT_EQ(run(R"({"field": "x", "op": "eq", "value": 0.10000000000000000001})", R"({"x": 0.1})"), 0);
  EXPECT_EQ(run(R"({"field": "x", "op": "lt", "value": 0.10000000000000000001})", R"({"x": 0.1})"), 1);
  EXPECT_EQ(run(R"({"field": "x", "op": "eq", "value": 0.3})", R"({"x": 0.30000000000000004})"), 0);
  EXPECT_EQ(run(R"({"field": "x", "op": "eq", "value": 0.3})", R"({"x": 0.3})"), 1);
  EXPECT_EQ(run(R"({"field": "x", "op": "between", "value": [0.1, 0.3]})", R"({"x": 0.3})"), 1);
  EXPECT_EQ(run(R"({"field": "x", "op": "eq", "value": 1e-400})", R"({"x": 0})"), 0);
  EXPECT_EQ(run(R"({"field": "x", "op": "gt", "value": 1e-400})", R"({"x": 0})"), 0);
  EXPECT_EQ(run(R"({"field": "x", "op": "eq", "value": 1.0})", R"({"x": 1})"), 1);
  EXPECT_EQ(run(R"({"field": "x", "op": "eq", "value": 100})", R"({"x": 1e2})"), 1);
  // null and wrong type stay what they were
  EXPECT_EQ(run(R"({"field": "x", "op": "eq", "value": 0.1})", R"({"x": null})"), 0);
  EXPECT_EQ(run(R"({"field": "x", "op": "eq", "value": 0.1})", R"({"x": "0.1"})"), 0);
  EXPECT_EQ(run(R"({"field": "x", "op": "eq", "value": 0.1})", R"({})"), 0);
}

// A fact that is no real date against a date operand is a type mismatch for
// every operator, ne and not_in included (review finding: they were true).
TEST(Dates, NoRealDateIsATypeMismatchForEveryOperator) {
  const std::string bad = R"({"d": "2024-02-30"})";
  const std::string words = R"({"d": "soon"})";
  for (const std::string& facts : {bad, words}) {
    EXPECT_TRUE(no(R"({"field": "d", "op": "eq", "value": "2024-02-29"})", facts)) << facts;
    EXPECT_TRUE(no(R"({"field": "d", "op": "ne", "value": "2024-02-29"})", facts)) << facts;
    EXPECT_TRUE(no(R"({"field": "d", "op": "in", "value": ["2024-02-29", "2024-03-01"]})", facts)) << facts;
    EXPECT_TRUE(no(R"({"field": "d", "op": "not_in", "value": ["2024-02-29"]})", facts)) << facts;
    EXPECT_TRUE(no(R"({"field": "d", "op": "lt", "value": "2024-02-29"})", facts)) << facts;
  }
  // Real dates still compare; a text operand beside a date one still matches text.
  EXPECT_TRUE(yes(R"({"field": "d", "op": "ne", "value": "2024-02-29"})", R"({"d": "2024-03-01"})"));
  EXPECT_TRUE(yes(R"({"field": "d", "op": "not_in", "value": ["2024-02-29"]})", R"({"d": "2024-03-01"})"));
  EXPECT_TRUE(no(R"({"field": "d", "op": "not_in", "value": ["2024-02-29"]})", R"({"d": "2024-02-29T00:00:00Z"})"));
  EXPECT_TRUE(yes(R"({"field": "d", "op": "in", "value": ["2024-02-29", "n/a"]})", R"({"d": "n/a"})"));
  EXPECT_TRUE(yes(R"({"field": "d", "op": "not_in", "value": ["a", "b"]})", R"({"d": "c"})"));
  // Other types against a text list keep not_in's meaning: not one of them.
  EXPECT_TRUE(yes(R"({"field": "d", "op": "not_in", "value": ["a", "b"]})", R"({"d": 5})"));
  // The explanation says why.
  Compiled c(R"({"field": "d", "op": "ne", "value": "2024-02-29"})");
  ResolvedFacts facts(c.cond, json::parse(bad));
  wf_status st{};
  int result = -1;
  char* text = wf_condition_explain(c.cond, facts.data(), 0, &result, &st);
  ASSERT_NE(text, nullptr);
  EXPECT_NE(std::string(text).find("type mismatch"), std::string::npos) << text;
  wf_free(text);
}

// Nested groups explain one element per level below the first: the
// explanation grows linearly with the depth (review finding: three per level
// made 31 nested "some" over a 3-element array take gigabytes).
TEST(Quantified, DeepNestingExplainsLinearly) {
  auto size_at = [](int depth) {
    std::string cond = R"({"field": "$.x", "op": "eq", "value": 1})";
    for (int i = 0; i < depth; ++i) cond = R"({"some": {"field": "$.a", "where": )" + cond + "}}";
    Compiled c(cond);
    EXPECT_NE(c.cond, nullptr) << c.status.message;
    ResolvedFacts facts(c.cond, json::parse(R"({"a": [0, 0, 0], "x": 0})"));
    wf_status st{};
    int result = -1;
    char* text = wf_condition_explain(c.cond, facts.data(), 0, &result, &st);
    EXPECT_NE(text, nullptr) << st.message;
    EXPECT_EQ(result, 0);
    const size_t n = text ? std::strlen(text) : 0;
    wf_free(text);
    return n;
  };
  // Evaluating is still 3^depth steps (each "some" tries every element), so
  // the depths stay small; the explanation's size must not follow it.
  const size_t at6 = size_at(6), at12 = size_at(12);
  EXPECT_LT(at12, at6 * 4) << at6 << " bytes at depth 6, " << at12 << " at depth 12";
}

// A whole explanation is bounded: past 64 KB of JSON the remaining leaves are
// listed abridged (path, field, op, result, passed) and groups explain no more
// elements (review finding: 1,000 leaves in a "some" over large facts made a
// 32 MB DETAIL).
TEST(Explain, TotalSizeIsBounded) {
  json where = json::array();
  for (int i = 0; i < 1000; ++i) where.push_back({{"field", "v"}, {"op", "eq"}, {"value", i}});
  json flat = json::array();
  for (int i = 0; i < 1000; ++i) flat.push_back({{"field", "t"}, {"op", "eq"}, {"value", i}});
  json big = json::array();
  for (int i = 0; i < 20; ++i) big.push_back(std::string(256, 'x'));
  json elements = json::array();
  for (int i = 0; i < 5; ++i) elements.push_back({{"v", big}});
  const json facts = {{"e", elements}, {"t", big}};
  for (const json& cond : {json{{"some", {{"field", "e"}, {"where", {{"all", where}}}}}},
                           json{{"all", flat}}}) {
    Compiled c(cond.dump());
    ASSERT_NE(c.cond, nullptr) << c.status.message;
    ResolvedFacts resolved(c.cond, facts);
    wf_status st{};
    int result = -1;
    char* text = wf_condition_explain(c.cond, resolved.data(), 0, &result, &st);
    ASSERT_NE(text, nullptr) << st.message;
    const json doc = json::parse(text);
    const size_t size = std::strlen(text);
    wf_free(text);
    EXPECT_EQ(result, 0);
    EXPECT_LE(size, 65536u) << size << " bytes";
    // The first leaves in full, then abridged ones, then the rest counted
    // by a last element (issue 18: at most 64 KB whatever the rule).
    const json& leaves = doc["leaves"];
    if (cond.contains("all")) {
      EXPECT_FALSE(leaves[0].contains("abridged"));
      const json& last = leaves.back();
      ASSERT_TRUE(last.value("truncated", false)) << last.dump();
      EXPECT_EQ(leaves.size() - 1 + last["not_listed"].get<size_t>(), 1000u);
      const json& abridged = leaves[leaves.size() - 2];
      EXPECT_TRUE(abridged["abridged"].get<bool>());
      EXPECT_FALSE(abridged["passed"].get<bool>());
    } else {
      EXPECT_EQ(leaves.size(), 1u);
    }
  }
}
