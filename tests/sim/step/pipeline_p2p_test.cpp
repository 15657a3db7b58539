// Pipeline sends that block the sender (Megatron-LM's _communicate) and the scatter/gather
// all-gather on the receiving stage, against hand-derived 1F1B timelines.
#include <gtest/gtest.h>

#include "sim/step/step_executor.hpp"
#include "tests/support/step_fixtures.hpp"

namespace trainsim::sim {
namespace {

constexpr double kTimeTol = 1e-6;  // seconds: events are rounded up to whole nanoseconds
constexpr double kF = 1e-3;        // forward of a stage, seconds
constexpr double kB = 2e-3;        // full backward (B + W) of a stage, seconds
constexpr double kBytes = 16e6;    // activation sent between the stages
constexpr double kNvlink = 160e9;  // H800 achievable NVLink per direction (catalog), bytes/s

/// PP2 × DP1 1F1B in one H800 node with `m` micro-batches: each send is one NVLink flow of
/// x = kBytes / kNvlink seconds (no latency).
StepResult run(int m, bool blocking, double gather_s = 0) {
  const auto topo = hardware::Topology::build(test::h800_cluster(2));
  models::ParallelPlan plan;
  plan.pp = 2;
  const auto schedule = schedules::make_schedule("1f1b");
  const schedules::ScheduleShape shape{2, m, 1};
  std::vector<StageWork> st(2);
  for (int s = 0; s < 2; ++s) {
    auto& w = st[static_cast<std::size_t>(s)];
    w.stage = s;
    w.forward = {test::compute_segment(kF)};
    w.backward_input = {test::compute_segment(kB / 2)};
    w.backward_weight = {test::compute_segment(kB / 2)};
    w.backward_full = {test::compute_segment(kB)};
    w.p2p_bytes = kBytes;
  }
  StepSetup setup{&topo, RankLayout(plan, 8), schedule.get(), shape, st, {}, {}, {}, 0, 0, {}};
  setup.p2p_blocking = blocking;
  setup.p2p_gather_s = gather_s;
  StepResult r;
  execute_step(setup, r);
  return r;
}

TEST(PipelineP2p, OneMicroBatchWaitsForEveryTransferEitherWay) {
  // m = 1: F0 on stage 0, x, F0 and B0 on stage 1, x, B0 on stage 0: 2F + 2B + 2x whether or
  // not the sender blocks (it has nothing else to run).
  const double x = kBytes / kNvlink;
  EXPECT_NEAR(run(1, false).step_time_s, 2 * kF + 2 * kB + 2 * x, kTimeTol);
  EXPECT_NEAR(run(1, true).step_time_s, 2 * kF + 2 * kB + 2 * x, kTimeTol);
}

TEST(PipelineP2p, ABlockingSendHoldsTheSendersNextPass) {
  // m = 2. Asynchronous: stage 0 runs F0, F1 back to back; stage 1 runs F0 (input at F + x),
  // B0, F1, B1 without a gap; B1's gradient reaches stage 0 at 3F + 2B + 2x, and its B1 ends the
  // step at 3F + 3B + 2x.
  // Blocking: stage 0 waits x after F0, so F1 ends at 2F + x and arrives at 2F + 2x; stage 1
  // waits x after sending B0 (F1 starts at 2F + 2x + B), and B1's gradient arrives at
  // 3F + 2B + 3x: the step is 3F + 3B + 3x, one transfer longer.
  const double x = kBytes / kNvlink;
  const StepResult async = run(2, false);
  const StepResult blocking = run(2, true);
  EXPECT_NEAR(async.step_time_s, 3 * kF + 3 * kB + 2 * x, kTimeTol);
  EXPECT_NEAR(blocking.step_time_s, 3 * kF + 3 * kB + 3 * x, kTimeTol);
  // Each rank blocks twice for one transfer (stage 0 after F0 and F1, stage 1 after B0 and B1),
  // waiting on communication with nothing computing.
  for (const RankTime& rt : blocking.ranks) EXPECT_NEAR(rt.exposed_comm_s, 2 * x, kTimeTol);
  for (const RankTime& rt : async.ranks) EXPECT_NEAR(rt.exposed_comm_s, 0.0, kTimeTol);
}

TEST(PipelineP2p, TheGatherDelaysTheReceiverButNotTheSender) {
  // As the blocking case with g seconds of all-gather after each arrival before the input is
  // ready: stage 1's F0 starts at F + x + g and F1 at 2F + 2x + g + B; B1's gradient arrives at
  // 3F + 2B + 3x + g and is ready g later; the step is 3F + 3B + 3x + 2g. The senders wake at
  // arrival, so the gathers add 2g, not 4g.
  const double x = kBytes / kNvlink, g = 0.25e-3;
  EXPECT_NEAR(run(2, true, g).step_time_s, 3 * kF + 3 * kB + 3 * x + 2 * g, kTimeTol);
}

}  // namespace
}  // namespace trainsim::sim
