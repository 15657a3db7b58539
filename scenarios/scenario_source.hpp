#pragma once
// Where a command's scenario argument comes from: a file path, `-` (standard input), or the name
// of a bundled scenario (`deepseek-v3` is data_path("scenarios/deepseek-v3.yaml"), found from any
// directory; TRAINSIM_DATA_DIR moves the data root, core/data_paths.hpp).
#include <cstddef>
#include <string>
#include <vector>

#include "core/yaml_reader.hpp"

namespace trainsim::scenarios {

/// A scenario shipped under data_path("scenarios"): `name` is its path there without ".yaml"
/// ("deepseek-v3", "what-if/deepseek-v3-h100"); `path` the file.
struct BundledScenario {
  std::string name;
  std::string path;
};

/// Every bundled scenario, sorted by name (empty if the directory is missing).
std::vector<BundledScenario> bundled_scenarios();

/// The file to read for a scenario argument: `arg` itself when such a file (or anything else
/// that exists at that path) is there; else the bundled scenario called `arg` (with or without
/// ".yaml"). Throws IoError naming `arg`, the OS reason and the bundled names (with a "did you
/// mean") when neither exists. `-` is returned unchanged (standard input).
std::string resolve_scenario_path(const std::string& arg);

/// The parsed YAML document of a scenario argument (a file, `-`, a bundled name), unvalidated:
/// what load_scenario reads, for callers that apply overrides themselves (sweep).
ConfigNode load_scenario_document(const std::string& arg);

/// Standard input as text, read once per process (at most `max_bytes`; IoError "<stdin>: ..."
/// beyond) and kept, since a sweep or compare loads its scenario more than once.
const std::string& standard_input_text(std::size_t max_bytes);

}  // namespace trainsim::scenarios
