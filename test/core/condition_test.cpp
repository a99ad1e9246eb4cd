// Unit tests of the condition engine through its C ABI (workflow_core.h).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "condition_asserts.hpp"
#include "facts_helper.hpp"
#include "workflow_core.h"

using nlohmann::json;

namespace {

// Evaluates condition text against facts text; fails the test on a compile error.
bool eval(const std::string& cond_text, const std::string& facts_text) {
  Compiled c(cond_text);
  EXPECT_NE(c.cond, nullptr) << cond_text << ": " << c.status.message << " at " << c.status.path;
  if (!c.cond) return false;
  ResolvedFacts facts(c.cond, json::parse(facts_text));
  wf_status st{};
  int r = wf_condition_evaluate(c.cond, facts.data(), &st);
  EXPECT_EQ(st.code, WF_OK);
  return r == 1;
}

std::string leaf(const std::string& op, const std::string& value, bool ignore_case = false) {
  std::string s = R"({"field":"f","op":")" + op + "\"";
  if (!value.empty()) s += ",\"value\":" + value;
  if (ignore_case) s += ",\"ignore_case\":true";
  return s + "}";
}

bool on(const std::string& op, const std::string& value, const std::string& fact,
        bool ignore_case = false) {
  return eval(leaf(op, value, ignore_case), fact.empty() ? "{}" : "{\"f\":" + fact + "}");
}

// Explains a compiled condition against facts text; fails the test on a core error.
json explain(const Compiled& c, const std::string& facts_text, bool only_failed, int* result) {
  ResolvedFacts facts(c.cond, json::parse(facts_text));
  wf_status st{};
  char* text = wf_condition_explain(c.cond, facts.data(), only_failed ? 1 : 0, result, &st);
  EXPECT_NE(text, nullptr) << st.message;
  if (!text) return json();
  auto doc = json::parse(text);
  wf_free(text);
  return doc;
}

}  // namespace

TEST(Operators, EqualityAcrossTypes) {
  EXPECT_TRUE(on("eq", "3", "3"));
  EXPECT_TRUE(on("eq", "3", "3.0"));
  EXPECT_FALSE(on("eq", "3", "4"));
  EXPECT_TRUE(on("eq", "\"Berlin\"", "\"Berlin\""));
  EXPECT_FALSE(on("eq", "\"Berlin\"", "\"berlin\""));
  EXPECT_TRUE(on("eq", "\"Berlin\"", "\"berlin\"", true));
  EXPECT_TRUE(on("eq", "true", "true"));
  EXPECT_FALSE(on("eq", "true", "false"));
  EXPECT_TRUE(on("eq", "null", "null"));
  EXPECT_FALSE(on("eq", "null", "1"));
  EXPECT_FALSE(on("eq", "3", "\"3\""));  // type mismatch is false
  EXPECT_FALSE(on("eq", "3", "[3]"));
  EXPECT_TRUE(on("ne", "3", "4"));
  EXPECT_FALSE(on("ne", "3", "3"));
  EXPECT_FALSE(on("ne", "3", "\"3\""));  // mismatch is false, even for ne
  EXPECT_TRUE(on("ne", "\"x\"", "null"));
}

TEST(Operators, Aliases) {
  EXPECT_TRUE(on("=", "1", "1"));
  EXPECT_TRUE(on("==", "1", "1"));
  EXPECT_TRUE(on("!=", "1", "2"));
  EXPECT_TRUE(on("<>", "1", "2"));
  EXPECT_TRUE(on("<", "2", "1"));
  EXPECT_TRUE(on("<=", "1", "1"));
  EXPECT_TRUE(on(">", "1", "2"));
  EXPECT_TRUE(on(">=", "2", "2"));
  EXPECT_STREQ(wf_operator_canonical(">="), "gte");
  EXPECT_STREQ(wf_operator_canonical("<>"), "ne");
  EXPECT_EQ(wf_operator_canonical("~"), nullptr);
}

TEST(Operators, Ordering) {
  EXPECT_TRUE(on("lt", "5", "4.5"));
  EXPECT_FALSE(on("lt", "5", "5"));
  EXPECT_TRUE(on("lte", "5", "5"));
  EXPECT_TRUE(on("gt", "5", "6"));
  EXPECT_FALSE(on("gt", "5", "5"));
  EXPECT_TRUE(on("gte", "5", "5"));
  EXPECT_TRUE(on("lt", "\"b\"", "\"a\""));
  EXPECT_TRUE(on("gt", "\"B\"", "\"a\""));         // bytewise: 'a' (97) > 'B' (66)
  EXPECT_FALSE(on("gt", "\"B\"", "\"a\"", true));  // folded: 'a' < 'b'
  EXPECT_FALSE(on("gt", "5", "\"6\""));
  EXPECT_FALSE(on("lt", "5", "null"));
  EXPECT_FALSE(on("lt", "5", "true"));
}

TEST(Operators, Between) {
  EXPECT_TRUE(on("between", "[1, 5]", "1"));
  EXPECT_TRUE(on("between", "[1, 5]", "5"));
  EXPECT_TRUE(on("between", "[1, 5]", "3.2"));
  EXPECT_FALSE(on("between", "[1, 5]", "5.1"));
  EXPECT_FALSE(on("between", "[1, 5]", "\"3\""));
  EXPECT_TRUE(on("between", "[\"2024-01-01\", \"2024-12-31\"]", "\"2024-06-30T12:00:00Z\""));
  EXPECT_FALSE(on("between", "[\"2024-01-01\", \"2024-12-31\"]", "\"2025-01-01\""));
  EXPECT_TRUE(on("between", "[\"a\", \"m\"]", "\"hello\""));
}

TEST(Operators, InAndNotIn) {
  EXPECT_TRUE(on("in", "[\"Berlin\", \"Remote\"]", "\"Remote\""));
  EXPECT_FALSE(on("in", "[\"Berlin\", \"Remote\"]", "\"remote\""));
  EXPECT_TRUE(on("in", "[\"Berlin\", \"Remote\"]", "\"remote\"", true));
  EXPECT_TRUE(on("in", "[1, 2, 3]", "2"));
  EXPECT_FALSE(on("in", "[1, 2, 3]", "\"2\""));
  EXPECT_TRUE(on("in", "[1, 2, 3]", "[7, 3]"));  // arrays: any element in the list
  EXPECT_FALSE(on("in", "[]", "1"));
  EXPECT_TRUE(on("not_in", "[1, 2]", "3"));
  EXPECT_FALSE(on("not_in", "[1, 2]", "2"));
  EXPECT_TRUE(on("not_in", "[1, 2]", "[3, 4]"));
  EXPECT_FALSE(on("not_in", "[1, 2]", "[3, 2]"));
  EXPECT_FALSE(on("in", "[1]", "{}"));
  EXPECT_TRUE(on("in", "[null, 1]", "null"));
}

TEST(Operators, Contains) {
  EXPECT_TRUE(on("contains", "\"go\"", "[\"rust\", \"go\"]"));
  EXPECT_FALSE(on("contains", "\"Go\"", "[\"rust\", \"go\"]"));
  EXPECT_TRUE(on("contains", "\"Go\"", "[\"rust\", \"go\"]", true));
  EXPECT_TRUE(on("contains", "3", "[1, 3]"));
  EXPECT_TRUE(on("contains", "\"eng\"", "\"Senior engineer\""));
  EXPECT_TRUE(on("contains", "\"ENG\"", "\"Senior engineer\"", true));
  EXPECT_FALSE(on("contains", "\"xyz\"", "\"Senior engineer\""));
  EXPECT_FALSE(on("contains", "3", "\"x3\""));  // number in a string: mismatch
  EXPECT_TRUE(on("not_contains", "\"cobol\"", "[\"go\"]"));
  EXPECT_FALSE(on("not_contains", "\"go\"", "[\"go\"]"));
  EXPECT_TRUE(on("not_contains", "\"z\"", "\"abc\""));
  EXPECT_FALSE(on("not_contains", "\"z\"", "5"));
  EXPECT_FALSE(on("contains", "\"a\"", "[]"));
}

TEST(Operators, StartsEndsWith) {
  EXPECT_TRUE(on("starts_with", "\"Sen\"", "\"Senior\""));
  EXPECT_FALSE(on("starts_with", "\"sen\"", "\"Senior\""));
  EXPECT_TRUE(on("starts_with", "\"sen\"", "\"Senior\"", true));
  EXPECT_TRUE(on("ends_with", "\"ior\"", "\"Senior\""));
  EXPECT_TRUE(on("ends_with", "\"IOR\"", "\"Senior\"", true));
  EXPECT_FALSE(on("ends_with", "\"longer than it\"", "\"it\""));
  EXPECT_FALSE(on("starts_with", "\"1\"", "123"));
  EXPECT_TRUE(on("starts_with", "\"\"", "\"x\""));
}

TEST(Operators, MatchesUsesRe2) {
  EXPECT_TRUE(on("matches", "\"^[a-z]+@example\\\\.com$\"", "\"ann@example.com\""));
  EXPECT_FALSE(on("matches", "\"^[a-z]+@example\\\\.com$\"", "\"Ann@example.com\""));
  EXPECT_TRUE(on("matches", "\"^[a-z]+@example\\\\.com$\"", "\"Ann@example.com\"", true));
  EXPECT_TRUE(on("matches", "\"eng\"", "\"Senior engineer\""));  // partial match
  EXPECT_FALSE(on("matches", "\"x\"", "1"));
  // A pattern that makes backtracking engines explode runs in linear time.
  std::string evil(5000, 'a');
  EXPECT_FALSE(on("matches", "\"^(a+)+$\"", "\"" + evil + "!\""));
}

TEST(Operators, ExistsAndMissing) {
  EXPECT_TRUE(on("exists", "", "1"));
  EXPECT_TRUE(on("exists", "", "\"\""));
  EXPECT_FALSE(on("exists", "", "null"));
  EXPECT_FALSE(on("exists", "", ""));
  EXPECT_TRUE(on("not_exists", "", ""));
  EXPECT_TRUE(on("not_exists", "", "null"));
  EXPECT_FALSE(on("not_exists", "", "0"));
  // A missing field is false for every other operator, ne and not_in included.
  for (const char* op : {"eq", "ne", "lt", "gt", "contains", "not_contains", "starts_with"})
    EXPECT_FALSE(on(op, "\"x\"", "")) << op;
  EXPECT_FALSE(on("in", "[1]", ""));
  EXPECT_FALSE(on("not_in", "[1]", ""));
}

TEST(Dates, CompareAsInstants) {
  EXPECT_TRUE(on("eq", "\"2024-03-01T10:00:00+02:00\"", "\"2024-03-01T08:00:00Z\""));
  EXPECT_TRUE(on("eq", "\"2024-03-01\"", "\"2024-03-01T00:00:00Z\""));
  EXPECT_TRUE(on("lt", "\"2024-03-01\"", "\"2024-02-29\""));
  EXPECT_TRUE(on("gte", "\"2024-03-01T00:00:00Z\"", "\"2024-03-01T01:00:00+01:00\""));
  EXPECT_FALSE(on("gt", "\"2024-03-01T00:00:00Z\"", "\"2024-03-01T01:00:00+01:00\""));
  EXPECT_TRUE(on("gt", "\"2024-03-01T00:00:00Z\"", "\"2024-03-01 00:00:00.5\""));
  EXPECT_TRUE(on("lt", "\"2024-01-01\"", "\"1999-12-31T23:59:59-0500\""));
  EXPECT_FALSE(on("lt", "\"2024-01-01\"", "\"not a date\""));  // mismatch
  EXPECT_FALSE(on("eq", "\"2024-01-01\"", "\"2024-01-01 junk\""));
  // No such day: refused at validation (Values.DateShapedOperandsMustBeRealDates).
  rejects(leaf("lt", "\"2024-02-30\""), "$.value", "not a valid one");
}

// PostgreSQL prints the local mean time offsets of old dates with seconds
// (SET TimeZone = 'Europe/Berlin'; SELECT '1850-01-01'::timestamptz).
TEST(Dates, OffsetsWithSeconds) {
  EXPECT_TRUE(on("eq", "\"1849-12-31T23:06:32Z\"", "\"1850-01-01 00:00:00+00:53:28\""));
  EXPECT_TRUE(on("eq", "\"1850-01-01T04:56:02Z\"", "\"1850-01-01 00:00:00-04:56:02\""));
  EXPECT_TRUE(on("lt", "\"1850-01-01\"", "\"1850-01-01 00:00:00+00:53:28\""));
  EXPECT_FALSE(on("eq", "\"1850-01-01\"", "\"1850-01-01 00:00:00+00:53:2\""));   // not a date
  EXPECT_FALSE(on("eq", "\"1850-01-01\"", "\"1850-01-01 00:00:00+00:53:60\""));  // not a date
  EXPECT_FALSE(on("eq", "\"1850-01-01\"", "\"1850-01-01 00:00:00+0053:28\""));   // not a date
}

TEST(Groups, Nesting) {
  const std::string cond = R"({"all": [
    {"field": "years_experience", "op": "gte", "value": 3},
    {"any": [
      {"field": "location", "op": "in", "value": ["Berlin", "Remote"], "ignore_case": true},
      {"field": "relocation", "op": "eq", "value": true}
    ]},
    {"not": {"field": "skills", "op": "contains", "value": "cobol"}}
  ]})";
  EXPECT_TRUE(eval(cond, R"({"years_experience": 5, "location": "berlin", "skills": ["go"]})"));
  EXPECT_TRUE(eval(cond, R"({"years_experience": 3, "location": "Paris", "relocation": true,
                             "skills": []})"));
  EXPECT_FALSE(eval(cond, R"({"years_experience": 5, "location": "Paris", "skills": ["go"]})"));
  EXPECT_FALSE(eval(cond, R"({"years_experience": 5, "location": "Remote", "skills": ["cobol"]})"));
  EXPECT_FALSE(eval(cond, R"({"years_experience": 2, "location": "Remote"})"));
  EXPECT_TRUE(eval(R"({"not": {"not": {"field": "a", "op": "eq", "value": 1}}})", R"({"a": 1})"));
}

TEST(Fields, DotPaths) {
  EXPECT_TRUE(eval(R"({"field": "address.city", "op": "eq", "value": "Berlin"})",
                   R"({"address": {"city": "Berlin"}})"));
  EXPECT_FALSE(eval(R"({"field": "address.city", "op": "eq", "value": "Berlin"})",
                    R"({"address": "Berlin"})"));
  EXPECT_FALSE(eval(R"({"field": "a.b.c", "op": "exists"})", R"({"a": {"b": {}}})"));
  EXPECT_TRUE(eval(R"({"field": "a.b.c", "op": "exists"})", R"({"a": {"b": {"c": 0}}})"));
  // A field read by several leaves is resolved once.
  Compiled c(R"({"all": [{"field": "x", "op": "gt", "value": 1}, {"field": "x", "op": "lt", "value": 9},
                          {"field": "y.z", "op": "exists"}]})");
  ASSERT_NE(c.cond, nullptr);
  EXPECT_EQ(wf_condition_field_count(c.cond), 2u);
  EXPECT_EQ(wf_condition_segment_count(c.cond, 1), 2u);
  size_t len = 0;
  const char* seg = wf_condition_segment(c.cond, 1, 1, &len);
  EXPECT_EQ(std::string(seg, len), "z");
  EXPECT_EQ(wf_condition_segment(c.cond, 5, 0, &len), nullptr);
}

TEST(Validation, ReportsPathOfOffendingNode) {
  rejects(R"({"field": "a", "op": "like", "value": 1})", "$.op", "unknown operator \"like\"");
  rejects(R"({"all": [{"field": "a", "op": "eq", "value": 1}, {"any": [{"field": "b", "op": "??", "value": 1}]}]})",
          "$.all[1].any[0].op");
  rejects(R"({"field": "a", "op": "in", "value": 1})", "$.value", "needs an array");
  rejects(R"({"field": "a", "op": "not_in", "value": "x"})", "$.value");
  rejects(R"({"field": "a", "op": "in", "value": [1, [2]]})", "$.value[1]");
  rejects(R"({"field": "a", "op": "between", "value": [5, 1]})", "$.value", "not in order");
  rejects(R"({"field": "a", "op": "between", "value": [1]})", "$.value", "two bounds");
  rejects(R"({"field": "a", "op": "between", "value": [1, "z"]})", "$.value", "one type");
  rejects(R"({"field": "a", "op": "between", "value": [true, false]})", "$.value[0]");
  rejects(R"({"field": "a", "op": "matches", "value": "(unclosed"})", "$.value",
          "invalid regular expression");
  rejects(R"({"field": "a", "op": "matches", "value": 5})", "$.value");
  rejects(R"({"field": "a", "op": "gt", "value": true})", "$.value");
  rejects(R"({"field": "a", "op": "gt", "value": [1]})", "$.value");
  rejects(R"({"field": "a", "op": "starts_with", "value": 1})", "$.value");
  rejects(R"({"field": "a", "op": "contains", "value": null})", "$.value");
  rejects(R"({"field": "a", "op": "eq", "value": {"x": 1}})", "$.value");
  rejects(R"({"field": "a", "op": "eq"})", "$", "needs a \"value\"");
  rejects(R"({"field": "a", "op": "exists", "value": 1})", "$.value", "takes no");
  rejects(R"({"all": []})", "$.all", "empty group");
  rejects(R"({"any": []})", "$.any", "empty group");
  rejects(R"({"all": {"field": "a", "op": "exists"}})", "$.all", "needs an array");
  rejects(R"({"not": []})", "$.not", "must be an object");
  rejects(R"({"all": [1]})", "$.all[0]", "must be an object");
  rejects(R"([])", "$", "must be an object");
  rejects(R"({})", "$", "needs \"all\"");
  rejects(R"({"all": [{"field": "a", "op": "exists"}], "any": []})", "$", "both");
  rejects(R"({"all": [{"field": "a", "op": "exists"}], "extra": 1})", "$", "unexpected key");
  rejects(R"({"field": "a", "op": "exists", "colour": 1})", "$", "unexpected key");
  rejects(R"({"field": "", "op": "exists"})", "$.field", "empty");
  rejects(R"({"field": "a..b", "op": "exists"})", "$.field", "empty path segment");
  rejects(R"({"field": 7, "op": "exists"})", "$.field");
  rejects(R"({"field": "a", "op": 7})", "$.op");
  rejects(R"({"field": "a"})", "$", "needs \"op\"");
  rejects(R"({"field": "a", "op": "eq", "value": 1, "ignore_case": "yes"})", "$.ignore_case");
  rejects(R"({"field": "a", "op": "eq", "value": 1e400})", "$.value", "out of range");
  rejects("{\"field\": \"a\", ", "$", "malformed JSON");
  rejects("", "$", "malformed JSON");
}

TEST(Validation, Limits) {
  // Depth 32 is allowed, 33 is not.
  auto nested = [](int depth) {
    std::string s;
    for (int i = 1; i < depth; ++i) s += "{\"not\": ";
    s += R"({"field": "a", "op": "exists"})";
    return s + std::string(depth - 1, '}');
  };
  { Compiled ok(nested(32)); EXPECT_NE(ok.cond, nullptr) << ok.status.message; }
  std::string deep_path = "$";
  for (int i = 1; i < 33; ++i) deep_path += ".not";
  rejects(nested(33), deep_path, "deeper than 32");
  rejects(nested(100000), deep_path, "deeper than 32");  // no stack exhaustion

  auto wide = [](int leaves) {
    std::string s = "{\"any\": [";
    for (int i = 0; i < leaves; ++i) s += std::string(i ? "," : "") + R"({"field": "a", "op": "exists"})";
    return s + "]}";
  };
  { Compiled ok(wide(1023)); EXPECT_NE(ok.cond, nullptr); }  // 1024 nodes with the group
  rejects(wide(1024), "$.any[1023]", "more than 1024 nodes");
  rejects(R"({"field": "a", "op": "matches", "value": ")" + std::string(2000, 'a') + "\"}",
          "$.value", "longer than");
  rejects(R"({"field": ")" + std::string(600, 'a') + R"(", "op": "exists"})", "$.field",
          "longer than");
}

TEST(Explain, ReportsEachLeaf) {
  Compiled c(R"({"all": [{"field": "years", "op": "gte", "value": 3},
                          {"field": "city", "op": "eq", "value": "Berlin"},
                          {"not": {"field": "tags", "op": "contains", "value": "x"}},
                          {"field": "age", "op": "lt", "value": 40}]})");
  ASSERT_NE(c.cond, nullptr);
  const std::string facts = R"({"years": 1, "city": "Berlin", "tags": ["x"], "age": "old"})";
  int result = -1;
  auto doc = explain(c, facts, false, &result);
  EXPECT_EQ(result, 0);
  EXPECT_EQ(doc["result"], false);
  ASSERT_EQ(doc["leaves"].size(), 4u);
  EXPECT_EQ(doc["leaves"][0]["path"], "$.all[0]");
  EXPECT_EQ(doc["leaves"][0]["actual"], 1);
  EXPECT_EQ(doc["leaves"][0]["expected"], 3);
  EXPECT_EQ(doc["leaves"][0]["result"], false);
  EXPECT_EQ(doc["leaves"][0]["reason"], "1 gte 3 is false");
  EXPECT_EQ(doc["leaves"][1]["result"], true);
  EXPECT_FALSE(doc["leaves"][1].contains("reason"));
  EXPECT_EQ(doc["leaves"][2]["path"], "$.all[2].not");
  EXPECT_EQ(doc["leaves"][2]["negated"], true);
  EXPECT_EQ(doc["leaves"][2]["result"], true);
  EXPECT_EQ(doc["leaves"][2]["passed"], false);
  EXPECT_NE(doc["leaves"][3]["reason"].get<std::string>().find("type mismatch"), std::string::npos);

  doc = explain(c, facts, true, &result);
  ASSERT_TRUE(doc.is_array());
  ASSERT_EQ(doc.size(), 3u);  // only the leaves that failed the rule
  EXPECT_EQ(doc[1]["path"], "$.all[2].not");
}

TEST(Explain, MissingField) {
  Compiled c(R"({"field": "phone", "op": "exists"})");
  int result = -1;
  auto doc = explain(c, "{}", false, &result);
  EXPECT_EQ(result, 0);
  EXPECT_EQ(doc["leaves"][0]["missing"], true);
  EXPECT_EQ(doc["leaves"][0]["reason"], "field \"phone\" is missing");
}

TEST(Leaves, ListsCanonicalLeavesWithNegation) {
  Compiled c(R"({"all": [{"field": "a", "op": ">=", "value": 3},
                          {"not": {"field": "b", "op": "exists"}}]})");
  wf_status st{};
  char* text = wf_condition_leaves(c.cond, &st);
  auto doc = json::parse(text);
  wf_free(text);
  ASSERT_EQ(doc.size(), 2u);
  EXPECT_EQ(doc[0]["op"], "gte");
  EXPECT_EQ(doc[0]["value"], 3);
  EXPECT_EQ(doc[0]["negated"], false);
  EXPECT_EQ(doc[1]["negated"], true);
  EXPECT_FALSE(doc[1].contains("value"));
}

TEST(Alerts, CompileOneLeaf) {
  wf_status st{};
  wf_condition* c = wf_alert_compile("salary", ">", "100000", 6, 0, &st);
  ASSERT_NE(c, nullptr) << st.message;
  ResolvedFacts hi(c, json::parse(R"({"salary": 120000})"));
  EXPECT_EQ(wf_condition_evaluate(c, hi.data(), &st), 1);
  wf_condition_free(c);

  c = wf_alert_compile("city", "eq", "\"berlin\"", 8, 1, &st);  // ignore_case
  ASSERT_NE(c, nullptr) << st.message;
  ResolvedFacts city(c, json::parse(R"({"city": "Berlin"})"));
  EXPECT_EQ(wf_condition_evaluate(c, city.data(), &st), 1);
  wf_condition_free(c);

  c = wf_alert_compile("email", "exists", nullptr, 0, 0, &st);
  ASSERT_NE(c, nullptr);
  wf_condition_free(c);

  EXPECT_EQ(wf_alert_compile("salary", "approx", "1", 1, 0, &st), nullptr);
  EXPECT_STREQ(st.path, "$.op");
  EXPECT_EQ(wf_alert_compile("salary", "in", "1", 1, 0, &st), nullptr);
  EXPECT_STREQ(st.path, "$.value");
  EXPECT_EQ(wf_alert_compile("", "eq", "1", 1, 0, &st), nullptr);
  EXPECT_STREQ(st.path, "$.field");
  EXPECT_EQ(wf_alert_compile("a", "eq", "{bad", 4, 0, &st), nullptr);
  EXPECT_STREQ(st.sqlstate, "22023");
}

TEST(Api, NullSafety) {
  wf_status st{};
  EXPECT_EQ(wf_condition_evaluate(nullptr, nullptr, &st), -1);
  EXPECT_EQ(st.code, WF_INTERNAL);
  EXPECT_EQ(wf_condition_field_count(nullptr), 0u);
  wf_condition_free(nullptr);
  wf_free(nullptr);
}

// Found by the fuzzer: explaining a fact too large for an integer.
TEST(Explain, HugeNumbersStayDoubles) {
  Compiled c(R"({"field": "x", "op": "lt", "value": 1})");
  int result = -1;
  auto doc = explain(c, R"({"x": 1e300})", false, &result);
  EXPECT_EQ(result, 0);
  EXPECT_DOUBLE_EQ(doc["leaves"][0]["actual"].get<double>(), 1e300);
}

// Issue 8 section 6: facts and operands that are valid but unusual.
TEST(Values, FactsBeyondDoubleRangeCompare) {
  wf_fact big{};
  big.kind = WF_FACT_NUMBER;
  big.number = HUGE_VAL;  // what the shim hands over for 1e400
  Compiled gt(R"({"field": "s", "op": "gt", "value": 3})");
  wf_status st{};
  EXPECT_EQ(wf_condition_evaluate(gt.cond, &big, &st), 1);
  Compiled eq(R"({"field": "s", "op": "eq", "value": 1.7e308})");
  EXPECT_EQ(wf_condition_evaluate(eq.cond, &big, &st), 0);
  int result = -1;
  char* text = wf_condition_explain(gt.cond, &big, 0, &result, &st);
  ASSERT_NE(text, nullptr);
  auto doc = json::parse(text);
  wf_free(text);
  EXPECT_EQ(doc["leaves"][0]["actual"], "a number above the range of a double");
  big.number = -HUGE_VAL;
  EXPECT_EQ(wf_condition_evaluate(gt.cond, &big, &st), 0);
}

TEST(Values, NonFiniteOperandsRejectedWithPath) {
  rejects(R"({"all": [{"field": "a", "op": "lt", "value": 1e400}]})", "$.all[0].value",
          "out of range");
  rejects(R"({"field": "a", "op": "in", "value": [1, -1e999]})", "$.value[1]", "out of range");
  rejects(R"({"field": "a", "op": "between", "value": [0, 1e309]})", "$.value[1]");
  // An integer too long for 64 bits is a float to the parser: finite, accepted.
  Compiled ok(R"({"field": "a", "op": "lt", "value": 123456789012345678901234567890})");
  EXPECT_NE(ok.cond, nullptr);
  // An alert's value alone: the path is the leaf's value.
  wf_status st{};
  EXPECT_EQ(wf_alert_compile("a", "lt", "1e400", 5, 0, &st), nullptr);
  EXPECT_EQ(std::string(st.path), "$.value");
  EXPECT_STREQ(st.sqlstate, "22023");
}

TEST(Values, DateShapedOperandsMustBeRealDates) {
  rejects(R"({"field": "d", "op": "lt", "value": "2024-02-30"})", "$.value", "2024-02-30");
  rejects(R"({"field": "d", "op": "eq", "value": "2023-02-29"})", "$.value");
  rejects(R"({"field": "d", "op": "gte", "value": "2024-13-01"})", "$.value");
  rejects(R"({"field": "d", "op": "lt", "value": "2024-01-01T24:00:00Z"})", "$.value");
  rejects(R"({"field": "d", "op": "lt", "value": "2024-01-01T10:61"})", "$.value");
  rejects(R"({"field": "d", "op": "lt", "value": "2024-01-01T10:00+25:00"})", "$.value");
  rejects(R"({"any": [{"field": "d", "op": "in", "value": ["2024-01-01", "2024-04-31"]}]})",
          "$.any[0].value[1]");
  rejects(R"({"field": "d", "op": "between", "value": ["2024-01-01", "2024-02-30"]})",
          "$.value[1]");
  rejects(R"({"field": "d", "op": "contains", "value": "2024-00-10"})", "$.value");
  // Real dates, leap days and text that merely starts like a date are fine.
  EXPECT_TRUE(on("eq", R"("2024-02-29")", R"("2024-02-29T00:00:00Z")"));
  EXPECT_TRUE(on("eq", R"("2024-02-30 is not a date")", R"("2024-02-30 is not a date")"));
  EXPECT_TRUE(on("starts_with", R"("2024-02-30")", R"("2024-02-30 and more")"));
  EXPECT_TRUE(on("matches", R"("2024-02-3\\d")", R"("2024-02-31")"));
  // Facts that are not real dates against a date operand: a type mismatch, false.
  EXPECT_FALSE(on("lt", R"("2024-03-01")", R"("2024-02-30")"));
  EXPECT_FALSE(on("ne", R"("2024-03-01")", R"(5)"));
}

// Issue 7 section 11: bounded work.
TEST(Limits, MatchesScansABoundedText) {
  std::string text(WF_MAX_MATCH_TEXT_BYTES, 'a');
  text.back() = 'z';
  const std::string cond = R"({"field": "s", "op": "matches", "value": "z$"})";
  EXPECT_TRUE(eval(cond, json{{"s", text}}.dump()));
  text += "z";  // one byte over: not scanned, false, explained
  EXPECT_FALSE(eval(cond, json{{"s", text}}.dump()));
  Compiled c(cond);
  int result = -1;
  auto doc = explain(c, json{{"s", text}}.dump(), false, &result);
  EXPECT_EQ(result, 0);
  EXPECT_NE(doc["leaves"][0]["reason"].get<std::string>().find("longer than the 262144 bytes"),
            std::string::npos)
      << doc.dump();
  // Under "not" the leaf is still false, so the "not" is true: as a type mismatch.
  EXPECT_TRUE(eval(R"({"not": )" + cond + "}", json{{"s", text}}.dump()));
}

TEST(Limits, ContainsIsLinearAndFoldsCase) {
  // A needle that almost matches everywhere (quadratic for a naive search).
  std::string hay(2 * 1024 * 1024, 'a');
  std::string needle(2000, 'a');
  needle += "b";
  const std::string cond = R"({"field": "s", "op": "contains", "value": ")" + needle + "\"}";
  EXPECT_FALSE(eval(cond, json{{"s", hay}}.dump()));
  hay.replace(hay.size() - needle.size(), needle.size(), needle);
  EXPECT_TRUE(eval(cond, json{{"s", hay}}.dump()));
  EXPECT_TRUE(on("contains", R"("WoRlD")", R"("hello world!")", true));
  EXPECT_FALSE(on("contains", R"("WoRlD")", R"("hello world!")", false));
  EXPECT_TRUE(on("contains", R"("")", R"("x")"));
  EXPECT_FALSE(on("contains", R"("xy")", R"("x")"));
}

TEST(Limits, RegexesShareOneMemoryBudget) {
  const std::string big = R"({"field": "s", "op": "matches", "value": "[a-z0-9]{100,1000}x"})";
  EXPECT_NE(Compiled(big).cond, nullptr);  // alone it has 1 MiB
  std::string many = R"({"any": [)";
  for (int i = 0; i < 300; ++i) many += (i ? "," : "") + big;  // 32 KiB each
  many += "]}";
  rejects(many, "$.any[0].value", "share of the condition's regex memory");
  // Many small patterns fit.
  std::string small = R"({"any": [)";
  for (int i = 0; i < 1000; ++i)
    small += std::string(i ? "," : "") + R"({"field": "s", "op": "matches", "value": "^\\+4)" +
             std::to_string(i % 10) + "\"}";
  small += "]}";
  EXPECT_NE(Compiled(small).cond, nullptr);
}

namespace {
int g_polls = 0;
int g_stop_after = -1;  // -1: never
int count_polls() {
  ++g_polls;
  return g_stop_after >= 0 && g_polls > g_stop_after;
}
}  // namespace

TEST(Limits, LongEvaluationsPollTheHostAndStop) {
  std::string list;
  for (int i = 0; i < 1000; ++i) list += (i ? "," : "") + std::to_string(-i - 1);
  Compiled c(R"({"field": "a", "op": "in", "value": [)" + list + "]}");
  json items = json::array();
  for (int i = 0; i < 20000; ++i) items.push_back(i);
  ResolvedFacts facts(c.cond, json{{"a", items}});
  test_host::interrupt_hook = count_polls;
  g_polls = 0;
  g_stop_after = -1;
  wf_status st{};
  EXPECT_EQ(wf_condition_evaluate(c.cond, facts.data(), &st), 0);
  EXPECT_GT(g_polls, 100);  // 20 million comparisons, polled every 4096
  g_polls = 0;
  g_stop_after = 3;
  EXPECT_EQ(wf_condition_evaluate(c.cond, facts.data(), &st), -1);
  EXPECT_EQ(st.code, WF_INTERRUPTED);
  EXPECT_STREQ(st.sqlstate, "57014");
  EXPECT_EQ(g_polls, 4);  // stopped at the first poll that said so
  int result = 7;
  g_polls = 0;
  EXPECT_EQ(wf_condition_explain(c.cond, facts.data(), 0, &result, &st), nullptr);
  EXPECT_EQ(st.code, WF_INTERRUPTED);
  // A small evaluation does not poll at all.
  g_polls = 0;
  EXPECT_TRUE(on("eq", "1", "1"));
  EXPECT_EQ(g_polls, 0);
  test_host::interrupt_hook = nullptr;
}
