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

TEST(CostModels, PublishedProfileTimesAMeasuredShapeAtItsRate) {
  // DeepGEMM: M=4096, N=7168, K=16384 FP8 at 1,520 TFLOP/s on all 132 SMs.
  const auto model = make_cost_model("h800-published", h800());
  const auto op = gemm(4096, 7168, 16384, hardware::Dtype::FP8);
  const auto t = model->time(op, ComputeContext{&h800(), 0});
  EXPECT_EQ(t.source, TimingSource::Profile);
  EXPECT_NEAR(t.seconds, op.flops / 1520e12, op.flops / 1520e12 * 1e-9);
}

TEST(CostModels, ReservedSmsSlowComputeBoundOpsProportionally) {
  // 112 of 132 SMs left to compute: t × 132/112.
  const auto model = make_cost_model("h800-published", h800());
  const auto op = gemm(4096, 7168, 16384, hardware::Dtype::FP8);
  const double all = model->time(op, ComputeContext{&h800(), 0}).seconds;
  const double fewer = model->time(op, ComputeContext{&h800(), 112}).seconds;
  EXPECT_NEAR(fewer / all, 132.0 / 112.0, 1e-12);
}

TEST(CostModels, UnmeasuredOpsFallBackAndSaySo) {
  const auto model = make_cost_model("h800-published", h800());
  EXPECT_EQ(
      model->time(gemm(4096, 4096, 4096, hardware::Dtype::BF16), ComputeContext{&h800(), 0}).source,
      TimingSource::Roofline);
}

TEST(CostModels, GroupedGemmUsesGroupedPoints) {
  // 4 groups × 8192 × 4096 × 7168 FP8: DeepGEMM grouped contiguous 1,346 TFLOP/s.
  const auto model = make_cost_model("h800-published", h800());
  const auto op = gemm(8192, 4096, 7168, hardware::Dtype::FP8, 4);
  EXPECT_NEAR(model->time(op, ComputeContext{&h800(), 0}).seconds, op.flops / 1346e12,
              op.flops / 1346e12 * 1e-9);
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
