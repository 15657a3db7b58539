#include "calibration/measurements.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace trainsim::calibration {

Profile profile_from_measurements(const std::string& json_text, const std::string& origin,
                                  const std::string& name, const hardware::GpuSpec& gpu,
                                  const std::string& date) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(origin, 0, 0, "", fmt::format("not valid JSON: {}", e.what()));
  }
  try {
    Profile p;
    p.name = name;
    const std::string device = j.at("device").at("name").get<std::string>();
    p.device = device;
    p.description = fmt::format("measured by trainsim calibrate on {} ({})", device, date);
    p.applies_to = {gpu.name};
    p.gpu = gpu.name;
    const std::string src = fmt::format("measured by trainsim calibrate on {}, {}", device, date);
    double best_copy = 0, best_attention = 0;
    for (const auto& pt : j.at("points")) {
      const std::string kind = pt.at("kind").get<std::string>();
      const auto& check = pt.at("reference_check");
      const bool passed = check.is_object() && check.value("passed", false);
      const double median_ms =
          pt.at("median_ms").is_number() ? pt.at("median_ms").get<double>() : 0.0;
      if (!passed || !(median_ms > 0)) continue;
      const double seconds = median_ms * 1e-3;
      if (kind == "gemm" || kind == "grouped_gemm") {
        GemmPoint g;
        const std::string dtype = pt.at("dtype").get<std::string>();
        if (dtype.rfind("fp8", 0) == 0)
          g.dtype = hardware::Dtype::FP8;
        else if (dtype == "bf16")
          g.dtype = hardware::Dtype::BF16;
        else
          continue;
        const auto& s = pt.at("shape");
        g.m = s.at("m").get<std::int64_t>();
        g.n = s.at("n").get<std::int64_t>();
        g.k = s.at("k").get<std::int64_t>();
        g.groups = s.value("groups", std::int64_t{1});
        g.flops_per_s = pt.at("flops").get<double>() / seconds;
        g.source = fmt::format("{}, kernel {}", src, pt.value("kernel", std::string("?")));
        p.gemm.push_back(g);
      } else if (kind == "copy") {
        best_copy = std::max(best_copy, pt.at("bytes").get<double>() / seconds);
      } else if (kind == "attention") {
        best_attention = std::max(best_attention, pt.at("flops").get<double>() / seconds);
      }
    }
    if (best_copy > 0 && gpu.hbm_bw_Bps > 0) {
      p.roofline.memory_efficiency = std::min(1.0, best_copy / gpu.hbm_bw_Bps);
      p.roofline.memory_source =
          fmt::format("{}: device copy at {:.0f} GB/s", src, best_copy / 1e9);
    }
    const double bf16 = gpu.peak(hardware::Dtype::BF16);
    if (best_attention > 0 && bf16 > 0) {
      p.roofline.compute_efficiency = std::min(1.0, best_attention / bf16);
      p.roofline.compute_source =
          fmt::format("{}: attention forward at {:.0f} TFLOP/s", src, best_attention / 1e12);
    }
    return p;
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(origin, 0, 0, "",
                      fmt::format("unexpected measurements layout: {}", e.what()));
  }
}

std::string profile_to_yaml(const Profile& p) {
  auto q = [](const std::string& s) {
    std::string out = "\"";
    for (char c : s) out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    return out + "\"";
  };
  std::string out = fmt::format("name: {}\ndescription: {}\ndevice: {}\ngpu: {}\napplies_to: [",
                                p.name, q(p.description), q(p.device), p.gpu);
  for (std::size_t i = 0; i < p.applies_to.size(); ++i) out += (i ? ", " : "") + p.applies_to[i];
  out += "]\nroofline:\n";
  out += fmt::format("  compute_efficiency: {{value: {:.4f}, source: {}}}\n",
                     p.roofline.compute_efficiency, q(p.roofline.compute_source));
  out += fmt::format("  memory_efficiency: {{value: {:.4f}, source: {}}}\n",
                     p.roofline.memory_efficiency, q(p.roofline.memory_source));
  out += fmt::format("  launch_overhead: {{value: {:.3f}us, source: {}}}\n",
                     p.roofline.launch_overhead_s * 1e6, q(p.roofline.launch_source));
  out += "gemm:\n";
  for (const auto& g : p.gemm) {
    out += fmt::format(
        "  - {{dtype: {}, m: {}, n: {}, k: {}, groups: {}, tflops: {:.1f}, source: {}}}\n",
        hardware::dtype_name(g.dtype), g.m, g.n, g.k, g.groups, g.flops_per_s / 1e12, q(g.source));
  }
  return out;
}

}  // namespace trainsim::calibration
