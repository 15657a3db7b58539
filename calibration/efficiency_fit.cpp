#include "calibration/efficiency_fit.hpp"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cmath>

#include "core/error.hpp"

namespace trainsim::calibration {
namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

/// DeepGEMM @2e7e580 get_best_configs: BLOCK_M candidates of a dense GEMM; a grouped
/// contiguous-layout GEMM uses the 128-row alignment of its groups.
constexpr std::array<int, 3> kDenseBlockM{64, 128, 256};
constexpr int kGroupedBlockM = 128;

/// BLOCK_N candidates: 16, 24, …, 128 (step 8), then 144 and 160.
const std::vector<int>& block_ns() {
  static const std::vector<int> v = [] {
    std::vector<int> out;
    for (int n = 16; n <= 128; n += 8) out.push_back(n);
    out.push_back(144);
    out.push_back(160);
    return out;
  }();
  return v;
}

/// One measured point in the fit's terms (seconds on all of the measuring device's SMs).
struct Sample {
  bool grouped = false;
  double k = 0;
  double measured_s = 0;
  double tau_s = 0;   ///< FLOP / (peak · u): t_c without the (a + b/K) factor
  double beta_s = 0;  ///< t_m = bytes / (HBM · memory_eff)
  std::string shape;
};

/// Which coefficients a solve uses.
struct Columns {
  bool dense = false, grouped = false, b = true, launch = true;
  int count() const { return int{dense} + int{grouped} + int{b} + int{launch}; }
};

double compute_time(const GemmEfficiencyCoefficients& c, bool grouped, double tau_s, double k) {
  return tau_s * ((grouped ? c.a_grouped : c.a_dense) + c.b_k / k);
}

double predict(const GemmEfficiencyCoefficients& c, const Sample& s) {
  return c.launch_s + std::max(compute_time(c, s.grouped, s.tau_s, s.k), s.beta_s);
}

/// Weighted linear least squares for a fixed memory-bound set, repeated until the set is stable.
GemmEfficiencyCoefficients solve_active_set(const std::vector<Sample>& s, const Columns& cols,
                                            double memory_efficiency, const std::string& what) {
  const auto n = static_cast<Eigen::Index>(s.size());
  const Eigen::Index p = cols.count();
  std::vector<char> memory_bound(s.size(), 0);
  GemmEfficiencyCoefficients c;
  c.memory_efficiency = memory_efficiency;
  // Each new set is decided by the previous coefficients; a handful of passes settle it on the
  // profiles seen (2-3); the cap only guards against a cycle.
  constexpr int kMaxPasses = 64;
  for (int pass = 0; pass < kMaxPasses; ++pass) {
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(n, p);
    Eigen::VectorXd y = Eigen::VectorXd::Ones(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      const Sample& q = s[static_cast<std::size_t>(i)];
      const double w = 1.0 / q.measured_s;  // relative residual: (t_model − t) / t
      Eigen::Index col = 0;
      const bool mem = memory_bound[static_cast<std::size_t>(i)] != 0;
      if (cols.dense) a(i, col++) = (!mem && !q.grouped) ? q.tau_s * w : 0.0;
      if (cols.grouped) a(i, col++) = (!mem && q.grouped) ? q.tau_s * w : 0.0;
      if (cols.b) a(i, col++) = mem ? 0.0 : q.tau_s / q.k * w;
      if (cols.launch) a(i, col++) = w;
      if (mem) y(i) -= q.beta_s * w;
    }
    const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(a);
    if (qr.rank() < p) {
      throw ModelError(fmt::format(
          "{}: the points do not determine the fit's {} coefficients (rank {}): e.g. every point "
          "at one K, or every point of an op kind bound by memory bandwidth; measure more shapes",
          what, p, qr.rank()));
    }
    const Eigen::VectorXd x = qr.solve(y);
    Eigen::Index col = 0;
    c.a_dense = cols.dense ? x(col++) : 0.0;
    c.a_grouped = cols.grouped ? x(col++) : 0.0;
    c.b_k = cols.b ? x(col++) : 0.0;
    c.launch_s = cols.launch ? x(col++) : 0.0;
    std::vector<char> next(s.size(), 0);
    for (std::size_t i = 0; i < s.size(); ++i)
      next[i] = s[i].beta_s > compute_time(c, s[i].grouped, s[i].tau_s, s[i].k) ? 1 : 0;
    if (next == memory_bound) break;
    memory_bound = std::move(next);
  }
  return c;
}

/// The constrained fit: L, then b, dropped (0) while negative; a_kind must come out positive.
GemmEfficiencyCoefficients solve(const std::vector<Sample>& s, bool dense, bool grouped,
                                 double memory_efficiency, const std::string& what, int& used) {
  Columns cols;
  cols.dense = dense;
  cols.grouped = grouped;
  for (;;) {
    const GemmEfficiencyCoefficients c = solve_active_set(s, cols, memory_efficiency, what);
    if (cols.launch && c.launch_s < 0) {
      cols.launch = false;
      continue;
    }
    if (cols.b && c.b_k < 0) {
      cols.b = false;
      continue;
    }
    if ((dense && !(c.a_dense > 0)) || (grouped && !(c.a_grouped > 0))) {
      throw ModelError(
          fmt::format("{}: the fit is unphysical (a_dense {:.4g}, a_grouped {:.4g}: a main loop "
                      "faster than any finite time); check the points' units and shapes",
                      what, c.a_dense, c.a_grouped));
    }
    used = cols.count();
    return c;
  }
}

double rms(const std::vector<double>& e) {
  double sum = 0;
  for (double x : e) sum += x * x;
  return e.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(e.size()));
}

double peak_of(const hardware::GpuSpec& gpu, hardware::Dtype d) {
  const double peak = gpu.peak(d);
  if (!(peak > 0)) {
    throw ModelError(fmt::format("{} has no {} FLOP rate for the GEMM efficiency model", gpu.name,
                                 hardware::dtype_name(d)));
  }
  return peak;
}

}  // namespace

TileChoice choose_tile(std::int64_t m, std::int64_t n, std::int64_t groups, bool grouped, int sms) {
  m = std::max<std::int64_t>(m, 1);
  n = std::max<std::int64_t>(n, 1);
  groups = std::max<std::int64_t>(groups, 1);
  sms = std::max(sms, 1);
  const std::vector<int> ms = grouped ? std::vector<int>{kGroupedBlockM}
                                      : std::vector<int>(kDenseBlockM.begin(), kDenseBlockM.end());
  TileChoice best;
  std::int64_t best_last = 0;
  for (int bm : ms) {
    for (int bn : block_ns()) {
      if (bm > 128 && bn > 128) continue;  // at least one side <= 128 (register budget)
      const std::int64_t tiles = groups * ceil_div(m, bm) * ceil_div(n, bn);
      const std::int64_t waves = ceil_div(tiles, sms);
      const std::int64_t last = tiles % sms == 0 ? sms : tiles % sms;  // SMs busy in the last wave
      bool take = false;
      if (best.block_m == 0 || waves < best.waves) {
        take = true;
      } else if (waves == best.waves) {
        take = last > best_last;
        if (last == best_last) {
          take = (bm == best.block_m && bn < best.block_n) ||  // same M block, less N waste
                 (bn == best.block_n && bm < best.block_m) ||  // same N block, less M waste
                 (bm != best.block_m && bn > best.block_n);    // otherwise the wider N block
        }
      }
      if (take) {
        best.block_m = bm;
        best.block_n = bn;
        best.tiles = tiles;
        best.waves = waves;
        best_last = last;
      }
    }
  }
  best.utilization = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(groups) /
                     (static_cast<double>(best.waves) * sms * best.block_m * best.block_n);
  return best;
}

double wave_efficiency(std::int64_t tiles, int sms) {
  if (tiles <= 0 || sms <= 0) return 1.0;
  const std::int64_t waves = ceil_div(tiles, sms);
  return static_cast<double>(tiles) / (static_cast<double>(waves) * sms);
}

double gemm_point_bytes(const GemmPoint& p) {
  const double b = hardware::dtype_bytes(p.dtype), o = std::max(2.0, b);
  const auto d = [](std::int64_t v) { return static_cast<double>(v); };
  return d(p.groups) * ((d(p.m) * d(p.k) + d(p.k) * d(p.n)) * b + d(p.m) * d(p.n) * o);
}

std::string FitReport::summary() const {
  return fmt::format(
      "{}{} GEMM fit on {} dense + {} grouped points: leave-one-out error rms {:.1f}%, max {:.1f}%",
      hardware::dtype_name(dtype), wgrad ? " wgrad" : "", dense_points, grouped_points,
      100 * cv_rms_error, 100 * cv_max_error);
}

GemmEfficiencyModel GemmEfficiencyModel::fit(const std::vector<GemmPoint>& points,
                                             hardware::Dtype dtype, const hardware::GpuSpec& device,
                                             double memory_efficiency,
                                             const std::string& profile_name, bool wgrad) {
  const std::string dt = std::string(hardware::dtype_name(dtype)) + (wgrad ? " wgrad" : "");
  const std::string what = fmt::format("calibration profile '{}', {} GEMMs", profile_name, dt);
  const double peak = peak_of(device, dtype);
  if (device.sm_count <= 0 || !(device.hbm_bw_Bps > 0))
    throw ModelError(fmt::format("{}: {} has no SM count or HBM bandwidth", what, device.name));
  if (!(memory_efficiency > 0))
    throw ModelError(fmt::format("{}: memory efficiency must be > 0", what));

  std::vector<Sample> s;
  int dense = 0, grouped = 0;
  double best_fraction = 0;  // the fastest point, as a fraction of the full-GPU dense peak
  for (const GemmPoint& p : points) {
    if (p.dtype != dtype || p.wgrad != wgrad) continue;
    const bool g = p.groups > 1;
    (g ? grouped : dense) += 1;
    Sample q;
    q.grouped = g;
    q.k = static_cast<double>(p.k);
    const double flops = 2.0 * static_cast<double>(p.m) * static_cast<double>(p.n) *
                         static_cast<double>(p.k) * static_cast<double>(p.groups);
    q.measured_s = flops / p.flops_per_s;
    best_fraction = std::max(best_fraction, p.flops_per_s / peak);
    const TileChoice t = choose_tile(p.m, p.n, p.groups, g, device.sm_count);
    q.tau_s = flops / (peak * t.utilization);
    q.beta_s = gemm_point_bytes(p) / (device.hbm_bw_Bps * memory_efficiency);
    q.shape = g ? fmt::format("{}x{}x{}x{}g", p.m, p.n, p.k, p.groups)
                : fmt::format("{}x{}x{}", p.m, p.n, p.k);
    s.push_back(std::move(q));
  }
  // Each measured kind needs a point to fit its a_kind and another to cross-validate it; the
  // whole fit one point more than its coefficients (a_kind per kind, b, L).
  for (auto [kind, count] : {std::pair{"dense GEMM", dense}, std::pair{"grouped GEMM", grouped}}) {
    if (count == 1) {
      throw ModelError(fmt::format(
          "calibration profile '{}': {} {} has 1 measured point; the efficiency fit needs at "
          "least 2 per op kind (one to fit its efficiency, one to cross-validate it)",
          profile_name, kind, dt));
    }
  }
  const int coefs = int{dense > 0} + int{grouped > 0} + 2;
  const int n = dense + grouped;
  if (n < coefs + 1) {
    throw ModelError(fmt::format(
        "calibration profile '{}': the {} GEMM efficiency fit has {} coefficients but {} measured "
        "points (dense GEMM {}, grouped GEMM {}); it needs at least {} so that it is "
        "over-determined and can be cross-validated",
        profile_name, dt, coefs, n, dense, grouped, coefs + 1));
  }

  GemmEfficiencyModel out;
  out.dtype_ = dtype;
  out.wgrad_ = wgrad;
  out.has_dense_ = dense > 0;
  out.has_grouped_ = grouped > 0;
  out.best_fraction_ = best_fraction;
  int used = 0;
  out.coef_ = solve(s, dense > 0, grouped > 0, memory_efficiency, what, used);

  FitReport& r = out.report_;
  r.dtype = dtype;
  r.wgrad = wgrad;
  r.dense_points = dense;
  r.grouped_points = grouped;
  r.coefficients = used;
  r.coef = out.coef_;
  std::vector<double> in_sample, held_out;
  for (const Sample& q : s) in_sample.push_back(predict(out.coef_, q) / q.measured_s - 1);
  for (std::size_t i = 0; i < s.size(); ++i) {
    std::vector<Sample> rest;
    for (std::size_t j = 0; j < s.size(); ++j)
      if (j != i) rest.push_back(s[j]);
    int ignored = 0;
    const GemmEfficiencyCoefficients c =
        solve(rest, dense > 0, grouped > 0, memory_efficiency,
              fmt::format("{} (cross-validation without {})", what, s[i].shape), ignored);
    const double e = predict(c, s[i]) / s[i].measured_s - 1;
    held_out.push_back(e);
    r.point_errors.push_back({s[i].shape, in_sample[i], e});
    if (std::fabs(e) > r.cv_max_error) {
      r.cv_max_error = std::fabs(e);
      r.cv_worst_point = s[i].shape;
    }
  }
  r.fit_rms_error = rms(in_sample);
  r.cv_rms_error = rms(held_out);
  return out;
}

GemmEfficiencyModel GemmEfficiencyModel::from_coefficients(hardware::Dtype dtype,
                                                           const GemmEfficiencyCoefficients& coef) {
  GemmEfficiencyModel out;
  out.dtype_ = dtype;
  out.coef_ = coef;
  out.has_dense_ = coef.a_dense > 0;
  out.has_grouped_ = coef.a_grouped > 0;
  out.report_.dtype = dtype;
  out.report_.coef = coef;
  return out;
}

bool GemmEfficiencyModel::covers(bool grouped) const {
  return grouped ? has_grouped_ : has_dense_;
}

double GemmEfficiencyModel::seconds(std::int64_t m, std::int64_t n, std::int64_t k,
                                    std::int64_t groups, bool grouped, double flops, double bytes,
                                    const hardware::GpuSpec& gpu, int sms) const {
  if (!covers(grouped)) {
    throw ModelError(fmt::format("the {} GEMM efficiency model has no {} points",
                                 hardware::dtype_name(dtype_), grouped ? "grouped" : "dense"));
  }
  if (flops <= 0 && bytes <= 0) return 0.0;
  const int total = std::max(gpu.sm_count, 1);
  const int s = sms > 0 ? std::min(sms, total) : total;
  const TileChoice t = choose_tile(m, n, groups, grouped, s);
  const double f_sm = static_cast<double>(s) / total;
  const double tau = flops / (peak_of(gpu, dtype_) * f_sm * t.utilization);
  const double beta = bytes / (gpu.hbm_bw_Bps * coef_.memory_efficiency);
  const double kk = static_cast<double>(std::max<std::int64_t>(k, 1));
  return coef_.launch_s + std::max(compute_time(coef_, grouped, tau, kk), beta);
}

std::vector<GemmEfficiencyModel> fit_profile(const Profile& profile,
                                             const hardware::GpuSpec& device) {
  std::vector<GemmEfficiencyModel> out;
  for (hardware::Dtype d : hardware::kAllDtypes) {
    for (bool wgrad : {false, true}) {
      const bool any = std::any_of(profile.gemm.begin(), profile.gemm.end(),
                                   [&](const auto& p) { return p.dtype == d && p.wgrad == wgrad; });
      if (!any) continue;
      out.push_back(GemmEfficiencyModel::fit(
          profile.gemm, d, device, profile.roofline.memory_efficiency, profile.name, wgrad));
    }
  }
  return out;
}

}  // namespace trainsim::calibration
