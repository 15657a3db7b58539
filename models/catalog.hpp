#pragma once
// The model catalog: one YAML file per architecture under models/catalog/, read strictly (every
// key checked, every catalog value with a `source:`), then checked for consistency (heads
// divisible by KV heads, top-k within the experts, limited groups within the groups, ...).
// A scenario names an entry (`model: deepseek-v3`) or defines one inline, optionally starting
// from a catalog entry (`model: {base: deepseek-v3, layers: 30}`). See models/catalog/README.md.
#include <string>
#include <string_view>
#include <vector>

#include "core/yaml_reader.hpp"
#include "models/model_spec.hpp"

namespace trainsim::models {

/// YAML spelling: "gqa" or "mla".
std::string_view attention_kind_name(AttentionKind k);
/// YAML spelling: "swiglu" or "gelu".
std::string_view ffn_activation_name(FfnActivation a);
/// YAML spelling: "rmsnorm" or "layernorm".
std::string_view norm_kind_name(NormKind n);

/// Parses one catalog entry (a map) named `name`; every field needs {value, source}. Throws
/// ConfigError located at the offending key, including consistency errors.
ModelSpec parse_model(const ConfigNode& node, const std::string& name);

/// Empty if `m` is consistent, else the first problem in words (e.g. "heads (10) is not a
/// multiple of kv_heads (4)"). parse_model and resolve_model throw it located at the key.
std::string model_problem(const ModelSpec& m);

/// Models by name. Immutable after loading; safe to share between threads.
class ModelCatalog {
 public:
  /// The bundled catalog (every *.yaml under data_path("models/catalog")), loaded once.
  static const ModelCatalog& bundled();
  /// Loads every *.yaml file of `directory` (sorted by file name); a name defined twice is an
  /// error naming both files. Throws IoError / ConfigError.
  static ModelCatalog load(const std::string& directory);
  /// Loads the given files; each holds one or more `name: {fields}` entries.
  static ModelCatalog load_files(const std::vector<std::string>& paths);

  /// Throws ModelError "unknown model 'x'; valid: deepseek-v2, ..." if absent.
  const ModelSpec& get(const std::string& name) const;
  bool has(const std::string& name) const;
  std::vector<std::string> names() const;                             ///< sorted
  const std::vector<ModelSpec>& entries() const { return entries_; }  ///< sorted by name

 private:
  std::vector<ModelSpec> entries_;  // sorted by name, unique
};

/// `model:` in a scenario. A scalar names a catalog entry (located error listing the valid
/// names); a map is an inline definition: `base: <name>` starts from that entry and overrides
/// the keys given (nested `mla:`/`moe:` keys individually), otherwise every catalog field is
/// required. Inline values may be plain or {value, source}; `name:` renames the result.
ModelSpec resolve_model(const ConfigNode& node, const ModelCatalog& catalog);

}  // namespace trainsim::models
