// Fact sources (0.3.0): a leaf, a fact operand or a quantified group reads
// the candidate's facts, the application's (this candidate in this job) or
// the job's.  Each source: compiled, evaluated, explained, listed; refusals
// with their paths.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "condition_asserts.hpp"
#include "facts_helper.hpp"
#include "workflow_core.h"

using nlohmann::json;

namespace {

// One document per source: the same names hold different values, so a leaf
// that read the wrong document would give the wrong answer.
const json kCandidate = json::parse(R"({"years": 5, "salary": 70000, "city": "Berlin",
                                        "level": "senior", "skills": ["go", "sql"]})");
const json kApplication = json::parse(R"({"years": 1, "referred": true, "score": 4.5,
                                          "interviews": [{"score": 3}, {"score": 5}],
                                          "allowed": ["Berlin", "Remote"]})");
const json kJob = json::parse(R"({"years": 3, "budget": 80000, "min_salary": 60000,
                                  "city": "Munich", "levels": ["senior", "staff"]})");
const FactDocs kDocs(kCandidate, kApplication, kJob);

// The source of each field, in field order.
std::vector<int> sources(const Compiled& c) {
  std::vector<int> out;
  for (size_t i = 0; i < wf_condition_field_count(c.cond); ++i)
    out.push_back(wf_condition_field_source(c.cond, i));
  return out;
}

// Evaluates eagerly and lazily, and checks explain agrees: -1 on an error.
int run(const std::string& text, const FactDocs& docs = kDocs) {
  Compiled c(text);
  EXPECT_NE(c.cond, nullptr) << text << ": " << c.status.message << " at " << c.status.path;
  if (!c.cond) return -1;
  ResolvedFacts facts(c.cond, docs);
  wf_status st{};
  const int r = wf_condition_evaluate(c.cond, facts.data(), &st);
  EXPECT_EQ(st.code, WF_OK) << st.message;
  LazyFacts lazy(c.cond, docs);
  EXPECT_EQ(wf_condition_evaluate_lazy(c.cond, lazy.source(), nullptr, &st), r) << text;
  int explained = -1;
  char* e = wf_condition_explain(c.cond, facts.data(), 0, &explained, &st);
  EXPECT_NE(e, nullptr) << st.message;
  wf_free(e);
  EXPECT_EQ(explained, r) << text;
  return r;
}
bool yes(const std::string& text, const FactDocs& docs = kDocs) { return run(text, docs) == 1; }
bool no(const std::string& text, const FactDocs& docs = kDocs) { return run(text, docs) == 0; }

std::string explain_text(const std::string& text, const FactDocs& docs = kDocs,
                         int only_failed = 0) {
  Compiled c(text);
  EXPECT_NE(c.cond, nullptr) << c.status.message;
  if (!c.cond) return "";
  ResolvedFacts facts(c.cond, docs);
  wf_status st{};
  int result = -1;
  char* e = wf_condition_explain(c.cond, facts.data(), only_failed, &result, &st);
  EXPECT_NE(e, nullptr) << st.message;
  std::string out = e ? e : "";
  wf_free(e);
  return out;
}
json explain(const std::string& text, const FactDocs& docs = kDocs) {
  return json::parse(explain_text(text, docs));
}

json leaves(const wf_condition* cond) {
  wf_status st{};
  char* out = wf_condition_leaves(cond, &st);
  EXPECT_NE(out, nullptr) << st.message;
  if (!out) return json();
  auto doc = json::parse(out);
  wf_free(out);
  return doc;
}

}  // namespace

// --- compile: which field reads which source ---------------------------------
TEST(Sources, EachFieldSaysWhoseFactsItReads) {
  Compiled c(R"({"all": [{"field": "years", "op": "gte", "value": 3},
                          {"field": "referred", "source": "application", "op": "eq", "value": true},
                          {"field": "budget", "source": "job", "op": "gt", "value": 0},
                          {"field": "city", "source": "candidate", "op": "exists"}]})");
  ASSERT_NE(c.cond, nullptr) << c.status.message;
  EXPECT_EQ(sources(c), (std::vector<int>{WF_SOURCE_CANDIDATE, WF_SOURCE_APPLICATION,
                                          WF_SOURCE_JOB, WF_SOURCE_CANDIDATE}));
  EXPECT_EQ(WF_SOURCE_CANDIDATE, 0);
  EXPECT_EQ(WF_SOURCE_APPLICATION, 1);
  EXPECT_EQ(WF_SOURCE_JOB, 2);
  // No such field, no condition: -1.
  EXPECT_EQ(wf_condition_field_source(c.cond, 4), -1);
  EXPECT_EQ(wf_condition_field_source(nullptr, 0), -1);
}

TEST(Sources, ConditionsWithoutSourcesReadOnlyTheCandidate) {
  Compiled c(R"({"any": [{"field": "years", "op": "gte", "value": {"field": "min_years"}},
                          {"some": {"field": "jobs", "where": {"field": "$.x", "op": "exists"}}}]})");
  ASSERT_NE(c.cond, nullptr) << c.status.message;
  EXPECT_EQ(sources(c), (std::vector<int>(wf_condition_field_count(c.cond), WF_SOURCE_CANDIDATE)));
  EXPECT_EQ(wf_condition_field_count(c.cond), 4u);  // years, min_years, jobs, $.x
}

TEST(Sources, SamePathUnderTwoSourcesIsTwoFields) {
  Compiled c(R"({"all": [{"field": "years", "op": "gte", "value": {"field": "years", "source": "job"}},
                          {"field": "years", "source": "application", "op": "lt", "value": 2},
                          {"field": "years", "source": "job", "op": "gt", "value": 0},
                          {"field": "years", "source": "candidate", "op": "ne", "value": 0}]})");
  ASSERT_NE(c.cond, nullptr) << c.status.message;
  // years (candidate, written twice), years (job, written twice), years (application).
  ASSERT_EQ(wf_condition_field_count(c.cond), 3u);
  EXPECT_EQ(sources(c), (std::vector<int>{WF_SOURCE_CANDIDATE, WF_SOURCE_JOB,
                                          WF_SOURCE_APPLICATION}));
  for (size_t i = 0; i < 3; ++i) {
    size_t len = 0;
    const char* seg = wf_condition_segment(c.cond, i, 0, &len);
    EXPECT_EQ(std::string(seg, len), "years");
  }
  // 5 >= 3 (job), 1 < 2 (application), 3 > 0 (job), 5 != 0 (candidate).
  ResolvedFacts facts(c.cond, kDocs);
  wf_status st{};
  EXPECT_EQ(wf_condition_evaluate(c.cond, facts.data(), &st), 1) << st.message;
  // Each looked up once, in its own source.
  LazyFacts lazy(c.cond, kDocs);
  EXPECT_EQ(wf_condition_evaluate_lazy(c.cond, lazy.source(), nullptr, &st), 1);
  EXPECT_EQ(lazy.asked("years", WF_SOURCE_CANDIDATE), 1);
  EXPECT_EQ(lazy.asked("years", WF_SOURCE_APPLICATION), 1);
  EXPECT_EQ(lazy.asked("years", WF_SOURCE_JOB), 1);
}

// --- evaluate: every source ---------------------------------------------------
TEST(Sources, LeavesReadTheirSource) {
  EXPECT_TRUE(yes(R"({"field": "years", "op": "eq", "value": 5})"));
  EXPECT_TRUE(yes(R"({"field": "years", "source": "candidate", "op": "eq", "value": 5})"));
  EXPECT_TRUE(yes(R"({"field": "years", "source": "application", "op": "eq", "value": 1})"));
  EXPECT_TRUE(yes(R"({"field": "years", "source": "job", "op": "eq", "value": 3})"));
  EXPECT_TRUE(no(R"({"field": "years", "source": "job", "op": "eq", "value": 5})"));
  EXPECT_TRUE(yes(R"({"field": "referred", "source": "application", "op": "eq", "value": true})"));
  EXPECT_TRUE(yes(R"({"field": "city", "source": "job", "op": "eq", "value": "munich",
                      "ignore_case": true})"));
  // A fact of one source is missing in another.
  EXPECT_TRUE(no(R"({"field": "referred", "op": "exists"})"));
  EXPECT_TRUE(yes(R"({"field": "referred", "op": "not_exists"})"));
  EXPECT_TRUE(no(R"({"field": "budget", "source": "application", "op": "gte", "value": 0})"));
  EXPECT_TRUE(yes(R"({"field": "budget", "source": "job", "op": "exists"})"));
  // Groups mix sources freely.
  EXPECT_TRUE(yes(R"({"all": [{"field": "city", "op": "in", "value": ["Berlin"]},
                              {"not": {"field": "city", "source": "job", "op": "eq", "value": "Berlin"}},
                              {"any": [{"field": "score", "source": "application", "op": "gte", "value": 4},
                                       {"field": "nope", "op": "exists"}]}]})"));
}

TEST(Sources, OperandsReadTheirOwnSource) {
  // Salary expectation within the job's budget.
  EXPECT_TRUE(yes(R"({"field": "salary", "op": "lte", "value": {"field": "budget", "source": "job"}})"));
  EXPECT_TRUE(no(R"({"field": "salary", "op": "gt", "value": {"field": "budget", "source": "job"}})"));
  // Without a source the operand is the candidate's (which has no budget).
  EXPECT_TRUE(no(R"({"field": "salary", "op": "lte", "value": {"field": "budget"}})"));
  EXPECT_TRUE(no(R"({"field": "salary", "op": "lte", "value": {"field": "budget", "source": "candidate"}})"));
  // Leaf and operand from two other sources.
  EXPECT_TRUE(yes(R"({"field": "years", "source": "application", "op": "lt",
                      "value": {"field": "years", "source": "job"}})"));
  // in / not_in against an array of another source.
  EXPECT_TRUE(yes(R"({"field": "city", "op": "in", "value": {"field": "allowed", "source": "application"}})"));
  EXPECT_TRUE(no(R"({"field": "city", "source": "job", "op": "in",
                     "value": {"field": "allowed", "source": "application"}})"));
  EXPECT_TRUE(yes(R"({"field": "level", "op": "not_in", "value": {"field": "skills"}})"));
  EXPECT_TRUE(yes(R"({"field": "level", "op": "in", "value": {"field": "levels", "source": "job"}})"));
  // between bounds from the job, one written, one a fact.
  EXPECT_TRUE(yes(R"({"field": "salary", "op": "between",
                      "value": [{"field": "min_salary", "source": "job"}, {"field": "budget", "source": "job"}]})"));
  EXPECT_TRUE(no(R"({"field": "salary", "op": "between",
                     "value": [{"field": "min_salary", "source": "job"}, 65000]})"));
  // contains / starts_with with an operand from the job.
  EXPECT_TRUE(no(R"({"field": "skills", "op": "contains", "value": {"field": "city", "source": "job"}})"));
  EXPECT_TRUE(no(R"({"field": "city", "source": "job", "op": "starts_with",
                     "value": {"field": "missing_here"}})"));
  EXPECT_TRUE(yes(R"({"field": "city", "source": "job", "op": "starts_with",
                      "value": {"field": "city", "source": "job"}})"));
}

TEST(Sources, QuantifiedGroupsReadTheirArrayFromASource) {
  EXPECT_TRUE(yes(R"({"some": {"field": "interviews", "source": "application",
                               "where": {"field": "score", "op": "gte", "value": 5}}})"));
  EXPECT_TRUE(no(R"({"every": {"field": "interviews", "source": "application",
                               "where": {"field": "score", "op": "gte", "value": 4}}})"));
  EXPECT_TRUE(no(R"({"some": {"field": "interviews",
                              "where": {"field": "score", "op": "gte", "value": 0}}})"));  // the candidate has none
  // Inside "where", a root path ($) still reads the candidate.
  EXPECT_TRUE(yes(R"({"some": {"field": "interviews", "source": "application",
                               "where": {"field": "score", "op": "lte", "value": {"field": "$.years"}}}})"));
  Compiled c(R"({"none": {"field": "levels", "source": "job", "where": {"field": "$.level", "op": "exists"}}})");
  ASSERT_NE(c.cond, nullptr) << c.status.message;
  EXPECT_EQ(sources(c), (std::vector<int>{WF_SOURCE_JOB, WF_SOURCE_CANDIDATE}));
}

// --- refusals ----------------------------------------------------------------
TEST(Sources, RefusedWithThePathOfTheOffendingNode) {
  rejects(R"({"field": "years", "source": "employer", "op": "eq", "value": 1})", "$.source",
          "unknown source \"employer\"");
  rejects(R"({"field": "years", "source": "Job", "op": "eq", "value": 1})", "$.source",
          "unknown source");
  rejects(R"({"field": "years", "source": "", "op": "eq", "value": 1})", "$.source",
          "unknown source");
  rejects(R"({"field": "years", "source": 2, "op": "eq", "value": 1})", "$.source",
          "\"source\" must be a string, not a number");
  rejects(R"({"field": "years", "source": null, "op": "eq", "value": 1})", "$.source",
          "must be a string, not null");
  rejects(R"({"field": "years", "source": ["job"], "op": "eq", "value": 1})", "$.source",
          "must be a string, not an array");
  rejects(R"({"all": [{"field": "a", "op": "exists"},
                       {"not": {"field": "b", "source": "jobs", "op": "exists"}}]})",
          "$.all[1].not.source", "unknown source \"jobs\"");
  // Operands.
  rejects(R"({"field": "salary", "op": "lte", "value": {"field": "budget", "source": "employer"}})",
          "$.value.source", "unknown source");
  rejects(R"({"field": "salary", "op": "lte", "value": {"field": "budget", "source": true}})",
          "$.value.source", "must be a string, not a boolean");
  rejects(R"({"field": "salary", "op": "between", "value": [1, {"field": "budget", "source": 1}]})",
          "$.value[1].source", "must be a string");
  rejects(R"({"field": "city", "op": "in", "value": {"field": "allowed", "source": "app"}})",
          "$.value.source", "unknown source");
  // An operand is {"field", "source"} and nothing else; in a list, no fact at all.
  rejects(R"({"field": "salary", "op": "lte", "value": {"field": "budget", "source": "job", "x": 1}})",
          "$.value", "needs a number or a string, not an object");
  rejects(R"({"field": "city", "op": "in", "value": [{"field": "city", "source": "job"}]})",
          "$.value[0]", "not an object");
  rejects(R"({"field": "city", "op": "matches", "value": {"field": "city", "source": "job"}})",
          "$.value", "needs a string");
  // Quantified groups: the group's own field may have a source...
  rejects(R"({"some": {"field": "interviews", "source": "elsewhere", "where": {"field": "s", "op": "exists"}}})",
          "$.some.source", "unknown source");
  // ...nothing inside its "where", whose fields are the element's.
  rejects(R"({"some": {"field": "interviews", "source": "application",
                       "where": {"field": "score", "source": "job", "op": "exists"}}})",
          "$.some.where.source", "\"source\" cannot be used inside \"some\"");
  rejects(R"({"every": {"field": "interviews",
                        "where": {"all": [{"field": "s", "op": "exists"},
                                          {"field": "$.years", "source": "candidate", "op": "exists"}]}}})",
          "$.every.where.all[1].source", "cannot be used inside \"every\"");
  rejects(R"({"none": {"field": "interviews",
                       "where": {"field": "score", "op": "lte", "value": {"field": "budget", "source": "job"}}}})",
          "$.none.where.value.source", "cannot be used inside \"none\"");
  rejects(R"({"some": {"field": "a", "where": {"every": {"field": "b", "source": "job",
                                                         "where": {"field": "c", "op": "exists"}}}}})",
          "$.some.where.every.source", "cannot be used inside \"some\"");
  // A group has no source.
  rejects(R"({"all": [{"field": "a", "op": "exists"}], "source": "job"})", "$",
          "unexpected key \"source\" beside \"all\"");
}

// --- explain -----------------------------------------------------------------
TEST(Sources, ExplainSaysWhoseFactALeafRead) {
  const json doc = explain(R"({"all": [{"field": "years", "op": "gte", "value": 3},
                                       {"field": "referred", "source": "application", "op": "eq", "value": false},
                                       {"field": "city", "source": "job", "op": "eq", "value": "Munich"}]})");
  ASSERT_EQ(doc["leaves"].size(), 3u);
  const json& cand = doc["leaves"][0];
  const json& app = doc["leaves"][1];
  const json& job = doc["leaves"][2];
  EXPECT_FALSE(cand.contains("source"));
  EXPECT_EQ(app["source"], "application");
  EXPECT_EQ(app["actual"], true);
  EXPECT_EQ(app["passed"], false);
  EXPECT_EQ(job["source"], "job");
  EXPECT_EQ(job["actual"], "Munich");
  EXPECT_EQ(job["passed"], true);
  EXPECT_EQ(doc["result"], false);
  // "source" follows "field".
  const std::string text = explain_text(
      R"({"field": "city", "source": "job", "op": "eq", "value": "Munich"})");
  EXPECT_NE(text.find(R"("path":"$","field":"city","source":"job","op":"eq")"), std::string::npos)
      << text;
}

TEST(Sources, ExplainOfACandidateLeafIsAsBefore) {
  // Naming the candidate is the default: the same explanation, byte for byte,
  // as without a source, and no "source" key.
  for (const char* facts : {R"({"years": 2})", R"({})", R"({"years": "x"})"}) {
    const FactDocs docs(json::parse(facts), kApplication, kJob);
    const std::string plain = explain_text(R"({"field": "years", "op": "gte", "value": 3})", docs);
    EXPECT_EQ(explain_text(R"({"field": "years", "source": "candidate", "op": "gte", "value": 3})", docs),
              plain);
    EXPECT_EQ(plain.find("source"), std::string::npos) << plain;
  }
  EXPECT_EQ(explain_text(R"({"field": "years", "op": "gte", "value": 9})", kDocs),
            R"({"result":false,"leaves":[{"path":"$","field":"years","op":"gte","expected":9,)"
            R"("actual":5,"missing":false,"result":false,"negated":false,"passed":false,)"
            R"("reason":"5 gte 9 is false"}]})");
}

TEST(Sources, ExplainShowsOperandSourcesAndNamesThemInReasons) {
  json doc = explain(R"({"field": "salary", "op": "gt", "value": {"field": "budget", "source": "job"}})");
  json leaf = doc["leaves"][0];
  EXPECT_FALSE(leaf.contains("source"));  // the leaf reads the candidate
  EXPECT_EQ(leaf["expected"], json::parse(R"({"field": "budget", "source": "job"})"));
  EXPECT_EQ(leaf["expected_value"], 80000);
  EXPECT_EQ(leaf["actual"], 70000);

  // A missing fact says whose it was.
  doc = explain(R"({"field": "salary", "op": "lte", "value": {"field": "cap", "source": "job"}})");
  EXPECT_EQ(doc["leaves"][0]["reason"], "field \"cap\" of the job (the value) is missing");
  doc = explain(R"({"field": "notes", "source": "application", "op": "exists"})");
  EXPECT_EQ(doc["leaves"][0]["source"], "application");
  EXPECT_EQ(doc["leaves"][0]["missing"], true);
  EXPECT_EQ(doc["leaves"][0]["reason"], "field \"notes\" of the application is missing");
  doc = explain(R"({"field": "salary", "op": "lte", "value": {"field": "cap"}})");
  EXPECT_EQ(doc["leaves"][0]["reason"], "field \"cap\" (the value) is missing");
  // A mismatched operand says whose it was.
  doc = explain(R"({"field": "salary", "op": "lte", "value": {"field": "levels", "source": "job"}})");
  EXPECT_EQ(doc["leaves"][0]["reason"], "type mismatch: field \"levels\" of the job (the value) holds an array");

  // Only the failed leaves: sources shown there too.
  const json failed = json::parse(explain_text(
      R"({"all": [{"field": "years", "op": "gte", "value": 1},
                  {"field": "years", "source": "job", "op": "gte", "value": 4}]})", kDocs, 1));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]["source"], "job");
  EXPECT_EQ(failed[0]["actual"], 3);
}

TEST(Sources, ExplainOfAQuantifiedGroupWithASource) {
  json doc = explain(R"({"every": {"field": "interviews", "source": "application",
                                   "where": {"field": "score", "op": "gte", "value": 4}}})");
  const json& g = doc["leaves"][0];
  EXPECT_EQ(g["source"], "application");
  EXPECT_EQ(g["actual"], json::parse(R"({"elements": 2})"));
  EXPECT_EQ(g["reason"], "element 0 does not match");
  ASSERT_EQ(g["elements_explained"][0]["leaves"].size(), 1u);
  EXPECT_FALSE(g["elements_explained"][0]["leaves"][0].contains("source"));  // the element's
  doc = explain(R"({"some": {"field": "rounds", "source": "job", "where": {"field": "s", "op": "exists"}}})");
  EXPECT_EQ(doc["leaves"][0]["reason"], "field \"rounds\" of the job is missing");
}

// --- facts on demand ---------------------------------------------------------
TEST(Sources, LazyLookupAsksEachSourceOnlyWhenRead) {
  Compiled c(R"({"any": [{"field": "years", "op": "gte", "value": 3},
                          {"field": "years", "source": "job", "op": "gte", "value": 3},
                          {"field": "score", "source": "application", "op": "gt", "value": 4}]})");
  LazyFacts facts(c.cond, kDocs);
  wf_status st{};
  EXPECT_EQ(wf_condition_evaluate_lazy(c.cond, facts.source(), nullptr, &st), 1);
  EXPECT_EQ(facts.asked("years", WF_SOURCE_CANDIDATE), 1);
  EXPECT_EQ(facts.asked("years", WF_SOURCE_JOB), 0);
  EXPECT_EQ(facts.asked("score", WF_SOURCE_APPLICATION), 0);
  EXPECT_EQ(facts.asked("score", WF_SOURCE_CANDIDATE), -1);  // no such field
}

// --- leaves and alerts -------------------------------------------------------
TEST(Sources, LeavesListTheirSourceAndRecompileAsAlerts) {
  Compiled c(R"({"all": [{"field": "years", "op": "gte", "value": 3},
                          {"field": "years", "source": "candidate", "op": "lt", "value": 30},
                          {"field": "referred", "source": "application", "op": "exists"},
                          {"field": "salary", "op": "lte", "value": {"field": "budget", "source": "job"}},
                          {"some": {"field": "interviews", "source": "application",
                                    "where": {"field": "score", "op": "gte", "value": 5}}}]})");
  ASSERT_NE(c.cond, nullptr) << c.status.message;
  const json list = leaves(c.cond);
  ASSERT_EQ(list.size(), 5u);
  EXPECT_FALSE(list[0].contains("source"));
  EXPECT_FALSE(list[1].contains("source"));  // the candidate, named or not
  EXPECT_EQ(list[2]["source"], "application");
  EXPECT_FALSE(list[3].contains("source"));  // the operand's source is in its value
  EXPECT_EQ(list[3]["value"], json::parse(R"({"field": "budget", "source": "job"})"));
  EXPECT_EQ(list[4]["source"], "application");
  // Each leaf compiles back as an alert reading the same sources.
  for (const json& leaf : list) {
    const std::string value = leaf.contains("value") ? leaf["value"].dump() : std::string();
    const std::string source = leaf.value("source", "");
    wf_status st{};
    wf_condition* alert = wf_alert_compile_source(
        leaf["field"].get<std::string>().c_str(), leaf.contains("source") ? source.c_str() : nullptr,
        leaf["op"].get<std::string>().c_str(), leaf.contains("value") ? value.c_str() : nullptr,
        value.size(), leaf["ignore_case"].get<bool>() ? 1 : 0, &st);
    ASSERT_NE(alert, nullptr) << leaf.dump() << ": " << st.message << " at " << st.path;
    const json again = leaves(alert);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].value("source", ""), source);
    EXPECT_EQ(again[0].value("value", json()), leaf.value("value", json()));
    wf_condition_free(alert);
  }
}

TEST(Sources, AlertsReadTheCandidateUnlessGivenASource) {
  wf_status st{};
  // wf_alert_compile: the field is the candidate's; its value may name a source.
  wf_condition* a = wf_alert_compile("salary", "lte", R"({"field": "budget", "source": "job"})",
                                     37, 0, &st);
  ASSERT_NE(a, nullptr) << st.message;
  ASSERT_EQ(wf_condition_field_count(a), 2u);
  EXPECT_EQ(wf_condition_field_source(a, 0), WF_SOURCE_CANDIDATE);
  EXPECT_EQ(wf_condition_field_source(a, 1), WF_SOURCE_JOB);
  {
    ResolvedFacts facts(a, kDocs);
    EXPECT_EQ(wf_condition_evaluate(a, facts.data(), &st), 1) << st.message;
  }
  wf_condition_free(a);

  for (const auto& [name, source] : std::vector<std::pair<const char*, int>>{
           {nullptr, WF_SOURCE_CANDIDATE}, {"candidate", WF_SOURCE_CANDIDATE},
           {"application", WF_SOURCE_APPLICATION}, {"job", WF_SOURCE_JOB}}) {
    a = wf_alert_compile_source("years", name, ">=", "3", 1, 0, &st);
    ASSERT_NE(a, nullptr) << st.message;
    EXPECT_EQ(wf_condition_field_source(a, 0), source);
    ResolvedFacts facts(a, kDocs);
    // years: candidate 5, application 1, job 3.
    EXPECT_EQ(wf_condition_evaluate(a, facts.data(), &st), source == WF_SOURCE_APPLICATION ? 0 : 1);
    wf_condition_free(a);
  }

  a = wf_alert_compile_source("interviews", "job", "some", R"({"field": "score", "op": "exists"})",
                              35, 0, &st);
  ASSERT_NE(a, nullptr) << st.message;
  EXPECT_EQ(wf_condition_field_source(a, 0), WF_SOURCE_JOB);
  wf_condition_free(a);

  // Refused like a source written in a condition.
  EXPECT_EQ(wf_alert_compile_source("years", "employer", "eq", "1", 1, 0, &st), nullptr);
  EXPECT_EQ(st.code, WF_INVALID);
  EXPECT_STREQ(st.sqlstate, "22023");
  EXPECT_STREQ(st.path, "$.source");
  EXPECT_EQ(wf_alert_compile_source("years", "", "exists", nullptr, 0, 0, &st), nullptr);
  EXPECT_STREQ(st.path, "$.source");
  EXPECT_EQ(wf_alert_compile_source("interviews", "nope", "every",
                                    R"({"field": "s", "op": "exists"})", 31, 0, &st), nullptr);
  EXPECT_STREQ(st.path, "$.every.source");
  EXPECT_EQ(wf_alert_compile("salary", "lte", R"({"field": "budget", "source": "x"})", 34, 0, &st),
            nullptr);
  EXPECT_STREQ(st.path, "$.value.source");
}
