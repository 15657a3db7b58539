#pragma once
// `trainsim calibrate --from-trace`: measured op times from a profiler trace (trace_reader.hpp),
// its kernels classified (trace_classifier.hpp) and matched to trainsim's op list for the model
// and micro-batch that produced it.
//
// Matching: the trace covers `layers` transformer layers (given, or counted as the forward
// attention kernels); every kernel of one class in one pass is summed over the trace and divided
// by `layers` (time per layer per micro-batch), then matched to the ops of that pass in one layer
// of the model (the first MoE layer when the trace has MoE kernels, else the first dense layer)
// that the class computes (class_matches_op). Classes that reach the same ops form one point.
// A weight-gradient GEMM is a backward_weight kernel whatever annotation launched it. A class
// with no op to match — a kind the op list does not have in that pass, an optimizer, a kernel no
// rule knows — is listed as unmatched with its count, time and reason. The match rate is the
// kernel time that fed a point over all kernel time (and over compute kernels only: without
// all-to-all and NCCL, whose points are recorded but not used — communication is simulated as
// flows).
#include <map>
#include <string>
#include <vector>

#include "calibration/measured_ops.hpp"
#include "calibration/trace_reader.hpp"
#include "models/model_spec.hpp"
#include "models/op_list.hpp"

namespace trainsim::calibration {

struct TraceCalibrationOptions {
  int layers = 0;       ///< layers in the trace; 0: the number of forward attention kernels
  int compute_sms = 0;  ///< SMs the compute kernels had (the plan's sm_count − comm_sms; 0 all)
  std::string source;   ///< where the trace is published; "" uses the file name
};

/// Per op kind and pass, per layer per micro-batch: the trace's kernel time matched to that kind.
struct KindTime {
  models::OpKind kind = models::OpKind::Gemm;
  models::Pass pass = models::Pass::Forward;
  double seconds = 0;
};

struct TraceCalibration {
  MeasuredOps measured;
  std::int64_t layer = 0;                   ///< the model layer the kernels were matched to
  double kernel_seconds = 0;                ///< all GPU kernel time in the trace
  std::size_t kernel_count = 0;             ///< GPU kernels in the trace
  std::map<std::int64_t, double> stream_s;  ///< kernel time per stream
  std::map<std::string, double> class_s;    ///< kernel time per class label
  std::vector<KindTime> per_kind;           ///< from the points' ops, in kind then pass order
};

/// Classifies and matches; ConfigError naming the trace when the layer count cannot be found or
/// no kernel matches an op of the model.
TraceCalibration calibrate_from_trace(const Trace& trace, const models::ModelSpec& model,
                                      const models::OpListContext& ctx,
                                      const TraceCalibrationOptions& options);

/// Sums of the measured ops' times by op kind and pass (what per_kind holds).
std::vector<KindTime> measured_kind_times(const MeasuredOps& m);

/// A whole profile file: header (name, description, device, applies_to, base) + measured_ops.
std::string trace_profile_yaml(const std::string& name, const std::string& description,
                               const std::string& device,
                               const std::vector<std::string>& applies_to, const std::string& base,
                               const MeasuredOps& measured);

/// Human-readable report: per-stream and per-class kernel time, the points, the unmatched.
std::string trace_calibration_report(const TraceCalibration& c);

}  // namespace trainsim::calibration
