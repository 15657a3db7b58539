#pragma once
// Fitted GEMM efficiency model with wave quantisation, one per dtype a profile measured.
//
//   t = L + max(t_c, t_m)
//   t_c = FLOP / (peak(dtype) · f_SM · u) · (a_kind + b / K)       compute (tensor cores)
//   t_m = bytes / (HBM bandwidth · memory_eff)                       memory (HBM)
//   u   = m·n·groups / (waves · S · BLOCK_M · BLOCK_N)                tile and wave utilisation
//   tiles = groups · ⌈m / BLOCK_M⌉ · ⌈n / BLOCK_N⌉,  waves = ⌈tiles / S⌉
//
// S = SMs the GEMM may use, f_SM = S / sm_count. u is the product of the tile-padding
// efficiency m·n / (⌈m/BM⌉·BM · ⌈n/BN⌉·BN) and the wave efficiency tiles / (waves · S): every
// SM computes a full BLOCK_M × BLOCK_N tile per wave whether or not it holds output, and the
// last wave idles the SMs it has no tile for. 1 / (a_kind + b/K) is the per-tile efficiency:
// a_kind the inverse of the main loop's asymptotic fraction of peak (dense and grouped kernels
// get their own), b the tile's K-independent work (prologue, pipeline fill, epilogue) in units of
// K. L is the fixed per-kernel time (launch and tail). The fit is linear least squares (Eigen
// QR) on relative residuals, t_model/t_measured − 1, with an active set: each point is timed by
// whichever of t_c, t_m is larger under the current coefficients, repeated until the set is
// stable. L and b are dropped (set to 0) when their least-squares value is negative. memory_eff
// is not fitted: it is the profile's sourced roofline memory efficiency.
//
// Tile sizes: DeepGEMM's block-size heuristic (deepseek-ai/DeepGEMM @2e7e580,
// deep_gemm/jit_kernels/gemm.py get_best_configs): BLOCK_M ∈ {64, 128, 256} for dense GEMMs and
// 128 for grouped contiguous-layout GEMMs (get_m_alignment_for_contiguous_layout), BLOCK_N ∈
// {16, 24, …, 128, 144, 160} with BLOCK_M ≤ 128 or BLOCK_N ≤ 128; it picks the fewest waves,
// then the fullest last wave, then (on ties) the smaller wasted block or the larger BLOCK_N.
// The same heuristic is assumed for kernels other than DeepGEMM's (the coefficients absorb
// the difference; the cross-validated error says how well).
//
// Validation: leave-one-out cross-validation — each point predicted by the model refitted
// without it — reported as the rms and max relative error (FitReport).
#include <cstdint>
#include <string>
#include <vector>

#include "calibration/profile.hpp"
#include "hardware/dtype.hpp"
#include "hardware/gpu_spec.hpp"

namespace trainsim::calibration {

/// The block size the heuristic picks for one GEMM and what it costs in tiles and waves.
struct TileChoice {
  int block_m = 0, block_n = 0;
  std::int64_t tiles = 0;  ///< groups · ⌈m/BLOCK_M⌉ · ⌈n/BLOCK_N⌉
  std::int64_t waves = 0;  ///< ⌈tiles / S⌉
  double utilization = 0;  ///< u = m·n·groups / (waves · S · BLOCK_M · BLOCK_N), in (0, 1]
};

/// DeepGEMM's block-size heuristic (see the file comment) for `groups` GEMMs of m × n per group
/// (`grouped`: contiguous layout, BLOCK_M = 128) on `sms` SMs. m, n, groups, sms >= 1.
TileChoice choose_tile(std::int64_t m, std::int64_t n, std::int64_t groups, bool grouped, int sms);

/// tiles / (⌈tiles / sms⌉ · sms): the fraction of SM-waves that hold a tile, in (0, 1].
double wave_efficiency(std::int64_t tiles, int sms);

/// Coefficients of one dtype's model (see the file comment); a_* are 0 for a kind not measured.
struct GemmEfficiencyCoefficients {
  double a_dense = 0;            ///< 1 / asymptotic fraction of peak, dense GEMM main loop
  double a_grouped = 0;          ///< same for grouped (contiguous-layout) GEMMs
  double b_k = 0;                ///< per-tile K-independent work, in units of K (elements)
  double launch_s = 0;           ///< fixed per-kernel time L, seconds
  double memory_efficiency = 1;  ///< of the HBM bandwidth (the profile's, not fitted)
};

/// How well the fit describes its points; relative errors are t_model / t_measured − 1.
struct FitReport {
  hardware::Dtype dtype = hardware::Dtype::FP8;
  bool wgrad = false;  ///< a fit of the weight-gradient points (else the forward points)
  int dense_points = 0, grouped_points = 0;
  int coefficients = 0;        ///< free coefficients after the constraints (a_*, b, L)
  double fit_rms_error = 0;    ///< in-sample rms relative error
  double cv_rms_error = 0;     ///< leave-one-out rms relative error
  double cv_max_error = 0;     ///< leave-one-out largest |relative error|
  std::string cv_worst_point;  ///< the shape of that point, e.g. "64x7168x2048"
  /// Per point, in the profile's order: shape ("MxNxK", "MxNxKxGg" for G groups), in-sample and
  /// held-out relative error.
  struct PointError {
    std::string shape;
    double fit = 0, held_out = 0;
  };
  std::vector<PointError> point_errors;
  GemmEfficiencyCoefficients coef;
  /// One line, e.g. "fp8 GEMM fit on 18 dense + 4 grouped points: leave-one-out error rms 11.6%,
  /// max 29.3%".
  std::string summary() const;
};

/// One dtype's fitted model. Thread-safe to query (immutable after fit).
class GemmEfficiencyModel {
 public:
  /// Fits the points of `dtype` in `points` whose `wgrad` flag equals `wgrad` (others are
  /// ignored) measured on `device` (its dense peak of `dtype`, SM count and HBM bandwidth);
  /// throws ModelError naming the op kind and count when they cannot determine the fit and be
  /// cross-validated (at least 2 points per measured kind and one more than the coefficients).
  static GemmEfficiencyModel fit(const std::vector<GemmPoint>& points, hardware::Dtype dtype,
                                 const hardware::GpuSpec& device, double memory_efficiency,
                                 const std::string& profile_name, bool wgrad = false);
  /// Builds a model from known coefficients (tests, synthetic points); no report.
  static GemmEfficiencyModel from_coefficients(hardware::Dtype dtype,
                                               const GemmEfficiencyCoefficients& coef);

  /// Predicted seconds of `groups` GEMMs m×n×k (per group) with the given FLOP and HBM bytes on
  /// `sms` of `gpu`'s SMs (0: all; the peak scales by sms / sm_count). Requires covers(grouped).
  double seconds(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t groups, bool grouped,
                 double flops, double bytes, const hardware::GpuSpec& gpu, int sms) const;
  /// Whether the profile measured this kind (dense or grouped) in this dtype.
  bool covers(bool grouped) const;
  hardware::Dtype dtype() const { return dtype_; }
  /// Fitted on weight-gradient points (prices Pass::BackwardWeight GEMMs), else forward points.
  bool wgrad() const { return wgrad_; }
  const GemmEfficiencyCoefficients& coefficients() const { return coef_; }
  const FitReport& report() const { return report_; }
  /// The fastest of the fitted points as a fraction of the device's full dense peak of the
  /// dtype (0 for a model built from coefficients).
  double best_measured_fraction() const { return best_fraction_; }

 private:
  hardware::Dtype dtype_ = hardware::Dtype::FP8;
  bool wgrad_ = false;
  bool has_dense_ = false, has_grouped_ = false;
  GemmEfficiencyCoefficients coef_;
  FitReport report_;
  double best_fraction_ = 0;
};

/// Ideal HBM bytes of a measured point, as models/op_list.cpp counts a forward GEMM:
/// groups · ((m·k + k·n) · b_in + m·n · max(2, b_in)), b_in = bytes of the dtype.
double gemm_point_bytes(const GemmPoint& p);

/// A model per dtype the profile measured (in Dtype order) — one on its forward points and, when
/// it has any, one on its weight-gradient points — fitted on `device` with the profile's roofline
/// memory efficiency (see GemmEfficiencyModel::fit).
std::vector<GemmEfficiencyModel> fit_profile(const Profile& profile,
                                             const hardware::GpuSpec& device);

}  // namespace trainsim::calibration
