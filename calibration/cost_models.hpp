#pragma once
// Cost models that time compute ops (cost_model.hpp):
//  - RooflineCostModel: time = max(FLOP / (peak(dtype) · compute_eff · f_SM),
//                                  bytes / (HBM bandwidth · memory_eff)) + launch overhead,
//    with the efficiencies (and their sources) from a profile; "roofline" is the ideal bound
//    (all efficiencies 1).
//  - ProfileCostModel: GEMMs of a kind (dense, grouped) and dtype the profile measured are timed
//    by the efficiency model fitted to its points (efficiency_fit.hpp: tile/wave quantisation,
//    per-tile efficiency a + b/K, launch time, HBM bound; fitted on the profile's `gpu`), never
//    faster than the ideal bound (dense peak, full HBM bandwidth). Weight-gradient GEMMs
//    (Pass::BackwardWeight) use the fit of the profile's `wgrad: true` points when it has them,
//    else the forward fit (listed as a fallback). Attention cores are timed from the `attention:`
//    points (attention_rates.hpp: nearest head dim, log-linear in S_kv): t = FLOP / (rate · f_SM) ·
//    transfer, never faster than the ideal bound. Every other op falls back to the profile's
//    roofline and is reported as such (TimingSource::Roofline, with the efficiencies it used).
// Transfer rule, when the scenario's GPU is not the profile's: compute-bound times scale by
// peak_dtype(profile GPU) / peak_dtype(scenario GPU), memory-bound times by HBM(profile GPU) /
// HBM(scenario GPU). Attention applies the compute ratio to its measured rate; the roofline and
// the GEMM fit carry it by construction (their efficiencies are fractions of the scenario GPU's
// peak and bandwidth; the fit also re-tiles for that GPU's SM count). Launch overhead is kept.
// SM reservation: compute-bound ops (GEMM, attention) scale with the SMs left to compute,
// f_SM = sms_available / sm_count (DeepSeek-V3 gives 20 of 132 to communication); memory-bound
// ops keep the full HBM bandwidth (a fraction of the SMs saturates it — an assumption).
#include <memory>
#include <string>
#include <vector>

#include "calibration/cost_model.hpp"
#include "calibration/efficiency_fit.hpp"
#include "calibration/profile.hpp"

namespace trainsim::calibration {

class RooflineCostModel : public CostModel {
 public:
  RooflineCostModel(std::string name, RooflineParams params);
  OpTiming time(const models::Op& op, const ComputeContext& ctx) const override;
  std::string name() const override { return name_; }
  const RooflineParams& params() const { return params_; }

 private:
  std::string name_;
  RooflineParams params_;
};

class ProfileCostModel : public CostModel {
 public:
  /// Fits the profile's GEMM points as measured on `fit_device` (ModelError when too few).
  ProfileCostModel(Profile profile, const hardware::GpuSpec& fit_device);
  OpTiming time(const models::Op& op, const ComputeContext& ctx) const override;
  std::string name() const override { return profile_.name; }
  const Profile& profile() const { return profile_; }
  /// One fitted model per dtype the profile measured, with its cross-validation report.
  const std::vector<GemmEfficiencyModel>& fits() const { return fits_; }

 private:
  Profile profile_;
  RooflineCostModel roofline_;
  std::vector<GemmEfficiencyModel> fits_;
  hardware::GpuSpec device_;  ///< the GPU the profile was measured (and fitted) on
};

/// The transfer rule's compute factor for `dtype`: peak(from) / peak(to); 1 when either GPU has
/// no rate for it.
double compute_transfer(const hardware::GpuSpec& from, const hardware::GpuSpec& to,
                        hardware::Dtype dtype);
/// The transfer rule's memory factor: HBM(from) / HBM(to).
double memory_transfer(const hardware::GpuSpec& from, const hardware::GpuSpec& to);

/// The GPU a profile's points were measured on: its `gpu` in the bundled catalog, else
/// `fallback`.
const hardware::GpuSpec& profile_device(const Profile& profile, const hardware::GpuSpec& fallback);

/// "; " joined FitReport::summary() of every fitted dtype ("" for none).
std::string fit_summary(const std::vector<GemmEfficiencyModel>& fits);

/// fit_summary of the bundled profile `name`, fitted on its own device; "" for "roofline", a
/// name that is not bundled, or a profile that does not fit (loading it reports why).
std::string bundled_fit_summary(const std::string& name);

/// Fraction of the GPU's SMs left to compute ops.
double sm_fraction(const ComputeContext& ctx);

/// A bundled profile name (calibration/profiles/<name>.yaml), a path to a profile file,
/// "roofline" (the ideal bound) or "auto" (calibration_select.hpp; "" too). Unknown names are a
/// ModelError listing the valid ones.
std::unique_ptr<CostModel> make_cost_model(const std::string& name_or_file,
                                           const hardware::GpuSpec& gpu);

struct ProfileEntry {
  std::string name;
  std::string description;
  std::string gpu;  ///< the catalog GPU it was measured on ("" for roofline)
};

/// "roofline" and the bundled profiles, for `trainsim list profiles`; a profile's description
/// ends with its fit's cross-validated error (fit_summary).
std::vector<ProfileEntry> profile_entries();

}  // namespace trainsim::calibration
