#include "scenarios/scenario_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>

#include "core/atomic_file.hpp"
#include "core/data_paths.hpp"
#include "core/error.hpp"
#include "core/yaml_reader.hpp"

namespace trainsim::scenarios {

namespace fs = std::filesystem;

std::vector<BundledScenario> bundled_scenarios() {
  std::vector<BundledScenario> out;
  const fs::path root = data_path("scenarios");
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->path().extension() != ".yaml") continue;
    fs::path rel = fs::relative(it->path(), root, ec);
    if (ec) continue;
    rel.replace_extension();
    out.push_back({rel.generic_string(), it->path().string()});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::string resolve_scenario_path(const std::string& arg) {
  if (arg == kStdinPath) return arg;
  std::error_code ec;
  // Anything at the path (a file, a FIFO, a directory) is the user's: the reader reports it.
  if (fs::symlink_status(arg, ec).type() != fs::file_type::not_found || arg.empty()) return arg;
  const std::string reason = std::strerror(ENOENT);
  const auto bundled = bundled_scenarios();
  std::string name = arg;
  if (fs::path(name).extension() == ".yaml") name.resize(name.size() - 5);
  for (const auto& b : bundled) {
    if (b.name == name) return b.path;
  }
  std::vector<std::string> names;
  for (const auto& b : bundled) names.push_back(b.name);
  std::string hint;
  if (const auto near = closest_name(name, names); !near.empty()) {
    hint = fmt::format(" (did you mean '{}'?)", near);
  }
  throw IoError(fmt::format(
      "{}: cannot open file for reading: {}; nor is it a bundled scenario{}: {} (`trainsim list "
      "scenarios`)",
      arg, reason, hint,
      names.empty() ? "none under " + data_path("scenarios") : "valid: " + join_names(names)));
}

ConfigNode load_scenario_document(const std::string& arg) {
  if (arg == kStdinPath) {
    const YamlLimits limits;
    return ConfigNode::load_string(standard_input_text(limits.max_bytes), std::string(kStdinName),
                                   limits);
  }
  return ConfigNode::load_file(resolve_scenario_path(arg));
}

const std::string& standard_input_text(std::size_t max_bytes) {
  static std::mutex mutex;
  static std::optional<std::string> text;
  const std::lock_guard lock(mutex);
  if (!text) text = read_standard_input(max_bytes);
  return *text;
}

}  // namespace trainsim::scenarios
