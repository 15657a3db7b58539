#pragma once
// Options shared by the simulating commands (step, run, compare, sweep, claims).
#include <string>
#include <vector>

#include "cli/options.hpp"
#include "sim/simulate.hpp"

namespace trainsim::cli {

struct SimCommandOptions {
  std::vector<std::string> sets;  ///< --set key.path=value
  std::string calibration;        ///< --calibration NAME|FILE
  std::string granularity = "chunk";
  int jobs = 1;
  bool goodput = false;
  int max_points = 9;
  bool symmetric = false;
  bool fold_tp = false;
};

/// Adds --set, --calibration, --granularity, --jobs, --goodput, --points to `desc`.
void add_sim_options(po::options_description& desc, SimCommandOptions& o);

/// Translates the parsed options into the simulator's.
sim::SimOptions to_sim_options(const SimCommandOptions& o);

}  // namespace trainsim::cli
