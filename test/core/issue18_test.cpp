// Issue 18: canonically equal text matches (NFC), only the leaves that made
// a condition fail are reported, and an explanation is bounded whatever the
// rule's operands.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "condition_asserts.hpp"
#include "facts_helper.hpp"
#include "workflow_core.h"

using nlohmann::json;

namespace {

int eval(const json& cond, const json& facts) {
  Compiled c(cond.dump());
  EXPECT_NE(c.cond, nullptr) << cond.dump() << ": " << c.status.message;
  if (!c.cond) return -1;
  ResolvedFacts resolved(c.cond, facts);
  wf_status st{};
  return wf_condition_evaluate(c.cond, resolved.data(), &st);
}

json explain(const json& cond, const json& facts, bool only_failed, size_t* size = nullptr) {
  Compiled c(cond.dump());
  EXPECT_NE(c.cond, nullptr) << c.status.message;
  if (!c.cond) return json();
  ResolvedFacts resolved(c.cond, facts);
  wf_status st{};
  int result = -1;
  char* text = wf_condition_explain(c.cond, resolved.data(), only_failed ? 1 : 0, &result, &st);
  EXPECT_NE(text, nullptr) << st.message;
  if (!text) return json();
  if (size) *size = std::strlen(text);
  json doc = json::parse(text);
  wf_free(text);
  return doc;
}

// The paths of the leaves that made cond fail (only_failed explanation).
std::vector<std::string> failed(const json& cond, const json& facts) {
  std::vector<std::string> out;
  for (const json& l : explain(cond, facts, true)) out.push_back(l["path"].get<std::string>());
  return out;
}

json leaf(const char* field, const char* op, const json& value) {
  return {{"field", field}, {"op", op}, {"value", value}};
}

const std::string kComposed = "Montr\xC3\xA9" "al";    // é = U+00E9
const std::string kDecomposed = "Montre\xCC\x81" "al"; // e + U+0301

TEST(Nfc, CanonicallyEqualTextIsEqual) {
  EXPECT_EQ(eval(leaf("c", "eq", kComposed), {{"c", kDecomposed}}), 1);
  EXPECT_EQ(eval(leaf("c", "eq", kDecomposed), {{"c", kComposed}}), 1);
  EXPECT_EQ(eval(leaf("c", "ne", kComposed), {{"c", kDecomposed}}), 0);
  EXPECT_EQ(eval(leaf("c", "in", json::array({"Paris", kComposed})), {{"c", kDecomposed}}), 1);
  EXPECT_EQ(eval(leaf("c", "not_in", json::array({kComposed})), {{"c", kDecomposed}}), 0);
  EXPECT_EQ(eval(leaf("c", "in", json::array({kComposed})), {{"c", json::array({"x", kDecomposed})}}), 1);
  EXPECT_EQ(eval(leaf("c", "contains", "tr\xC3\xA9"), {{"c", kDecomposed}}), 1);
  EXPECT_EQ(eval(leaf("c", "contains", kComposed), {{"c", json::array({kDecomposed})}}), 1);
  EXPECT_EQ(eval(leaf("c", "starts_with", "Montr\xC3\xA9"), {{"c", kDecomposed}}), 1);
  EXPECT_EQ(eval(leaf("c", "ends_with", "e\xCC\x81" "al"), {{"c", kComposed}}), 1);
  EXPECT_EQ(eval(leaf("c", "matches", "^Montr\xC3\xA9" "al$"), {{"c", kDecomposed}}), 1);
  EXPECT_EQ(eval(leaf("c", "matches", "^Montre\xCC\x81" "al$"), {{"c", kComposed}}), 1);
  EXPECT_EQ(eval(leaf("c", "lte", kComposed), {{"c", kDecomposed}}), 1);
  // fact against fact
  EXPECT_EQ(eval(leaf("c", "eq", json{{"field", "d"}}), {{"c", kDecomposed}, {"d", kComposed}}), 1);
  // Hangul: 한 as one syllable and as three jamo
  EXPECT_EQ(eval(leaf("c", "eq", "\xED\x95\x9C"), {{"c", "\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB"}}), 1);
  // compatibility equivalents are not canonical ones: ﬁ is no "fi"
  EXPECT_EQ(eval(leaf("c", "eq", "fi"), {{"c", "\xEF\xAC\x81"}}), 0);
  // different text stays different
  EXPECT_EQ(eval(leaf("c", "eq", kComposed), {{"c", "Montreal"}}), 0);
}

TEST(Nfc, IgnoreCase) {
  json ic = leaf("c", "eq", "MONTR\xC3\x89" "AL");  // É = U+00C9
  ic["ignore_case"] = true;
  EXPECT_EQ(eval(ic, {{"c", "montre\xCC\x81" "al"}}), 1);
  // ẞ (U+1E9E) and ß both fold to ss
  json sharp = leaf("c", "eq", "STRA\xE1\xBA\x9E" "E");
  sharp["ignore_case"] = true;
  EXPECT_EQ(eval(sharp, {{"c", "stra\xC3\x9F" "e"}}), 1);
  EXPECT_EQ(eval(sharp, {{"c", "STRASSE"}}), 1);
  // the Angstrom sign (U+212B) is canonically Å; folded, å as a + U+030A
  json angstrom = leaf("c", "eq", "\xE2\x84\xAB");
  angstrom["ignore_case"] = true;
  EXPECT_EQ(eval(angstrom, {{"c", "a\xCC\x8A"}}), 1);
  angstrom["ignore_case"] = false;
  EXPECT_EQ(eval(angstrom, {{"c", "a\xCC\x8A"}}), 0);
  EXPECT_EQ(eval(angstrom, {{"c", "A\xCC\x8A"}}), 1);
  json in = leaf("c", "in", json::array({"Z\xC3\x9CRICH"}));
  in["ignore_case"] = true;
  EXPECT_EQ(eval(in, {{"c", "zu\xCC\x88rich"}}), 1);
}

TEST(Nfc, SizesCountComposedCharacters) {
  EXPECT_EQ(eval(leaf("c", "size_eq", 8), {{"c", kDecomposed}}), 1);
  EXPECT_EQ(eval(leaf("c", "size_eq", 1), {{"c", "\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB"}}), 1);
}

TEST(FailedLeaves, AnySatisfiedByAnotherMemberIsNotReported) {
  const json cond = {{"all", {{{"any", {leaf("city", "eq", "Berlin"), leaf("relocate", "eq", true)}}},
                              leaf("years", "gte", 3)}}};
  const json facts = {{"city", "Berlin"}, {"relocate", false}, {"years", 1}};
  EXPECT_EQ(failed(cond, facts), std::vector<std::string>{"$.all[1]"});
  // both members failed: both reported
  EXPECT_EQ(failed(cond, {{"city", "Paris"}, {"relocate", false}, {"years", 5}}),
            (std::vector<std::string>{"$.all[0].any[0]", "$.all[0].any[1]"}));
  // passed in the full explanation says the same
  const json doc = explain(cond, facts, false);
  for (const json& l : doc["leaves"])
    EXPECT_EQ(l["passed"].get<bool>(), l["path"] != "$.all[1]") << l.dump();
  // a condition that holds reports nothing, false leaves included
  EXPECT_TRUE(failed(cond, {{"city", "Berlin"}, {"relocate", false}, {"years", 5}}).empty());
}

TEST(FailedLeaves, Not) {
  // not(any(a, b)): only the members that held made it fail
  const json n = {{"not", {{"any", {leaf("a", "eq", 1), leaf("b", "eq", 1)}}}}};
  EXPECT_EQ(failed(n, {{"a", 1}, {"b", 2}}), std::vector<std::string>{"$.not.any[0]"});
  EXPECT_EQ(failed(n, {{"a", 1}, {"b", 1}}),
            (std::vector<std::string>{"$.not.any[0]", "$.not.any[1]"}));
  // not(all(a, b)) fails only when both held: both made it fail
  const json na = {{"not", {{"all", {leaf("a", "eq", 1), leaf("b", "eq", 1)}}}}};
  EXPECT_EQ(failed(na, {{"a", 1}, {"b", 1}}),
            (std::vector<std::string>{"$.not.all[0]", "$.not.all[1]"}));
  EXPECT_TRUE(failed(na, {{"a", 1}, {"b", 2}}).empty());
  // double negation: as if there were none
  const json nn = {{"not", {{"not", {{"any", {leaf("a", "eq", 1), leaf("b", "eq", 1)}}}}}}};
  EXPECT_EQ(failed(nn, {{"a", 2}, {"b", 2}}),
            (std::vector<std::string>{"$.not.not.any[0]", "$.not.not.any[1]"}));
  // any(all(a, b), not(c)): everything false, the blame goes down both sides
  const json mixed = {{"any", {{{"all", {leaf("a", "eq", 1), leaf("b", "eq", 1)}}},
                               {{"not", leaf("c", "eq", 1)}}}}};
  EXPECT_EQ(failed(mixed, {{"a", 1}, {"b", 2}, {"c", 1}}),
            (std::vector<std::string>{"$.any[0].all[1]", "$.any[1].not"}));
  // not(any(all(a, b), c)) with all(a, b) true and c false: a and b made it fail
  const json deep = {{"not", {{"any", {{{"all", {leaf("a", "eq", 1), leaf("b", "eq", 1)}}},
                                       leaf("c", "eq", 1)}}}}};
  EXPECT_EQ(failed(deep, {{"a", 1}, {"b", 1}, {"c", 2}}),
            (std::vector<std::string>{"$.not.any[0].all[0]", "$.not.any[0].all[1]"}));
}

TEST(FailedLeaves, InsideQuantifiedGroups) {
  // some(where any(x, y)): an element's y that x satisfied is not explained
  const json cond = {{"some", {{"field", "e"},
                               {"where", {{"all", {{{"any", {leaf("x", "eq", 1), leaf("y", "eq", 1)}}},
                                                   leaf("z", "eq", 1)}}}}}}};
  const json doc = explain(cond, {{"e", {{{"x", 1}, {"y", 2}, {"z", 2}}}}}, true);
  ASSERT_EQ(doc.size(), 1u);
  const json& inner = doc[0]["elements_explained"][0]["leaves"];
  ASSERT_EQ(inner.size(), 1u) << doc.dump();
  EXPECT_EQ(inner[0]["field"], "z");
}

TEST(FailedLeaves, PathsAreComplete) {
  json all = json::array();
  for (int i = 0; i < 600; ++i)
    all.push_back({{"field", "f" + std::to_string(i) + std::string(300, 'x')}, {"op", "exists"}});
  const json cond = {{"all", all}};
  Compiled c(cond.dump());
  ASSERT_NE(c.cond, nullptr);
  ResolvedFacts resolved(c.cond, json::object());
  wf_fact_source source{[](void* arg, size_t field, wf_fact* out) {
                          *out = static_cast<ResolvedFacts*>(arg)->data()[field];
                          return 1;
                        },
                        &resolved};
  wf_status st{};
  int result = -1;
  char* text = wf_condition_failed_paths_lazy(c.cond, &source, nullptr, &result, &st);
  ASSERT_NE(text, nullptr) << st.message;
  const json paths = json::parse(text);
  wf_free(text);
  EXPECT_EQ(result, 0);
  ASSERT_EQ(paths.size(), 600u);
  EXPECT_EQ(paths[599], "$.all[599]");
  // the explanation of the same is bounded and counts what it leaves out
  size_t size = 0;
  const json listed = explain(cond, json::object(), true, &size);
  EXPECT_LE(size, 65536u);
  EXPECT_EQ(listed.back()["truncated"], true);
  EXPECT_EQ(listed.size() - 1 + listed.back()["not_listed"].get<size_t>(), 600u);
}

TEST(Bounded, OperandsAreCopiedBounded) {
  json cities = json::array();
  for (int i = 0; i < 200000; ++i) cities.push_back("city-" + std::to_string(i));
  const json cond = leaf("city", "in", cities);
  size_t size = 0;
  const json doc = explain(cond, {{"city", "Paris"}}, false, &size);
  EXPECT_LE(size, 65536u);
  const json& expected = doc["leaves"][0]["expected"];
  EXPECT_EQ(expected["truncated"], true);
  EXPECT_EQ(expected["of"], 200000);
  EXPECT_EQ(expected["first"].size(), expected["items"].get<size_t>());
  EXPECT_GT(expected["items"].get<size_t>(), 10u);
  EXPECT_EQ(expected["first"][0], "city-0");
  EXPECT_LE(doc["leaves"][0]["reason"].get<std::string>().size(), 2048u);
  // a long text operand: its start, its size
  const json text = explain(leaf("x", "eq", std::string(100000, 'a')), {{"x", "b"}}, true);
  EXPECT_EQ(text[0]["expected"]["truncated"], true);
  EXPECT_EQ(text[0]["expected"]["bytes"], 100000);
  EXPECT_EQ(text[0]["expected"]["text"].get<std::string>().size(), 256u);
  // the same inside a quantified group's "where"
  const json q = {{"some", {{"field", "e"}, {"where", leaf("c", "in", cities)}}}};
  size = 0;
  const json qdoc = explain(q, {{"e", {{{"c", "x"}}}}}, false, &size);
  EXPECT_LE(size, 65536u);
  EXPECT_EQ(qdoc["leaves"][0]["expected"]["value"]["truncated"], true) << qdoc["leaves"][0]["expected"].dump().substr(0, 300);
  // small operands are shown as written
  EXPECT_EQ(explain(leaf("c", "in", json::array({"a", "b"})), {{"c", "x"}}, true)[0]["expected"],
            json::array({"a", "b"}));
}

}  // namespace
