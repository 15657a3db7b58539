#include "core/units.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <utility>

namespace trainsim::units {
namespace {

struct Suffix {
  std::string_view text;
  double factor;  // multiply the number by this to get SI
};

// Suffixes are matched exactly (case-sensitive where case carries meaning: Gb vs GB).
constexpr std::array kBytes{
    Suffix{"B", 1.0},
    Suffix{"KB", 1e3},
    Suffix{"MB", 1e6},
    Suffix{"GB", 1e9},
    Suffix{"TB", 1e12},
    Suffix{"PB", 1e15},
    Suffix{"KiB", 1024.0},
    Suffix{"MiB", 1048576.0},
    Suffix{"GiB", 1073741824.0},
    Suffix{"TiB", 1099511627776.0},
    Suffix{"kB", 1e3},
};

constexpr std::array kBandwidth{
    Suffix{"B/s", 1.0},
    Suffix{"KB/s", 1e3},
    Suffix{"MB/s", 1e6},
    Suffix{"GB/s", 1e9},
    Suffix{"TB/s", 1e12},
    Suffix{"Bps", 1.0},
    Suffix{"KBps", 1e3},
    Suffix{"MBps", 1e6},
    Suffix{"GBps", 1e9},
    Suffix{"TBps", 1e12},
    Suffix{"KiB/s", 1024.0},
    Suffix{"MiB/s", 1048576.0},
    Suffix{"GiB/s", 1073741824.0},
    Suffix{"bps", 0.125},
    Suffix{"Kbps", 125.0},
    Suffix{"Mbps", 125e3},
    Suffix{"Gbps", 125e6},
    Suffix{"Tbps", 125e9},
    Suffix{"b/s", 0.125},
    Suffix{"Kb/s", 125.0},
    Suffix{"Mb/s", 125e3},
    Suffix{"Gb/s", 125e6},
    Suffix{"Tb/s", 125e9},
};

constexpr std::array kFlopRate{
    Suffix{"FLOPS", 1.0},    Suffix{"GFLOPS", 1e9},   Suffix{"TFLOPS", 1e12},
    Suffix{"PFLOPS", 1e15},  Suffix{"EFLOPS", 1e18},  Suffix{"FLOP/s", 1.0},
    Suffix{"GFLOP/s", 1e9},  Suffix{"TFLOP/s", 1e12}, Suffix{"PFLOP/s", 1e15},
    Suffix{"EFLOP/s", 1e18},
};

constexpr std::array kFlops{
    Suffix{"FLOP", 1.0},   Suffix{"GFLOP", 1e9},  Suffix{"TFLOP", 1e12},
    Suffix{"PFLOP", 1e15}, Suffix{"EFLOP", 1e18}, Suffix{"ZFLOP", 1e21},
};

constexpr std::array kDuration{
    Suffix{"ns", 1e-9}, Suffix{"us", 1e-6},  Suffix{"µs", 1e-6},  Suffix{"ms", 1e-3},
    Suffix{"s", 1.0},   Suffix{"min", 60.0}, Suffix{"h", 3600.0}, Suffix{"d", 86400.0},
};

constexpr std::array kPower{Suffix{"W", 1.0}, Suffix{"kW", 1e3}, Suffix{"MW", 1e6}};

constexpr std::array kFrequency{Suffix{"Hz", 1.0}, Suffix{"kHz", 1e3}, Suffix{"MHz", 1e6},
                                Suffix{"GHz", 1e9}};

constexpr std::array kCount{Suffix{"", 1.0},   Suffix{"K", 1e3}, Suffix{"k", 1e3},
                            Suffix{"M", 1e6},  Suffix{"B", 1e9}, Suffix{"G", 1e9},
                            Suffix{"T", 1e12}, Suffix{"P", 1e15}};

constexpr std::array kSequenceLength{Suffix{"", 1.0}, Suffix{"K", 1024.0}, Suffix{"k", 1024.0},
                                     Suffix{"M", 1048576.0}};

constexpr std::array kMoney{Suffix{"", 1.0}, Suffix{"USD", 1.0}};

constexpr std::array kFraction{Suffix{"", 1.0}, Suffix{"%", 0.01}};

template <std::size_t N>
std::vector<Suffix> as_vector(const std::array<Suffix, N>& a) {
  return {a.begin(), a.end()};
}

std::vector<Suffix> suffixes_of(Quantity q) {
  switch (q) {
    case Quantity::Bytes:
      return as_vector(kBytes);
    case Quantity::Bandwidth:
      return as_vector(kBandwidth);
    case Quantity::FlopRate:
      return as_vector(kFlopRate);
    case Quantity::Flops:
      return as_vector(kFlops);
    case Quantity::Duration:
      return as_vector(kDuration);
    case Quantity::Power:
      return as_vector(kPower);
    case Quantity::Frequency:
      return as_vector(kFrequency);
    case Quantity::Count:
      return as_vector(kCount);
    case Quantity::SequenceLength:
      return as_vector(kSequenceLength);
    case Quantity::Money:
      return as_vector(kMoney);
    case Quantity::Fraction:
      return as_vector(kFraction);
  }
  return {};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view quantity_name(Quantity q) {
  switch (q) {
    case Quantity::Bytes:
      return "byte size";
    case Quantity::Bandwidth:
      return "bandwidth";
    case Quantity::FlopRate:
      return "FLOP rate";
    case Quantity::Flops:
      return "FLOP count";
    case Quantity::Duration:
      return "duration";
    case Quantity::Power:
      return "power";
    case Quantity::Frequency:
      return "frequency";
    case Quantity::Count:
      return "count";
    case Quantity::SequenceLength:
      return "sequence length";
    case Quantity::Money:
      return "price in USD";
    case Quantity::Fraction:
      return "fraction";
  }
  return "quantity";
}

std::string_view quantity_help(Quantity q) {
  switch (q) {
    case Quantity::Bytes:
      return "e.g. 80GiB, 141GB, 70.272KB (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)";
    case Quantity::Bandwidth:
      return "e.g. 400Gbps, 50GB/s, 3.35TB/s (B/s, KB/s, MB/s, GB/s, TB/s, GiB/s, GBps, bps, "
             "Mbps, Gbps, Tbps, Gb/s)";
    case Quantity::FlopRate:
      return "e.g. 989TFLOPS, 1.979PFLOPS (FLOPS, GFLOPS, TFLOPS, PFLOPS, TFLOP/s)";
    case Quantity::Flops:
      return "e.g. 3.8e25FLOP, 250GFLOP (FLOP, GFLOP, TFLOP, PFLOP, EFLOP, ZFLOP)";
    case Quantity::Duration:
      return "e.g. 2us, 1.5ms, 30s, 10min, 2h, 1d (ns, us, ms, s, min, h, d)";
    case Quantity::Power:
      return "e.g. 700W, 1kW (W, kW, MW)";
    case Quantity::Frequency:
      return "e.g. 1980MHz, 1.98GHz (Hz, kHz, MHz, GHz)";
    case Quantity::Count:
      return "e.g. 15360, 14.8T, 469B, 1.5M (K=1e3, M=1e6, B=G=1e9, T=1e12)";
    case Quantity::SequenceLength:
      return "e.g. 4096, 4K, 128K (K=1024 tokens)";
    case Quantity::Money:
      return "e.g. 2, 2.5, $2, 2USD";
    case Quantity::Fraction:
      return "e.g. 0.85 or 85%";
  }
  return "";
}

double parse(std::string_view text, Quantity q) {
  const std::string_view original = text;
  text = trim(text);
  auto fail = [&](std::string_view why) -> UnitError {
    return UnitError(fmt::format("'{}' is not a valid {}: {}; expected {}", original,
                                 quantity_name(q), why, quantity_help(q)));
  };
  if (text.empty()) throw fail("empty value");
  if (q == Quantity::Money && text.front() == '$') text.remove_prefix(1);

  double number = 0.0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, number, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) throw fail("number out of range");
  if (ec != std::errc() || ptr == begin) throw fail("it does not start with a number");
  if (std::isnan(number) || std::isinf(number)) throw fail("not a finite number");
  // from_chars accepts "inf"/"nan" spelled out; the checks above reject both.
  std::string_view suffix = trim(std::string_view(ptr, static_cast<std::size_t>(end - ptr)));

  const auto table = suffixes_of(q);
  const auto found =
      std::find_if(table.begin(), table.end(), [&](const Suffix& s) { return s.text == suffix; });
  if (found == table.end()) {
    if (suffix.empty()) throw fail("a unit is required");
    throw fail(fmt::format("unknown unit '{}'", suffix));
  }
  if (number < 0.0) throw fail("must not be negative");
  const double value = number * found->factor;
  if (!std::isfinite(value)) throw fail("value out of range");
  if (q == Quantity::Fraction && value > 1.0)
    throw fail("must be between 0 and 1 (or 0% and 100%)");
  return value;
}

std::string format(double v, Quantity q, int digits) {
  struct Step {
    double factor;
    std::string_view unit;
  };
  auto pick = [&](std::initializer_list<Step> steps) {
    const Step* best = steps.begin();
    for (const Step& s : steps) {
      if (std::fabs(v) >= s.factor) best = &s;
    }
    return fmt::format("{:.{}g} {}", v / best->factor, digits, best->unit);
  };
  switch (q) {
    case Quantity::Bytes:
      return pick({{1, "B"}, {1e3, "KB"}, {1e6, "MB"}, {1e9, "GB"}, {1e12, "TB"}});
    case Quantity::Bandwidth:
      return pick({{1, "B/s"}, {1e3, "KB/s"}, {1e6, "MB/s"}, {1e9, "GB/s"}, {1e12, "TB/s"}});
    case Quantity::FlopRate:
      return pick({{1, "FLOP/s"}, {1e9, "GFLOP/s"}, {1e12, "TFLOP/s"}, {1e15, "PFLOP/s"}});
    case Quantity::Flops:
      return pick({{1, "FLOP"},
                   {1e9, "GFLOP"},
                   {1e12, "TFLOP"},
                   {1e15, "PFLOP"},
                   {1e18, "EFLOP"},
                   {1e21, "ZFLOP"}});
    case Quantity::Duration:
      if (std::fabs(v) >= 86400.0) return fmt::format("{:.{}g} d", v / 86400.0, digits);
      if (std::fabs(v) >= 3600.0) return fmt::format("{:.{}g} h", v / 3600.0, digits);
      return pick({{1e-9, "ns"}, {1e-6, "us"}, {1e-3, "ms"}, {1, "s"}});
    case Quantity::Power:
      return pick({{1, "W"}, {1e3, "kW"}, {1e6, "MW"}});
    case Quantity::Frequency:
      return pick({{1, "Hz"}, {1e3, "kHz"}, {1e6, "MHz"}, {1e9, "GHz"}});
    case Quantity::Count:
      return pick({{1, ""}, {1e3, "K"}, {1e6, "M"}, {1e9, "B"}, {1e12, "T"}});
    case Quantity::SequenceLength:
      return pick({{1, ""}, {1024.0, "K"}});
    case Quantity::Money:
      return fmt::format("${:.{}g}", v, digits);
    case Quantity::Fraction:
      return fmt::format("{:.{}g}%", v * 100.0, digits);
  }
  return fmt::format("{}", v);
}

}  // namespace trainsim::units
