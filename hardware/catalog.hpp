#pragma once
// The hardware catalog: GPUs (hardware/catalog/gpus.yaml) and scale-out fabrics
// (hardware/catalog/fabrics.yaml), read strictly: every key checked, every quantity parsed with
// its unit into SI, every catalog number carrying a `source:`. A scenario names an entry
// (`gpu: h800`) or defines one inline, optionally starting from a catalog entry (`base: h100`).
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/yaml_reader.hpp"
#include "hardware/cluster_spec.hpp"
#include "hardware/gpu_spec.hpp"

namespace trainsim::hardware {

/// YAML name of a fabric kind: "multi-plane-fat-tree", "rail-optimized-fat-tree", "fat-tree".
std::string_view fabric_kind_name(FabricKind k);
/// YAML name of a leaf grouping: "rack" or "rail".
std::string_view leaf_grouping_name(LeafGrouping g);

/// Parses one catalog GPU entry (a map); every numeric field needs {value, source}. Throws
/// ConfigError located at the offending key.
GpuSpec parse_gpu(const ConfigNode& node, const std::string& name);
/// Parses one catalog fabric entry (a map); every numeric field needs {value, source}.
FabricSpec parse_fabric(const ConfigNode& node, const std::string& name);

/// A name and its one-line description, for `trainsim list`.
struct CatalogEntry {
  std::string name;
  std::string description;
};

/// GPUs and fabrics by name. Immutable after loading; safe to share between threads.
class HardwareCatalog {
 public:
  /// The bundled catalog (data_path("hardware/catalog/...")), loaded once, thread-safe.
  static const HardwareCatalog& bundled();
  /// Loads both files; throws IoError / ConfigError.
  static HardwareCatalog load(const std::string& gpus_yaml_path,
                              const std::string& fabrics_yaml_path);

  /// Throws ModelError "unknown GPU 'x'; valid: a100, ..." if absent.
  const GpuSpec& gpu(const std::string& name) const;
  /// Throws ModelError "unknown fabric 'x'; valid: ..." if absent.
  const FabricSpec& fabric(const std::string& name) const;
  bool has_gpu(const std::string& name) const { return gpus_.count(name) != 0; }
  bool has_fabric(const std::string& name) const { return fabrics_.count(name) != 0; }
  std::vector<std::string> gpu_names() const;        ///< sorted
  std::vector<std::string> fabric_names() const;     ///< sorted
  std::vector<CatalogEntry> gpu_entries() const;     ///< sorted by name, with descriptions
  std::vector<CatalogEntry> fabric_entries() const;  ///< sorted by name, with descriptions

 private:
  std::map<std::string, GpuSpec> gpus_;
  std::map<std::string, FabricSpec> fabrics_;
};

/// `cluster.gpu`: a scalar names a catalog entry (error at the node lists the valid names); a map
/// is an inline definition: `base: <name>` starts from that entry and overrides the keys given,
/// otherwise every field is required. Inline values may be plain quantities or {value, source}.
GpuSpec resolve_gpu(const ConfigNode& node, const HardwareCatalog& catalog);
/// `cluster.fabric`: same rules as resolve_gpu.
FabricSpec resolve_fabric(const ConfigNode& node, const HardwareCatalog& catalog);

}  // namespace trainsim::hardware
