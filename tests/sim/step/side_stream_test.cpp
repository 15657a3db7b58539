// The second compute stream (ParallelPlan::expert_wgrad_side_stream): its work runs on SMs the
// main stream leaves idle, never slows the main stream, and holds back only the pass's weight
// gradients, not its outputs.
#include <gtest/gtest.h>

#include "hardware/catalog.hpp"
#include "sim/step/step_executor.hpp"
#include "tests/support/step_fixtures.hpp"

namespace trainsim::sim {
namespace {

constexpr double kTimeTol = 1e-8;  // seconds: events are rounded up to whole nanoseconds

/// A compute segment of expert GEMMs (the kind the second stream may take).
Segment compute(double seconds, SegmentKind kind = SegmentKind::Compute) {
  return test::compute_segment(seconds, models::OpKind::GroupedGemm, kind);
}

/// EP2 on one node, one micro-batch: forward f; full backward c1, then the expert weight
/// gradients w (on the side stream or the main one), then a dispatch of `bytes` with a share
/// ν = 1/2 over NVLink (t_a2a = α + ν·bytes / 160 GB/s), then c2.
double ep_step(double w, bool side, double* t_a2a) {
  const double f = 1e-3, c1 = 1e-3, c2 = 1e-3, bytes = 64e6, nu = 0.5, alpha = 5e-6, bw = 160e9;
  *t_a2a = alpha + nu * bytes / bw;
  const test::OneNodeStep ep2(2, 2);
  std::vector<StageWork> st(1);
  const Segment dispatch = test::ep_dispatch_segment(bytes);
  st[0].forward = {compute(f)};
  st[0].backward_full = {compute(c1),
                         compute(w, side ? SegmentKind::SideCompute : SegmentKind::Compute),
                         dispatch, compute(c2)};
  st[0].backward_input = {compute(c1), dispatch, compute(c2)};
  st[0].backward_weight = {compute(w)};
  MoeRouting moe;
  moe.nvlink_per_byte = nu;
  moe.latency_s = alpha;
  StepResult r;
  execute_step(ep2.setup(st, {}, moe), r);
  return r.step_time_s;
}

TEST(SideStream, WeightGradientsFillTheWaitOnAnAllToAll) {
  // Serial: f + c1 + w + t_a2a + c2. On the side stream with w < t_a2a, w runs while the main
  // stream waits on the dispatch: f + c1 + t_a2a + c2.
  double t = 0;
  const double w = 0.1e-3;
  const double serial = ep_step(w, false, &t);
  const double side = ep_step(w, true, &t);
  ASSERT_GT(t, w);
  EXPECT_NEAR(serial, 3e-3 + w + t, kTimeTol);
  EXPECT_NEAR(side, 3e-3 + t, kTimeTol);
}

TEST(SideStream, SideWorkNeverSlowsTheMainStream) {
  // w = 3·t_a2a: the side stream runs during the wait (t_a2a), is paused while c2 runs (c2 still
  // ends at f + c1 + t + c2) and finishes its remaining w − t after it. The step is
  // f + c1 + t + c2 + (w − t) = 3 ms + w: it saves min(w, t) = t on the serial 3 ms + w + t.
  double t = 0;
  ep_step(1e-3, false, &t);
  const double w = 3 * t;
  EXPECT_NEAR(ep_step(w, true, &t), 3e-3 + w, kTimeTol);
  EXPECT_NEAR(ep_step(w, false, &t), 3e-3 + w + t, kTimeTol);
}

TEST(SideStream, TheInputGradientLeavesBeforeTheSideWorkEnds) {
  // PP2, one micro-batch, no communication cost. Stage 1's backward is b on the main stream and
  // w on the side stream; stage 0 gets its input gradient when b ends, at 2f + b, and runs its
  // own serial b + w: the step is 2f + 2b + w (serial on both stages: 2f + 2(b + w)). Stage 1's
  // side work ends at 2f + b + w, inside the step.
  const double f = 1e-3, b = 2e-3, w = 1e-3;
  const auto topo = hardware::Topology::build(test::h800_cluster(2));
  models::ParallelPlan plan;
  plan.pp = 2;
  const auto schedule = schedules::make_schedule("1f1b");
  schedules::ScheduleShape shape{2, 1, 1};
  std::vector<StageWork> st(2);
  for (int s = 0; s < 2; ++s) {
    StageWork& sw = st[static_cast<std::size_t>(s)];
    sw.stage = s;
    sw.forward = {compute(f)};
    sw.backward_input = {compute(b)};
    sw.backward_weight = {compute(w)};
    sw.backward_full = {compute(b),
                        compute(w, s == 1 ? SegmentKind::SideCompute : SegmentKind::Compute)};
  }
  StepSetup setup{&topo, RankLayout(plan, 8), schedule.get(), shape, st, {}, {}, {}, 0, 0, {}};
  StepResult r;
  execute_step(setup, r);
  EXPECT_NEAR(r.step_time_s, 2 * f + 2 * b + w, kTimeTol);
  // Compute is conserved: each rank computes f + b + w.
  for (const RankTime& rt : r.ranks) EXPECT_NEAR(rt.compute_s, f + b + w, kTimeTol) << rt.rank;
}

}  // namespace
}  // namespace trainsim::sim
