#pragma once
// Import of a Hugging Face `config.json` (a local file) as a ModelSpec, for the architectures the
// catalog models: Llama (`model_type: llama`, also `mistral`), Qwen2 / Qwen3 (`qwen2`, `qwen3`,
// `qwen3_moe`), Mixtral (`mixtral`) and DeepSeek-V2 / V3 (`deepseek_v2`, `deepseek_v3`). The keys
// read and what they become are listed in docs/scenarios.md ("A Hugging Face config.json"); a key
// that changes the architecture in a way trainsim does not represent (a bias on every projection,
// sliding windows on some layers only, a shared expert of another size) is an error naming it,
// never ignored. Keys that do not change the shapes (tokenizer ids, RoPE scaling, dtype,
// dropout) are ignored.
#include <string>
#include <vector>

#include "core/yaml_reader.hpp"
#include "models/model_spec.hpp"

namespace trainsim::models {

/// The `model_type` values the importer reads, sorted.
std::vector<std::string> hf_model_types();

/// Reads the config.json at `path` (at most 1 MiB; JSON is read by the strict YAML reader, so
/// errors carry file:line:col) into a checked ModelSpec called `name` (empty: derived from the
/// path, hf_model_name). Throws IoError or ConfigError.
ModelSpec load_hf_config(const std::string& path, const std::string& name = "");

/// The same, from an already parsed document.
ModelSpec model_from_hf_config(const ConfigNode& root, const std::string& name);

/// A catalog-style name for the config at `path`: its file name without ".json", or its
/// directory's name when the file is called config.json (".../Llama-3.1-8B/config.json" →
/// "llama-3.1-8b"), lower-cased, other characters as '-'.
std::string hf_model_name(const std::string& path);

/// The file named by a scenario's `hf_config: PATH` node: PATH as is when absolute, else relative
/// to the directory of the scenario file the node was read from (the working directory for
/// standard input and --set).
std::string hf_config_path(const ConfigNode& path_node);

}  // namespace trainsim::models
