#pragma once
// The device measuring harness behind `trainsim-calibrate-device`: for each op and shape, draw
// random inputs, check the kernel against a float64 host reference (poisoned output, every
// element written), then time it with CUDA events (warm-up, L2 flushed before every repetition,
// median and spread) next to the vendor library where there is one, and write JSON.
#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace trainsim::calibration::kernels {

/// The op names the harness knows, in run order.
const std::vector<std::string>& harness_op_names();

struct HarnessOptions {
  std::vector<std::string> ops;   ///< empty = all of harness_op_names()
  std::string out;                ///< JSON path; empty = no file
  int reps = 50;                  ///< timed repetitions per point, >= 1
  int warmup = 5;                 ///< untimed launches before timing, >= 0
  bool small = false;             ///< small shapes (quick self-test), not the V3 shapes
  bool check_only = false;        ///< reference checks only, no timing
  std::uint64_t seed = 20241226;  ///< input seed (the V3 report's date)
  /// Dense GEMM shapes {m, n, k} for gemm_fp8 / gemm_bf16 (and their cuBLASLt column) in place
  /// of DeepSeek-V3's; empty = the V3 table. Not with `small` (validate_options rejects both).
  std::vector<std::array<std::int64_t, 3>> gemm_shapes;
};

/// Parses `--gemm-shapes`: comma-separated MxNxK, each m >= 1, n a multiple of 8 and k of 128
/// (what the kernels support); throws trainsim::Error naming the bad item.
std::vector<std::array<std::int64_t, 3>> parse_gemm_shapes(const std::string& text);

struct ReferenceCheck {
  double rel_l2_err = 0;       ///< ‖out − ref‖₂ / ‖ref‖₂ over the checked elements
  double max_rel_err = 0;      ///< max |out − ref| / max |ref| over the checked elements
  double tolerance = 0;        ///< passed means rel_l2_err <= tolerance (and no NaN, all written)
  std::int64_t checked = 0;    ///< elements compared
  std::int64_t nonfinite = 0;  ///< NaN/Inf (or unwritten, poisoned) outputs found
  bool passed = false;
  std::string note;  ///< what was compared against what
};

struct Shape {
  std::int64_t m = 0, n = 0, k = 0, groups = 0;  ///< GEMM
  std::int64_t batch = 0, heads = 0, seq_q = 0, seq_kv = 0, head_dim_qk = 0, head_dim_v = 0;
  bool causal = false;             ///< attention
  std::int64_t rows = 0, dim = 0;  ///< row-wise ops
  std::int64_t bytes = 0;          ///< copy
};

struct Point {
  std::string op;      ///< harness op name, e.g. "gemm_fp8"
  std::string kind;    ///< models::OpKind spelling: gemm, grouped_gemm, attention, norm, ...
  std::string dtype;   ///< fp8_e4m3, bf16, fp32
  std::string kernel;  ///< which implementation was timed
  Shape shape;
  std::vector<double> times_ms;  ///< one per repetition
  double median_ms = 0, min_ms = 0, max_ms = 0, p10_ms = 0, p90_ms = 0;
  double flops = 0;  ///< FLOP of the op (GEMM 2·m·n·k; attention counts causal pairs)
  double bytes = 0;  ///< ideal HBM bytes: inputs read once, outputs written once
  ReferenceCheck check;
  std::string vendor_name;  ///< empty when no vendor figure
  double vendor_median_ms = 0;
  ReferenceCheck vendor_check;
  std::string error;  ///< non-empty when the point could not be measured
};

struct DeviceInfo {
  std::string name;
  int sm_count = 0;
  int sm_clock_mhz = 0;   ///< peak SM clock the driver reports
  int mem_clock_mhz = 0;  ///< peak memory clock
  int cc_major = 0, cc_minor = 0;
  std::int64_t l2_bytes = 0;
  std::int64_t memory_bytes = 0;
  std::string driver;  ///< CUDA version the driver supports, e.g. "13.0"
  std::string cuda;    ///< runtime version, e.g. "13.0"
  std::string cublaslt;
};

/// Throws trainsim::UnavailableError("no CUDA device found (cudaGetDeviceCount: ...)") when
/// there is no usable device.
DeviceInfo query_device();

/// Throws trainsim::Error on bad options (unknown op name listing the valid ones, reps < 1,
/// warmup < 0, small with gemm_shapes); needs no device.
void validate_options(const HarnessOptions& options);

/// Runs the selected ops; progress and one line per point go to `log`. Validates options
/// first. A point whose check fails is kept (passed = false) but not timed.
std::vector<Point> run_harness(const HarnessOptions& options, const DeviceInfo& device,
                               std::ostream& log);

/// The measurements as JSON (device, options, points).
std::string to_json(const DeviceInfo& device, const HarnessOptions& options,
                    const std::vector<Point>& points);

}  // namespace trainsim::calibration::kernels
