// GoogleTest assertions shared by the core's test files (not by the fuzzer or
// the benchmark, which include facts_helper.hpp without GoogleTest).
#pragma once
#include <gtest/gtest.h>

#include <string>

#include "facts_helper.hpp"

// Expects compilation to fail with 22023 at the given JSON path.
inline void rejects(const std::string& text, const std::string& path, const std::string& fragment = "") {
  Compiled c(text);
  EXPECT_EQ(c.cond, nullptr) << text;
  EXPECT_EQ(c.status.code, WF_INVALID) << text;
  EXPECT_STREQ(c.status.sqlstate, "22023") << text;
  EXPECT_EQ(std::string(c.status.path), path) << text << ": " << c.status.message;
  if (!fragment.empty()) {
    EXPECT_NE(std::string(c.status.message).find(fragment), std::string::npos)
        << c.status.message;
  }
}
