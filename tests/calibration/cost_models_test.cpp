#include "calibration/cost_models.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "hardware/catalog.hpp"

namespace trainsim::calibration {
namespace {

const hardware::GpuSpec& h800() {
  return hardware::HardwareCatalog::bundled().gpu("h800");
}

models::Op gemm(std::int64_t m, std::int64_t n, std::int64_t k, hardware::Dtype d,
                std::int64_t groups = 1) {
  models::Op op;
  op.kind = groups > 1 ? models::OpKind::GroupedGemm : models::OpKind::Gemm;
  op.dtype = d;
  op.gemm = {m, n, k, groups};
  op.flops = 2.0 * static_cast<double>(m * n * k * groups);
  op.bytes =
      static_cast<double>((m * k + k * n) * groups) + 2.0 * static_cast<double>(m * n * groups);
  return op;
}

TEST(CostModels, RooflineIsTheMaxOfComputeAndMemoryTime) {
  // t = max(F / (peak · e_c), B / (bw · e_m)) with the ideal efficiencies 1.
  const auto model = make_cost_model("roofline", h800());
  ComputeContext ctx{&h800(), 0};
  const auto op = gemm(4096, 7168, 16384, hardware::Dtype::BF16);
  const double expected = std::max(op.flops / 989e12, op.bytes / 3.35e12);
  EXPECT_NEAR(model->time(op, ctx).seconds, expected, expected * 1e-12);
  EXPECT_EQ(model->time(op, ctx).source, TimingSource::Roofline);
}

TEST(CostModels, PublishedProfileTimesAMeasuredShapeNearItsRate) {
  // DeepGEMM: M=4096, N=7168, K=16384 FP8 at 1,520 TFLOP/s on all 132 SMs. The fitted efficiency
  // model (efficiency_fit.hpp) passes near, not through, its points: within its in-sample error
  // at this point (+6.9%; rms over the profile 9.7%).
  constexpr double kFitTol = 0.10;
  const auto model = make_cost_model("h800-published", h800());
  const auto op = gemm(4096, 7168, 16384, hardware::Dtype::FP8);
  const auto t = model->time(op, ComputeContext{&h800(), 0});
  EXPECT_EQ(t.source, TimingSource::Profile);
  EXPECT_NEAR(t.seconds, op.flops / 1520e12, op.flops / 1520e12 * kFitTol);
}

TEST(CostModels, AFitDoesNotExtrapolatePastTheFastestMeasuredRate) {
  // h100-published BF16: its points reach 764.1 TFLOP/s (4096x2048x4096) and the measured
  // maximum achievable matmul rate is 0.803 x 989 = 794.5 TFLOP/s, the higher of the two. A
  // 16384-cubed GEMM, far outside the points, which the fit alone prices faster, runs at exactly
  // that ceiling: t = flops / (989e12 x 0.803).
  const auto& h100 = hardware::HardwareCatalog::bundled().gpu("h100");
  const auto model = make_cost_model("h100-published", h100);
  const auto op = gemm(16384, 16384, 16384, hardware::Dtype::BF16);
  const OpTiming t = model->time(op, ComputeContext{&h100, 0});
  EXPECT_NEAR(t.seconds, op.flops / (989e12 * 0.803), op.flops / (989e12 * 0.803) * 1e-9);
  // A measured shape stays at its fitted time, under the ceiling.
  const auto small = gemm(2048, 1024, 2048, hardware::Dtype::BF16);
  EXPECT_GT(model->time(small, ComputeContext{&h100, 0}).seconds,
            small.flops / (989e12 * 0.803) * 1.2);
}

TEST(CostModels, ReservedSmsSlowComputeBoundOpsByTheirWaves) {
  // 112 of 132 SMs left to compute. t_c = waves · 2·BM·BN·K · sm_count / peak · (a + b/K):
  // the time scales by waves(112)·BM·BN / (waves(132)·BM'·BN') with each SM count's tile choice
  // — 896 tiles of 256×128 are 7 waves on 132 SMs, 8 on 112 — not by 132/112.
  constexpr double kTol = 1e-9;
  const auto model = make_cost_model("h800-published", h800());
  const auto op = gemm(4096, 7168, 16384, hardware::Dtype::FP8);
  const double all = model->time(op, ComputeContext{&h800(), 0}).seconds;
  const double fewer = model->time(op, ComputeContext{&h800(), 112}).seconds;
  const TileChoice t132 = choose_tile(4096, 7168, 1, false, 132);
  const TileChoice t112 = choose_tile(4096, 7168, 1, false, 112);
  const double launch =
      static_cast<const ProfileCostModel&>(*model).fits()[0].coefficients().launch_s;
  const double expected = static_cast<double>(t112.waves * t112.block_m * t112.block_n) /
                          static_cast<double>(t132.waves * t132.block_m * t132.block_n);
  EXPECT_EQ(t132.waves, 7);
  EXPECT_EQ(t112.waves, 8);
  EXPECT_NEAR((fewer - launch) / (all - launch), expected, kTol);
}

TEST(CostModels, TheSlowestGpuScaleStretchesComputeBoundTimeOnly) {
  // ComputeContext::compute_scale s multiplies a compute-bound op's time (the fitted GEMM; the
  // roofline's compute term) and leaves a memory-bound op's (HBM time) alone: the SM clock of the
  // job's slowest GPU does not change its HBM bandwidth.
  constexpr double kScale = 1.05;
  const auto model = make_cost_model("h800-published", h800());
  const auto op = gemm(4096, 7168, 16384, hardware::Dtype::FP8);
  ComputeContext mean{&h800(), 0};
  ComputeContext slow = mean;
  slow.compute_scale = kScale;
  EXPECT_NEAR(model->time(op, slow).seconds, kScale * model->time(op, mean).seconds,
              kScale * model->time(op, mean).seconds * 1e-12);
  // Roofline compute-bound BF16 GEMM: F / peak · s; a memory-bound copy: B / bw, unscaled.
  const auto roof = make_cost_model("roofline", h800());
  const auto bf16 = gemm(4096, 7168, 16384, hardware::Dtype::BF16);
  EXPECT_NEAR(roof->time(bf16, slow).seconds, bf16.flops / 989e12 * kScale,
              bf16.flops / 989e12 * 1e-9);
  models::Op copy;
  copy.kind = models::OpKind::Elementwise;
  copy.dtype = hardware::Dtype::BF16;
  copy.flops = 1e6;
  copy.bytes = 1e9;
  EXPECT_DOUBLE_EQ(roof->time(copy, slow).seconds, roof->time(copy, mean).seconds);
}

TEST(CostModels, AUserbuffersGemmRunsAsItsChunksOnTheSmsLeftToIt) {
  // time_op: serial_chunks k → k GEMMs of m/k rows, each priced alone, back to back; sms_reserved
  // s → the GEMM on sm_count − s SMs. Compared with the same cost model called directly.
  const auto model = make_cost_model("h800-published", h800());
  const ComputeContext all{&h800(), 0};
  auto op = gemm(4096, 2304, 16384, hardware::Dtype::FP8);
  EXPECT_DOUBLE_EQ(time_op(*model, op, all).seconds, model->time(op, all).seconds);
  op.serial_chunks = 8;
  const auto chunk = gemm(512, 2304, 16384, hardware::Dtype::FP8);
  EXPECT_NEAR(time_op(*model, op, all).seconds, 8 * model->time(chunk, all).seconds,
              8 * model->time(chunk, all).seconds * 1e-12);
  op.serial_chunks = 1;
  op.sms_reserved = 24;
  const ComputeContext fewer{&h800(), 132 - 24};
  EXPECT_DOUBLE_EQ(time_op(*model, op, all).seconds,
                   model->time(gemm(4096, 2304, 16384, hardware::Dtype::FP8), fewer).seconds);
}

TEST(CostModels, UnmeasuredOpsFallBackAndSaySo) {
  const auto model = make_cost_model("h800-published", h800());
  EXPECT_EQ(
      model->time(gemm(4096, 4096, 4096, hardware::Dtype::BF16), ComputeContext{&h800(), 0}).source,
      TimingSource::Roofline);
}

TEST(CostModels, GroupedGemmUsesGroupedPoints) {
  // 4 groups × 8192 × 4096 × 7168 FP8: DeepGEMM grouped contiguous 1,346 TFLOP/s. The grouped
  // kind has its own main-loop efficiency in the fit, which meets its four points within 1%.
  constexpr double kGroupedFitTol = 0.02;
  const auto model = make_cost_model("h800-published", h800());
  const auto op = gemm(8192, 4096, 7168, hardware::Dtype::FP8, 4);
  const auto t = model->time(op, ComputeContext{&h800(), 0});
  EXPECT_EQ(t.source, TimingSource::Profile);
  EXPECT_NEAR(t.seconds, op.flops / 1346e12, op.flops / 1346e12 * kGroupedFitTol);
}

TEST(CostModels, UnknownProfileListsValidNames) {
  try {
    make_cost_model("h900-measured", h800());
    FAIL();
  } catch (const ModelError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("unknown calibration profile 'h900-measured'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("h800-published"), std::string::npos) << msg;
    EXPECT_NE(msg.find("roofline"), std::string::npos) << msg;
  }
}

TEST(CostModels, EveryBundledProfileLoads) {
  for (const auto& e : profile_entries()) {
    EXPECT_EQ(e.description.find("(invalid"), std::string::npos) << e.name << ": " << e.description;
  }
}

}  // namespace
}  // namespace trainsim::calibration
