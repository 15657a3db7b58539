// Expert tensor parallelism with its own group (Megatron-Core expert_tensor_parallel_size other
// than 1 or tp): the expert-TP collectives run over expert_tp consecutive ranks, and expert
// gradients are reduced over the ranks holding the same expert shard.
#include <gtest/gtest.h>

#include "hardware/catalog.hpp"
#include "sim/step/step_executor.hpp"
#include "tests/support/step_fixtures.hpp"

namespace trainsim::sim {
namespace {

StepResult run(const models::ParallelPlan& plan, const std::vector<StageWork>& st, DpSync dp,
               double alpha) {
  const auto topo =
      hardware::Topology::build(test::h800_cluster(plan.dp * plan.tp * plan.cp * plan.pp));
  const auto schedule = schedules::make_schedule("1f1b");
  schedules::ScheduleShape shape{plan.pp, 1, 1};
  StepSetup setup{
      &topo, RankLayout(plan, 8), schedule.get(), shape, st, {}, {}, dp, 0, alpha, {}, false,
      true};  // fold_tensor_parallel requested: must not apply here
  StepResult r;
  execute_step(setup, r);
  return r;
}

TEST(ExpertTensorParallel, ItsAllGatherRunsOverExpertTpRanksNotTheTpGroup) {
  // TP8 in one H800 node with expert_tp = 2 (ep 4): the expert-TP all-gather of S bytes (the
  // gathered tensor) is a ring over 2 consecutive ranks, (p−1)/p·S per hop at B = 160 GB/s with
  // (p − 1) latencies α: t = S/2 / B + α. Over the TP group it would take 7/8·S / B + 7α.
  const double bytes = 256e6, alpha = 3.33e-6, bw = 160e9;
  models::ParallelPlan plan;
  plan.tp = 8;
  plan.ep = 4;
  plan.expert_tp = 2;
  std::vector<StageWork> st(1);
  Segment ag;
  ag.kind = SegmentKind::EtpCollective;
  ag.bytes = bytes;
  st[0].forward = {ag};
  const StepResult r = run(plan, st, {}, alpha);
  EXPECT_NEAR(r.step_time_s, 0.5 * bytes / bw + alpha, 1e-8);
  EXPECT_EQ(r.ranks_simulated, 8);  // not folded: the expert-TP group is not the TP group
  // expert_tp = tp: the same segment runs over the TP group, 7/8·S / B + 7α.
  plan.ep = 1;
  plan.expert_tp = 8;
  const StepResult same = run(plan, st, {}, alpha);
  EXPECT_NEAR(same.step_time_s, 7.0 / 8.0 * bytes / bw + 7 * alpha, 1e-8);
}

TEST(ExpertTensorParallel, ExpertGradientsReduceOverEveryRankHoldingTheShard) {
  // TP2 DP2 in one node, ep 1: with expert_tp = 1 every one of the 4 ranks holds all experts
  // whole, so the expert-DP group has dp·cp·tp/(ep·expert_tp) = 4 ranks and the reduce-scatter
  // of G expert-gradient bytes moves 3/4·G per hop: t = 3/4·G / B. With expert_tp = 2 each
  // expert is split over the TP pair: groups of 2, t = 1/2·G / B.
  const double grads = 1e9, bw = 160e9;
  models::ParallelPlan plan;
  plan.tp = 2;
  plan.dp = 2;
  std::vector<StageWork> st(1);
  DpSync dp;
  dp.expert_grad_bytes = grads;
  dp.all_gather_params = false;
  const StepResult whole = run(plan, st, dp, 0);
  EXPECT_NEAR(whole.step_time_s, 0.75 * grads / bw, 1e-8);
  plan.expert_tp = 2;
  const StepResult split = run(plan, st, dp, 0);
  EXPECT_NEAR(split.step_time_s, 0.5 * grads / bw, 1e-8);
}

}  // namespace
}  // namespace trainsim::sim
