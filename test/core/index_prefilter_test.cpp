// The index prefilter (README: Screening through an index): which leaves a
// GIN jsonb index can look up, as jsonpath text, and which are left out
// because the index's answer would not be a superset of the engine's.
#include <gtest/gtest.h>

#include <string>

#include "facts_helper.hpp"
#include "workflow_core.h"

namespace {

// The prefilter for an index with (keys) or without key entries, "" when none.
std::string prefilter(const std::string& condition, int flags = WF_PREFILTER_UTF8) {
  Compiled c(condition);
  EXPECT_NE(c.cond, nullptr) << condition << ": " << c.status.message;
  if (!c.cond) return "<invalid>";
  wf_status status{};
  char* text = wf_condition_index_prefilter(c.cond, flags, &status);
  EXPECT_EQ(status.code, WF_OK) << status.message;
  std::string out = text ? text : "";
  wf_free(text);
  return out;
}

const int kKeys = WF_PREFILTER_KEYS | WF_PREFILTER_UTF8;

TEST(IndexPrefilter, Equalities) {
  EXPECT_EQ(prefilter(R"({"field": "city", "op": "eq", "value": "Berlin"})"),
            R"($ ? (@."city" == "Berlin"))");
  EXPECT_EQ(prefilter(R"({"field": "address.city", "op": "==", "value": "Oslo"})"),
            R"($ ? (@."address"."city" == "Oslo"))");
  EXPECT_EQ(prefilter(R"({"field": "years", "op": "eq", "value": 5})"), R"($ ? (@."years" == 5))");
  EXPECT_EQ(prefilter(R"({"field": "score", "op": "eq", "value": -1.50})"),
            R"($ ? (@."score" == -1.50))");
  EXPECT_EQ(prefilter(R"({"field": "big", "op": "eq", "value": 9007199254740993})"),
            R"($ ? (@."big" == 9007199254740993))");
  EXPECT_EQ(prefilter(R"({"field": "visa", "op": "eq", "value": true})"), R"($ ? (@."visa" == true))");
  EXPECT_EQ(prefilter(R"({"field": "gone", "op": "eq", "value": null})"), R"($ ? (@."gone" == null))");
  EXPECT_EQ(prefilter(R"({"field": "n", "op": "eq", "value": 5, "ignore_case": true})"),
            R"($ ? (@."n" == 5))");
  // Keys and text are quoted as JSON strings.
  EXPECT_EQ(prefilter(R"({"field": "$[\"a.b\"]", "op": "eq", "value": "say \"hi\"\\\n"})"),
            R"($ ? (@."a.b" == "say \"hi\"\\\u000a"))");
}

TEST(IndexPrefilter, InAndContains) {
  EXPECT_EQ(prefilter(R"({"field": "city", "op": "in", "value": ["Berlin", "Remote", 3, null]})"),
            R"($ ? ((@."city" == "Berlin" || @."city" == "Remote" || @."city" == 3 || @."city" == null)))");
  EXPECT_EQ(prefilter(R"({"field": "tags", "op": "contains", "value": 7})"), R"($ ? (@."tags" == 7))");
  // A text operand also means a substring of a text fact: no index entry.
  EXPECT_EQ(prefilter(R"({"field": "skills", "op": "contains", "value": "go"})"), "");
  // One element the index cannot say leaves the whole list out.
  EXPECT_EQ(prefilter(R"({"field": "city", "op": "in", "value": ["Berlin", "München"]})"), "");
}

TEST(IndexPrefilter, Groups) {
  // all: the members that can be looked up; any: only when all of them can.
  EXPECT_EQ(prefilter(R"({"all": [{"field": "a", "op": "eq", "value": 1},
                                  {"field": "b", "op": "matches", "value": "x"},
                                  {"field": "c", "op": "eq", "value": "y"}]})"),
            R"($ ? ((@."a" == 1 && @."c" == "y")))");
  EXPECT_EQ(prefilter(R"({"all": [{"field": "a", "op": "eq", "value": 1},
                                  {"field": "b", "op": "ne", "value": 2}]})"),
            R"($ ? (@."a" == 1))");
  EXPECT_EQ(prefilter(R"({"any": [{"field": "a", "op": "eq", "value": 1},
                                  {"all": [{"field": "b", "op": "eq", "value": 2},
                                           {"field": "c", "op": "eq", "value": 3}]}]})"),
            R"($ ? ((@."a" == 1 || (@."b" == 2 && @."c" == 3))))");
  EXPECT_EQ(prefilter(R"({"any": [{"field": "a", "op": "eq", "value": 1},
                                  {"field": "b", "op": "starts_with", "value": "x"}]})"), "");
  EXPECT_EQ(prefilter(R"({"not": {"field": "a", "op": "eq", "value": 1}})"), "");
  EXPECT_EQ(prefilter(R"({"all": [{"not": {"field": "a", "op": "eq", "value": 1}},
                                  {"field": "b", "op": "eq", "value": 2}]})"),
            R"($ ? (@."b" == 2))");
  EXPECT_EQ(prefilter(R"({"some": {"field": "jobs", "where": {"field": "t", "op": "eq", "value": 1}}})"), "");
}

TEST(IndexPrefilter, RangesAndExistenceNeedKeyEntries) {
  const std::string range = R"({"field": "years", "op": "gte", "value": 3})";
  EXPECT_EQ(prefilter(range), "");
  EXPECT_EQ(prefilter(range, kKeys), R"($ ? (@."years" >= 3))");
  EXPECT_EQ(prefilter(R"({"field": "s", "op": "between", "value": [1, 2.5]})", kKeys),
            R"($ ? ((@."s" >= 1 && @."s" <= 2.5)))");
  EXPECT_EQ(prefilter(R"({"field": "s", "op": "<", "value": 0})", kKeys), R"($ ? (@."s" < 0))");
  EXPECT_EQ(prefilter(R"({"field": "p.url", "op": "exists"})", kKeys), R"($ ? (exists(@."p"."url")))");
  EXPECT_EQ(prefilter(R"({"field": "p.url", "op": "exists"})"), "");
  // Text and dates order as the engine orders them, not as jsonpath does.
  EXPECT_EQ(prefilter(R"({"field": "name", "op": "gte", "value": "M"})", kKeys), "");
  EXPECT_EQ(prefilter(R"({"field": "d", "op": "between", "value": ["2024-01-01", "2024-12-31"]})", kKeys), "");
}

TEST(IndexPrefilter, LeftOutWhereTheIndexWouldMissRows) {
  // Case folding, Unicode normalization, dates as instants.
  EXPECT_EQ(prefilter(R"({"field": "c", "op": "eq", "value": "berlin", "ignore_case": true})"), "");
  EXPECT_EQ(prefilter(R"({"field": "c", "op": "eq", "value": "Montréal"})"), "");
  EXPECT_EQ(prefilter(R"({"field": "c", "op": "eq", "value": "Kelvin"})"), "");  // U+212A
  EXPECT_EQ(prefilter(R"({"field": "c", "op": "eq", "value": "a;b"})"), "");     // U+037E
  EXPECT_EQ(prefilter(R"({"field": "d", "op": "eq", "value": "2024-03-01"})"), "");
  // A nonzero number that is zero as a double compares by its double.
  EXPECT_EQ(prefilter(R"({"field": "x", "op": "eq", "value": 1e-400})"), "");
  // Negations, text searches, absence, sizes, fact operands, other sources.
  for (const char* leaf : {
           R"({"field": "a", "op": "ne", "value": 1})",
           R"({"field": "a", "op": "not_in", "value": [1]})",
           R"({"field": "a", "op": "not_contains", "value": 1})",
           R"({"field": "a", "op": "ends_with", "value": "x"})",
           R"({"field": "a", "op": "matches", "value": "^x"})",
           R"({"field": "a", "op": "not_exists"})",
           R"({"field": "a", "op": "size_eq", "value": 1})",
           R"({"field": "a", "op": "eq", "value": {"field": "b"}})",
           R"({"field": "a", "op": "eq", "value": 1, "source": "job"})",
           R"({"field": "$.a[0]", "op": "eq", "value": 1})"}) {
    EXPECT_EQ(prefilter(leaf, kKeys), "") << leaf;
  }
  // A non-ASCII key only when the database is UTF-8.
  EXPECT_EQ(prefilter(R"({"field": "größe", "op": "eq", "value": 1})"), R"($ ? (@."größe" == 1))");
  EXPECT_EQ(prefilter(R"({"field": "größe", "op": "eq", "value": 1})", 0), "");
}

TEST(IndexPrefilter, BoundedSize) {
  std::string list;
  for (int i = 0; i < 20000; ++i) list += (i ? "," : "") + std::to_string(i);
  EXPECT_EQ(prefilter(R"({"field": "a", "op": "in", "value": [)" + list + "]}"), "");
  EXPECT_EQ(prefilter(R"({"all": [{"field": "a", "op": "in", "value": [)" + list +
                      R"(]}, {"field": "b", "op": "eq", "value": 1}]})"),
            R"($ ? (@."b" == 1))");
}

}  // namespace
