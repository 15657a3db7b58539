#pragma once
// Cost models that time compute ops (cost_model.hpp):
//  - RooflineCostModel: time = max(FLOP / (peak(dtype) · compute_eff · f_SM),
//                                  bytes / (HBM bandwidth · memory_eff)) + launch overhead,
//    with the efficiencies (and their sources) from a profile; "roofline" is the ideal bound
//    (all efficiencies 1).
//  - ProfileCostModel: GEMMs in a dtype the profile measured are timed at the achieved rate of
//    the nearest measured shape (distance |Δlog m| + |Δlog n| + |Δlog k|, grouped and dense
//    GEMMs kept apart), never faster than the roofline; every other op falls back to the
//    profile's roofline and is reported as such (TimingSource::Roofline).
// SM reservation: compute-bound ops (GEMM, attention) scale with the SMs left to compute,
// f_SM = sms_available / sm_count (DeepSeek-V3 gives 20 of 132 to communication); memory-bound
// ops keep the full HBM bandwidth (a fraction of the SMs saturates it — an assumption).
#include <memory>
#include <string>
#include <vector>

#include "calibration/cost_model.hpp"
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
  explicit ProfileCostModel(Profile profile);
  OpTiming time(const models::Op& op, const ComputeContext& ctx) const override;
  std::string name() const override { return profile_.name; }
  const Profile& profile() const { return profile_; }

 private:
  Profile profile_;
  RooflineCostModel roofline_;
};

/// Fraction of the GPU's SMs left to compute ops.
double sm_fraction(const ComputeContext& ctx);

/// A bundled profile name (calibration/profiles/<name>.yaml), a path to a profile file, or
/// "roofline" (the ideal bound). Unknown names are a ModelError listing the valid ones.
std::unique_ptr<CostModel> make_cost_model(const std::string& name_or_file,
                                           const hardware::GpuSpec& gpu);

struct ProfileEntry {
  std::string name;
  std::string description;
};

/// "roofline" and the bundled profiles, for `trainsim list profiles`.
std::vector<ProfileEntry> profile_entries();

}  // namespace trainsim::calibration
