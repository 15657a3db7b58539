#include "hardware/slowest_gpu.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "hardware/catalog.hpp"

namespace trainsim::hardware {
namespace {

TEST(SlowestGpu, ExpectedMaximumOfStandardNormalsMatchesClosedForms) {
  // E[max of 1] = 0; E[max of 2] = 1/√π; E[max of 3] = 3/(2√π) (order statistics of the normal,
  // closed forms); E[max of 5] = 1.16296 (tabulated, e.g. Harter 1961).
  EXPECT_DOUBLE_EQ(expected_max_standard_normal(1), 0.0);
  EXPECT_NEAR(expected_max_standard_normal(2), 1.0 / std::sqrt(M_PI), 1e-9);
  EXPECT_NEAR(expected_max_standard_normal(3), 1.5 / std::sqrt(M_PI), 1e-9);
  EXPECT_NEAR(expected_max_standard_normal(5), 1.16296, 1e-5);
}

TEST(SlowestGpu, TheExpectedMaximumGrowsWithNButBelowTheExtremeValueBound) {
  // It grows with N, and stays below √(2 ln N) (the union bound on the maximum's expectation).
  double prev = 0;
  for (int n : {2, 8, 64, 1024, 16384, 1000000}) {
    const double e = expected_max_standard_normal(n);
    EXPECT_GT(e, prev) << n;
    EXPECT_LT(e, std::sqrt(2.0 * std::log(n))) << n;
    prev = e;
  }
}

TEST(SlowestGpu, FactorIsOnePlusCvTimesTheExpectedMaximum) {
  // slowest_gpu_factor(σ, N) = 1 + σ · E[max of N]; one GPU, or identical GPUs, wait for nobody.
  EXPECT_DOUBLE_EQ(slowest_gpu_factor(0.017, 1), 1.0);
  EXPECT_DOUBLE_EQ(slowest_gpu_factor(0.0, 1024), 1.0);
  EXPECT_NEAR(slowest_gpu_factor(0.017, 2), 1.0 + 0.017 / std::sqrt(M_PI), 1e-9);
  EXPECT_NEAR(slowest_gpu_factor(0.02, 1024), 1.0 + 0.02 * expected_max_standard_normal(1024),
              1e-12);
  EXPECT_THROW(slowest_gpu_factor(-0.01, 8), std::invalid_argument);
  EXPECT_THROW(expected_max_standard_normal(0), std::invalid_argument);
}

TEST(SlowestGpu, BundledGpusCarryTheMeasuredSpreadWithItsSource) {
  // 1.7%: the per-GPU SM clock (and SGEMM time, without its faulty GPU) CoV of 392 V100s.
  for (const char* name : {"a100", "h100", "h800", "h200", "b200"}) {
    const GpuSpec& g = HardwareCatalog::bundled().gpu(name);
    EXPECT_DOUBLE_EQ(g.perf_variation, 0.017) << name;
    EXPECT_NE(g.sources.at("perf_variation").find("blox-pal"), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace trainsim::hardware
