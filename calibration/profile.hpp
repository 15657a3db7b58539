#pragma once
// A calibration profile: measured (or published) op timings on one GPU model, the roofline
// efficiencies for ops it does not cover, and achievable network bandwidths — every number with
// its source. Profiles are YAML files under calibration/profiles/ (see h800-published.yaml for
// the format) or any file a user passes.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "calibration/measured_ops.hpp"
#include "hardware/dtype.hpp"
#include "models/op.hpp"

namespace trainsim::calibration {

/// One measured GEMM: `groups` GEMMs of [m,k]×[k,n] in `dtype` took `seconds` (or ran at
/// `flops_per_s`); `source` says who measured it and where it is published.
struct GemmPoint {
  hardware::Dtype dtype = hardware::Dtype::FP8;
  std::int64_t m = 0, n = 0, k = 0, groups = 1;
  double flops_per_s = 0;  ///< achieved FLOP/s (2·m·n·k·groups / time)
  bool wgrad = false;      ///< a weight-gradient GEMM (dW = Xᵀ·dY), fitted apart from forward
  std::string source;
};

/// Which pass of the attention core a point measured; ForwardBackward is the rate of the pair
/// (3.5× the forward FLOP over the two kernels' time), used for either pass.
enum class AttentionDirection { Forward, Backward, ForwardBackward };

/// One measured attention core (a fused kernel of `library`: `kernel: flash`, the default, or
/// `kernel: cudnn`) at one shape. Rates use the
/// op list's FLOP convention: forward 2·B·H·(d_qk + d_v)·S_q·S_kv, halved when causal;
/// backward 2.5× forward.
struct AttentionPoint {
  hardware::Dtype dtype = hardware::Dtype::BF16;
  std::int64_t head_dim = 0;    ///< d_qk of the measured kernel
  std::int64_t head_dim_v = 0;  ///< d_v (= head_dim unless given)
  std::int64_t seq_len = 0;     ///< keys each query attends over (S_kv)
  bool causal = false;
  AttentionDirection direction = AttentionDirection::Forward;
  models::AttentionLibrary library = models::AttentionLibrary::FlashAttention;
  double flops_per_s = 0;  ///< achieved FLOP/s
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
  /// Per-dtype compute efficiencies (`compute_efficiency_by_dtype: {fp8: {value, source}}`) that
  /// replace compute_efficiency for ops of that dtype, each with its source.
  struct DtypeEfficiency {
    hardware::Dtype dtype = hardware::Dtype::BF16;
    double value = 1.0;
    std::string source;
  };
  std::vector<DtypeEfficiency> compute_by_dtype;
  /// compute_efficiency, or the dtype's entry of compute_by_dtype.
  double compute_efficiency_for(hardware::Dtype d) const {
    for (const auto& e : compute_by_dtype)
      if (e.dtype == d) return e.value;
    return compute_efficiency;
  }
};

struct Profile {
  std::string name;
  std::string description;
  std::string device;  ///< what the points were measured on
  std::string gpu;     ///< catalog GPU the points were measured on (`gpu:`, else applies_to[0])
  bool default_for_gpu = false;         ///< `calibration: auto` picks it for `gpu`
  std::vector<std::string> applies_to;  ///< informational: GPUs with the same SMs/tensor cores
  std::string file;                     ///< where it was loaded from
  /// Identifies the file's contents (path, size and a hash of the text) when it was read from a
  /// regular file, "" otherwise: keys the cache of GEMM fits (cost_models.cpp).
  std::string content_key;
  RooflineParams roofline;
  std::vector<GemmPoint> gemm;
  std::vector<AttentionPoint> attention;
  /// Times every op `measured_ops` does not cover: a bundled profile name or file ("" = this
  /// profile's own GEMM fit and roofline).
  std::string base;
  MeasuredOps measured_ops;  ///< from a profiler trace (measured_ops.hpp); empty if none
};

/// "fwd", "bwd" or "fwd_bwd".
std::string_view attention_direction_name(AttentionDirection d);

/// Loads and validates a profile file; ConfigError with file:line for every bad field. A
/// regular file is parsed once per process for each distinct content (a simulation builds a
/// cost model per step; a V3 run or a plan search would otherwise re-parse the same YAML
/// hundreds of times); an edited file is read afresh, and errors are never cached.
Profile load_profile(const std::string& path);

}  // namespace trainsim::calibration
