// libFuzzer target: the unit parser accepts or rejects any text for every quantity kind, and
// what it accepts is finite and non-negative.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/units.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using trainsim::units::Quantity;
  for (Quantity q : {Quantity::Bytes, Quantity::Bandwidth, Quantity::FlopRate, Quantity::Flops,
                     Quantity::Duration, Quantity::Power, Quantity::Frequency, Quantity::Count,
                     Quantity::SequenceLength, Quantity::Money, Quantity::Fraction}) {
    try {
      const double v = trainsim::units::parse(text, q);
      if (!std::isfinite(v) || v < 0) std::abort();
      (void)trainsim::units::format(v, q);
    } catch (const trainsim::units::UnitError&) {
    }
  }
  return 0;
}
