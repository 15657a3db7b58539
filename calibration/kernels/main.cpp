// trainsim-calibrate-device: measures the calibration kernels on the local GPU and writes JSON.
// Exit status: 0 all points measured and checked, 1 some point failed its check or errored,
// 2 bad command line, 3 no CUDA device.
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "calibration/kernels/harness.hpp"
#include "calibration/kernels/sustained_gemm.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace {

using trainsim::calibration::kernels::HarnessOptions;

constexpr const char* kUsage =
    "usage: trainsim-calibrate-device [--ops LIST] [--out FILE.json] [--reps N] [--warmup N]\n"
    "                                 [--small] [--check-only] [--seed N] [--list]\n"
    "                                 [--gemm-shapes MxNxK,...] [--sustain SECONDS]\n"
    "  --ops LIST     comma-separated op names (default: all; --list prints them)\n"
    "  --out FILE     write the measurements as JSON\n"
    "  --reps N       timed repetitions per point (default 50)\n"
    "  --warmup N     untimed launches first (default 5)\n"
    "  --small        small shapes (a quick self-test) instead of DeepSeek-V3's\n"
    "  --gemm-shapes  dense GEMM shapes for gemm_fp8/gemm_bf16 and their cuBLASLt column,\n"
    "                 in place of DeepSeek-V3's (n a multiple of 8, k of 128)\n"
    "  --check-only   reference checks only, no timing\n"
    "  --sustain S    instead of the points: cuBLASLt FP8 then BF16 GEMMs back to back for S\n"
    "                 seconds each (the first --gemm-shapes shape, else 8192x8192x8192), the\n"
    "                 rate per 0.25 s window: burst against power-limited sustained throughput\n";

/// The whole of `v` as a number (std::stod or std::stoi as `parse`); `what` names the kind.
template <typename T, typename Parse>
T parse_whole(const std::string& flag, const std::string& v, const char* what, Parse parse) {
  std::size_t used = 0;
  T x{};
  try {
    x = parse(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || v.empty())
    throw trainsim::Error(flag + " expects " + what + ", got '" + v + "'");
  return x;
}

double parse_seconds(const std::string& flag, const std::string& v) {
  return parse_whole<double>(flag, v, "a number of seconds",
                             [](const std::string& t, std::size_t* n) { return std::stod(t, n); });
}

int parse_int(const std::string& flag, const std::string& v) {
  return parse_whole<int>(flag, v, "an integer",
                          [](const std::string& t, std::size_t* n) { return std::stoi(t, n); });
}

}  // namespace

int main(int argc, char** argv) {
  namespace k = trainsim::calibration::kernels;
  HarnessOptions opt;
  k::SustainOptions sustain;
  bool sustained = false;  // --sustain given: the sustained run replaces the points
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      auto value = [&]() -> const std::string& {
        if (i + 1 >= args.size()) throw trainsim::Error(a + " needs a value");
        return args[++i];
      };
      if (a == "--ops") {
        std::stringstream ss(value());
        std::string item;
        while (std::getline(ss, item, ','))
          if (!item.empty()) opt.ops.push_back(item);
      } else if (a == "--out") {
        opt.out = value();
      } else if (a == "--reps") {
        opt.reps = parse_int(a, value());
      } else if (a == "--warmup") {
        opt.warmup = parse_int(a, value());
      } else if (a == "--seed") {
        opt.seed = static_cast<std::uint64_t>(parse_int(a, value()));
      } else if (a == "--gemm-shapes") {
        opt.gemm_shapes = k::parse_gemm_shapes(value());
      } else if (a == "--sustain") {
        sustain.seconds = parse_seconds(a, value());
        sustained = true;
      } else if (a == "--small") {
        opt.small = true;
      } else if (a == "--check-only") {
        opt.check_only = true;
      } else if (a == "--list") {
        for (const std::string& n : k::harness_op_names()) std::cout << n << "\n";
        return 0;
      } else if (a == "--help" || a == "-h") {
        std::cout << kUsage;
        return 0;
      } else {
        throw trainsim::Error("unknown option '" + a + "'");
      }
    }
    k::validate_options(opt);
    if (sustained) {
      if (!opt.gemm_shapes.empty()) {
        sustain.m = opt.gemm_shapes.front()[0];
        sustain.n = opt.gemm_shapes.front()[1];
        sustain.k = opt.gemm_shapes.front()[2];
      }
      sustain.seed = opt.seed;
      k::validate_sustain_options(sustain);
    }
  } catch (const trainsim::Error& e) {
    std::cerr << "trainsim-calibrate-device: " << e.what() << "\n" << kUsage;
    return 2;
  }

  try {
    const k::DeviceInfo dev = k::query_device();
    std::cerr << "device: " << dev.name << ", " << dev.sm_count << " SMs, SM clock "
              << dev.sm_clock_mhz << " MHz, memory clock " << dev.mem_clock_mhz << " MHz, driver "
              << dev.driver << ", CUDA " << dev.cuda << "\n";
    if (sustained) {
      const auto runs = k::run_sustained_gemms(sustain, std::cerr);
      if (!opt.out.empty()) trainsim::write_file_atomically(opt.out, k::sustain_json(dev, runs));
      bool ok = true;
      for (const auto& r : runs) ok = ok && r.error.empty();
      return ok ? 0 : 1;
    }
    const std::vector<k::Point> points = k::run_harness(opt, dev, std::cerr);
    if (!opt.out.empty()) trainsim::write_file_atomically(opt.out, k::to_json(dev, opt, points));
    bool ok = true;
    for (const k::Point& p : points) ok = ok && p.error.empty() && p.check.passed;
    if (!ok) std::cerr << "some points failed their reference check or errored (see above)\n";
    return ok ? 0 : 1;
  } catch (const trainsim::UnavailableError& e) {
    std::cerr << e.what() << "\n";
    return 3;
  } catch (const trainsim::Error& e) {
    std::cerr << "trainsim-calibrate-device: " << e.what() << "\n";
    return 1;
  }
}
