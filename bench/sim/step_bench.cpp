// One simulated training step of the bundled scenarios, every rank explicit (the speed
// targets: DeepSeek-V3 on 2,048 H800s under 1 s; Llama 3.1 405B on 16,384 H100s under 3 s), and
// with the symmetry shortcut for comparison. Reports engine events per second as items.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <vector>

#include "scenarios/scenario_loader.hpp"
#include "sim/simulate.hpp"

namespace {

/// This machine is a shared VM whose speed varies by up to 2.5× between runs: every benchmark
/// repeats five times and reports the minimum (the machine's own cost) beside mean and median.
double minimum(const std::vector<double>& v) {
  return *std::min_element(v.begin(), v.end());
}
void repeat_and_take_min(benchmark::internal::Benchmark* b) {
  b->Repetitions(5)->ComputeStatistics("min", minimum)->Unit(benchmark::kMillisecond);
}

void run_step(benchmark::State& state, const std::string& file, std::size_t phase, bool symmetric,
              bool fold_tp = false) {
  const auto scenario =
      trainsim::scenarios::load_scenario(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/" + file);
  trainsim::sim::SimOptions options;
  options.symmetric = symmetric;
  options.fold_tensor_parallel = fold_tp;
  std::uint64_t events = 0;
  for (auto _ : state) {
    const auto step = trainsim::sim::simulate_step(scenario, phase, 0, options);
    events += step.events;
    benchmark::DoNotOptimize(step.step_time_s);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
}

void BM_StepDeepSeekV3(benchmark::State& state) {
  run_step(state, "deepseek-v3.yaml", 0, state.range(0) != 0);
}
BENCHMARK(BM_StepDeepSeekV3)->ArgName("symmetric")->Arg(0)->Arg(1)->Apply(repeat_and_take_min);

/// Phase 2 is the main 8K pre-training phase (TP8 PP16 DP128, interleaved 1F1B).
void BM_StepLlama405B(benchmark::State& state) {
  run_step(state, "llama-3.1-405b.yaml", 2, state.range(0) != 0);
}
BENCHMARK(BM_StepLlama405B)->ArgName("symmetric")->Arg(0)->Arg(1)->Apply(repeat_and_take_min);

/// The same Llama step with each TP group simulated once (--fold-tp), every DP replica explicit.
void BM_StepLlama405BFoldTp(benchmark::State& state) {
  run_step(state, "llama-3.1-405b.yaml", 2, false, true);
}
BENCHMARK(BM_StepLlama405BFoldTp)->Apply(repeat_and_take_min);

}  // namespace

BENCHMARK_MAIN();
