// libFuzzer target: any bytes as a saved result JSON, read back and written as every report
// (tests/fuzz/fuzz_targets.hpp). Never a crash, a sanitizer report, an exception other than
// trainsim::Error, or a broken round trip.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/fuzz/fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  trainsim::fuzz::report_one(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
