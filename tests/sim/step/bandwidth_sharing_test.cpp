// Links are shared fairly per flow in bytes per second (SimGrid's network model, Velho et al.,
// "On the validity of flow-level TCP network models for grid and cloud simulations", ACM TOMACS
// 2013): a flow's work is its bytes and a link's weight the bytes it carries per byte of work, so
// a transfer's size never buys it bandwidth.
#include <gtest/gtest.h>

#include <cmath>

#include "hardware/catalog.hpp"
#include "sim/engine/engine.hpp"
#include "sim/step/step_executor.hpp"
#include "tests/support/step_fixtures.hpp"

namespace trainsim::sim {
namespace {

using engine::Engine;
using engine::TimeNs;

constexpr TimeNs kNs = 1'000'000'000;  // ns per second

TEST(BandwidthSharing, SmallFlowGetsHalfTheLinkUntilItEnds) {
  // Link 100 B/s. Small flow 100 B, large flow 1,000 B, both start at 0. Per flow fair: 50 B/s
  // each until the small one ends at 100/50 = 2 s; the large one then has 900 B left at 100 B/s
  // and ends at 2 + 9 = 11 s. (Sharing in proportion to size would end both at 11 s.)
  Engine e;
  const auto link = e.add_resource(100.0, "link");
  TimeNs small_end = -1, large_end = -1;
  e.start({100.0, INFINITY, 0, {{link, 1.0}}}, [&] { small_end = e.now(); });
  e.start({1000.0, INFINITY, 0, {{link, 1.0}}}, [&] { large_end = e.now(); });
  e.run();
  EXPECT_EQ(small_end, 2 * kNs);
  EXPECT_EQ(large_end, 11 * kNs);
}

TEST(BandwidthSharing, ThreeFlowsOnTwoLinksGetTheMaxMinAnswer) {
  // L1 = 1 B/s, L2 = 2 B/s. A crosses L1 and L2, B only L1, C only L2. Max-min: L1 is the first
  // bottleneck, A = B = 0.5; C takes what L2 has left, 2 − 0.5 = 1.5. With A = B = 1 B and C = 6 B:
  // A and B end at 1/0.5 = 2 s, C has done 3 B by then and runs alone at 2 B/s: 3/2 = 1.5 s more,
  // so it ends at 3.5 s.
  Engine e;
  const auto l1 = e.add_resource(1.0, "L1");
  const auto l2 = e.add_resource(2.0, "L2");
  TimeNs a_end = -1, b_end = -1, c_end = -1;
  e.start({1.0, INFINITY, 0, {{l1, 1.0}, {l2, 1.0}}}, [&] { a_end = e.now(); });
  e.start({1.0, INFINITY, 0, {{l1, 1.0}}}, [&] { b_end = e.now(); });
  e.start({6.0, INFINITY, 0, {{l2, 1.0}}}, [&] { c_end = e.now(); });
  e.run();
  EXPECT_EQ(a_end, 2 * kNs);
  EXPECT_EQ(b_end, 2 * kNs);
  EXPECT_EQ(c_end, 3 * kNs + kNs / 2);
}

/// PP2 × DP2 1F1B in one H800 node (every flow on NVLink): 4 micro-batches of 1 ms per pass,
/// `p2p` bytes between stages, a dense gradient reduce-scatter of `grad` bytes per rank at the end
/// (no parameter all-gather, no optimizer time).
double step_time(double p2p, double grad) {
  const auto topo = hardware::Topology::build(test::h800_cluster(4));
  models::ParallelPlan plan;
  plan.pp = 2;
  plan.dp = 2;
  const auto schedule = schedules::make_schedule("1f1b");
  schedules::ScheduleShape shape{2, 4, 1};
  std::vector<StageWork> st(2);
  for (int s = 0; s < 2; ++s) {
    auto& w = st[static_cast<std::size_t>(s)];
    w.stage = s;
    w.forward = {test::compute_segment(1e-3)};
    w.backward_input = {test::compute_segment(1e-3)};
    w.backward_weight = {test::compute_segment(1e-3)};
    w.backward_full = {test::compute_segment(2e-3)};
    w.p2p_bytes = p2p;
  }
  DpSync dp;
  dp.dense_grad_bytes = grad;
  dp.dense_group = 2;
  dp.all_gather_params = false;
  StepSetup setup{&topo, RankLayout(plan, 8), schedule.get(), shape, st, {}, {}, dp, 0, 0, {}};
  StepResult r;
  execute_step(setup, r);
  return r.step_time_s;
}

TEST(BandwidthSharing, PipelineSendBesideAGradientReduceScatterFinishesInItsOwnTime) {
  // The last stage's final backward sends P = 16 MB to stage 0 while its reduce-scatter of
  // (g−1)/g · G = 4 GB starts on the same NVLink port (B = 160 GB/s achievable). Fair per flow, the
  // send gets B/2 and arrives after P/(B/2) = 0.2 ms instead of P/B = 0.1 ms alone; stage 0 then
  // runs its last backward and its own reduce-scatter, 4 GB / B = 25 ms. So the gradient sync adds
  // 25 ms + 0.1 ms to the step. Sharing in proportion to size would hold the send until the
  // reduce-scatter ends (~25 ms) and add ~50 ms.
  const double p2p = 16e6, grad = 8e9, bw = 160e9;
  const double added = step_time(p2p, grad) - step_time(p2p, 0.0);
  const double expected = grad / 2 / bw + (p2p / (bw / 2) - p2p / bw);
  EXPECT_NEAR(added, expected, 5e-6);
}

}  // namespace
}  // namespace trainsim::sim
