#include "calibration/cost_models.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "core/data_paths.hpp"
#include "core/error.hpp"

namespace trainsim::calibration {
namespace {

bool compute_bound_kind(models::OpKind k) {
  return k == models::OpKind::Gemm || k == models::OpKind::GroupedGemm ||
         k == models::OpKind::Attention;
}

double log_ratio(double a, double b) {
  return std::fabs(std::log(a / b));
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

ProfileCostModel::ProfileCostModel(Profile profile)
    : profile_(std::move(profile)), roofline_(profile_.name, profile_.roofline) {}

OpTiming ProfileCostModel::time(const models::Op& op, const ComputeContext& ctx) const {
  const OpTiming bound = roofline_.time(op, ctx);
  const bool gemm = op.kind == models::OpKind::Gemm || op.kind == models::OpKind::GroupedGemm;
  if (!gemm) return bound;
  const bool grouped = op.kind == models::OpKind::GroupedGemm;
  const GemmPoint* best = nullptr;
  double best_d = std::numeric_limits<double>::infinity();
  for (const auto& p : profile_.gemm) {
    if (p.dtype != op.dtype || (p.groups > 1) != grouped) continue;
    const double d = log_ratio(static_cast<double>(std::max<std::int64_t>(op.gemm.m, 1)),
                               static_cast<double>(p.m)) +
                     log_ratio(static_cast<double>(std::max<std::int64_t>(op.gemm.n, 1)),
                               static_cast<double>(p.n)) +
                     log_ratio(static_cast<double>(std::max<std::int64_t>(op.gemm.k, 1)),
                               static_cast<double>(p.k));
    if (d < best_d) {
      best_d = d;
      best = &p;
    }
  }
  if (best == nullptr) return bound;
  OpTiming t;
  t.seconds = std::max(op.flops / (best->flops_per_s * sm_fraction(ctx)), bound.seconds);
  t.source = TimingSource::Profile;
  return t;
}

std::unique_ptr<CostModel> make_cost_model(const std::string& name_or_file,
                                           const hardware::GpuSpec& gpu) {
  (void)gpu;
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
  return std::make_unique<ProfileCostModel>(load_profile(path));
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
      out.push_back({p.name, p.description});
    } catch (const Error& e) {
      out.push_back({f.stem().string(), fmt::format("(invalid: {})", e.what())});
    }
  }
  return out;
}

}  // namespace trainsim::calibration
