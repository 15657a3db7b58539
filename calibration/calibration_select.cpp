#include "calibration/calibration_select.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <vector>

#include "calibration/cost_models.hpp"
#include "calibration/profile.hpp"
#include "core/data_paths.hpp"
#include "core/error.hpp"
#include "hardware/catalog.hpp"

namespace trainsim::calibration {
namespace {

/// A bundled profile as `auto` sees it.
struct BundledProfile {
  std::string name;
  std::string gpu;
  bool default_for_gpu = false;
};

/// The bundled profiles that load, sorted by file name (read once per process).
const std::vector<BundledProfile>& bundled_profiles() {
  static std::once_flag once;
  static std::vector<BundledProfile> out;
  std::call_once(once, [] {
    namespace fs = std::filesystem;
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(data_path("calibration/profiles"), ec)) {
      if (e.path().extension() == ".yaml") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      try {
        const Profile p = load_profile(f.string());
        out.push_back({f.stem().string(), p.gpu, p.default_for_gpu});
      } catch (const Error&) {
        // An invalid bundled profile is reported by `trainsim list profiles`; auto skips it.
      }
    }
  });
  return out;
}

std::string profile_gpu_of(const std::string& name_or_file) {
  namespace fs = std::filesystem;
  for (const auto& b : bundled_profiles())
    if (b.name == name_or_file) return b.gpu;
  if (fs::exists(name_or_file)) return load_profile(name_or_file).gpu;
  return "";
}

double gpu_distance(const hardware::GpuSpec& a, const hardware::GpuSpec& b) {
  const auto lr = [](double x, double y) {
    return x > 0 && y > 0 ? std::fabs(std::log(x / y)) : 1e9;
  };
  return lr(a.peak(hardware::Dtype::BF16), b.peak(hardware::Dtype::BF16)) +
         lr(a.hbm_bw_Bps, b.hbm_bw_Bps);
}

}  // namespace

std::string own_profile_for(const std::string& gpu_name) {
  std::string first;
  for (const auto& b : bundled_profiles()) {
    if (b.gpu != gpu_name) continue;
    if (b.default_for_gpu) return b.name;
    if (first.empty()) first = b.name;
  }
  return first;
}

std::string transfer_rule(const hardware::GpuSpec& from, const hardware::GpuSpec& to) {
  if (from.name == to.name) return "none";
  std::string compute;
  for (hardware::Dtype d : {hardware::Dtype::BF16, hardware::Dtype::FP8}) {
    const double a = from.peak(d), b = to.peak(d);
    if (!(a > 0 && b > 0)) continue;
    compute += fmt::format("{}{} {:.0f}/{:.0f} = {:.3f}", compute.empty() ? "" : ", ",
                           hardware::dtype_name(d), a / 1e12, b / 1e12, a / b);
  }
  return fmt::format(
      "{} -> {}: compute-bound times × peak_dtype({}) / peak_dtype({}) ({} TFLOP/s); "
      "memory-bound times × HBM({}) / HBM({}) = {:.0f}/{:.0f} GB/s = {:.3f}",
      from.name, to.name, from.name, to.name, compute.empty() ? "no common dtype" : compute,
      from.name, to.name, from.hbm_bw_Bps / 1e9, to.hbm_bw_Bps / 1e9, memory_transfer(from, to));
}

CalibrationSelection select_calibration(const std::string& requested,
                                        const hardware::GpuSpec& gpu) {
  CalibrationSelection s;
  s.requested = requested.empty() ? "auto" : requested;
  s.scenario_gpu = gpu.name;
  const auto& catalog = hardware::HardwareCatalog::bundled();
  std::string name = s.requested;
  std::string why;
  if (name == "auto") {
    name = own_profile_for(gpu.name);
    if (name.empty()) {
      // Nearest GPU that has a bundled profile.
      std::vector<std::string> gpus;
      for (const auto& b : bundled_profiles())
        if (catalog.has_gpu(b.gpu)) gpus.push_back(b.gpu);
      std::sort(gpus.begin(), gpus.end());
      gpus.erase(std::unique(gpus.begin(), gpus.end()), gpus.end());
      if (gpus.empty())
        throw ModelError("calibration: auto found no bundled profile in calibration/profiles");
      std::string best;
      double best_d = 0;
      for (const auto& g : gpus) {
        const double d = gpu_distance(catalog.gpu(g), gpu);
        if (best.empty() || d < best_d - 1e-12) {
          best = g;
          best_d = d;
        }
      }
      name = own_profile_for(best);
      why = fmt::format(
          "no bundled profile was measured on {}; auto picked '{}' ({}, the nearest GPU by "
          "dense BF16 peak and HBM bandwidth)",
          gpu.name, name, best);
    }
  }
  s.model = make_cost_model(name, gpu);
  s.profile = s.model->name();
  if (name == "roofline") return s;
  s.profile_gpu = profile_gpu_of(name);
  if (!s.profile_gpu.empty() && s.profile_gpu != gpu.name && catalog.has_gpu(s.profile_gpu)) {
    s.transfer = transfer_rule(catalog.gpu(s.profile_gpu), gpu);
    s.warning = fmt::format(
        "calibration profile '{}' was measured on {}, the scenario runs on {}{}; applying the "
        "transfer rule: {}",
        s.profile, s.profile_gpu, gpu.name, why.empty() ? "" : " (" + why + ")", s.transfer);
  }
  return s;
}

}  // namespace trainsim::calibration
