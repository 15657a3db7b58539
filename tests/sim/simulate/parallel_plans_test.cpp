// Plans measured runs use, end to end through simulate_step and simulate_run: gradient
// accumulation over several pipeline passes (parallelism.grad_accum_passes) and expert tensor
// parallelism with its own group (parallelism.expert_tp other than 1 or tp).
#include <gtest/gtest.h>

#include "scenarios/scenario_loader.hpp"
#include "sim/simulate.hpp"

namespace trainsim::sim {
namespace {

const std::string kDense = std::string(TRAINSIM_TEST_DATA_DIR) + "/scenarios/small-dense-tp.yaml";
const std::string kMoe = std::string(TRAINSIM_TEST_DATA_DIR) + "/scenarios/small-moe.yaml";

/// Time of the critical rank outside its pipeline passes: the data-parallel sync it waits on
/// and the optimizer.
double sync_s(const StepResult& r) {
  return r.critical_phases.dp_sync_s + r.critical_phases.optimizer_s;
}

TEST(GradAccumPassesEndToEnd, FourPassesCostFourPassesAndOneSync) {
  // Llama 3.1 70B, TP8 PP4 DP8 interleaved 1F1B (v = 2), batch 256: 32 micro-batches per DP
  // rank in 4 passes of 8. A pass is the same pipeline as a one-pass step of batch 64 (8
  // micro-batches); the ZeRO-1 sync (not overlapped) runs once. So
  //   T(GA 4, 256) ≈ 4·(T(GA 1, 64) − sync) + sync,
  // up to the P2P and TP flows of neighbouring passes sharing links (tolerance 1%), against
  // T(GA 1, 256), which has one warm-up and drain instead of four.
  SimOptions opt;
  opt.symmetric = true;
  opt.fold_tensor_parallel = true;
  const auto one = scenarios::load_scenario(kDense, {{}});
  const auto ga4 = scenarios::load_scenario(kDense, {{"parallelism.grad_accum_passes=4"}});
  const StepResult pass = simulate_step(one, 0, 64, opt);
  const StepResult whole = simulate_step(one, 0, 256, opt);
  const StepResult four = simulate_step(ga4, 0, 256, opt);
  ASSERT_TRUE(four.infeasible_reason.empty()) << four.infeasible_reason;
  EXPECT_EQ(four.micro_batches, 32);
  EXPECT_EQ(four.pipeline_passes, 4);
  const double expected = 4 * (pass.step_time_s - sync_s(pass)) + sync_s(pass);
  EXPECT_NEAR(four.step_time_s / expected, 1.0, 0.01);
  EXPECT_NEAR(sync_s(four) / sync_s(pass), 1.0, 0.01);
  EXPECT_GT(four.step_time_s, whole.step_time_s);  // three more fills and drains
  // Four warm-ups and drains: the critical rank's bubble is four passes' (2%), more than the
  // one-pass step's.
  EXPECT_NEAR(four.critical_phases.bubble_s / (4 * pass.critical_phases.bubble_s), 1.0, 0.02);
  EXPECT_GT(four.critical_phases.bubble_s, whole.critical_phases.bubble_s);
  // The memory model holds one pass's activations: those of the 64-sequence step (interleaved
  // 1F1B's in-flight count is set by its warm-up, so here also those of the one-pass step).
  EXPECT_DOUBLE_EQ(four.memory.activations, pass.memory.activations);
  // Model FLOPs count the whole batch.
  EXPECT_DOUBLE_EQ(four.model_flops, whole.model_flops);
}

TEST(GradAccumPassesEndToEnd, ReplayRoundsRampsToWholePassesAndCountsEveryStep) {
  // Mixtral, PP2 1F1B DP8, ramp 64 → 128 sequences over 100M tokens, 2 passes per step: every
  // batch the replay simulates or interpolates is a multiple of dp × micro_batch × passes = 16
  // (and at least 2 passes × 1F1B's minimum of 1 micro-batch), and the phase's steps consume
  // its tokens: Σ steps × batch × seq_len = tokens, up to the last step counted whole (less than
  // one step of the largest batch, 128 × 4,096 tokens).
  const auto s = scenarios::load_scenario(kMoe, {{"parallelism.grad_accum_passes=2"}});
  SimOptions opt;
  opt.symmetric = true;
  opt.max_points_per_phase = 3;
  const RunResult run = simulate_run(s, opt);
  ASSERT_FALSE(run.phases.empty());
  const auto& main = run.phases[0];
  EXPECT_TRUE(main.representative.infeasible_reason.empty())
      << main.representative.infeasible_reason;
  double tokens = 0;
  for (const auto& bp : main.batches) {
    EXPECT_EQ(bp.batch % 16, 0) << bp.batch;
    tokens += bp.steps * static_cast<double>(bp.batch) * 4096;
  }
  EXPECT_GE(tokens, s.phases[0].tokens);
  EXPECT_LT(tokens, s.phases[0].tokens + 128.0 * 4096);
  EXPECT_TRUE(main.feasible) << main.infeasible_reason;
  EXPECT_EQ(main.representative.pipeline_passes, 2);
}

TEST(ExpertTensorParallelEndToEnd, ExpertTpOtherThanTpRunsOnItsOwnGroup) {
  // Mixtral on 16 H100s, PP2, TP8 in each 8-GPU stage, EP1. Per rank, the expert FLOPs do not
  // depend on expert_tp (E/ep experts × m_e·expert_tp tokens × f_e/expert_tp columns), so the
  // FLOPs executed are equal for expert_tp 1, 4 and 8; the expert weights per rank shrink
  // expert_tp-fold (expert_tp 4 holds twice expert_tp 8's). Expert TP 4 gathers over 4 ranks:
  // half the bytes of expert TP 8's all-gather (4·T_e·k·d against 8·T_e·k·d), so its exposed
  // communication is below expert TP 8's.
  const std::vector<std::string> tp8 = {"parallelism.tp=8", "parallelism.dp=1", "parallelism.ep=1",
                                        "parallelism.sequence_parallel=true"};
  auto with = [&](const std::string& etp) {
    auto sets = tp8;
    sets.push_back("parallelism.expert_tp=" + etp);
    return simulate_step(scenarios::load_scenario(kMoe, {sets}), 0, 64, {});
  };
  const StepResult e1 = with("1"), e4 = with("4"), e8 = with("8");
  ASSERT_TRUE(e4.infeasible_reason.empty() || !e4.fits_in_memory) << e4.infeasible_reason;
  constexpr double kRel = 1e-9;
  EXPECT_NEAR(e4.hardware_flops / e1.hardware_flops, 1.0, kRel);
  EXPECT_NEAR(e4.hardware_flops / e8.hardware_flops, 1.0, kRel);
  EXPECT_LT(e8.memory.weights, e4.memory.weights);
  EXPECT_LT(e4.memory.weights, e1.memory.weights);
  EXPECT_LT(e4.exposed_comm_s.max, e8.exposed_comm_s.max);
  // TP4 DP2 with expert_tp 2 and EP4 (a stage of 8: EP groups {0,2,4,6} and {1,3,5,7}, expert-TP
  // pairs {0,1}, {2,3}, ...): the same FLOPs as TP4 DP2 EP4 with whole experts.
  const std::vector<std::string> tp4 = {"parallelism.tp=4", "parallelism.dp=2", "parallelism.ep=4",
                                        "parallelism.sequence_parallel=true"};
  auto tp4_etp2 = tp4;
  tp4_etp2.push_back("parallelism.expert_tp=2");
  const StepResult whole = simulate_step(scenarios::load_scenario(kMoe, {tp4}), 0, 64, {});
  const StepResult r = simulate_step(scenarios::load_scenario(kMoe, {tp4_etp2}), 0, 64, {});
  ASSERT_TRUE(r.infeasible_reason.empty()) << r.infeasible_reason;
  EXPECT_NEAR(r.hardware_flops / whole.hardware_flops, 1.0, kRel);
  EXPECT_LT(r.memory.weights, whole.memory.weights);
}

}  // namespace
}  // namespace trainsim::sim
