// libFuzzer target: any bytes as a scenario, past the loader into the simulator — the ramp walk
// and one symmetric step (tests/fuzz/fuzz_targets.hpp). Never a crash, hang, sanitizer report or
// an exception other than trainsim::Error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/fuzz/fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  trainsim::fuzz::simulate_one(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
