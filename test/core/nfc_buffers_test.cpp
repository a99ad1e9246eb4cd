// The NFC copies a leaf compares (evaluator.cpp): made only for non-ASCII
// text, and one grown past 1 MB released by the next evaluation, as before
// the buffers were reached only on that path (an idle session once held
// 1.9 GB after a 200 MB text).
#include <gtest/gtest.h>

#include <string>

#include "evaluator.hpp"
#include "facts_helper.hpp"
#include "workflow_core.h"

using nlohmann::json;

namespace {

int eval(const Compiled& c, const json& doc) {
  EXPECT_NE(c.cond, nullptr) << c.status.message;
  ResolvedFacts facts(c.cond, doc);
  wf_status st{};
  const int r = wf_condition_evaluate(c.cond, facts.data(), &st);
  EXPECT_GE(r, 0) << st.message;
  return r;
}

// n times "e" + U+0301 COMBINING ACUTE ACCENT: NFC makes each one U+00E9.
std::string decomposed(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += "e\xcc\x81";
  return s;
}

std::string composed(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += "\xc3\xa9";
  return s;
}

TEST(NfcBuffers, ALargeLeafCopyIsReleasedByTheNextEvaluation) {
  const size_t n = 700 * 1024;  // 2.1 MB decomposed, 1.4 MB composed
  Compiled eq(json{{"field", "t"}, {"op", "eq"}, {"value", composed(n)}}.dump());
  EXPECT_EQ(eval(eq, json{{"t", decomposed(n)}}), 1);  // equal once normalized
  EXPECT_GT(wf::nfc_buffer_bytes(), size_t{1} << 20);
  Compiled small(json{{"field", "t"}, {"op", "eq"}, {"value", "x"}}.dump());
  EXPECT_EQ(eval(small, json{{"t", "x"}}), 1);  // ASCII: no copy, but the release
  EXPECT_LE(wf::nfc_buffer_bytes(), size_t{1} << 20);
}

TEST(NfcBuffers, ALargeElementCopyIsReleasedByTheNextEvaluation) {
  const size_t n = 700 * 1024;
  Compiled has(json{{"field", "tags"}, {"op", "contains"}, {"value", composed(n)}}.dump());
  EXPECT_EQ(eval(has, json{{"tags", json::array({"a", decomposed(n)})}}), 1);
  EXPECT_GT(wf::nfc_buffer_bytes(), size_t{1} << 20);
  Compiled small(json{{"field", "n"}, {"op", "gte"}, {"value", 5}}.dump());
  EXPECT_EQ(eval(small, json{{"n", 7}}), 1);
  EXPECT_LE(wf::nfc_buffer_bytes(), size_t{1} << 20);
}

TEST(NfcBuffers, ASmallCopyIsKeptAndAsciiMakesNone) {
  Compiled eq(json{{"field", "t"}, {"op", "eq"}, {"value", "caf\xc3\xa9"}}.dump());
  Compiled small(json{{"field", "t"}, {"op", "eq"}, {"value", "x"}}.dump());
  EXPECT_EQ(eval(small, json{{"t", "x"}}), 1);
  const size_t before = wf::nfc_buffer_bytes();
  EXPECT_EQ(eval(small, json{{"t", "y"}}), 0);
  EXPECT_EQ(wf::nfc_buffer_bytes(), before);  // ASCII facts: the buffers untouched
  EXPECT_EQ(eval(eq, json{{"t", "cafe\xcc\x81"}}), 1);
  EXPECT_EQ(eval(eq, json{{"t", "caf\xc3\xa9"}}), 1);  // already NFC: compared as it is
  EXPECT_EQ(eval(eq, json{{"t", "cafe"}}), 0);
}

}  // namespace
