#include "calibration/profile.hpp"

#include <fmt/format.h>

#include "core/units.hpp"
#include "core/yaml_reader.hpp"

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

}  // namespace

Profile load_profile(const std::string& path) {
  const auto root = ConfigNode::load_file(path);
  root.check_keys({"name", "description", "device", "applies_to", "roofline", "gemm", "notes"});
  Profile p;
  p.file = path;
  p.name = root.at("name").as_string();
  p.description = root.has("description") ? root.at("description").as_string() : "";
  p.device = root.at("device").as_string();
  if (auto a = root.find("applies_to")) {
    for (std::size_t i = 0; i < a->size(); ++i) p.applies_to.push_back((*a)[i].as_string());
  }
  if (auto r = root.find("roofline")) {
    r->check_keys({"compute_efficiency", "memory_efficiency", "launch_overhead"});
    if (auto c = r->find("compute_efficiency")) {
      p.roofline.compute_efficiency =
          sourced(*c, units::Quantity::Fraction, 1e-3, 1.0, p.roofline.compute_source);
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
      e.check_keys({"dtype", "m", "n", "k", "groups", "tflops", "source"});
      GemmPoint pt;
      hardware::parse_dtype(e.at("dtype").as_choice({"fp8", "bf16", "fp16", "tf32", "fp32"}),
                            pt.dtype);
      pt.m = e.at("m").as_integer(1, 1 << 24);
      pt.n = e.at("n").as_integer(1, 1 << 24);
      pt.k = e.at("k").as_integer(1, 1 << 24);
      pt.groups = e.has("groups") ? e.at("groups").as_integer(1, 4096) : 1;
      pt.flops_per_s = e.at("tflops").as_number(1e-3, 1e5) * 1e12;
      pt.source = e.at("source").as_string();
      if (pt.source.empty())
        throw e.at("source").error("every measured point needs a non-empty source");
      p.gemm.push_back(pt);
    }
  }
  return p;
}

}  // namespace trainsim::calibration
