#pragma once
// A calibration profile: measured (or published) op timings on one GPU model, the roofline
// efficiencies for ops it does not cover, and achievable network bandwidths — every number with
// its source. Profiles are YAML files under calibration/profiles/ (see h800-published.yaml for
// the format) or any file a user passes.
#include <string>
#include <vector>

#include "hardware/dtype.hpp"

namespace trainsim::calibration {

/// One measured GEMM: `groups` GEMMs of [m,k]×[k,n] in `dtype` took `seconds` (or ran at
/// `flops_per_s`); `source` says who measured it and where it is published.
struct GemmPoint {
  hardware::Dtype dtype = hardware::Dtype::FP8;
  std::int64_t m = 0, n = 0, k = 0, groups = 1;
  double flops_per_s = 0;  ///< achieved FLOP/s (2·m·n·k·groups / time)
  std::string source;
};

/// Roofline efficiencies for ops without measurements: time = max(FLOP / (peak · compute_eff),
/// bytes / (HBM bandwidth · memory_eff)) + launch overhead.
struct RooflineParams {
  double compute_efficiency = 1.0;
  double memory_efficiency = 1.0;
  double launch_overhead_s = 0.0;
  std::string compute_source = "ideal bound: 100% of the dense peak";
  std::string memory_source = "ideal bound: 100% of the HBM bandwidth";
  std::string launch_source = "no per-kernel overhead";
};

struct Profile {
  std::string name;
  std::string description;
  std::string device;                   ///< what the points were measured on
  std::vector<std::string> applies_to;  ///< GPU catalog names whose SMs/tensor cores match
  std::string file;                     ///< where it was loaded from
  RooflineParams roofline;
  std::vector<GemmPoint> gemm;
};

/// Loads and validates a profile file; ConfigError with file:line for every bad field.
Profile load_profile(const std::string& path);

}  // namespace trainsim::calibration
