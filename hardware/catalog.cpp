#include "hardware/catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include "core/data_paths.hpp"
#include "core/error.hpp"
#include "core/units.hpp"

namespace trainsim::hardware {

namespace detail {

/// How strictly an entry is read.
enum class Mode {
  Catalog,     ///< every field required, every numeric field needs a source
  InlineFull,  ///< every field required, sources optional
  InlineBase,  ///< fields override a base entry; all optional, sources optional
};

bool requires_all(Mode m) {
  return m != Mode::InlineBase;
}

/// The `value` node of a field and its source, whichever way it was written.
struct FieldNode {
  ConfigNode value;
  std::string source;
};

FieldNode field_node(const ConfigNode& field, Mode mode) {
  if (field.is_map()) {
    field.check_keys({"value", "source"});
    FieldNode out{field.at("value"), ""};
    if (auto s = field.find("source")) {
      out.source = s->as_string();
      if (out.source.empty()) throw s->error("source must not be empty");
    } else if (mode == Mode::Catalog) {
      throw field.error("missing required key 'source': every catalog number needs one");
    }
    if (out.source.empty()) {
      out.source = fmt::format("inline definition at {}:{}", field.file(), field.line());
    }
    return out;
  }
  if (mode == Mode::Catalog) {
    throw field.error(
        "a catalog value needs a source: write {value: <number with unit>, source: \"...\"}");
  }
  return FieldNode{field, fmt::format("inline definition at {}:{}", field.file(), field.line())};
}

/// The range a rate or a latency must lie in, so that a simulated time overflows the engine's
/// clock (sim/engine/engine.hpp: kHorizonNs, about 127 years) only for work far beyond any real
/// step, which the engine then reports as such; a rate or latency outside it is named here:
/// - bandwidth ≥ 1 MB/s: the slowest link any GPU cluster has used, 1 Gbit/s Ethernet, moves
///   125 MB/s; at 1 MB/s the 2.7 TB of BF16 gradients of a 1.35T-parameter model take a month;
/// - FLOP rate ≥ 1 GFLOP/s: one CPU core of 2005, and the floor calibration profiles already use
///   (calibration/profile.cpp: tflops ≥ 1e-3);
/// - latency ≤ 1 s: NVLink and InfiniBand latencies are microseconds (a 10^5 margin).
/// The upper rate bounds (1 PB/s, 10^18 FLOP/s) are 100 times above any datasheet (B200: 8 TB/s
/// HBM, 9 PFLOP/s dense FP4). Other quantities (bytes, watts) only need to be positive.
struct Plausible {
  double min, max;
  std::string_view why;
};
std::optional<Plausible> plausible_range(units::Quantity q) {
  switch (q) {
    case units::Quantity::Bandwidth:
      return Plausible{1e6, 1e15, "slower links would push simulated times past the clock"};
    case units::Quantity::FlopRate:
      return Plausible{1e9, 1e18, "slower rates would push simulated times past the clock"};
    case units::Quantity::Duration:
      return Plausible{0.0, 1.0, "fabric latencies are microseconds"};
    default:
      return std::nullopt;
  }
}

/// A positive, finite quantity with its unit, within plausible_range(q).
double positive_quantity(const ConfigNode& value, units::Quantity q) {
  const double v = value.as_quantity(q);
  if (!(v > 0.0) || !std::isfinite(v)) {
    throw value.error(
        fmt::format("{} must be positive, got '{}'", units::quantity_name(q), value.as_string()));
  }
  if (const auto r = plausible_range(q); r && (v < r->min || v > r->max)) {
    throw value.error(fmt::format("'{}' is out of range: the {} must be between {} and {} ({})",
                                  value.as_string(), units::quantity_name(q),
                                  r->min > 0 ? units::format(r->min, q) : "0",
                                  units::format(r->max, q), r->why));
  }
  return v;
}

/// Reads `key` (if present) into `out` and records its source. Returns whether it was present.
bool read_quantity(const ConfigNode& entry, std::string_view key, units::Quantity q, Mode mode,
                   double& out, std::map<std::string, std::string>& sources) {
  const auto field = entry.find(key);
  if (!field) {
    if (requires_all(mode)) throw entry.error(fmt::format("missing required key '{}'", key));
    return false;
  }
  FieldNode f = field_node(*field, mode);
  out = positive_quantity(f.value, q);
  sources[std::string(key)] = std::move(f.source);
  return true;
}

bool read_int(const ConfigNode& entry, std::string_view key, std::int64_t min, std::int64_t max,
              Mode mode, int& out, std::map<std::string, std::string>& sources) {
  const auto field = entry.find(key);
  if (!field) {
    if (requires_all(mode)) throw entry.error(fmt::format("missing required key '{}'", key));
    return false;
  }
  FieldNode f = field_node(*field, mode);
  out = static_cast<int>(f.value.as_integer(min, max));
  sources[std::string(key)] = std::move(f.source);
  return true;
}

bool read_number(const ConfigNode& entry, std::string_view key, double min, double max, Mode mode,
                 double& out, std::map<std::string, std::string>& sources) {
  const auto field = entry.find(key);
  if (!field) {
    if (requires_all(mode)) throw entry.error(fmt::format("missing required key '{}'", key));
    return false;
  }
  FieldNode f = field_node(*field, mode);
  out = f.value.as_number(min, max);
  sources[std::string(key)] = std::move(f.source);
  return true;
}

/// The achievable rate of a link, written either as a rate (`achievable_key`, e.g.
/// nic_achievable: 40GB/s) or as a fraction of the nominal rate (`efficiency_key`, e.g.
/// nic_efficiency: 0.8), at most one of them; the other is derived. An inline definition on a base
/// that gives neither keeps the base's efficiency, so a changed nominal rate (nic_bw: 800Gbps)
/// moves the achievable one with it. Call after the nominal rate is read.
struct AchievableKeys {
  std::string_view nominal, achievable, efficiency;
};
void read_achievable(const ConfigNode& entry, Mode mode, const AchievableKeys& k, double nominal,
                     double& achievable, double& efficiency,
                     std::map<std::string, std::string>& sources) {
  const auto given_rate = entry.find(k.achievable);
  const auto given_fraction = entry.find(k.efficiency);
  if (given_rate && given_fraction) {
    throw given_fraction->error(fmt::format(
        "'{}' and '{}' are both given: write the achievable rate or its fraction of {}, not both",
        k.achievable, k.efficiency, k.nominal));
  }
  const std::string nominal_text = units::format(nominal, units::Quantity::Bandwidth);
  if (given_rate) {
    read_quantity(entry, k.achievable, units::Quantity::Bandwidth, mode, achievable, sources);
    efficiency = achievable / nominal;
    sources[std::string(k.efficiency)] = fmt::format("derived: {} / {}", k.achievable, k.nominal);
    return;
  }
  if (given_fraction) {
    // Below 1% a fraction is surely a mistyped one (0.008 for 0.8); 1 is the line rate itself.
    read_number(entry, k.efficiency, 0.01, 1.0, mode, efficiency, sources);
  } else if (requires_all(mode)) {
    throw entry.error(
        fmt::format("missing required key '{}' (the achievable fraction of {}, e.g. 0.8) or '{}' "
                    "(the achievable rate)",
                    k.efficiency, k.nominal, k.achievable));
  } else if (!entry.find(k.nominal)) {
    return;  // neither rate changed: the base's achievable rate and its source stand
  }
  achievable = efficiency * nominal;
  sources[std::string(k.achievable)] =
      fmt::format("derived: {} {} × {} {} ({}: {})", k.efficiency, efficiency, k.nominal,
                  nominal_text, k.efficiency, sources[std::string(k.efficiency)]);
  if (const auto r = plausible_range(units::Quantity::Bandwidth); r && achievable < r->min) {
    throw entry.find(k.nominal).value_or(entry).error(
        fmt::format("{} {} × {} {} is {}, below the {} minimum ({})", k.efficiency, efficiency,
                    k.nominal, nominal_text, units::format(achievable, units::Quantity::Bandwidth),
                    units::format(r->min, units::Quantity::Bandwidth), r->why));
  }
}

void read_description(const ConfigNode& entry, Mode mode, std::string& out) {
  if (auto d = entry.find("description")) {
    out = d->as_string();
  } else if (mode == Mode::Catalog) {
    throw entry.error("missing required key 'description'");
  }
}

constexpr int kMaxCount = 1 << 20;

// ------------------------------------------------------------------ GPUs

const std::vector<std::string_view> kGpuKeys{"description",
                                             "peak_flops",
                                             "sm_count",
                                             "hbm",
                                             "hbm_bw",
                                             "nvlink_bw_per_direction",
                                             "nvlink_achievable_per_direction",
                                             "nvlink_efficiency",
                                             "nvlink_latency",
                                             "tdp",
                                             "ep_dispatch_nvlink_rate",
                                             "ep_combine_nvlink_rate",
                                             "perf_variation"};

std::vector<std::string_view> with_inline_keys(std::vector<std::string_view> keys) {
  keys.insert(keys.begin(), {"base", "name"});
  return keys;
}

void read_gpu_fields(const ConfigNode& entry, Mode mode, GpuSpec& gpu) {
  if (!entry.is_map()) {
    throw entry.error("a GPU definition must be a mapping of fields (peak_flops, hbm, ...)");
  }
  entry.check_keys(mode == Mode::Catalog ? kGpuKeys : with_inline_keys(kGpuKeys));
  read_description(entry, mode, gpu.description);

  if (auto pf = entry.find("peak_flops")) {
    if (!pf->is_map()) throw pf->error("peak_flops must be a mapping of dtype to dense FLOP rate");
    std::vector<std::string_view> dtypes;
    for (Dtype d : kAllDtypes) dtypes.push_back(dtype_name(d));
    pf->check_keys(dtypes);
    if (mode != Mode::InlineBase) gpu.peak_flops.fill(0.0);  // absent dtype = unsupported
    for (Dtype d : kAllDtypes) {
      const std::string key(dtype_name(d));
      const auto field = pf->find(key);
      if (!field) continue;
      FieldNode f = field_node(*field, mode);
      gpu.peak_flops[static_cast<std::size_t>(d)] =
          positive_quantity(f.value, units::Quantity::FlopRate);
      gpu.sources["peak_flops." + key] = std::move(f.source);
    }
    if (std::none_of(gpu.peak_flops.begin(), gpu.peak_flops.end(),
                     [](double v) { return v > 0.0; })) {
      throw pf->error("peak_flops needs at least one dtype (fp8, bf16, fp16, tf32, fp32)");
    }
  } else if (requires_all(mode)) {
    throw entry.error("missing required key 'peak_flops'");
  }

  read_int(entry, "sm_count", 1, 100000, mode, gpu.sm_count, gpu.sources);
  read_quantity(entry, "hbm", units::Quantity::Bytes, mode, gpu.hbm_bytes, gpu.sources);
  read_quantity(entry, "hbm_bw", units::Quantity::Bandwidth, mode, gpu.hbm_bw_Bps, gpu.sources);
  read_quantity(entry, "nvlink_bw_per_direction", units::Quantity::Bandwidth, mode,
                gpu.nvlink_bw_Bps, gpu.sources);
  read_achievable(
      entry, mode,
      {"nvlink_bw_per_direction", "nvlink_achievable_per_direction", "nvlink_efficiency"},
      gpu.nvlink_bw_Bps, gpu.nvlink_achievable_Bps, gpu.nvlink_efficiency, gpu.sources);
  read_quantity(entry, "nvlink_latency", units::Quantity::Duration, mode, gpu.nvlink_latency_s,
                gpu.sources);
  read_quantity(entry, "tdp", units::Quantity::Power, mode, gpu.tdp_w, gpu.sources);
  // Optional (0: identical GPUs). Above 20% a GPU model's spread would be a fault, not binning.
  if (entry.find("perf_variation")) {
    read_number(entry, "perf_variation", 0.0, 0.2, mode, gpu.perf_variation, gpu.sources);
  }
  // Optional: measured only where a kernel's rate is published (DeepEP on the H800).
  for (auto [key, out] : {std::pair{"ep_dispatch_nvlink_rate", &gpu.ep_dispatch_nvlink_Bps},
                          std::pair{"ep_combine_nvlink_rate", &gpu.ep_combine_nvlink_Bps}}) {
    if (entry.find(key)) {
      read_quantity(entry, key, units::Quantity::Bandwidth, mode, *out, gpu.sources);
      if (*out > gpu.nvlink_achievable_Bps) {
        throw entry.find(key)->error(
            fmt::format("{} ({}) exceeds the achievable NVLink rate ({})", key,
                        units::format(*out, units::Quantity::Bandwidth),
                        units::format(gpu.nvlink_achievable_Bps, units::Quantity::Bandwidth)));
      }
    }
  }

  if (gpu.nvlink_achievable_Bps > gpu.nvlink_bw_Bps) {
    const auto at = entry.find("nvlink_achievable_per_direction").value_or(entry);
    throw at.error(
        fmt::format("nvlink_achievable_per_direction ({}) exceeds nvlink_bw_per_direction ({})",
                    units::format(gpu.nvlink_achievable_Bps, units::Quantity::Bandwidth),
                    units::format(gpu.nvlink_bw_Bps, units::Quantity::Bandwidth)));
  }
}

// ------------------------------------------------------------------ fabrics

const std::vector<std::string_view> kFabricCommonKeys{
    "description",       "kind",          "nic_bw",       "nic_achievable",
    "nic_efficiency",    "nics_per_node", "switch_radix", "latency_same_leaf",
    "latency_cross_leaf"};
const std::vector<std::string_view> kMpftKeys{"planes"};
const std::vector<std::string_view> kThreeTierKeys{"gpus_per_leaf", "leaf_grouping", "pod_gpus",
                                                   "oversubscription"};

const std::vector<std::string> kFabricKindNames{"multi-plane-fat-tree", "rail-optimized-fat-tree",
                                                "fat-tree"};

FabricKind kind_from_name(const std::string& s) {
  if (s == "multi-plane-fat-tree") return FabricKind::MultiPlaneFatTree;
  if (s == "rail-optimized-fat-tree") return FabricKind::RailOptimizedFatTree;
  return FabricKind::FatTree;
}

void read_fabric_fields(const ConfigNode& entry, Mode mode, FabricSpec& f) {
  if (!entry.is_map()) {
    throw entry.error("a fabric definition must be a mapping of fields (kind, nic_bw, ...)");
  }
  if (auto k = entry.find("kind")) {
    f.kind = kind_from_name(k->as_choice(kFabricKindNames));
  } else if (requires_all(mode)) {
    throw entry.error(
        fmt::format("missing required key 'kind' (one of: {})", join_names(kFabricKindNames)));
  }
  const bool mpft = f.kind == FabricKind::MultiPlaneFatTree;
  std::vector<std::string_view> allowed = kFabricCommonKeys;
  const auto& extra = mpft ? kMpftKeys : kThreeTierKeys;
  allowed.insert(allowed.end(), extra.begin(), extra.end());
  if (mode != Mode::Catalog) allowed = with_inline_keys(allowed);
  entry.check_keys(allowed);
  read_description(entry, mode, f.description);

  read_quantity(entry, "nic_bw", units::Quantity::Bandwidth, mode, f.nic_bw_Bps, f.sources);
  read_achievable(entry, mode, {"nic_bw", "nic_achievable", "nic_efficiency"}, f.nic_bw_Bps,
                  f.nic_achievable_Bps, f.nic_efficiency, f.sources);
  read_int(entry, "nics_per_node", 1, 1024, mode, f.nics_per_node, f.sources);
  read_int(entry, "switch_radix", 2, 4096, mode, f.switch_radix, f.sources);
  read_quantity(entry, "latency_same_leaf", units::Quantity::Duration, mode, f.nic_latency_s,
                f.sources);
  read_quantity(entry, "latency_cross_leaf", units::Quantity::Duration, mode,
                f.cross_leaf_latency_s, f.sources);

  if (mpft) {
    read_int(entry, "planes", 1, 1024, mode, f.planes, f.sources);
    f.gpus_per_leaf = f.switch_radix / 2;
    f.sources["gpus_per_leaf"] =
        "derived: switch_radix / 2 (a non-blocking leaf uses half its ports down)";
    f.pod_gpus = 0;
    f.sources["pod_gpus"] = "not used: a multi-plane fat-tree has two tiers per plane";
    f.oversubscription = 1.0;
    f.sources["oversubscription"] = "derived: each plane is a non-blocking two-layer fat-tree";
  } else {
    read_int(entry, "gpus_per_leaf", 1, kMaxCount, mode, f.gpus_per_leaf, f.sources);
    if (auto g = entry.find("leaf_grouping")) {
      f.leaf_grouping =
          g->as_choice({"rack", "rail"}) == "rack" ? LeafGrouping::Rack : LeafGrouping::Rail;
    } else if (requires_all(mode)) {
      throw entry.error("missing required key 'leaf_grouping' (one of: rack, rail)");
    }
    read_int(entry, "pod_gpus", 1, std::numeric_limits<int>::max(), mode, f.pod_gpus, f.sources);
    read_number(entry, "oversubscription", 1.0, 1e6, mode, f.oversubscription, f.sources);
    f.planes = 1;
    f.sources["planes"] = "derived: a single plane";
  }
  f.link_latency_s = (f.cross_leaf_latency_s - f.nic_latency_s) / 2.0;
  f.sources["link_latency_s"] = "derived: (latency_cross_leaf - latency_same_leaf) / 2";

  // Cross-field checks, located at the key that breaks them when it was given here.
  const auto at = [&](std::string_view key) { return entry.find(key).value_or(entry); };
  if (f.nic_achievable_Bps > f.nic_bw_Bps) {
    throw at("nic_achievable")
        .error(fmt::format("nic_achievable ({}) exceeds nic_bw ({})",
                           units::format(f.nic_achievable_Bps, units::Quantity::Bandwidth),
                           units::format(f.nic_bw_Bps, units::Quantity::Bandwidth)));
  }
  if (f.cross_leaf_latency_s < f.nic_latency_s) {
    throw at("latency_cross_leaf")
        .error(fmt::format("latency_cross_leaf ({}) is below latency_same_leaf ({})",
                           units::format(f.cross_leaf_latency_s, units::Quantity::Duration),
                           units::format(f.nic_latency_s, units::Quantity::Duration)));
  }
  if (mpft) {
    if (f.switch_radix % 2 != 0) {
      throw at("switch_radix")
          .error(fmt::format(
              "switch_radix {} must be even: a leaf splits its ports half down, half up",
              f.switch_radix));
    }
  } else {
    if (f.pod_gpus <= 0) {
      throw entry.error(
          fmt::format("a {} fabric needs 'pod_gpus', 'gpus_per_leaf', "
                      "'leaf_grouping' and 'oversubscription'",
                      fabric_kind_name(f.kind)));
    }
    if (2 * static_cast<std::int64_t>(f.gpus_per_leaf) > f.switch_radix) {
      throw at("gpus_per_leaf")
          .error(fmt::format(
              "gpus_per_leaf {} needs {} leaf ports (as many up as down) but switch_radix is {}",
              f.gpus_per_leaf, 2 * static_cast<std::int64_t>(f.gpus_per_leaf), f.switch_radix));
    }
    if (f.pod_gpus % f.gpus_per_leaf != 0) {
      throw at("pod_gpus")
          .error(fmt::format("pod_gpus {} is not a multiple of gpus_per_leaf {}", f.pod_gpus,
                             f.gpus_per_leaf));
    }
  }
}

bool valid_catalog_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

template <class Spec>
std::vector<std::string> names_of(const std::map<std::string, Spec>& m) {
  std::vector<std::string> out;
  out.reserve(m.size());
  for (const auto& [name, spec] : m) out.push_back(name);
  return out;  // std::map iterates in sorted order
}

template <class Spec>
std::vector<CatalogEntry> entries_of(const std::map<std::string, Spec>& m) {
  std::vector<CatalogEntry> out;
  out.reserve(m.size());
  for (const auto& [name, spec] : m) out.push_back({name, spec.description});
  return out;
}

/// Shared by resolve_gpu and resolve_fabric: scalar → lookup, map → inline (optionally based).
template <class Spec, class Lookup, class Has, class Names, class Read>
Spec resolve(const ConfigNode& node, std::string_view what, Lookup lookup, Has has, Names names,
             Read read) {
  if (node.is_scalar()) {
    const std::string name = node.as_string();
    if (!has(name)) {
      throw node.error(fmt::format("unknown {} '{}'; valid: {}", what, name, join_names(names())));
    }
    return lookup(name);
  }
  if (!node.is_map()) {
    throw node.error(fmt::format("{} must be a catalog name ({}) or a mapping defining one inline",
                                 what, join_names(names())));
  }
  Spec spec;
  Mode mode = Mode::InlineFull;
  if (auto b = node.find("base")) {
    const std::string base = b->as_string();
    if (!has(base)) {
      throw b->error(fmt::format("unknown {} '{}'; valid: {}", what, base, join_names(names())));
    }
    spec = lookup(base);
    spec.name = "custom-" + base;
    spec.description = spec.description + " (modified inline)";
    mode = Mode::InlineBase;
  } else {
    spec.name = "custom";
    spec.description = fmt::format("inline {} defined at {}:{}", what, node.file(), node.line());
  }
  if (auto n = node.find("name")) {
    spec.name = n->as_string();
    if (!valid_catalog_name(spec.name)) {
      throw n->error(
          fmt::format("name '{}' must be lower-case letters, digits, '-', '_' or '.'", spec.name));
    }
  }
  read(node, mode, spec);
  return spec;
}

}  // namespace detail

std::string_view fabric_kind_name(FabricKind k) {
  switch (k) {
    case FabricKind::MultiPlaneFatTree:
      return "multi-plane-fat-tree";
    case FabricKind::RailOptimizedFatTree:
      return "rail-optimized-fat-tree";
    case FabricKind::FatTree:
      return "fat-tree";
  }
  return "?";
}

std::string_view leaf_grouping_name(LeafGrouping g) {
  return g == LeafGrouping::Rack ? "rack" : "rail";
}

GpuSpec parse_gpu(const ConfigNode& node, const std::string& name) {
  GpuSpec gpu;
  gpu.name = name;
  detail::read_gpu_fields(node, detail::Mode::Catalog, gpu);
  return gpu;
}

FabricSpec parse_fabric(const ConfigNode& node, const std::string& name) {
  FabricSpec fabric;
  fabric.name = name;
  detail::read_fabric_fields(node, detail::Mode::Catalog, fabric);
  return fabric;
}

const HardwareCatalog& HardwareCatalog::bundled() {
  static const HardwareCatalog catalog =
      load(data_path("hardware/catalog/gpus.yaml"), data_path("hardware/catalog/fabrics.yaml"));
  return catalog;
}

HardwareCatalog HardwareCatalog::load(const std::string& gpus_yaml_path,
                                      const std::string& fabrics_yaml_path) {
  HardwareCatalog c;
  const auto read_file = [](const std::string& path, auto&& each) {
    const ConfigNode root = ConfigNode::load_file(path);
    if (!root.is_map()) throw root.error("a catalog must be a mapping of name to definition");
    for (const std::string& name : root.keys()) {
      const ConfigNode entry = root.at(name);
      if (!detail::valid_catalog_name(name)) {
        throw entry.error(fmt::format(
            "catalog name '{}' must be lower-case letters, digits, '-', '_' or '.'", name));
      }
      each(name, entry);
    }
  };
  read_file(gpus_yaml_path, [&](const std::string& name, const ConfigNode& entry) {
    c.gpus_.emplace(name, parse_gpu(entry, name));
  });
  read_file(fabrics_yaml_path, [&](const std::string& name, const ConfigNode& entry) {
    c.fabrics_.emplace(name, parse_fabric(entry, name));
  });
  return c;
}

const GpuSpec& HardwareCatalog::gpu(const std::string& name) const {
  const auto it = gpus_.find(name);
  if (it == gpus_.end()) {
    throw ModelError(fmt::format("unknown GPU '{}'; valid: {}", name, join_names(gpu_names())));
  }
  return it->second;
}

const FabricSpec& HardwareCatalog::fabric(const std::string& name) const {
  const auto it = fabrics_.find(name);
  if (it == fabrics_.end()) {
    throw ModelError(
        fmt::format("unknown fabric '{}'; valid: {}", name, join_names(fabric_names())));
  }
  return it->second;
}

std::vector<std::string> HardwareCatalog::gpu_names() const {
  return detail::names_of(gpus_);
}
std::vector<std::string> HardwareCatalog::fabric_names() const {
  return detail::names_of(fabrics_);
}
std::vector<CatalogEntry> HardwareCatalog::gpu_entries() const {
  return detail::entries_of(gpus_);
}
std::vector<CatalogEntry> HardwareCatalog::fabric_entries() const {
  return detail::entries_of(fabrics_);
}

GpuSpec resolve_gpu(const ConfigNode& node, const HardwareCatalog& catalog) {
  return detail::resolve<GpuSpec>(
      node, "GPU", [&](const std::string& n) { return catalog.gpu(n); },
      [&](const std::string& n) { return catalog.has_gpu(n); }, [&] { return catalog.gpu_names(); },
      [](const ConfigNode& n, detail::Mode m, GpuSpec& s) { detail::read_gpu_fields(n, m, s); });
}

FabricSpec resolve_fabric(const ConfigNode& node, const HardwareCatalog& catalog) {
  return detail::resolve<FabricSpec>(
      node, "fabric", [&](const std::string& n) { return catalog.fabric(n); },
      [&](const std::string& n) { return catalog.has_fabric(n); },
      [&] { return catalog.fabric_names(); },
      [](const ConfigNode& n, detail::Mode m, FabricSpec& s) {
        detail::read_fabric_fields(n, m, s);
      });
}

}  // namespace trainsim::hardware
