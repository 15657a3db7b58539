#include "calibration/profile.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <utility>

#include "core/atomic_file.hpp"
#include "core/units.hpp"
#include "core/yaml_reader.hpp"
#include "hardware/catalog.hpp"

namespace trainsim::calibration {
namespace {

/// `{value: X, source: "..."}` with a required source.
double sourced(const ConfigNode& node, units::Quantity q, double min, double max,
               std::string& source) {
  node.check_keys({"value", "source"});
  source = node.at("source").as_string();
  if (source.empty())
    throw node.at("source").error("every profile number needs a non-empty source");
  return node.at("value").as_quantity(q, min, max);
}

/// One `attention:` entry (see AttentionPoint).
AttentionPoint attention_point(const ConfigNode& e) {
  e.check_keys({"dtype", "head_dim", "head_dim_v", "seq_len", "causal", "direction", "kernel",
                "tflops", "source"});
  AttentionPoint pt;
  hardware::parse_dtype(e.at("dtype").as_choice({"fp8", "bf16", "fp16"}), pt.dtype);
  pt.head_dim = e.at("head_dim").as_integer(1, 4096);
  pt.head_dim_v = e.has("head_dim_v") ? e.at("head_dim_v").as_integer(1, 4096) : pt.head_dim;
  pt.seq_len = e.at("seq_len").as_integer(1, std::int64_t{1} << 24);
  pt.causal = e.at("causal").as_bool();
  const std::string dir = e.at("direction").as_choice({"fwd", "bwd", "fwd_bwd"});
  pt.direction = dir == "fwd"   ? AttentionDirection::Forward
                 : dir == "bwd" ? AttentionDirection::Backward
                                : AttentionDirection::ForwardBackward;
  if (e.has("kernel") && e.at("kernel").as_choice({"flash", "cudnn"}) == "cudnn")
    pt.library = models::AttentionLibrary::Cudnn;
  pt.flops_per_s = e.at("tflops").as_number(1e-3, 1e5) * 1e12;
  pt.source = e.at("source").as_string();
  if (pt.source.empty())
    throw e.at("source").error("every measured point needs a non-empty source");
  return pt;
}

}  // namespace

std::string_view attention_direction_name(AttentionDirection d) {
  switch (d) {
    case AttentionDirection::Forward:
      return "fwd";
    case AttentionDirection::Backward:
      return "bwd";
    case AttentionDirection::ForwardBackward:
      return "fwd_bwd";
  }
  return "?";
}

namespace {

/// The profile in `root`, parsed from `path` (named in errors).
Profile parse_profile(const ConfigNode& root, const std::string& path) {
  root.check_keys({"name", "description", "device", "gpu", "default_for_gpu", "applies_to",
                   "roofline", "gemm", "attention", "base", "measured_ops", "notes"});
  Profile p;
  p.file = path;
  p.name = root.at("name").as_string();
  p.description = root.has("description") ? root.at("description").as_string() : "";
  p.device = root.at("device").as_string();
  if (auto a = root.find("applies_to")) {
    for (std::size_t i = 0; i < a->size(); ++i) p.applies_to.push_back((*a)[i].as_string());
  }
  // The GPU the points were measured on: `gpu:`, else (older files) the first `applies_to`.
  const auto& catalog = hardware::HardwareCatalog::bundled();
  if (auto g = root.find("gpu")) {
    p.gpu = g->as_choice(catalog.gpu_names());
  } else if (!p.applies_to.empty() && catalog.has_gpu(p.applies_to.front())) {
    p.gpu = p.applies_to.front();
  } else {
    std::string valid;
    for (const auto& n : catalog.gpu_names()) valid += (valid.empty() ? "" : ", ") + n;
    throw root.error(fmt::format(
        "profile '{}' needs `gpu:`, the catalog GPU its points were measured on (valid: {})",
        p.name, valid));
  }
  p.default_for_gpu = root.has("default_for_gpu") && root.at("default_for_gpu").as_bool();
  if (auto r = root.find("roofline")) {
    r->check_keys({"compute_efficiency", "compute_efficiency_by_dtype", "memory_efficiency",
                   "launch_overhead"});
    if (auto c = r->find("compute_efficiency")) {
      p.roofline.compute_efficiency =
          sourced(*c, units::Quantity::Fraction, 1e-3, 1.0, p.roofline.compute_source);
    }
    if (auto by = r->find("compute_efficiency_by_dtype")) {
      for (const auto& key : by->keys()) {
        RooflineParams::DtypeEfficiency e;
        if (!hardware::parse_dtype(key, e.dtype)) {
          throw by->at(key).error(
              fmt::format("unknown dtype '{}' in compute_efficiency_by_dtype; valid: fp8, bf16, "
                          "fp16, tf32, fp32",
                          key));
        }
        e.value = sourced(by->at(key), units::Quantity::Fraction, 1e-3, 1.0, e.source);
        p.roofline.compute_by_dtype.push_back(std::move(e));
      }
    }
    if (auto m = r->find("memory_efficiency")) {
      p.roofline.memory_efficiency =
          sourced(*m, units::Quantity::Fraction, 1e-3, 1.0, p.roofline.memory_source);
    }
    if (auto l = r->find("launch_overhead")) {
      p.roofline.launch_overhead_s =
          sourced(*l, units::Quantity::Duration, 0, 1e-2, p.roofline.launch_source);
    }
  }
  if (auto g = root.find("gemm")) {
    for (std::size_t i = 0; i < g->size(); ++i) {
      const auto e = (*g)[i];
      e.check_keys({"dtype", "m", "n", "k", "groups", "wgrad", "tflops", "source"});
      GemmPoint pt;
      hardware::parse_dtype(e.at("dtype").as_choice({"fp8", "bf16", "fp16", "tf32", "fp32"}),
                            pt.dtype);
      pt.m = e.at("m").as_integer(1, 1 << 24);
      pt.n = e.at("n").as_integer(1, 1 << 24);
      pt.k = e.at("k").as_integer(1, 1 << 24);
      pt.groups = e.has("groups") ? e.at("groups").as_integer(1, 4096) : 1;
      pt.wgrad = e.has("wgrad") && e.at("wgrad").as_bool();
      pt.flops_per_s = e.at("tflops").as_number(1e-3, 1e5) * 1e12;
      pt.source = e.at("source").as_string();
      if (pt.source.empty())
        throw e.at("source").error("every measured point needs a non-empty source");
      p.gemm.push_back(pt);
    }
  }
  if (auto a = root.find("attention")) {
    for (std::size_t i = 0; i < a->size(); ++i) p.attention.push_back(attention_point((*a)[i]));
  }
  if (auto b = root.find("base")) p.base = b->as_string();
  if (auto m = root.find("measured_ops")) p.measured_ops = parse_measured_ops(*m);
  return p;
}

}  // namespace

Profile load_profile(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool regular = fs::is_regular_file(fs::status(path, ec)) && !ec;
  if (!regular || fs::file_size(path, ec) > YamlLimits{}.max_bytes || ec)
    return parse_profile(ConfigNode::load_file(path), path);  // its errors, as always
  // Keyed by path and exact text: the same file parses to the same profile (its error messages
  // name `path`), and an edit, whatever its size or timestamp, is a new key.
  std::string text = read_file(path, YamlLimits{}.max_bytes);
  static std::mutex mutex;
  static std::map<std::pair<std::string, std::string>, Profile> parsed;
  constexpr std::size_t kMaxCached = 64;  // bounded: a long-lived process seeing many files
  auto key = std::make_pair(path, std::move(text));
  {
    const std::lock_guard<std::mutex> lock(mutex);
    if (auto it = parsed.find(key); it != parsed.end()) return it->second;
  }
  Profile p = parse_profile(ConfigNode::load_string(key.second, path), path);
  p.content_key =
      fmt::format("{}|{}|{:x}", path, key.second.size(), std::hash<std::string>{}(key.second));
  const std::lock_guard<std::mutex> lock(mutex);
  if (parsed.size() >= kMaxCached) parsed.clear();
  parsed.emplace(std::move(key), p);
  return p;
}

}  // namespace trainsim::calibration
