#include "calibration/cost_models.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "core/data_paths.hpp"
#include "core/error.hpp"
#include "hardware/catalog.hpp"

namespace trainsim::calibration {
namespace {

bool compute_bound_kind(models::OpKind k) {
  return k == models::OpKind::Gemm || k == models::OpKind::GroupedGemm ||
         k == models::OpKind::Attention;
}

}  // namespace

double sm_fraction(const ComputeContext& ctx) {
  if (ctx.gpu == nullptr || ctx.gpu->sm_count <= 0 || ctx.sms_available <= 0) return 1.0;
  return std::min(1.0, static_cast<double>(ctx.sms_available) / ctx.gpu->sm_count);
}

RooflineCostModel::RooflineCostModel(std::string name, RooflineParams params)
    : name_(std::move(name)), params_(std::move(params)) {}

OpTiming RooflineCostModel::time(const models::Op& op, const ComputeContext& ctx) const {
  if (ctx.gpu == nullptr) throw ModelError("cost model needs a GPU");
  const hardware::GpuSpec& g = *ctx.gpu;
  double peak = g.peak(op.dtype);
  if (peak <= 0) peak = g.peak(hardware::Dtype::FP32);
  if (peak <= 0) throw ModelError(fmt::format("{} has no FLOP rate for op {}", g.name, op.name));
  const double f_sm = compute_bound_kind(op.kind) ? sm_fraction(ctx) : 1.0;
  const double t_compute = op.flops / (peak * params_.compute_efficiency * f_sm);
  const double t_memory = op.bytes / (g.hbm_bw_Bps * params_.memory_efficiency);
  OpTiming t;
  t.seconds = std::max(t_compute, t_memory) +
              (op.flops > 0 || op.bytes > 0 ? params_.launch_overhead_s : 0.0);
  t.source = TimingSource::Roofline;
  return t;
}

ProfileCostModel::ProfileCostModel(Profile profile, const hardware::GpuSpec& fit_device)
    : profile_(std::move(profile)),
      roofline_(profile_.name, profile_.roofline),
      fits_(fit_profile(profile_, fit_device)) {}

OpTiming ProfileCostModel::time(const models::Op& op, const ComputeContext& ctx) const {
  const OpTiming bound = roofline_.time(op, ctx);
  const bool gemm = op.kind == models::OpKind::Gemm || op.kind == models::OpKind::GroupedGemm;
  if (!gemm) return bound;
  const bool grouped = op.kind == models::OpKind::GroupedGemm;
  const auto fit = std::find_if(fits_.begin(), fits_.end(), [&](const GemmEfficiencyModel& f) {
    return f.dtype() == op.dtype && f.covers(grouped);
  });
  if (fit == fits_.end()) return bound;
  OpTiming t;
  t.seconds = std::max(fit->seconds(op.gemm.m, op.gemm.n, op.gemm.k, op.gemm.groups, grouped,
                                    op.flops, op.bytes, *ctx.gpu, ctx.sms_available),
                       bound.seconds);
  t.source = TimingSource::Profile;
  return t;
}

const hardware::GpuSpec& profile_device(const Profile& profile, const hardware::GpuSpec& fallback) {
  const auto& catalog = hardware::HardwareCatalog::bundled();
  if (!profile.applies_to.empty() && catalog.has_gpu(profile.applies_to.front()))
    return catalog.gpu(profile.applies_to.front());
  return fallback;
}

std::string fit_summary(const std::vector<GemmEfficiencyModel>& fits) {
  std::string out;
  for (const auto& f : fits) out += (out.empty() ? "" : "; ") + f.report().summary();
  return out;
}

std::unique_ptr<CostModel> make_cost_model(const std::string& name_or_file,
                                           const hardware::GpuSpec& gpu) {
  if (name_or_file == "roofline")
    return std::make_unique<RooflineCostModel>("roofline", RooflineParams{});
  namespace fs = std::filesystem;
  std::string path = name_or_file;
  const std::string bundled = data_path("calibration/profiles/" + name_or_file + ".yaml");
  if (fs::exists(bundled)) path = bundled;
  if (!fs::exists(path)) {
    std::string valid;
    for (const auto& e : profile_entries()) valid += (valid.empty() ? "" : ", ") + e.name;
    throw ModelError(
        fmt::format("unknown calibration profile '{}'; valid: {} (or a path to a profile file)",
                    name_or_file, valid));
  }
  Profile profile = load_profile(path);
  const hardware::GpuSpec& device = profile_device(profile, gpu);
  return std::make_unique<ProfileCostModel>(std::move(profile), device);
}

namespace {

/// The fit summary of a loaded profile on its first `applies_to` catalog GPU ("" without one).
std::string summary_on_own_device(const Profile& p) {
  const auto& catalog = hardware::HardwareCatalog::bundled();
  if (p.applies_to.empty() || !catalog.has_gpu(p.applies_to.front())) return "";
  return fit_summary(fit_profile(p, catalog.gpu(p.applies_to.front())));
}

}  // namespace

std::string bundled_fit_summary(const std::string& name) {
  if (name == "roofline") return "";
  const std::string path = data_path("calibration/profiles/" + name + ".yaml");
  if (!std::filesystem::exists(path)) return "";
  try {
    return summary_on_own_device(load_profile(path));
  } catch (const Error&) {
    return "";
  }
}

std::vector<ProfileEntry> profile_entries() {
  std::vector<ProfileEntry> out{
      {"roofline", "ideal bound: 100% of dense peak FLOP/s and HBM bandwidth"}};
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  const fs::path dir = data_path("calibration/profiles");
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    try {
      const Profile p = load_profile(f.string());
      const std::string fit = summary_on_own_device(p);
      out.push_back({p.name, fit.empty() ? p.description : p.description + " [" + fit + "]"});
    } catch (const Error& e) {
      out.push_back({f.stem().string(), fmt::format("(invalid: {})", e.what())});
    }
  }
  return out;
}

}  // namespace trainsim::calibration
