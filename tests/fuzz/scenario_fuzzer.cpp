// libFuzzer target: any bytes as a scenario file must load or fail with trainsim::Error — never
// crash, hang or throw anything else.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "scenarios/scenario_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    trainsim::scenarios::load_scenario_text(text, "fuzz.yaml");
  } catch (const trainsim::Error&) {
  }
  return 0;
}
