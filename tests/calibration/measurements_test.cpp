#include "calibration/measurements.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "hardware/catalog.hpp"

namespace trainsim::calibration {
namespace {

const char* kJson = R"({"schema": "trainsim.device_measurements.v0",
 "device": {"name": "NVIDIA H100 80GB HBM3", "sm_count": 132},
 "points": [
  {"op": "gemm_fp8", "kind": "gemm", "dtype": "fp8_e4m3", "kernel": "mma", "shape": {"m": 4096, "n": 7168, "k": 16384, "groups": 1},
   "median_ms": 1.0, "flops": 962072674304, "bytes": 0, "reference_check": {"passed": true, "max_rel_err": 0.001}},
  {"op": "gemm_bad", "kind": "gemm", "dtype": "bf16", "kernel": "mma", "shape": {"m": 64, "n": 64, "k": 64, "groups": 1},
   "median_ms": 1.0, "flops": 524288, "bytes": 0, "reference_check": {"passed": false}},
  {"op": "copy", "kind": "copy", "dtype": "bytes", "shape": {"bytes": 2800000000}, "median_ms": 1.0,
   "flops": 0, "bytes": 2800000000, "reference_check": {"passed": true}}
 ]})";

TEST(Measurements, PassedPointsBecomeTheProfile) {
  const auto& h100 = hardware::HardwareCatalog::bundled().gpu("h100");
  const Profile p = profile_from_measurements(kJson, "m.json", "mine", h100, "2026-11-22");
  // Only the GEMM whose reference check passed: 962.07 GFLOP in 1 ms = 962 TFLOP/s.
  ASSERT_EQ(p.gemm.size(), 1u);
  EXPECT_EQ(p.gemm[0].dtype, hardware::Dtype::FP8);
  EXPECT_NEAR(p.gemm[0].flops_per_s, 962.072674304e12, 1e6);
  EXPECT_NE(p.gemm[0].source.find("measured by trainsim calibrate on NVIDIA H100"),
            std::string::npos);
  // Copy: 2.8 GB in 1 ms = 2.8 TB/s of 3.35 TB/s.
  EXPECT_NEAR(p.roofline.memory_efficiency, 2.8 / 3.35, 1e-9);
}

TEST(Measurements, ProfileYamlRoundTripsThroughTheLoader) {
  const auto& h100 = hardware::HardwareCatalog::bundled().gpu("h100");
  const Profile p = profile_from_measurements(kJson, "m.json", "mine", h100, "2026-11-22");
  const std::string path = ::testing::TempDir() + "mine.yaml";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  const std::string yaml = profile_to_yaml(p);
  std::fwrite(yaml.data(), 1, yaml.size(), f);
  std::fclose(f);
  const Profile back = load_profile(path);
  ASSERT_EQ(back.gemm.size(), 1u);
  EXPECT_NEAR(back.gemm[0].flops_per_s, p.gemm[0].flops_per_s, 1e11);
  EXPECT_NEAR(back.roofline.memory_efficiency, p.roofline.memory_efficiency, 1e-4);
}

TEST(Measurements, MalformedInputIsAConfigError) {
  const auto& h100 = hardware::HardwareCatalog::bundled().gpu("h100");
  EXPECT_THROW(profile_from_measurements("{not json", "m.json", "x", h100, "d"), ConfigError);
  try {
    profile_from_measurements("{\"points\": []}", "m.json", "x", h100, "d");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("unexpected measurements layout"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace trainsim::calibration
