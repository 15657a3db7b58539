#pragma once
// Strict, located reading of YAML: every value read through ConfigNode either converts or throws
// ConfigError with file:line:column, the key path, the bad value and what would be valid.
// yaml-cpp stays behind this header (pimpl) so that it is compiled only in core/.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/units.hpp"

namespace trainsim {

/// Limits that keep hostile input from exhausting memory or the stack.
struct YamlLimits {
  std::size_t max_bytes = 16u << 20;  ///< largest document accepted, bytes
  /// Deepest nesting of mappings and lists accepted (a scenario needs fewer than 10 levels).
  int max_depth = 64;
  /// Most nodes a document may have once its aliases are expanded (an alias bomb expands
  /// exponentially; the bundled files have a few thousand).
  std::size_t max_nodes = std::size_t{1} << 20;
};

/// A read-only view of one YAML node with its location. Cheap to copy (shared ownership).
class ConfigNode {
 public:
  enum class Kind { Null, Scalar, Sequence, Map };

  /// Parses a file; throws IoError if unreadable, ConfigError on YAML syntax or size errors.
  /// Beyond YAML syntax, a document is rejected with its line when it holds a NUL or another
  /// control character, bytes that are not UTF-8 (raw or from an escape), a key twice in one
  /// mapping, a second document, or more nesting or nodes than `limits` allow.
  static ConfigNode load_file(const std::string& path, const YamlLimits& limits = {});
  /// Parses text; `origin` names it in error messages (e.g. "--set" or a file name).
  static ConfigNode load_string(std::string_view text, const std::string& origin,
                                const YamlLimits& limits = {});

  ConfigNode();
  ~ConfigNode();
  ConfigNode(const ConfigNode&);
  ConfigNode& operator=(const ConfigNode&);
  ConfigNode(ConfigNode&&) noexcept;
  ConfigNode& operator=(ConfigNode&&) noexcept;

  Kind kind() const;
  bool is_map() const { return kind() == Kind::Map; }
  bool is_sequence() const { return kind() == Kind::Sequence; }
  bool is_scalar() const { return kind() == Kind::Scalar; }
  bool is_null() const { return kind() == Kind::Null; }

  /// Dotted path from the document root, e.g. "parallelism.pp" or "phases[2].tokens".
  const std::string& path() const;
  const std::string& file() const;
  int line() const;    ///< 1-based; 0 if unknown
  int column() const;  ///< 1-based; 0 if unknown

  /// A ConfigError located at this node.
  ConfigError error(const std::string& message) const;

  // --- maps ---
  bool has(std::string_view key) const;
  /// The child under `key`; throws "missing required key" if absent or if this is not a map.
  ConfigNode at(std::string_view key) const;
  std::optional<ConfigNode> find(std::string_view key) const;
  /// Keys in document order. Throws if this is not a map.
  std::vector<std::string> keys() const;
  /// Throws naming the first key not in `allowed`, listing the allowed ones.
  void check_keys(const std::vector<std::string_view>& allowed) const;

  // --- sequences ---
  std::size_t size() const;  ///< elements of a sequence; throws if not a sequence
  ConfigNode operator[](std::size_t index) const;

  // --- scalars ---
  std::string as_string() const;
  /// A quantity with its unit, parsed into SI (see units.hpp).
  double as_quantity(units::Quantity q) const;
  /// A quantity that must lie in [min, max] (inclusive), reported in the original text.
  double as_quantity(units::Quantity q, double min, double max) const;
  /// A plain number (no unit) in [min, max].
  double as_number(double min, double max) const;
  /// An integer in [min, max]; accepts count suffixes (e.g. "4K" is 4000 unless `seq_len`).
  std::int64_t as_integer(std::int64_t min, std::int64_t max) const;
  bool as_bool() const;
  /// One of `valid` (case-sensitive); the error lists them.
  std::string as_choice(const std::vector<std::string>& valid) const;

  /// Serializes back to YAML text (for provenance in results).
  std::string dump() const;

  struct Impl;

 private:
  friend ConfigNode apply_overrides(const ConfigNode& root,
                                    const std::vector<std::string>& assignments);
  friend ConfigNode apply_overrides(ConfigNode&& root, const std::vector<std::string>& assignments);
  explicit ConfigNode(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

ConfigNode apply_overrides(const ConfigNode& root, const std::vector<std::string>& assignments);

/// Joins names for messages: {"a","b"} → "a, b".
std::string join_names(const std::vector<std::string>& names, std::string_view sep = ", ");
std::string join_names(const std::vector<std::string_view>& names, std::string_view sep = ", ");

/// Closest candidate by edit distance (for "did you mean"), empty if nothing is close.
std::string closest_name(std::string_view wrong, const std::vector<std::string>& candidates);

}  // namespace trainsim

namespace trainsim {

/// Applies `key.path=value` overrides in order (value parsed as YAML, e.g. `8`, `fp8`, `[1,2]`) to
/// a copy of `root`. Paths use dots and `[i]` for sequence elements (`phases[0].tokens`); a missing
/// final map key is created, a missing intermediate key is an error listing the keys present.
/// Errors name the override itself ("--set parallelism.pp=x"), never the scenario file.
ConfigNode apply_overrides(const ConfigNode& root, const std::vector<std::string>& assignments);

/// The same, consuming `root`: when no other handle shares its document (a tree just parsed),
/// the overrides are applied to that tree instead of a re-parse of its source, which halves
/// the cost of loading a file with --set (a capacity-planning search loads thousands).
ConfigNode apply_overrides(ConfigNode&& root, const std::vector<std::string>& assignments);

}  // namespace trainsim
