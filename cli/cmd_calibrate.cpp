// trainsim calibrate [--gpu NAME] [--out PROFILE.yaml] [--ops LIST] [--reps N]: run the bundled
// CUDA kernels on this machine's GPU (through the device harness), check them against a float64
// reference, time them, and write a profile the simulator can use (--calibration FILE).
#include <fmt/format.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <ostream>

#include "calibration/measurements.hpp"
#include "cli/options.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "hardware/catalog.hpp"

namespace trainsim::cli {
namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string default_harness() {
#ifdef TRAINSIM_DEVICE_HARNESS
  return TRAINSIM_DEVICE_HARNESS;
#else
  return "";
#endif
}

}  // namespace

int cmd_calibrate(const Args& args, std::ostream& out) {
  po::options_description desc("calibrate options");
  std::string gpu_name = "h100", out_file, ops, harness = default_harness();
  int reps = 50;
  desc.add_options()("gpu", po::value(&gpu_name)->default_value("h100"),
                     "catalog GPU this machine's GPU is (peaks, HBM)")(
      "out", po::value(&out_file), "profile to write (default: calibration-<gpu>-<date>.yaml)")(
      "ops", po::value(&ops),
      "comma-separated ops to measure (default: all; see trainsim-calibrate-device --list)")(
      "reps", po::value(&reps)->default_value(50), "timed repetitions per point")(
      "harness", po::value(&harness),
      "path of trainsim-calibrate-device (default: the one built with trainsim)");
  po::variables_map vm;
  if (!parse_command_line(args, "calibrate", "[options]", desc, {}, vm, out)) return kExitOk;
  if (reps < 1 || reps > 100000) throw po::error("--reps must be between 1 and 100000");
  const auto& gpu = hardware::HardwareCatalog::bundled().gpu(gpu_name);
  if (harness.empty() || !std::filesystem::exists(harness)) {
    throw UnavailableError(
        "this trainsim was built without the CUDA kernels (nvcc was not found when CMake ran): "
        "build with "
        "`cmake --preset cuda && cmake --build --preset cuda` on a machine with nvcc, or pass "
        "--harness PATH. "
        "The bundled profiles (trainsim list profiles) need no GPU.");
  }
  const std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof(date), "%Y-%m-%d", std::gmtime(&now));
  if (out_file.empty()) out_file = fmt::format("calibration-{}-{}.yaml", gpu_name, date);
  const auto json_path =
      std::filesystem::temp_directory_path() / fmt::format("trainsim-measurements-{}.json", now);
  std::string cmd = shell_quote(harness) + " --out " + shell_quote(json_path.string()) +
                    fmt::format(" --reps {}", reps);
  if (!ops.empty()) cmd += " --ops " + shell_quote(ops);
  const int rc = std::system(cmd.c_str());
  const int status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  if (status == 3) {
    throw UnavailableError(
        "no CUDA GPU found: trainsim calibrate measures kernels on a GPU. The bundled profiles "
        "(h800-published, h800-cutlass-2024) need none.");
  }
  if (status != 0 && status != 1)
    throw Error(fmt::format("the device harness failed (exit status {}): {}", status, cmd));
  const std::string text = read_file(json_path.string());
  std::filesystem::remove(json_path);
  const auto profile = calibration::profile_from_measurements(
      text, json_path.string(), std::filesystem::path(out_file).stem().string(), gpu, date);
  write_file_atomically(out_file, calibration::profile_to_yaml(profile));
  out << fmt::format(
      "measured {} GEMM points on {}; wrote {}\nuse it with: trainsim run SCENARIO --calibration "
      "{}\n",
      profile.gemm.size(), profile.device, out_file, out_file);
  return status == 0 ? kExitOk : kExitInfeasible;
}

}  // namespace trainsim::cli
