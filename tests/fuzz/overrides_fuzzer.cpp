// libFuzzer target: any `--set` text applied to the bundled DeepSeek-V3 scenario loads or fails
// with trainsim::Error. Lines of the input are separate overrides.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/data_paths.hpp"
#include "core/error.hpp"
#include "scenarios/scenario_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string base =
      trainsim::read_file(trainsim::data_path("scenarios/deepseek-v3.yaml"));
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> sets;
  std::size_t start = 0;
  while (start <= text.size() && sets.size() < 8) {
    const auto nl = text.find('\n', start);
    sets.push_back(text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  try {
    trainsim::scenarios::load_scenario_text(base, "deepseek-v3.yaml", {sets});
  } catch (const trainsim::Error&) {
  }
  return 0;
}
