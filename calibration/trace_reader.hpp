#pragma once
// Reading a PyTorch-profiler (Kineto) Chrome trace: a JSON object with a `traceEvents` array, or a
// bare array of events (the Trace Event Format). GPU work is the complete events ("ph": "X") of
// category "kernel", "gpu_memcpy" or "gpu_memset"; each carries args.stream and args.correlation.
// The pass a kernel belongs to comes from the annotations around the CPU call that launched it
// (the cuda_runtime / cuda_driver event with the same correlation id):
//   1. the innermost "user_annotation" (CPU timeline, at the launch time) or "gpu_user_annotation"
//      (GPU timeline, at the kernel's start, same stream) whose name marks a pass: a suffix "(F)",
//      "(B)" or "(W)" (DualPipe's chunk names, e.g. "attn(B)", in deepseek-ai/profile-data) or a
//      word "forward"/"fwd", "backward"/"bwd" (case-insensitive);
//   2. else the launch inside an autograd op (a cpu_op named "autograd::engine::evaluate_function:
//      …" on the launching thread): backward_input;
//   3. else forward.
// Times are SI seconds (the trace's microseconds / 1e6).
#include <cstdint>
#include <string>
#include <vector>

#include "models/op.hpp"

namespace trainsim::calibration {

struct TraceKernel {
  std::string name;      ///< full (demangled) kernel name, or "Memcpy DtoD (Device -> Device)"
  std::string category;  ///< "kernel", "gpu_memcpy" or "gpu_memset"
  std::int64_t stream = -1;
  double start_s = 0;      ///< trace clock, seconds
  double duration_s = 0;   ///< >= 0
  std::string annotation;  ///< the annotation that set the pass ("" if none)
  models::Pass pass = models::Pass::Forward;
};

struct Trace {
  std::string file;                  ///< where it was read from (the origin for parse_chrome_trace)
  std::string sha256;                ///< of the file's bytes
  std::string device;                ///< deviceProperties[0].name, "" if absent
  int device_sms = 0;                ///< deviceProperties[0].numSms, 0 if absent
  std::size_t events = 0;            ///< events in the file
  std::vector<TraceKernel> kernels;  ///< in the file's order
};

/// Reads and parses `path`; IoError if unreadable, ConfigError (see parse_chrome_trace).
Trace read_chrome_trace(const std::string& path);

/// Parses trace text. ConfigError naming `origin` when it is not JSON, not a Chrome trace (an
/// object with a `traceEvents` array or an array of events) or holds no GPU kernel events.
Trace parse_chrome_trace(const std::string& text, const std::string& origin);

}  // namespace trainsim::calibration
