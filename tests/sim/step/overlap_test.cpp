// Overlap switches of the step executor, each against its analytic expectation: gradient
// reduction per chunk beside the rest of the step (Megatron-Core --overlap-grad-reduce), the
// parameter all-gather behind the next step's forward (--overlap-param-gather), TP
// collectives beside the next GEMM (Transformer Engine userbuffers, --tp-comm-overlap), a
// column-parallel layer's input-gradient reduction beside its weight-gradient GEMM
// (tp_backward_overlap), and the ring-attention K/V exchange beside the diagonal block
// (Transformer Engine's CP).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "hardware/catalog.hpp"
#include "sim/step/step_executor.hpp"
#include "tests/support/step_fixtures.hpp"

namespace trainsim::sim {
namespace {

constexpr double kTimeTol = 2e-6;     // seconds: latencies are 0, events round up to whole ns
constexpr double kNvlinkBps = 160e9;  // H800 achievable NVLink bandwidth per direction (catalog)

std::vector<StageWork> uniform_stages(int n, double pass_s) {
  std::vector<StageWork> st(static_cast<std::size_t>(n));
  for (int s = 0; s < n; ++s) {
    auto& w = st[static_cast<std::size_t>(s)];
    w.stage = s;
    w.forward = {test::compute_segment(pass_s)};
    w.backward_input = {test::compute_segment(pass_s)};
    w.backward_weight = {test::compute_segment(pass_s)};
    w.backward_full = {test::compute_segment(2 * pass_s)};
  }
  return st;
}

StepResult run(const StepSetup& setup) {
  StepResult r;
  execute_step(setup, r);
  return r;
}

/// PP2 × DP2 interleaved 1F1B on four H800s: two chunks per rank, four micro-batches, the given
/// pass time, no P2P bytes; ranks 0 and 1 simulated (a data-parallel pair of stage 0).
struct InterleavedPp2Dp2 {
  hardware::Topology topo = hardware::Topology::build(test::h800_cluster(4));
  std::unique_ptr<schedules::PipelineSchedule> schedule =
      schedules::make_schedule("interleaved-1f1b");
  StepSetup setup(const DpSync& dp, double pass) const {
    models::ParallelPlan plan;
    plan.pp = 2;
    plan.dp = 2;
    return StepSetup{&topo,
                     RankLayout(plan, 8),
                     schedule.get(),
                     schedules::ScheduleShape{2, 4, 2},
                     uniform_stages(4, pass),
                     {},
                     {},
                     dp,
                     0,
                     0,
                     {0, 1}};
  }
};

TEST(Overlap, GradientReductionOfAnEarlierChunkRunsBesideTheRestOfTheStep) {
  // PP2 × DP2 interleaved 1F1B, two chunks per rank, 1 ms passes, no P2P bytes. Each rank
  // reduce-scatters G/2 per hop (DP2 ring: (g−1)/g of its G gradient bytes), R = G/2/B = 20 ms
  // alone on its NVLink port, half per chunk (the stages give no parameter counts: equal shares).
  // Not overlapped, a rank starts its reduction when its list ends at T_r: step = max T_r + R.
  // Overlapped, its second chunk's half starts when that chunk's last backward ends at t_r; from
  // then on the port never idles (R/2 = 10 ms > T_r − t_r), so the rank ends at t_r + R.
  const InterleavedPp2Dp2 pipeline;
  const double pass = 1e-3, r_s = 20e-3;
  DpSync dp;
  dp.dense_grad_bytes = 2 * r_s * kNvlinkBps;
  dp.dense_group = 2;
  dp.all_gather_params = false;
  StepSetup setup = pipeline.setup(dp, pass);
  const StepResult plain = run(setup);
  double list_end = 0, overlap_end = 0;
  for (int rank : {0, 1}) {
    double t_end = 0, chunk1_grads = 0;
    for (const auto& e : plain.timeline) {
      if (e.rank != rank || e.stream != "compute") continue;
      t_end = std::max(t_end, e.end_s);
      if (e.chunk == 1 && (e.name == "BW" || e.name == "W"))
        chunk1_grads = std::max(chunk1_grads, e.end_s);
    }
    ASSERT_GT(t_end, chunk1_grads);
    ASSERT_LT(t_end - chunk1_grads, r_s / 2);
    list_end = std::max(list_end, t_end);
    overlap_end = std::max(overlap_end, chunk1_grads + r_s);
  }
  EXPECT_NEAR(plain.step_time_s, list_end + r_s, kTimeTol);
  setup.dp.overlap_grad_reduce = true;
  EXPECT_NEAR(run(setup).step_time_s, overlap_end, kTimeTol);
}

TEST(Overlap, GradientBucketsLeaveAsTheBackwardRuns) {
  // DP2 in one node, one micro-batch: forward f = 1 ms, full backward 2f = 2 ms. The stage holds
  // 160M parameters over 4 layers: Megatron-Core's default bucket of max(40M, 1M·DP) = 40M
  // parameters makes B = 4 buckets, bucket k leaving once (k+1)/4 of the backward has run (at
  // f + (k+1)·0.5 ms), the last at its end. Each bucket moves R/B, R being the whole
  // reduce-scatter alone on NVLink.
  // - R = 1 ms: a bucket (0.25 ms) ends before the next leaves, so only the last is exposed:
  //   step = 3f + R/4 = 3.25 ms (4 ms when the chunk is reduced after its backward, as without
  //   buckets).
  // - R = 4 ms: buckets (1 ms each) queue on the port, which never idles once the first leaves
  //   at f + 0.5 ms: step = f + 0.5 ms + R = 5.5 ms.
  const test::OneNodeStep dp2(2);
  const double f = 1e-3;
  auto stages = uniform_stages(1, f);
  stages[0].dense_params = 160e6;
  stages[0].first_layer = 0;
  stages[0].last_layer = 4;
  for (const double r_s : {1e-3, 4e-3}) {
    DpSync dp;
    dp.dense_grad_bytes = 2 * r_s * kNvlinkBps;  // DP2: (g−1)/g = 1/2 of it moves per hop
    dp.dense_group = 2;
    dp.all_gather_params = false;
    dp.overlap_grad_reduce = true;
    StepSetup setup = dp2.setup(stages, dp);
    const double expected = r_s < 2e-3 ? 3 * f + r_s / 4 : f + 0.5e-3 + r_s;
    EXPECT_NEAR(run(setup).step_time_s, expected, kTimeTol) << "R = " << r_s;
    setup.dp.overlap_grad_reduce = false;
    EXPECT_NEAR(run(setup).step_time_s, 3 * f + r_s, kTimeTol) << "R = " << r_s;
  }
}

TEST(Overlap, ParameterGatherRunsBesideTheFirstForward) {
  // DP2, one micro-batch, passes f = b = w = 1 ms, an all-gather of a = 3 ms (A/2 per hop over
  // NVLink). Not overlapped it closes the step: f + (b + w) + a = 6 ms. Overlapped it starts with
  // the step and the forward cannot end before it: max(f, a) + b + w = 5 ms.
  const test::OneNodeStep dp2(2);
  const double pass = 1e-3, a = 3e-3;
  DpSync dp;
  dp.dense_param_bytes = 2 * a * kNvlinkBps;
  dp.dense_group = 2;
  StepSetup setup = dp2.setup(uniform_stages(1, pass), dp);
  EXPECT_NEAR(run(setup).step_time_s, 3 * pass + a, kTimeTol);
  setup.dp.overlap_param_gather = true;
  EXPECT_NEAR(run(setup).step_time_s, std::max(pass, a) + 2 * pass, kTimeTol);
}

TEST(Overlap, ParameterGathersOfARanksChunksRunOneAfterAnotherInTheirForwardOrder) {
  // PP2 × DP2 interleaved 1F1B, two chunks per rank, 1 ms passes; each rank gathers G/2 per hop,
  // a = 10 ms alone on its NVLink port, half per chunk. Megatron-Core chains the gathers (each
  // bucket group's pre-hook dispatches the next), so chunk 0's runs alone at the port's rate and
  // ends at a/2 = 5 ms; chunk 1's then runs from a/2 to a. (Issued together they would share the
  // port and both end at a.)
  const InterleavedPp2Dp2 pipeline;
  const double pass = 1e-3, a = 10e-3;
  DpSync dp;
  dp.dense_param_bytes = 2 * a * kNvlinkBps;
  dp.dense_group = 2;
  dp.overlap_param_gather = true;
  const StepResult r = run(pipeline.setup(dp, pass));
  std::vector<std::pair<double, double>> gathers;
  for (const auto& e : r.timeline)
    if (e.rank == 0 && e.stream == "dp" && e.name == "all-gather")
      gathers.emplace_back(e.start_s, e.end_s);
  std::sort(gathers.begin(), gathers.end());
  ASSERT_EQ(gathers.size(), 2u);
  EXPECT_NEAR(gathers[0].first, 0.0, kTimeTol);
  EXPECT_NEAR(gathers[0].second, a / 2, kTimeTol);
  EXPECT_NEAR(gathers[1].first, a / 2, kTimeTol);
  EXPECT_NEAR(gathers[1].second, a, kTimeTol);
}

TEST(Overlap, ZeroThreeGathersEachPassesWeightsBesideItsCompute) {
  // DP2, one micro-batch, f = 1 ms forward and a 2 ms full backward; a gather of the chunk's
  // parameters takes a = 1.5 ms, a gradient reduce-scatter R = 1 ms (alone on NVLink).
  // ZeRO-1: f + 2f + R + a = 5.5 ms (reduce-scatter, then the all-gather after the step).
  // ZeRO-3: every pass gathers beside its compute and cannot end before it, the backward
  // reduce-scatters as it ends, and nothing is gathered after the optimizer:
  // max(f, a) + max(2f, a) + R = 4.5 ms.
  const test::OneNodeStep dp2(2);
  const double f = 1e-3, a = 1.5e-3, r_s = 1e-3;
  DpSync dp;
  dp.dense_param_bytes = 2 * a * kNvlinkBps;  // DP2: (g−1)/g = 1/2 of it moves per hop
  dp.dense_grad_bytes = 2 * r_s * kNvlinkBps;
  dp.dense_group = 2;
  StepSetup setup = dp2.setup(uniform_stages(1, f), dp);
  EXPECT_NEAR(run(setup).step_time_s, f + 2 * f + r_s + a, kTimeTol);
  setup.dp.zero3 = true;
  EXPECT_NEAR(run(setup).step_time_s, std::max(f, a) + std::max(2 * f, a) + r_s, kTimeTol);
}

/// One forward pass of `forward` on one stage of two ranks in one node (no other work), under
/// `plan` (TP2 or CP2); returns the step time.
double one_pass_time(const models::ParallelPlan& plan, SegmentList forward, bool tp_overlap) {
  const auto topo = hardware::Topology::build(test::h800_cluster(2));
  const auto schedule = schedules::make_schedule("1f1b");
  schedules::ScheduleShape shape{1, 1, 1};
  std::vector<StageWork> st(1);
  st[0].forward = std::move(forward);
  StepSetup setup{&topo, RankLayout(plan, 8), schedule.get(), shape, st, {}, {}, {}, 0, 0, {}};
  setup.tp_comm_overlap = tp_overlap;
  return run(setup).step_time_s;
}

/// A TP2 all-reduce that takes `comm_s` alone on the NVLink port: TP2 moves 2(p−1)/p = 1× the
/// buffer per hop.
Segment tp2_all_reduce(double comm_s) {
  Segment ar;
  ar.kind = SegmentKind::TpCollective;
  ar.all_reduce = true;
  ar.bytes = comm_s * kNvlinkBps;
  return ar;
}

models::ParallelPlan tp2_plan() {
  models::ParallelPlan plan;
  plan.tp = 2;
  return plan;
}

double tp_pass_time(double comm_s, bool overlap) {
  // TP2 in one node: a forward of [GEMM 1 ms, all-reduce, GEMM 1 ms], nothing else.
  return one_pass_time(
      tp2_plan(),
      {test::compute_segment(1e-3), tp2_all_reduce(comm_s), test::compute_segment(1e-3)}, overlap);
}

TEST(Overlap, TensorParallelCollectiveRunsBesideTheNextGemm) {
  // Blocking: 1 ms + c + 1 ms. Overlapped with the second GEMM: 1 ms + max(1 ms, c).
  for (double c : {0.5e-3, 1.5e-3}) {
    EXPECT_NEAR(tp_pass_time(c, false), 2e-3 + c, kTimeTol) << c;
    EXPECT_NEAR(tp_pass_time(c, true), 1e-3 + std::max(1e-3, c), kTimeTol) << c;
  }
}

double row_parallel_pass_time(double comm_s) {
  // TP2 in one node, a row-parallel GEMM under Transformer Engine's userbuffers as the op list
  // orders it (models/tp_overlap_ops.hpp): [reduce-scatter, GEMM 1 ms, the chunks' sum 0.1 ms
  // that reads the exchanged chunks].
  Segment rs;
  rs.kind = SegmentKind::TpCollective;
  rs.bytes = 2 * comm_s * kNvlinkBps;  // TP2 moves (p−1)/p = 1/2 of the buffer per hop
  rs.overlapped = true;
  Segment sum = test::compute_segment(0.1e-3);
  sum.waits = true;
  return one_pass_time(tp2_plan(), {rs, test::compute_segment(1e-3), sum}, true);
}

TEST(Overlap, ARowParallelReduceScatterRunsBesideTheGemmProducingIt) {
  // The exchange runs beside the GEMM and the sum starts once both are done:
  // max(1 ms, c) + 0.1 ms (after the GEMM, as a collective of the next op, it was 1 ms + c).
  for (double c : {0.5e-3, 1.5e-3})
    EXPECT_NEAR(row_parallel_pass_time(c), std::max(1e-3, c) + 0.1e-3, kTimeTol) << c;
}

double tp_backward_time(double comm_s, bool overlapped) {
  // TP2 in one node, a column-parallel layer's backward as Megatron-LM's
  // LinearWithGradAccumulationAndAsyncCommunication runs it: [dgrad 1 ms, all-reduce of dX,
  // wgrad 1 ms, then the norm backward 1 ms that reads the reduced dX].
  Segment ar = tp2_all_reduce(comm_s);
  ar.overlapped = overlapped;
  Segment norm = test::compute_segment(1e-3);
  norm.waits = overlapped;
  return one_pass_time(tp2_plan(),
                       {test::compute_segment(1e-3), ar, test::compute_segment(1e-3), norm}, false);
}

TEST(Overlap, ColumnParallelGradientReductionRunsBesideTheWeightGradient) {
  // Synchronous: 1 ms + c + 1 ms + 1 ms. Overlapped: the all-reduce runs beside the wgrad GEMM
  // and the norm waits for both: 1 ms + max(1 ms, c) + 1 ms.
  for (double c : {0.5e-3, 1.5e-3}) {
    EXPECT_NEAR(tp_backward_time(c, false), 3e-3 + c, kTimeTol) << c;
    EXPECT_NEAR(tp_backward_time(c, true), 2e-3 + std::max(1e-3, c), kTimeTol) << c;
  }
}

double cp_pass_time(double comm_s, bool overlapped) {
  // CP2 in one node, Transformer Engine's ring attention: a forward of [K/V exchange, diagonal
  // block 1 ms, the received block's kernel 1 ms]; the second kernel reads the exchanged K/V.
  models::ParallelPlan plan;
  plan.cp = 2;
  Segment kv;
  kv.kind = SegmentKind::CpCollective;
  kv.bytes = 2 * comm_s * kNvlinkBps;  // a CP2 ring moves (p−1)/p = 1/2 of the gathered bytes
  kv.overlapped = overlapped;
  Segment received = test::compute_segment(1e-3);
  received.waits = overlapped;
  return one_pass_time(plan, {kv, test::compute_segment(1e-3), received}, false);
}

TEST(Overlap, RingAttentionExchangeRunsBesideTheDiagonalBlock) {
  // Blocking: c + 1 ms + 1 ms. Overlapped (TE's P2P ring): the exchange runs beside the diagonal
  // block and the received block's kernel starts once both are done: max(1 ms, c) + 1 ms.
  for (double c : {0.5e-3, 1.5e-3}) {
    EXPECT_NEAR(cp_pass_time(c, false), 2e-3 + c, kTimeTol) << c;
    EXPECT_NEAR(cp_pass_time(c, true), std::max(1e-3, c) + 1e-3, kTimeTol) << c;
  }
}

}  // namespace
}  // namespace trainsim::sim
