#pragma once
// The interface the simulator times compute ops through. Implementations: the roofline fallback
// (peak × stated efficiency, from the catalog) and the profile model fitted to measured kernels.
#include <memory>
#include <string>

#include "hardware/gpu_spec.hpp"
#include "models/op.hpp"

namespace trainsim::calibration {

/// What the op runs on: the GPU and how many of its SMs compute may use (the rest are held by
/// communication kernels, e.g. DeepSeek-V3's 20 of 132).
struct ComputeContext {
  const hardware::GpuSpec* gpu = nullptr;
  int sms_available = 0;  ///< 0 means all of gpu->sm_count
  /// Multiplies the compute-bound time of every op (GEMMs, attention, the compute term of the
  /// roofline), >= 1: the slowest GPU of the job paces its synchronous step
  /// (hardware/slowest_gpu.hpp); 1 prices one mean GPU. Memory-bound time is not scaled (the HBM
  /// clock does not follow the SM clock).
  double compute_scale = 1.0;
};

/// Where an op's time came from, so results can say which ops fell back to the roofline.
enum class TimingSource { Profile, Roofline };

struct OpTiming {
  double seconds = 0;  ///< wall time of the op on one GPU, > 0 for any op with work
  TimingSource source = TimingSource::Roofline;
  /// "" when the profile measured this kind of op; else what priced it instead and at what rate,
  /// e.g. "gemm bf16 wgrad: the forward fit (no wgrad points)" (listed in the step output).
  std::string fallback;
};

class CostModel {
 public:
  virtual ~CostModel() = default;
  /// Time of a compute op (never called for communication ops). Deterministic and thread-safe.
  virtual OpTiming time(const models::Op& op, const ComputeContext& ctx) const = 0;
  /// Name shown in results, e.g. "h800-published" or "roofline".
  virtual std::string name() const = 0;
};

}  // namespace trainsim::calibration
