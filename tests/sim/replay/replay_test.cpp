#include "sim/replay/replay.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace trainsim::sim {
namespace {

/// A scenario with DeepSeek-V3's pre-training batch ramp on a plan of DP128 × micro-batch 1.
scenarios::Scenario ramp_scenario() {
  scenarios::Scenario s;
  s.name = "ramp";
  s.cluster.gpus = 2048;
  s.plan.dp = 128;
  s.plan.pp = 16;
  s.plan.micro_batch = 1;
  s.price_per_gpu_hour = 2.0;
  scenarios::Phase p;
  p.name = "pre-training";
  p.group = "pre-training";
  p.tokens = 14.8e12;
  p.seq_len = 4096;
  p.batch = {3072, 15360, 469e9};
  s.phases.push_back(p);
  return s;
}

/// A step whose time is affine plus a mild concave term in the micro-batch count m:
/// T(m) = 1 + 0.15·m + 0.3·√m seconds, so interpolation is not trivially exact.
StepFunction fake_step() {
  return [](const StepRequest& r) {
    StepResult out;
    const double m = static_cast<double>(r.global_batch / (r.plan.dp * r.plan.micro_batch));
    out.step_time_s = 1.0 + 0.15 * m + 0.3 * std::sqrt(m);
    out.tokens = static_cast<double>(r.global_batch) * static_cast<double>(r.phase->seq_len);
    out.model_flops = out.tokens * 250e9;
    out.peak_flops = 989e12;
    out.micro_batches = static_cast<std::int64_t>(m);
    return out;
  };
}

MinMicroBatches min_mb(std::int64_t m, std::int64_t multiple = 1) {
  return [m, multiple](const models::ParallelPlan&) { return MicroBatchRule{m, multiple}; };
}

TEST(Replay, ConstantBatchPhaseIsStepsTimesStepTime) {
  scenarios::Scenario s = ramp_scenario();
  s.phases[0].batch = {15360, 15360, 0};
  const RunResult r = replay(s, fake_step(), min_mb(1));
  // steps = 14.8e12 / (15360 · 4096) = 235,239.66 fractional; the count is its ceiling (a
  // partial last step is one step), while the wall-clock takes the partial step for its
  // fraction. T(120) = 1 + 18 + 0.3·√120.
  const double steps = 14.8e12 / (15360.0 * 4096.0);
  const double t = 1.0 + 0.15 * 120 + 0.3 * std::sqrt(120.0);
  ASSERT_EQ(r.phases.size(), 1u);
  EXPECT_EQ(r.phases[0].steps, std::ceil(steps));
  EXPECT_NEAR(r.phases[0].wall_s, steps * t, 1e-6 * steps * t);
  // GPU-hours = wall · GPUs / 3600; cost = GPU-hours · price.
  EXPECT_NEAR(r.total_gpu_hours, steps * t * 2048 / 3600.0, 1e-6 * r.total_gpu_hours);
  EXPECT_NEAR(r.total_cost_usd, 2.0 * r.total_gpu_hours, 1e-9 * r.total_cost_usd);
  // MFU = model FLOP / (wall · GPUs · peak).
  EXPECT_NEAR(r.mfu, 14.8e12 * 250e9 / (r.total_wall_s * 2048 * 989e12), 1e-9);
}

TEST(Replay, SampledRampIsWithinATenthOfAPercentOfTheExhaustiveReplay) {
  const scenarios::Scenario s = ramp_scenario();
  ReplayOptions sampled;
  sampled.max_points_per_phase = 9;
  ReplayOptions exhaustive;
  exhaustive.max_points_per_phase = 1000;  // more than the 97 distinct batches of the ramp
  const RunResult a = replay(s, fake_step(), min_mb(1), sampled);
  const RunResult b = replay(s, fake_step(), min_mb(1), exhaustive);
  int simulated_b = 0;
  for (const auto& bp : b.phases[0].batches) simulated_b += bp.simulated ? 1 : 0;
  EXPECT_EQ(simulated_b, static_cast<int>(b.phases[0].batches.size()));
  EXPECT_NEAR(a.total_wall_s / b.total_wall_s, 1.0, 1e-3);
  EXPECT_DOUBLE_EQ(a.phases[0].steps, b.phases[0].steps);
}

TEST(Replay, BatchesBelowTheScheduleMinimumAreExtrapolatedAndSaidSo) {
  const scenarios::Scenario s = ramp_scenario();
  // DualPipe needs ≥ 2·PP = 32 micro-batches: batches < 4,096 sequences fall below.
  const RunResult r = replay(s, fake_step(), min_mb(32));
  int extrapolated = 0;
  for (const auto& bp : r.phases[0].batches) {
    if (bp.extrapolated) {
      ++extrapolated;
      EXPECT_LT(bp.batch, 4096);
      // Extrapolated per micro-batch from the 32-micro-batch step: T(32) · m / 32.
      const double t32 = 1.0 + 0.15 * 32 + 0.3 * std::sqrt(32.0);
      EXPECT_NEAR(bp.step_time_s, t32 * static_cast<double>(bp.batch / 128) / 32.0, 1e-9);
    }
  }
  EXPECT_GT(extrapolated, 0);
  EXPECT_NE(r.phases[0].note.find("below the"), std::string::npos) << r.phases[0].note;
}

TEST(Replay, RampBatchesFollowTheScheduleMultiple) {
  // DualPipe needs an even micro-batch count: a ramp over DP128 then moves in steps of 256.
  const RunResult r = replay(ramp_scenario(), fake_step(), min_mb(32, 2));
  for (const auto& bp : r.phases[0].batches) EXPECT_EQ(bp.batch % 256, 0) << bp.batch;
}

TEST(Replay, GroupsSumTheirPhasesAndCarryThePublishedFigure) {
  scenarios::Scenario s = ramp_scenario();
  scenarios::Phase ext;
  ext.name = "ctx-32k";
  ext.group = "context-extension";
  ext.seq_len = 32768;
  ext.batch = {1920, 1920, 0};
  ext.tokens = 1000.0 * 1920 * 32768;
  s.phases.push_back(ext);
  ext.name = "ctx-128k";
  ext.seq_len = 131072;
  ext.batch = {512, 512, 0};
  ext.tokens = 1000.0 * 512 * 131072;
  s.phases.push_back(ext);
  s.published.group_gpu_hours = {{"context-extension", 119e3}};
  const RunResult r = replay(s, fake_step(), min_mb(1));
  ASSERT_EQ(r.groups.size(), 2u);
  EXPECT_EQ(r.groups[1].group, "context-extension");
  EXPECT_NEAR(r.groups[1].gpu_hours, r.phases[1].gpu_hours + r.phases[2].gpu_hours, 1e-6);
  ASSERT_TRUE(r.groups[1].published_gpu_hours.has_value());
  EXPECT_DOUBLE_EQ(*r.groups[1].published_gpu_hours, 119e3);
  EXPECT_NEAR(r.phases[1].steps, 1000.0, 1e-9);
}

TEST(Replay, ParallelJobsGiveTheSameResult) {
  const scenarios::Scenario s = ramp_scenario();
  ReplayOptions two;
  two.jobs = 2;
  const RunResult a = replay(s, fake_step(), min_mb(1));
  const RunResult b = replay(s, fake_step(), min_mb(1), two);
  EXPECT_EQ(a.total_wall_s, b.total_wall_s);
}

TEST(Replay, ZeroTokenPhaseCostsNothing) {
  scenarios::Scenario s = ramp_scenario();
  s.phases[0].tokens = 0;
  s.phases[0].batch = {15360, 15360, 0};
  const RunResult r = replay(s, fake_step(), min_mb(1));
  ASSERT_EQ(r.phases.size(), 1u);
  EXPECT_TRUE(r.phases[0].feasible);
  EXPECT_EQ(r.total_gpu_hours, 0.0);
  EXPECT_EQ(r.phases[0].steps, 0.0);
}

TEST(Replay, InfeasibleStepMakesTheTotalSaySo) {
  const scenarios::Scenario s = ramp_scenario();
  const StepFunction oom = [](const StepRequest&) {
    StepResult out;
    out.infeasible_reason = "needs 95 GB per GPU, has 80 GB";
    return out;
  };
  const RunResult r = replay(s, oom, min_mb(1));
  EXPECT_FALSE(r.phases[0].feasible);
  EXPECT_NE(r.phases[0].infeasible_reason.find("95 GB"), std::string::npos);
}

}  // namespace
}  // namespace trainsim::sim
