#pragma once
// A GPU model as the simulator sees it. All rates are dense (never the with-sparsity figure),
// in SI units: FLOP/s, bytes, bytes/s, watts. Every field read from a catalog carries a source.
#include <array>
#include <map>
#include <string>

#include "hardware/dtype.hpp"

namespace trainsim::hardware {

struct GpuSpec {
  std::string name;         ///< catalog key, lower case ("h800")
  std::string description;  ///< e.g. "NVIDIA H800 SXM5 80GB"
  /// Dense tensor-core peak per dtype, FLOP/s, indexed by static_cast<int>(Dtype). 0 = unsupported.
  std::array<double, 5> peak_flops{};
  int sm_count = 0;                  ///< streaming multiprocessors
  double hbm_bytes = 0;              ///< device memory capacity, bytes
  double hbm_bw_Bps = 0;             ///< peak device-memory bandwidth, bytes/s
  double nvlink_bw_Bps = 0;          ///< NVLink bandwidth per GPU per direction, bytes/s
  double nvlink_achievable_Bps = 0;  ///< achievable NVLink bandwidth per direction, bytes/s
  /// nvlink_achievable_Bps / nvlink_bw_Bps, in (0, 1]: a changed nominal rate keeps it.
  double nvlink_efficiency = 0;
  double nvlink_latency_s = 0;  ///< one-way small-message latency over NVLink, seconds
  /// NVLink bytes per second one GPU's expert all-to-all kernels put on the wire, where measured
  /// (DeepEP's normal kernels: SM-issued copies, below the link's achievable rate); 0 = the
  /// kernels reach the link's rate. Dispatch and combine are separate kernels.
  double ep_dispatch_nvlink_Bps = 0;
  double ep_combine_nvlink_Bps = 0;
  double tdp_w = 0;  ///< board power, watts
  /// Coefficient of variation, across GPUs of this model, of the sustained rate of a compute-bound
  /// kernel (each die settles at its own clock at the power limit); 0 = identical GPUs. A
  /// synchronous job runs its compute-bound work at its slowest GPU's pace: slowest_gpu.hpp.
  double perf_variation = 0;
  /// field name → source (datasheet, paper table, repository file, measurement).
  std::map<std::string, std::string> sources;

  double peak(Dtype d) const { return peak_flops[static_cast<std::size_t>(d)]; }
};

}  // namespace trainsim::hardware
