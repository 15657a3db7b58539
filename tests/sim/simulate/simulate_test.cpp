// The simulator end to end on bundled and test scenarios: symmetry, determinism, infeasibility.
#include "sim/simulate.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "scenarios/scenario_loader.hpp"

namespace trainsim::sim {
namespace {

const std::string kSmall = std::string(TRAINSIM_TEST_DATA_DIR) + "/scenarios/small-moe.yaml";
const std::string kV3 = std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/deepseek-v3.yaml";

constexpr double kSymmetryTolerance = 1e-3;  // the 0.1% on a balanced case

TEST(Simulate, SymmetryShortcutMatchesExplicitRanksOnABalancedCase) {
  // DeepSeek-V3's plan at a small batch (32 micro-batches per DP rank): every rank explicit vs
  // one data-parallel replica; balanced experts on the non-blocking multi-plane fabric.
  const auto s = scenarios::load_scenario(kV3);
  SimOptions all;
  SimOptions one;
  one.symmetric = true;
  const StepResult a = simulate_step(s, 0, 4096, all);
  const StepResult b = simulate_step(s, 0, 4096, one);
  EXPECT_EQ(a.ranks_simulated, 2048);
  EXPECT_EQ(b.ranks_simulated, 16);
  EXPECT_NEAR(b.step_time_s / a.step_time_s, 1.0, kSymmetryTolerance);
  EXPECT_NEAR(b.mfu / a.mfu, 1.0, kSymmetryTolerance);
}

std::string load_error(const std::vector<std::string>& sets) {
  try {
    (void)scenarios::load_scenario(kSmall, {sets});
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(Simulate, ExplicitLayersPerStageSetsTheSplit) {
  // Mixtral's 32 layers over PP2 as Llama 3 did it: one layer fewer on the last stage (15 / 17
  // the other way round to show the list is taken as given, in stage order).
  const auto s = scenarios::load_scenario(kSmall, {{"parallelism.layers_per_stage=[17, 15]"}});
  const StepResult r = simulate_step(s, 0, 0, {});
  ASSERT_EQ(r.stage_layers.size(), 2u);
  EXPECT_EQ(r.stage_layers[0].first_layer, 0);
  EXPECT_EQ(r.stage_layers[0].last_layer, 17);
  EXPECT_EQ(r.stage_layers[1].first_layer, 17);
  EXPECT_EQ(r.stage_layers[1].last_layer, 32);
  EXPECT_TRUE(r.stage_layers[1].head);
}

TEST(Simulate, LayersPerStageErrorsNameTheProblemAndTheLine) {
  const std::string sum = load_error({"parallelism.layers_per_stage=[16, 15]"});
  EXPECT_NE(sum.find("small-moe.yaml:"), std::string::npos) << sum;
  EXPECT_NE(sum.find("layers_per_stage sums to 31 layers but mixtral-8x7b has 32"),
            std::string::npos)
      << sum;
  const std::string count = load_error({"parallelism.layers_per_stage=[32]"});
  EXPECT_NE(count.find("layers_per_stage has 1 entries but schedule '1f1b' with pp = 2 and "
                       "virtual_stages = 1 has 2 model stages"),
            std::string::npos)
      << count;
  const std::string zero = load_error({"parallelism.layers_per_stage=[0, 32]"});
  EXPECT_NE(zero.find("layers_per_stage"), std::string::npos) << zero;
  const std::string scalar = load_error({"parallelism.layers_per_stage=16"});
  EXPECT_NE(scalar.find("layers_per_stage must be a list of layer counts"), std::string::npos)
      << scalar;
}

TEST(Simulate, DefaultSplitChargesTheHeadToTheLastStage) {
  // Balanced by simulated time: the last stage's head GEMM and loss (V = 32,000, d = 4,096: about
  // half a Mixtral layer of compute) are not free, so the last stage never holds more layers
  // than the first.
  const auto s = scenarios::load_scenario(kSmall);
  const StepResult r = simulate_step(s, 0, 0, {});
  ASSERT_EQ(r.stage_layers.size(), 2u);
  const auto count = [](const StageLayers& l) { return l.last_layer - l.first_layer; };
  EXPECT_GE(count(r.stage_layers[0]), count(r.stage_layers[1]));
  EXPECT_EQ(count(r.stage_layers[0]) + count(r.stage_layers[1]), 32);
}

TEST(Simulate, SameScenarioSameResult) {
  const auto s = scenarios::load_scenario(kSmall);
  const StepResult a = simulate_step(s, 0, 0, {});
  const StepResult b = simulate_step(s, 0, 0, {});
  EXPECT_EQ(a.step_time_s, b.step_time_s);
  EXPECT_EQ(a.events, b.events);
}

TEST(Simulate, ImbalanceSlowsTheStep) {
  // Skewed expert load: the slowest rank of each all-to-all sets its finish, so the step cannot
  // be faster than the balanced one.
  auto s = scenarios::load_scenario(kSmall);
  const StepResult balanced = simulate_step(s, 0, 0, {});
  s.moe_imbalance = 0.5;
  const StepResult skewed = simulate_step(s, 0, 0, {});
  EXPECT_GT(skewed.step_time_s, balanced.step_time_s);
}

TEST(Simulate, PlanThatDoesNotFitIsAResultWithItsReason) {
  auto s = scenarios::load_scenario(
      kSmall, {{"cluster.gpu={base: h100, hbm: {value: 1GiB, source: test}}"}});
  const StepResult r = simulate_step(s, 0, 0, {});
  EXPECT_FALSE(r.fits_in_memory);
  EXPECT_NE(r.infeasible_reason.find("per GPU"), std::string::npos) << r.infeasible_reason;
  EXPECT_GT(r.step_time_s, 0);
}

TEST(Simulate, ScheduleThatRejectsTheShapeIsAResult) {
  // DualPipe needs at least 2·PP = 4 micro-batches per DP rank: a batch of 24 over DP8 gives 3.
  auto s = scenarios::load_scenario(kSmall, {{"parallelism.schedule=dualpipe"}});
  const StepResult r = simulate_step(s, 0, 24, {});
  EXPECT_NE(r.infeasible_reason.find("dualpipe"), std::string::npos) << r.infeasible_reason;
}

}  // namespace
}  // namespace trainsim::sim
