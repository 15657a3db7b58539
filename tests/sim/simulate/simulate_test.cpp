// The simulator end to end on bundled and test scenarios: symmetry, determinism, infeasibility.
#include "sim/simulate.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "core/error.hpp"
#include "hardware/slowest_gpu.hpp"
#include "scenarios/scenario_loader.hpp"

namespace trainsim::sim {
namespace {

const std::string kSmall = std::string(TRAINSIM_TEST_DATA_DIR) + "/scenarios/small-moe.yaml";
const std::string kV3 = std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/deepseek-v3.yaml";

constexpr double kSymmetryTolerance = 1e-3;  // the issue's 0.1% on a balanced case

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

TEST(Simulate, TheSlowestOfTheJobsGpusPacesItsComputeBoundWork) {
  // 256 H100s with a 1.7% spread (hardware/catalog/gpus.yaml perf_variation): every GEMM runs at
  // the slowest GPU's pace, 1 + 0.017 · E[max of 256 standard normals] times one mean GPU's
  // time; memory-bound kinds (norms, element-wise) keep their time; identical GPUs
  // (perf_variation 0) give factor 1.
  const std::string path = std::string(TRAINSIM_TEST_DATA_DIR) + "/scenarios/small-dense-tp.yaml";
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string gpu = "gpu: h100";
  ASSERT_NE(text.find(gpu), std::string::npos);
  const auto spread = scenarios::load_scenario_text(text, path);
  text.replace(text.find(gpu), gpu.size(), "gpu: {base: h100, perf_variation: 0}");
  const auto identical = scenarios::load_scenario_text(text, path);
  SimOptions opt;
  opt.symmetric = true;
  const StepResult a = simulate_step(spread, 0, 0, opt);
  const StepResult b = simulate_step(identical, 0, 0, opt);
  const double expected = 1.0 + 0.017 * hardware::expected_max_standard_normal(256);
  EXPECT_NEAR(a.slowest_gpu_factor, expected, 1e-12);
  EXPECT_DOUBLE_EQ(b.slowest_gpu_factor, 1.0);
  EXPECT_NEAR(a.compute_by_kind_s.at("gemm") / b.compute_by_kind_s.at("gemm"), expected, 1e-6);
  EXPECT_DOUBLE_EQ(a.compute_by_kind_s.at("norm"), b.compute_by_kind_s.at("norm"));
  EXPECT_GT(a.step_time_s, b.step_time_s);
}

TEST(Simulate, LlamaFsdpGathersWeightsOncePerStepNotPerPass) {
  // Llama 3 §3.3.2: FSDP does not reshard the weights after the forward, so a step all-gathers
  // each rank's weights once (the bundled scenario: zero 2, overlapped). As ZeRO-3 every one of
  // the 16 micro-batches' 2 passes per chunk gathers its chunk again: 32× the gather bytes, on
  // the same NICs as the pipeline sends, which at least doubles the 8K step here (measured 2.1×).
  // The bundled plan's 8K step stays in the band of Meta's reported 38–43% BF16 MFU (±5 points:
  // a regression guard, not a fit).
  const auto llama =
      scenarios::load_scenario(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/llama-3.1-405b.yaml");
  const auto zero3 =
      scenarios::load_scenario(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/llama-3.1-405b.yaml",
                               {{"parallelism.zero=3"}});
  SimOptions one;
  one.symmetric = true;
  const StepResult fsdp = simulate_step(llama, 2, 0, one);
  const StepResult per_pass = simulate_step(zero3, 2, 0, one);
  EXPECT_GT(per_pass.step_time_s, 1.5 * fsdp.step_time_s);
  EXPECT_GT(fsdp.mfu, 0.33);
  EXPECT_LT(fsdp.mfu, 0.48);
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

TEST(Simulate, CapacityFactorDropsTheOverflowingTokens) {
  // Mixtral on EP8: one expert per rank. With capacity factor 1.0 every rank's expert load is
  // min(load, 1) of the balanced load, so no rank does more expert work than balanced routing
  // and the dropped tokens lower the executed FLOPs; the step is no slower than the balanced one.
  auto s = scenarios::load_scenario(kSmall);
  const StepResult balanced = simulate_step(s, 0, 0, {});
  s.moe_imbalance = 0.5;
  const StepResult skewed = simulate_step(s, 0, 0, {});
  s.moe_capacity_factor = 1.0;
  const StepResult dropped = simulate_step(s, 0, 0, {});
  constexpr double kTol = 1e-9;
  EXPECT_LT(dropped.hardware_flops, balanced.hardware_flops);
  EXPECT_LE(dropped.step_time_s, balanced.step_time_s * (1 + kTol));
  EXPECT_LT(dropped.step_time_s, skewed.step_time_s);
}

TEST(Simulate, PerPhaseActivationDtypeChangesThatPhasesMemory) {
  // Two identical phases; the second caches activations in FP8 (1 B) instead of the scenario's
  // BF16 (2 B). Its weights and optimizer states are unchanged; its cached activations shrink,
  // but by less than half (layer inputs stay in BF16, FP32 router probabilities and softmax
  // statistics keep their size): 0.5·A_bf16 < A_fp8 < A_bf16.
  const std::string text = R"(name: t
model: mixtral-8x7b
cluster: {gpu: h100, gpus: 16, gpus_per_node: 8, fabric: fat-tree-ib-400g}
parallelism: {pp: 2, dp: 8, ep: 8, micro_batch: 1, recompute: none}
precision: bf16
phases:
  - {name: a, steps: 1, seq_len: 4K, batch: 64}
  - {name: b, steps: 1, seq_len: 4K, batch: 64, precision: {activations: fp8}}
price: 2
)";
  const auto s = scenarios::load_scenario_text(text, "t.yaml", {});
  ASSERT_TRUE(s.phases[1].precision.has_value());
  EXPECT_EQ(s.phases[1].precision->activations, hardware::Dtype::FP8);
  EXPECT_EQ(s.phases[1].precision->gemm, s.precision.gemm);  // the rest is the scenario's
  const StepResult a = simulate_step(s, 0, 0, {});
  const StepResult b = simulate_step(s, 1, 0, {});
  EXPECT_LT(b.memory.activations, a.memory.activations);
  EXPECT_GT(b.memory.activations, 0.5 * a.memory.activations);
  EXPECT_DOUBLE_EQ(b.memory.weights, a.memory.weights);
  EXPECT_DOUBLE_EQ(b.memory.optimizer, a.memory.optimizer);
}

TEST(Simulate, ExpertTensorParallelRunsEndToEnd) {
  // Mixtral on 16 H100s, PP2 TP8 (DP1): EP1 with experts TP-sharded 8 ways (Megatron-Core
  // TP8 + EP1) holds 1/8 of the expert weights per rank and adds the expert-TP all-gather and
  // reduce-scatter, so its step is no cheaper in communication; expert FLOPs per rank are equal.
  auto base =
      scenarios::load_scenario(kSmall, {{"parallelism.tp=8", "parallelism.dp=1", "parallelism.ep=1",
                                         "parallelism.sequence_parallel=true"}});
  const StepResult plain = simulate_step(base, 0, 64, {});
  auto etp = scenarios::load_scenario(
      kSmall, {{"parallelism.tp=8", "parallelism.dp=1", "parallelism.ep=1",
                "parallelism.sequence_parallel=true", "parallelism.expert_tp=8"}});
  const StepResult sharded = simulate_step(etp, 0, 64, {});
  ASSERT_TRUE(sharded.infeasible_reason.empty()) << sharded.infeasible_reason;
  EXPECT_GT(sharded.step_time_s, 0);
  EXPECT_LT(sharded.memory.weights, plain.memory.weights);
  constexpr double kRel = 1e-9;
  EXPECT_NEAR(sharded.hardware_flops / plain.hardware_flops, 1.0, kRel);
  // EP2 × expert_tp 8 over the 16 GPUs of PP1: each EP group pairs rank t with rank t + 8
  // (another node), so the all-to-all crosses the network.
  auto cross = scenarios::load_scenario(
      kSmall, {{"parallelism.tp=8", "parallelism.dp=2", "parallelism.pp=1", "parallelism.ep=2",
                "parallelism.sequence_parallel=true", "parallelism.expert_tp=8"}});
  const StepResult r = simulate_step(cross, 0, 64, {});
  ASSERT_TRUE(r.infeasible_reason.empty()) << r.infeasible_reason;
  EXPECT_GT(r.step_time_s, 0);
}

TEST(Simulate, UlyssesContextParallelRunsEndToEnd) {
  // Mixtral (32 heads, 8 KV heads) on 16 H100s, PP2 DP4 CP2 EP8: Ulysses replaces the ring's K/V
  // exchange by two all-to-alls per layer and pass; attention FLOPs are unchanged, and the ring's
  // output merge and gradient accumulation add ~3 FLOP per output element per step (< 1e-4).
  const std::vector<std::string> cp = {"parallelism.dp=4", "parallelism.cp=2"};
  const StepResult ring = simulate_step(scenarios::load_scenario(kSmall, {cp}), 0, 64, {});
  auto with = cp;
  with.push_back("parallelism.cp_kind=ulysses");
  const auto s = scenarios::load_scenario(kSmall, {with});
  EXPECT_EQ(s.plan.cp_kind, models::CpKind::Ulysses);
  const StepResult uly = simulate_step(s, 0, 64, {});
  ASSERT_TRUE(uly.infeasible_reason.empty()) << uly.infeasible_reason;
  EXPECT_GT(uly.step_time_s, 0);
  EXPECT_LT(uly.hardware_flops, ring.hardware_flops);
  EXPECT_NEAR(uly.hardware_flops / ring.hardware_flops, 1.0, 1e-4);
  EXPECT_NE(uly.step_time_s, ring.step_time_s);
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
