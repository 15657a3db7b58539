#pragma once
// Measured op times from a profiler trace (the `measured_ops:` section of a profile, written by
// `trainsim calibrate --from-trace`) and the cost model that uses them ahead of the profile's GEMM
// fit and roofline.
//
// A point is one kernel class in one pass (e.g. FP8 dense GEMMs, forward): the trace's kernel
// time per layer per micro-batch, the kernels that fed it, and the trainsim ops it was matched
// to. The point's time is split over its ops in proportion to their work (FLOP for GEMMs,
// attention and the router, HBM bytes for memory-bound kinds), so each op has a measured time.
//
// Pricing rule (MeasuredOpsCostModel): an op of a scenario takes the measured time of the op with
// the same name (without its layer prefix, "L12.attn.q_a_proj" → "attn.q_a_proj"), pass and dtype,
//   t = t_measured · (work / work_measured) · (compute_sms / SMs available)   [compute-bound]
//   t = t_measured · (bytes / bytes_measured)                                 [memory-bound]
// i.e. exact at the calibrated shape, scaled by FLOP (or bytes) when the micro-batch, sequence or
// sharding differs, and by SMs for compute-bound ops when the reserved-SM count differs from the
// trace's. On a GPU other than the profile's (its first `applies_to`), the transfer rule of
// cost_models.hpp: compute-bound × peak_dtype(profile GPU) / peak_dtype(scenario GPU),
// memory-bound × HBM(profile GPU) / HBM(scenario GPU). Ops with no measured twin go to the fallback
// (the `base:` profile, else the profile's own GEMM fit and roofline).
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "calibration/cost_model.hpp"
#include "hardware/dtype.hpp"
#include "hardware/gpu_spec.hpp"
#include "models/op.hpp"

namespace trainsim {
class ConfigNode;
}

namespace trainsim::calibration {

struct Profile;

/// One trainsim op's share of a point, at the calibrated shape.
struct MeasuredOp {
  std::string op;  ///< op name without the layer prefix, e.g. "attn.q_a_proj"
  models::OpKind kind = models::OpKind::Gemm;
  hardware::Dtype dtype = hardware::Dtype::BF16;
  double seconds = 0;  ///< per layer per micro-batch
  double flops = 0;    ///< the op's FLOP at the calibrated shape
  double bytes = 0;    ///< its HBM bytes (or bytes sent, communication)
};

struct MeasuredPoint {
  std::string kind;  ///< kernel class label(s), e.g. "gemm.fp8.dense" or "gemm.bf16.dense+router"
  models::Pass pass = models::Pass::Forward;
  double seconds = 0;                ///< kernel time per layer per micro-batch
  std::vector<std::string> kernels;  ///< "short name ×count (ms)", every kernel that fed it
  std::string source;
  std::vector<MeasuredOp> ops;
};

/// A kernel (short name) in a class and pass that matched no op, with why.
struct UnmatchedKernel {
  std::string kernel;
  std::string cls;
  models::Pass pass = models::Pass::Forward;
  int count = 0;
  double seconds = 0;  ///< total in the trace (not per layer)
  std::string reason;
};

struct MeasuredOps {
  std::string trace;   ///< trace file name
  std::string sha256;  ///< of the trace file
  std::string source;  ///< where the trace is published (repository @ commit, path)
  std::string model;   ///< catalog model the ops were matched to
  std::int64_t sequences = 1, seq_len = 0;
  int tp = 1, ep = 1, cp = 1;
  int compute_sms = 0;            ///< SMs the compute kernels had (0: all)
  int layers = 0;                 ///< layers the trace covers (kernel sums are divided by it)
  double match_rate = 0;          ///< kernel time fed to a point / all kernel time
  double compute_match_rate = 0;  ///< same over compute kernels (not all-to-all, NCCL)
  std::vector<MeasuredPoint> points;
  std::vector<UnmatchedKernel> unmatched;
  bool empty() const { return points.empty(); }
};

/// Parses a profile's `measured_ops:` section; ConfigError with file:line for every bad field.
MeasuredOps parse_measured_ops(const ConfigNode& node);

/// The section as YAML (two-space indented under `measured_ops:`), readable by parse_measured_ops.
std::string measured_ops_to_yaml(const MeasuredOps& m);

/// "L12.attn.q_a_proj" → "attn.q_a_proj", "MTP0.moe.router" → "moe.router".
std::string op_name_without_layer(const std::string& name);

class MeasuredOpsCostModel : public CostModel {
 public:
  /// `fallback` times every op without a measured twin; `name` is the profile's.
  /// `device`: the GPU the trace was taken on (nullptr: the scenario's, no transfer).
  MeasuredOpsCostModel(std::string name, MeasuredOps measured, std::unique_ptr<CostModel> fallback,
                       const hardware::GpuSpec* device = nullptr);
  OpTiming time(const models::Op& op, const ComputeContext& ctx) const override;
  std::string name() const override { return name_; }
  const MeasuredOps& measured() const { return measured_; }
  /// The measured op an op would use, or nullptr.
  const MeasuredOp* find(const models::Op& op) const;

 private:
  std::string name_;
  MeasuredOps measured_;
  std::unique_ptr<CostModel> fallback_;
  const hardware::GpuSpec* device_ = nullptr;
  std::unordered_map<std::string, MeasuredOp> by_key_;  ///< "pass|op|dtype"
};

/// The cost model of a profile with measured ops: MeasuredOpsCostModel over its `base:` profile
/// (make_cost_model; a base may not itself be chained more than 4 deep), else over the profile's
/// own GEMM fit and roofline (ProfileCostModel).
std::unique_ptr<CostModel> make_measured_cost_model(Profile profile, const hardware::GpuSpec& gpu);

}  // namespace trainsim::calibration
