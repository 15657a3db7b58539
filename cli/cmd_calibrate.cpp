// trainsim calibrate [--gpu NAME] [--out PROFILE.yaml] [--ops LIST] [--reps N]: run the bundled
// CUDA kernels on this machine's GPU (through the device harness), check them against a float64
// reference, time them, and write a profile the simulator can use (--calibration FILE).
// trainsim calibrate --from-trace TRACE.json --plan SCENARIO [--model M] [--set K=V]… --out
// PROFILE.yaml: measured op times from a PyTorch profiler (Kineto) trace of real training, matched
// to the op list of the scenario's model and micro-batch (calibration/trace_calibration.hpp).
#include <fmt/format.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <ostream>

#include "calibration/measurements.hpp"
#include "calibration/trace_calibration.hpp"
#include "cli/options.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "hardware/catalog.hpp"
#include "scenarios/scenario_loader.hpp"

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

struct TraceOptions {
  std::string trace, plan, model, name, source, base;
  std::vector<std::string> sets;
  int layers = 0;
};

int calibrate_from_trace(const TraceOptions& t, const std::string& out_file, std::ostream& out) {
  if (t.plan.empty()) {
    throw po::error(
        "--from-trace needs --plan SCENARIO: the scenario whose model, parallel plan, precision "
        "and first phase's sequence length produced the trace");
  }
  if (out_file.empty()) throw po::error("--from-trace needs --out PROFILE.yaml");
  if (t.layers < 0) throw po::error("--layers must be positive");
  std::vector<std::string> sets = t.sets;
  if (!t.model.empty()) sets.push_back("model=" + t.model);
  const auto sc = scenarios::load_scenario(t.plan, {sets});
  const auto& plan = sc.plan;
  models::OpListContext ctx;
  ctx.sequences = plan.micro_batch;
  ctx.seq_len = sc.phases.front().seq_len;
  ctx.tp = plan.tp;
  ctx.ep = plan.ep;
  ctx.cp = plan.cp;
  ctx.sequence_parallel = plan.sequence_parallel;
  ctx.precision = sc.precision;
  ctx.recompute = plan.recompute;
  ctx.gpus_per_node = sc.cluster.node.gpus_per_node;
  const auto trace = calibration::read_chrome_trace(t.trace);
  calibration::TraceCalibrationOptions opt;
  opt.layers = t.layers;
  opt.compute_sms = plan.comm_sms > 0 ? sc.cluster.gpu.sm_count - plan.comm_sms : 0;
  opt.source = t.source;
  const auto cal = calibration::calibrate_from_trace(trace, sc.model, ctx, opt);
  const std::string name =
      t.name.empty() ? std::filesystem::path(out_file).stem().string() : t.name;
  const std::string description = fmt::format(
      "op times of {} ({} x {} tokens per micro-batch, tp {}, ep {}, cp {}) measured in the "
      "profiler trace {}; other ops: {}",
      sc.model.name, ctx.sequences, ctx.seq_len, ctx.tp, ctx.ep, ctx.cp, cal.measured.trace,
      t.base.empty() ? std::string("the ideal roofline") : "profile " + t.base);
  const std::string device = trace.device.empty() ? sc.cluster.gpu.name : trace.device;
  write_file_atomically(
      out_file, calibration::trace_profile_yaml(name, description, device, {sc.cluster.gpu.name},
                                                t.base, cal.measured));
  out << calibration::trace_calibration_report(cal);
  out << fmt::format("wrote {}\nuse it with: trainsim run SCENARIO --calibration {}\n", out_file,
                     out_file);
  return kExitOk;
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
  TraceOptions tr;
  desc.add_options()("from-trace", po::value(&tr.trace),
                     "derive measured op times from a PyTorch profiler (Kineto) Chrome trace "
                     "instead of running kernels")(
      "plan", po::value(&tr.plan),
      "with --from-trace: scenario file giving the model, plan, precision and seq_len (phase 0)")(
      "model", po::value(&tr.model), "with --from-trace: catalog model (overrides the plan's)")(
      "set", po::value(&tr.sets)->composing(), "with --from-trace: override a plan key, k=v")(
      "layers", po::value(&tr.layers)->default_value(0),
      "with --from-trace: layers the trace covers (default: its forward attention kernels)")(
      "source", po::value(&tr.source),
      "with --from-trace: where the trace is published (repository @ commit, path)")(
      "base", po::value(&tr.base),
      "with --from-trace: profile timing the ops the trace does not cover, e.g. h800-published")(
      "name", po::value(&tr.name), "with --from-trace: profile name (default: the --out stem)");
  po::variables_map vm;
  if (!parse_command_line(args, "calibrate", "[options]", desc, {}, vm, out)) return kExitOk;
  if (!tr.trace.empty()) return calibrate_from_trace(tr, out_file, out);
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
