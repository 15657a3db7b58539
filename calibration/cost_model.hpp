#pragma once
// The interface the simulator times compute ops through. Implementations: the roofline fallback
// (peak × stated efficiency, from the catalog) and the profile model fitted to measured kernels.
#include <algorithm>
#include <cstdint>
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

/// `model.time(op, ctx)` for an op as the step runs it: a GEMM with serial_chunks > 1 as that
/// many GEMMs of gemm.m / serial_chunks rows (each its share of the FLOPs and bytes; the weight's
/// re-reads are not added), and an op with sms_reserved on that many fewer SMs (beyond the
/// context's own reservation; at least one left). Every pricing of a step op goes through it.
inline OpTiming time_op(const CostModel& model, const models::Op& op, const ComputeContext& ctx) {
  if (op.serial_chunks <= 1 && op.sms_reserved <= 0) return model.time(op, ctx);
  ComputeContext c = ctx;
  if (op.sms_reserved > 0 && ctx.gpu != nullptr && ctx.gpu->sm_count > 0) {
    const int have = ctx.sms_available > 0 ? ctx.sms_available : ctx.gpu->sm_count;
    c.sms_available = std::max(1, have - op.sms_reserved);
  }
  if (op.serial_chunks <= 1 || op.gemm.m <= 1) return model.time(op, c);
  const std::int64_t k = std::min<std::int64_t>(op.serial_chunks, op.gemm.m);
  models::Op chunk = op;
  chunk.serial_chunks = 1;
  chunk.gemm.m = (op.gemm.m + k - 1) / k;
  const double share = static_cast<double>(chunk.gemm.m) / static_cast<double>(op.gemm.m);
  chunk.flops = op.flops * share;
  chunk.bytes = op.bytes * share;
  OpTiming t = model.time(chunk, c);
  t.seconds *= static_cast<double>(k);
  return t;
}

}  // namespace trainsim::calibration
