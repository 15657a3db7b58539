#pragma once
// Sustained GEMM throughput: one cuBLASLt GEMM shape run back to back for a fixed wall time, its
// rate reported per window. The harness's points time short bursts after an idle gap (a cold L2,
// a GPU at its boost clock); a training step keeps the tensor cores busy for seconds, where the
// board's power limit sets the clock. The first windows against the last measure that
// difference on the device itself (run_on_device.sh samples the SM clock and the power beside
// it with nvidia-smi).
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace trainsim::calibration::kernels {

struct SustainOptions {
  double seconds = 0;      ///< wall time per dtype, > 0 (0 = no sustained run)
  double window_s = 0.25;  ///< target length of one timed window
  std::int64_t m = 8192, n = 8192, k = 8192;
  std::uint64_t seed = 20241226;
};

struct SustainWindow {
  double start_s = 0;  ///< host time at the window's first launch, from the run's start
  double ms = 0;       ///< device time of the window (CUDA events)
  int launches = 0;
  double tflops = 0;  ///< 2·m·n·k·launches / ms
};

struct SustainRun {
  std::string dtype;  ///< "fp8_e4m3" (one scale per tensor) or "bf16"
  std::int64_t m = 0, n = 0, k = 0;
  std::vector<SustainWindow> windows;
  double first_tflops = 0;   ///< the first window's rate (the burst figure)
  double last_tflops = 0;    ///< the median of the last quarter of the windows (sustained)
  double median_tflops = 0;  ///< over all windows
  std::string error;         ///< non-empty when the run could not be made
};

/// Throws trainsim::Error unless 0 < seconds <= 600, 0.01 <= window_s <= seconds, m >= 1, n a
/// multiple of 8 and k of 16 (cuBLASLt's FP8 alignment); needs no device.
void validate_sustain_options(const SustainOptions& options);

/// Runs FP8 then BF16, `seconds` each, on the current device; one line per window to `log`.
std::vector<SustainRun> run_sustained_gemms(const SustainOptions& options, std::ostream& log);

struct DeviceInfo;

/// The device and the runs as one JSON document: {"device": {...}, "sustained": [...]}.
std::string sustain_json(const DeviceInfo& device, const std::vector<SustainRun>& runs);

}  // namespace trainsim::calibration::kernels
