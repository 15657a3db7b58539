#include "cli/sim_options.hpp"

#include <fmt/format.h>

#include <ostream>
#include <thread>

namespace trainsim::cli {

void add_sim_options(po::options_description& desc, SimCommandOptions& o, unsigned which) {
  auto add = desc.add_options();
  if (which & kOptSet) {
    add("set", po::value(&o.sets)->composing(),
        "override a scenario field: key.path=value (repeatable)");
  }
  if (which & kOptCalibration) {
    add("calibration", po::value(&o.calibration),
        "compute-time profile: 'auto' (the profile of the scenario's GPU), a bundled name, a "
        "file, or 'roofline' (default: the scenario's, which defaults to auto)");
  }
  if (which & kOptGranularity) {
    add("granularity", po::value(&o.granularity)->default_value("auto"),
        "segments per stage: 'auto' (every layer where a DualPipe F&B pair overlaps expert "
        "all-to-alls, else folded), 'chunk' (layers folded, fast) or 'layer' (every layer)");
  }
  if (which & kOptJobs) {
    add("jobs,j", po::value(&o.jobs)->default_value(0), "worker threads (0 = all cores)");
  }
  if (which & kOptGoodput) {
    add("goodput", po::bool_switch(&o.goodput),
        "also estimate time lost to failures and checkpoints");
  }
  if (which & kOptSymmetric) {
    add("symmetric", po::bool_switch(&o.symmetric),
        "simulate one data-parallel replica instead of every rank (exact for balanced experts on "
        "a non-blocking fabric; much faster; with moe.imbalance > 0 every rank is simulated, "
        "with a notice)");
  }
  if (which & kOptFoldTp) {
    add("fold-tp", po::bool_switch(&o.fold_tp),
        "simulate each identical, lockstep tensor-parallel group once (exact on symmetric "
        "fabrics; misses ECMP collisions on an oversubscribed tier, like --symmetric; TP times "
        "faster)");
  }
  if (which & kOptPoints) {
    add("points", po::value(&o.max_points)->default_value(9),
        "batch sizes simulated per phase before interpolating (>= 2)");
  }
}

bool notice_symmetric_fallback(const SimCommandOptions& o, const scenarios::Scenario& scenario,
                               std::ostream& err) {
  if (!o.symmetric) return false;
  const std::string why = sim::symmetric_shortcut_problem(scenario);
  if (why.empty()) return false;
  err << fmt::format(
      "notice: --symmetric not applied to '{}': {}; every rank is simulated "
      "(exact, slower)\n",
      scenario.name, why);
  return true;
}

sim::SimOptions to_sim_options(const SimCommandOptions& o) {
  sim::SimOptions s;
  if (o.granularity == "auto") {
    s.granularity = sim::Granularity::Auto;
  } else if (o.granularity == "chunk") {
    s.granularity = sim::Granularity::Chunk;
  } else if (o.granularity == "layer") {
    s.granularity = sim::Granularity::Layer;
  } else {
    throw po::error(
        fmt::format("--granularity must be 'auto', 'chunk' or 'layer', not '{}'", o.granularity));
  }
  if (o.jobs < 0 || o.jobs > 1024)
    throw po::error(fmt::format("--jobs must be between 0 and 1024, not {}", o.jobs));
  s.jobs =
      o.jobs == 0 ? static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) : o.jobs;
  if (o.max_points < 2 || o.max_points > 100000) {
    throw po::error(fmt::format("--points must be between 2 and 100000, not {}", o.max_points));
  }
  s.max_points_per_phase = o.max_points;
  s.calibration = o.calibration;
  s.goodput.enabled = o.goodput;
  s.symmetric = o.symmetric;
  s.fold_tensor_parallel = o.fold_tp;
  return s;
}

}  // namespace trainsim::cli
