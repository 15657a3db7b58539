#pragma once
// Unit-suffixed quantities ("400Gbps", "50GB/s", "989TFLOPS", "80GiB", "2us", "14.8T") parsed
// into SI doubles: bytes, bytes/s, FLOP, FLOP/s, seconds, watts, hertz, plain counts.
// Decimal prefixes are powers of 1000 (GB = 1e9 B); binary ones powers of 1024 (GiB = 2^30 B).
// Bits are divided by 8 (400Gbps = 50e9 bytes/s). Sequence lengths use the ML convention that
// "4K" means 4,096 tokens (binary); token and step counts use decimal ("14.8T" = 14.8e12).
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace trainsim::units {

/// What a quantity measures; decides which suffixes are valid and the SI result.
enum class Quantity {
  Bytes,           ///< B, KB, MB, GB, TB, KiB, MiB, GiB, TiB → bytes
  Bandwidth,       ///< B/s, GB/s, GBps, GiB/s, Gbps, Gb/s, Tbps … → bytes per second
  FlopRate,        ///< FLOPS, GFLOPS, TFLOPS, PFLOPS (also FLOP/s forms) → FLOP per second
  Flops,           ///< FLOP, GFLOP, TFLOP, PFLOP, EFLOP → FLOP
  Duration,        ///< ns, us, ms, s, min, h, d → seconds
  Power,           ///< W, kW, MW → watts
  Frequency,       ///< Hz, kHz, MHz, GHz → hertz
  Count,           ///< bare number or K, M, B (=G), T decimal suffix → count
  SequenceLength,  ///< bare number or K (=1024), M (=1024²) → tokens
  Money,           ///< bare number, "$2", "2USD" → US dollars
  Fraction,        ///< bare number in [0,1] or "85%" → fraction
};

/// Human-readable name of a quantity kind, e.g. "bandwidth".
std::string_view quantity_name(Quantity q);

/// Examples and valid suffixes of a quantity kind, for error messages.
std::string_view quantity_help(Quantity q);

/// Thrown by parse(); the message says what was expected. Callers add file/line/key.
class UnitError : public Error {
 public:
  using Error::Error;
};

/// Parses `text` as `q` into SI. Rejects NaN, infinities, negative values, unknown or
/// missing suffixes (bare numbers only where `q` is Count, SequenceLength, Money or Fraction).
double parse(std::string_view text, Quantity q);

/// Formats an SI value with a readable prefix: format(50e9, Bandwidth) == "50 GB/s".
std::string format(double value_in_si, Quantity q, int significant_digits = 4);

}  // namespace trainsim::units
