#include "sim/step/step_executor.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "hardware/catalog.hpp"
#include "tests/support/step_fixtures.hpp"

namespace trainsim::sim {
namespace {

constexpr double kTimeTol = 1e-6;  // seconds: events are rounded up to whole nanoseconds

/// Stages whose forward takes f, backward-for-input b and backward-for-weight w seconds.
std::vector<StageWork> stages(int n, double f, double b, double w) {
  std::vector<StageWork> out(static_cast<std::size_t>(n));
  for (int s = 0; s < n; ++s) {
    out[static_cast<std::size_t>(s)].stage = s;
    out[static_cast<std::size_t>(s)].forward = {test::compute_segment(f)};
    out[static_cast<std::size_t>(s)].backward_input = {test::compute_segment(b)};
    out[static_cast<std::size_t>(s)].backward_weight = {test::compute_segment(w)};
    out[static_cast<std::size_t>(s)].backward_full = {test::compute_segment(b + w)};
  }
  return out;
}

StepResult run(const std::string& schedule_name, int pp, int dp, int m, double f, double b,
               double w) {
  const auto topo = hardware::Topology::build(test::h800_cluster(pp * dp));
  models::ParallelPlan plan;
  plan.pp = pp;
  plan.dp = dp;
  const auto schedule = schedules::make_schedule(schedule_name);
  schedules::ScheduleShape shape{pp, m, 1};
  StepSetup setup{&topo,
                  RankLayout(plan, 8),
                  schedule.get(),
                  shape,
                  stages(schedule->stage_count(shape), f, b, w),
                  {},
                  {},
                  {},
                  0,
                  0,
                  {}};
  StepResult r;
  execute_step(setup, r);
  return r;
}

TEST(StepExecutor, OneFOneBStepTimeMatchesThePipelineFormula) {
  // No communication: step = (m + PP − 1)·(F + B + W), bubble per rank = (PP − 1)·(F + B + W).
  const double f = 1e-3, b = 1e-3, w = 1e-3;
  const StepResult r = run("1f1b", 4, 2, 8, f, b, w);
  EXPECT_NEAR(r.step_time_s, (8 + 4 - 1) * (f + b + w), kTimeTol);
  EXPECT_NEAR(r.bubble_s.max, (4 - 1) * (f + b + w), kTimeTol);
  EXPECT_NEAR(r.compute_s.min, 8 * (f + b + w), kTimeTol);
  EXPECT_EQ(r.ranks_simulated, 8);
}

TEST(StepExecutor, PhasesOfAOneFOneBRankSumToTheStep) {
  // PP4, m = 8, f = b = w = 1 ms, no communication. Every rank runs 8 unpaired forwards (8 ms)
  // and 8 full backwards of 2 ms, split B:W by the stage's compute 1:1 (8 ms each); the rest is
  // bubble, (PP − 1)(f + b + w) = 9 ms; the step is (m + PP − 1)(f + b + w) = 33 ms.
  const double f = 1e-3, b = 1e-3, w = 1e-3;
  const StepResult r = run("1f1b", 4, 1, 8, f, b, w);
  for (const RankTime& rt : r.ranks) {
    EXPECT_NEAR(rt.phases.forward_s, 8 * f, kTimeTol) << rt.rank;
    EXPECT_NEAR(rt.phases.backward_input_s, 8 * b, kTimeTol) << rt.rank;
    EXPECT_NEAR(rt.phases.backward_weight_s, 8 * w, kTimeTol) << rt.rank;
    EXPECT_NEAR(rt.phases.bubble_s, 3 * (f + b + w), kTimeTol) << rt.rank;
    EXPECT_EQ(rt.phases.overlapped_fb_s, 0.0);
    EXPECT_NEAR(rt.phases.total(), r.step_time_s, kTimeTol) << rt.rank;
  }
  EXPECT_NEAR(r.critical_phases.total(), r.step_time_s, kTimeTol);
  ASSERT_EQ(r.stage_layers.size(), 4u);
}

TEST(StepExecutor, DualPipeSpendsItsSteadyStateInOverlappedPairs) {
  // DualPipe pairs a forward and a backward chunk in its steady state: the overlapped time is
  // positive, and every rank's phases still sum to the step.
  const StepResult r = run("dualpipe", 4, 1, 16, 1e-3, 1e-3, 1e-3);
  EXPECT_GT(r.critical_phases.overlapped_fb_s, 0.0);
  for (const RankTime& rt : r.ranks)
    EXPECT_NEAR(rt.phases.total(), r.step_time_s, kTimeTol) << rt.rank;
}

TEST(StepExecutor, ZeroBubbleH1ShrinksTheBubbleByTwoW) {
  // ZB1P bubble (PP − 1)(F + B − 2W) where B is the FULL backward b + w (DualPipe README table):
  // with f = b = w = 1 ms, (4 − 1)(1 + 2 − 2) = 3 ms, against 1F1B's (4 − 1)(1 + 2) = 9 ms.
  const double f = 1e-3, b = 1e-3, w = 1e-3;
  const StepResult r = run("zb1p", 4, 1, 8, f, b, w);
  EXPECT_NEAR(r.bubble_s.max, (4 - 1) * (f + (b + w) - 2 * w), kTimeTol);
}

TEST(StepExecutor, DualPipeRunsWithoutDeadlockAndBeats1F1B) {
  const double f = 1e-3, b = 1e-3, w = 1e-3;
  const StepResult dual = run("dualpipe", 4, 1, 16, f, b, w);
  const StepResult ofob = run("1f1b", 4, 1, 16, f, b, w);
  EXPECT_GT(dual.step_time_s, 16 * (f + b + w) - kTimeTol);
  EXPECT_LT(dual.step_time_s, ofob.step_time_s);
}

TEST(StepExecutor, RingAllReduceAloneMatchesItsAnalyticCost) {
  // One TP8 all-reduce of S bytes inside an H800 node, nothing else running:
  // t = 2(p−1)/p · S / B + 2(p−1)·α, with B the achievable NVLink bandwidth per direction
  // (160 GB/s) and α the per-step latency given to the executor.
  const double bytes = 256e6, alpha = 3.33e-6;
  const auto topo = hardware::Topology::build(test::h800_cluster(8));
  models::ParallelPlan plan;
  plan.tp = 8;
  const auto schedule = schedules::make_schedule("1f1b");
  schedules::ScheduleShape shape{1, 1, 1};
  std::vector<StageWork> st(1);
  Segment ar;
  ar.kind = SegmentKind::TpCollective;
  ar.bytes = bytes;
  ar.all_reduce = true;
  st[0].forward = {ar};
  StepSetup setup{&topo, RankLayout(plan, 8), schedule.get(), shape, st, {}, {}, {}, 0, alpha, {}};
  StepResult r;
  execute_step(setup, r);
  const double p = 8, bw = 160e9;
  EXPECT_NEAR(r.step_time_s, 2 * (p - 1) / p * bytes / bw + 2 * (p - 1) * alpha, 1e-8);
  EXPECT_NEAR(r.exposed_comm_s.max, r.step_time_s, 1e-8);
}

TEST(StepExecutor, UlyssesAllToAllMovesPMinusOneOverPOfTheBuffer) {
  // One Ulysses all-to-all (CP4 inside an H800 node) of a S-byte buffer per rank, forward and
  // the transposed one in backward: each rank sends S/p to each of the p − 1 others at once, so
  // its NVLink port carries (p−1)/p·S at B = 160 GB/s per direction, after one latency α:
  // step = 2·(α + (p−1)/p · S / B).
  const double bytes = 256e6, alpha = 3.33e-6;
  const auto topo = hardware::Topology::build(test::h800_cluster(4));
  models::ParallelPlan plan;
  plan.cp = 4;
  plan.cp_kind = models::CpKind::Ulysses;
  const auto schedule = schedules::make_schedule("1f1b");
  schedules::ScheduleShape shape{1, 1, 1};
  std::vector<StageWork> st(1);
  Segment a2a;
  a2a.kind = SegmentKind::CpAllToAll;
  a2a.bytes = bytes;
  st[0].forward = {a2a};
  st[0].backward_input = {a2a};
  st[0].backward_full = {a2a};
  StepSetup setup{&topo, RankLayout(plan, 8), schedule.get(), shape, st, {}, {}, {}, 0, alpha, {}};
  StepResult r;
  execute_step(setup, r);
  const double p = 4, bw = 160e9;
  EXPECT_NEAR(r.step_time_s, 2 * (alpha + (p - 1) / p * bytes / bw), 1e-8);
}

TEST(StepExecutor, ZeroAllGatherMovesTheWorkingWeightsNotTheGradients) {
  // DP4 in one H800 node, no pipeline, no compute: the step is the ZeRO sync alone. The
  // reduce-scatter moves (g−1)/g of the FP32 gradients (4 B per parameter), the all-gather
  // (g−1)/g of the BF16 weights (2 B per parameter), each over NVLink at B = 160 GB/s:
  // t = 3/4 · (4 + 2) B · N / B.
  const double params = 1e9, bw = 160e9;
  const auto topo = hardware::Topology::build(test::h800_cluster(4));
  models::ParallelPlan plan;
  plan.dp = 4;
  const auto schedule = schedules::make_schedule("1f1b");
  schedules::ScheduleShape shape{1, 1, 1};
  std::vector<StageWork> st(1);
  DpSync dp;
  dp.dense_grad_bytes = 4 * params;
  dp.dense_param_bytes = 2 * params;
  dp.dense_group = 4;
  StepSetup setup{&topo, RankLayout(plan, 8), schedule.get(), shape, st, {}, {}, dp, 0, 0, {}};
  StepResult r;
  execute_step(setup, r);
  EXPECT_NEAR(r.step_time_s, 0.75 * (4 + 2) * params / bw, 1e-8);
}

/// EP2 inside one H800 node: each member computes c·load (an expert segment, loads 1 and 2),
/// then dispatches `bytes`, of which a share `moe.nvlink_per_byte` crosses NVLink.
StepResult ep2_dispatch_step(double c, double bytes, const MoeRouting& moe) {
  const test::OneNodeStep ep2(2, 2);
  std::vector<StageWork> st(1);
  Segment experts = test::compute_segment(c);
  experts.expert_fraction = 1.0;
  st[0].forward = {experts, test::ep_dispatch_segment(bytes)};
  StepResult r;
  execute_step(ep2.setup(st, {}, moe, {1.0, 2.0}), r);
  return r;
}

TEST(StepExecutor, ExpertAllToAllStartsWhenTheLastMemberJoinsAndEndsWithTheSlowest) {
  // EP2 inside one H800 node (NVLink only, B = 160 GB/s): each member computes c·load (an
  // expert segment), then dispatches S bytes, of which a share ν = 1/2 crosses NVLink and the
  // receiving side carries ν·S·load. Loads 1 and 2: the all-to-all starts when the slower
  // member joins, at 2c, and ends when member 1 has received ν·S·2 at B:
  // step = 2c + α + 2·ν·S/B.
  const double c = 1e-3, bytes = 64e6, nu = 0.5, alpha = 5e-6, bw = 160e9;
  MoeRouting moe;
  moe.nvlink_per_byte = nu;
  moe.latency_s = alpha;
  EXPECT_NEAR(ep2_dispatch_step(c, bytes, moe).step_time_s, 2 * c + alpha + 2 * nu * bytes / bw,
              1e-8);
}

TEST(StepExecutor, TheEpKernelsNvLinkRateCapsTheAllToAll) {
  // As above, with each member's dispatch kernel putting at most R = 60 GB/s on NVLink: a
  // member sends ν·S, so the group's flow moves at most R/ν token bytes per second (120 GB/s),
  // below the receiving link's B/(2ν) = 160 GB/s: step = 2c + α + ν·S/R. Without R the link
  // binds (the test above).
  const double c = 1e-3, bytes = 64e6, nu = 0.5, alpha = 5e-6, r_kernel = 60e9;
  MoeRouting moe;
  moe.nvlink_per_byte = nu;
  moe.latency_s = alpha;
  moe.dispatch_nvlink_kernel_Bps = r_kernel;
  moe.combine_nvlink_kernel_Bps = 1.0;  // the combine's rate does not apply to a dispatch
  EXPECT_NEAR(ep2_dispatch_step(c, bytes, moe).step_time_s, 2 * c + alpha + nu * bytes / r_kernel,
              1e-8);
}

TEST(StepExecutor, DataParallelRanksRunIdentically) {
  const StepResult r = run("1f1b", 2, 4, 4, 1e-3, 2e-3, 1e-3);
  for (const auto& rt : r.ranks) {
    const auto& first = r.ranks[static_cast<std::size_t>(rt.stage * 4)];
    EXPECT_NEAR(rt.compute_s, first.compute_s, kTimeTol);
  }
}

}  // namespace
}  // namespace trainsim::sim
