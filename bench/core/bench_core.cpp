// Google Benchmark: the core's raw evaluation rate on one core, for the
// 5-leaf condition of bench/conditions.json ("core_5") and its facts.
// Resolution of facts is done once (as the shim does per row); the loop
// measures wf_condition_evaluate alone, then with resolution included.
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "facts_helper.hpp"
#include "workflow_core.h"

namespace {

nlohmann::json load(const char* key) {
  std::ifstream in(BENCH_CONDITIONS);
  std::stringstream s;
  s << in.rdbuf();
  return nlohmann::json::parse(s.str())[key];
}

void BM_Evaluate5Leaves(benchmark::State& state) {
  auto spec = load("core_5");
  std::string text = spec["condition"].dump();
  wf_status st;
  wf_condition* cond = wf_condition_compile(text.data(), text.size(), &st);
  ResolvedFacts facts(cond, spec["facts"]);
  int matched = 0;
  for (auto _ : state) {
    matched += wf_condition_evaluate(cond, facts.data(), &st);
    benchmark::DoNotOptimize(matched);
  }
  state.SetItemsProcessed(state.iterations());
  if (matched != static_cast<int>(state.iterations())) state.SkipWithError("condition did not match");
  wf_condition_free(cond);
}
BENCHMARK(BM_Evaluate5Leaves);

void BM_ResolveAndEvaluate5Leaves(benchmark::State& state) {
  auto spec = load("core_5");
  std::string text = spec["condition"].dump();
  wf_status st;
  wf_condition* cond = wf_condition_compile(text.data(), text.size(), &st);
  int matched = 0;
  for (auto _ : state) {
    ResolvedFacts facts(cond, spec["facts"]);
    matched += wf_condition_evaluate(cond, facts.data(), &st);
    benchmark::DoNotOptimize(matched);
  }
  state.SetItemsProcessed(state.iterations());
  wf_condition_free(cond);
}
BENCHMARK(BM_ResolveAndEvaluate5Leaves);

void BM_Compile5Leaves(benchmark::State& state) {
  std::string text = load("core_5")["condition"].dump();
  wf_status st;
  for (auto _ : state) wf_condition_free(wf_condition_compile(text.data(), text.size(), &st));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Compile5Leaves);

}  // namespace

BENCHMARK_MAIN();
