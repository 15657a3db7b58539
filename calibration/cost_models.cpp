#include "calibration/cost_models.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "calibration/attention_rates.hpp"
#include "calibration/calibration_select.hpp"
#include "core/data_paths.hpp"
#include "core/error.hpp"
#include "hardware/catalog.hpp"

namespace trainsim::calibration {
namespace {

bool compute_bound_kind(models::OpKind k) {
  return k == models::OpKind::Gemm || k == models::OpKind::GroupedGemm ||
         k == models::OpKind::Attention;
}

/// The floor of a measured op: the ideal bound (dense peak, full HBM bandwidth, no launch). Not
/// the profile's roofline, whose efficiencies are achieved rates of other kernels (e.g. BF16
/// GEMMs) and would cap a faster measured kernel (an FP8 GEMM) below its own measurement.
double ideal_seconds(const models::Op& op, const ComputeContext& ctx) {
  static const RooflineCostModel ideal("ideal", RooflineParams{});
  return ideal.time(op, ctx).seconds;
}

/// fit_profile, once per profile content and fitting device in a process (the fit runs a
/// leave-one-out cross-validation per dtype; every simulated step builds a cost model). A
/// profile not read from a file (no content_key) is fitted each time.
std::vector<GemmEfficiencyModel> cached_fits(const Profile& profile,
                                             const hardware::GpuSpec& device) {
  if (profile.content_key.empty()) return fit_profile(profile, device);
  std::string key =
      fmt::format("{}|{}|{}|{:a}|{:a}", profile.content_key, device.name, device.sm_count,
                  device.hbm_bw_Bps, profile.roofline.memory_efficiency);
  for (hardware::Dtype d : hardware::kAllDtypes) key += fmt::format("|{:a}", device.peak(d));
  static std::mutex mutex;
  static std::map<std::string, std::vector<GemmEfficiencyModel>> fits;
  {
    const std::lock_guard<std::mutex> lock(mutex);
    if (auto it = fits.find(key); it != fits.end()) return it->second;
  }
  std::vector<GemmEfficiencyModel> out = fit_profile(profile, device);
  const std::lock_guard<std::mutex> lock(mutex);
  if (fits.size() >= 256) fits.clear();  // bounded (a sweep over custom GPUs)
  fits.emplace(std::move(key), out);
  return out;
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
  const double t_compute =
      op.flops / (peak * params_.compute_efficiency_for(op.dtype) * f_sm) * ctx.compute_scale;
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
      fits_(cached_fits(profile_, fit_device)),
      device_(fit_device) {}

double compute_transfer(const hardware::GpuSpec& from, const hardware::GpuSpec& to,
                        hardware::Dtype dtype) {
  const double a = from.peak(dtype), b = to.peak(dtype);
  return a > 0 && b > 0 ? a / b : 1.0;
}

double memory_transfer(const hardware::GpuSpec& from, const hardware::GpuSpec& to) {
  return from.hbm_bw_Bps > 0 && to.hbm_bw_Bps > 0 ? from.hbm_bw_Bps / to.hbm_bw_Bps : 1.0;
}

OpTiming ProfileCostModel::time(const models::Op& op, const ComputeContext& ctx) const {
  OpTiming bound = roofline_.time(op, ctx);
  const std::string kind{models::op_kind_name(op.kind)};
  const std::string dt{hardware::dtype_name(op.dtype)};
  const auto roofline_label = [&] {
    return fmt::format("{} {}: roofline ({:.1f}% of the dense peak, {:.1f}% of HBM)", kind, dt,
                       100 * profile_.roofline.compute_efficiency_for(op.dtype),
                       100 * profile_.roofline.memory_efficiency);
  };
  if (op.kind == models::OpKind::Attention) {
    const auto rate = attention_rate(profile_.attention, op);
    if (!rate || !(rate->flops_per_s > 0)) {
      bound.fallback = roofline_label();
      return bound;
    }
    OpTiming t;
    t.seconds = std::max(op.flops / (rate->flops_per_s * sm_fraction(ctx)) *
                             compute_transfer(device_, *ctx.gpu, op.dtype) * ctx.compute_scale,
                         ideal_seconds(op, ctx));
    t.source = TimingSource::Profile;
    t.fallback = rate->fallback;
    return t;
  }
  const bool gemm = op.kind == models::OpKind::Gemm || op.kind == models::OpKind::GroupedGemm;
  if (!gemm) {
    bound.fallback = roofline_label();
    return bound;
  }
  const bool grouped = op.kind == models::OpKind::GroupedGemm;
  const bool wgrad = op.pass == models::Pass::BackwardWeight;
  // BF16 and FP16 share one tensor-core rate (A100/H100 datasheets): either's fit serves both.
  const auto find_fit = [&](bool want_wgrad) {
    auto it = fits_.end();
    for (hardware::Dtype d : {op.dtype, op.dtype == hardware::Dtype::BF16   ? hardware::Dtype::FP16
                                        : op.dtype == hardware::Dtype::FP16 ? hardware::Dtype::BF16
                                                                            : op.dtype}) {
      it = std::find_if(fits_.begin(), fits_.end(), [&](const GemmEfficiencyModel& f) {
        return f.dtype() == d && f.wgrad() == want_wgrad && f.covers(grouped);
      });
      if (it != fits_.end()) break;
    }
    return it;
  };
  auto fit = find_fit(wgrad);
  std::string fallback;
  if (fit == fits_.end() && wgrad) {
    fit = find_fit(false);
    if (fit != fits_.end()) {
      fallback = fmt::format("{} {} wgrad: the forward fit (no wgrad points)", kind, dt);
    }
  }
  if (fit == fits_.end()) {
    bound.fallback = roofline_label();
    return bound;
  }
  OpTiming t;
  t.seconds = std::max(fit->seconds(op.gemm.m, op.gemm.n, op.gemm.k, op.gemm.groups, grouped,
                                    op.flops, op.bytes, *ctx.gpu, ctx.sms_available) *
                           ctx.compute_scale,
                       ideal_seconds(op, ctx));
  // No extrapolation past what was measured: a shape the points do not cover runs no faster than
  // the fastest rate measured on the device for this dtype, its best point or the roofline's
  // measured maximum achievable matmul rate (a best-of-sweep figure) where higher.
  const double ceiling =
      std::max(fit->best_measured_fraction(), profile_.roofline.compute_efficiency_for(op.dtype));
  const double peak = ctx.gpu->peak(op.dtype);
  if (ceiling > 0 && peak > 0)
    t.seconds =
        std::max(t.seconds, op.flops / (peak * ceiling * sm_fraction(ctx)) * ctx.compute_scale);
  t.source = TimingSource::Profile;
  t.fallback = std::move(fallback);
  return t;
}

const hardware::GpuSpec& profile_device(const Profile& profile, const hardware::GpuSpec& fallback) {
  const auto& catalog = hardware::HardwareCatalog::bundled();
  if (!profile.gpu.empty() && catalog.has_gpu(profile.gpu)) return catalog.gpu(profile.gpu);
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
  if (name_or_file == "auto" || name_or_file.empty()) return select_calibration("auto", gpu).model;
  namespace fs = std::filesystem;
  std::string path = name_or_file;
  const std::string bundled = data_path("calibration/profiles/" + name_or_file + ".yaml");
  if (fs::exists(bundled)) path = bundled;
  if (!fs::exists(path)) {
    std::string valid = "auto";
    for (const auto& e : profile_entries()) valid += ", " + e.name;
    throw ModelError(
        fmt::format("unknown calibration profile '{}'; valid: {} (or a path to a profile file)",
                    name_or_file, valid));
  }
  Profile profile = load_profile(path);
  if (!profile.measured_ops.empty()) return make_measured_cost_model(std::move(profile), gpu);
  const hardware::GpuSpec& device = profile_device(profile, gpu);
  return std::make_unique<ProfileCostModel>(std::move(profile), device);
}

namespace {

/// The fit summary of a loaded profile on its catalog GPU ("" without one).
std::string summary_on_own_device(const Profile& p) {
  const auto& catalog = hardware::HardwareCatalog::bundled();
  if (p.gpu.empty() || !catalog.has_gpu(p.gpu)) return "";
  return fit_summary(fit_profile(p, catalog.gpu(p.gpu)));
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
      {"roofline", "ideal bound: 100% of dense peak FLOP/s and HBM bandwidth", ""}};
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
      out.push_back(
          {p.name, fit.empty() ? p.description : p.description + " [" + fit + "]", p.gpu});
    } catch (const Error& e) {
      out.push_back({f.stem().string(), fmt::format("(invalid: {})", e.what()), ""});
    }
  }
  return out;
}

}  // namespace trainsim::calibration
