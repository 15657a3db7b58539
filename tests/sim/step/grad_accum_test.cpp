// Gradient accumulation over pipeline passes (sim/schedules/repeated_passes.hpp) as the step
// executor runs it: k passes, each with its schedule's warm-up and drain, then one data-parallel
// synchronisation and one optimizer step.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "hardware/catalog.hpp"
#include "sim/schedules/repeated_passes.hpp"
#include "sim/step/step_executor.hpp"
#include "tests/support/step_fixtures.hpp"

namespace trainsim::sim {
namespace {

constexpr double kTimeTol = 1e-6;  // seconds: events are rounded up to whole nanoseconds

struct PassRun {
  StepResult result;
  std::vector<TimelineEvent> rank0;
};

/// PP `pp` × DP `dp` in one H800 node, uniform stages (forward, backward-input, backward-weight
/// `t` seconds each, `act` bytes of activations per micro-batch), `passes` pipeline passes of
/// `m_pass` micro-batches, and a ZeRO-1 sync of N parameters (FP32 gradients, BF16 weights).
PassRun run(const std::string& name, int pp, int dp, int m_pass, int passes, double t,
            double params) {
  const auto topo = hardware::Topology::build(test::h800_cluster(pp * dp));
  models::ParallelPlan plan;
  plan.pp = pp;
  plan.dp = dp;
  std::unique_ptr<schedules::PipelineSchedule> schedule = schedules::make_schedule(name);
  if (passes > 1)
    schedule = std::make_unique<schedules::RepeatedPasses>(std::move(schedule), passes);
  const schedules::ScheduleShape shape{pp, m_pass * passes, 1};
  std::vector<StageWork> st(static_cast<std::size_t>(schedule->stage_count(shape)));
  for (std::size_t s = 0; s < st.size(); ++s) {
    st[s].stage = static_cast<int>(s);
    st[s].forward = {test::compute_segment(t)};
    st[s].backward_input = {test::compute_segment(t)};
    st[s].backward_weight = {test::compute_segment(t)};
    st[s].backward_full = {test::compute_segment(2 * t)};
    st[s].activation_bytes = 1e9;
  }
  DpSync sync;
  sync.dense_grad_bytes = 4 * params;
  sync.dense_param_bytes = 2 * params;
  sync.dense_group = dp;
  StepSetup setup{&topo, RankLayout(plan, 8), schedule.get(), shape, st, {}, {}, sync, 0, 0, {0}};
  PassRun r;
  execute_step(setup, r.result);
  for (const TimelineEvent& e : r.result.timeline) {
    if (e.rank == 0) r.rank0.push_back(e);
  }
  return r;
}

TEST(GradAccumPasses, FourPassesRunFourPipelineFlushesAndOneDataParallelSync) {
  // 1F1B, PP4, 4 micro-batches per pass, f = b = w = 1 ms, no P2P cost: one pass is
  // (m + PP − 1)·(f + b + w) = 7 · 3 ms = 21 ms, and the passes run back to back (a rank starts
  // pass p + 1 when its own pass p ends; stage 0 ends each pass last). Then ONE ZeRO-1 sync of N
  // parameters over DP2 on NVLink (B = 160 GB/s): (g−1)/g · (4 + 2) B · N / B.
  // GA = 4: step = 4 · 21 ms + sync; its bubble per rank 4 · (PP − 1)·3 ms = 36 ms, against
  // 9 ms for the same 16 micro-batches in one pass.
  const double t = 1e-3, params = 1e8, bw = 160e9;
  const double sync = 0.5 * (4 + 2) * params / bw;
  const PassRun ga = run("1f1b", 4, 2, 4, 4, t, params);
  EXPECT_NEAR(ga.result.step_time_s, 4 * (4 + 4 - 1) * 3 * t + sync, kTimeTol);
  const PassRun one = run("1f1b", 4, 2, 16, 1, t, params);
  EXPECT_NEAR(one.result.step_time_s, (16 + 4 - 1) * 3 * t + sync, kTimeTol);
  // Bubble of stage 0 (its sync is not bubble): 4 passes × 9 ms.
  EXPECT_NEAR(ga.result.ranks[0].phases.bubble_s, 4 * 3 * 3 * t, kTimeTol);
  // One DP sync per step on rank 0's timeline: one reduce-scatter and one all-gather, and the
  // compute stream ran 16 forwards (micro-batches 0..15) before them.
  const auto count = [&](const std::string& name) {
    return std::count_if(ga.rank0.begin(), ga.rank0.end(), [&](const TimelineEvent& e) {
      return e.stream == "dp" && e.name == name;
    });
  };
  EXPECT_EQ(count("reduce-scatter"), 1);
  EXPECT_EQ(count("all-gather"), 1);
  int max_mb = -1;
  double last_compute_end = 0, sync_start = 1e9;
  for (const TimelineEvent& e : ga.rank0) {
    if (e.stream == "compute" && e.micro_batch >= 0) {
      max_mb = std::max(max_mb, e.micro_batch);
      last_compute_end = std::max(last_compute_end, e.end_s);
    }
    if (e.stream == "dp") sync_start = std::min(sync_start, e.start_s);
  }
  EXPECT_EQ(max_mb, 15);
  EXPECT_LE(last_compute_end, sync_start + kTimeTol);
}

TEST(GradAccumPasses, ActivationsOfOnePassAreInFlight) {
  // GPipe keeps all m forwards of a pass before its backwards: m_pass · A on every rank. With
  // four passes of 4 micro-batches the peak is 4 · A, a quarter of one pass of 16 (16 · A).
  const PassRun ga = run("gpipe", 2, 1, 4, 4, 1e-3, 0);
  const PassRun one = run("gpipe", 2, 1, 16, 1, 1e-3, 0);
  EXPECT_NEAR(ga.result.memory.activations, 4 * 1e9, 1.0);
  EXPECT_NEAR(one.result.memory.activations, 16 * 1e9, 1.0);
}

TEST(GradAccumPasses, DualPipePassesFeedEachPassFromBothEnds) {
  // DualPipe (PP4) needs 2·PP micro-batches per pass; two passes of 8 run as two complete
  // DualPipe steps: no deadlock, and twice a pass's time (no sync: N = 0).
  const PassRun ga = run("dualpipe", 4, 1, 8, 2, 1e-3, 0);
  const PassRun pass = run("dualpipe", 4, 1, 8, 1, 1e-3, 0);
  EXPECT_NEAR(ga.result.step_time_s, 2 * pass.result.step_time_s, kTimeTol);
}

}  // namespace
}  // namespace trainsim::sim
