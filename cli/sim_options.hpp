#pragma once
// Options shared by the simulating commands (step, run, compare, sweep, claims).
#include <iosfwd>
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

/// The shared options, as bits: a command lists only those that apply to it.
enum SimOption : unsigned {
  kOptSet = 1u << 0,
  kOptCalibration = 1u << 1,
  kOptGranularity = 1u << 2,
  kOptJobs = 1u << 3,     ///< threads for a run's independent steps (not one step)
  kOptGoodput = 1u << 4,  ///< a run's failure and checkpoint estimate
  kOptSymmetric = 1u << 5,
  kOptFoldTp = 1u << 6,
  kOptPoints = 1u << 7,  ///< batch points per phase of a run
  kAllSimOptions = (1u << 8) - 1,
  /// What one step (`trainsim step`) uses: no threads, goodput or batch points.
  kStepSimOptions = kAllSimOptions & ~(kOptJobs | kOptGoodput | kOptPoints),
};

/// Adds the options in `which` (SimOption bits) to `desc`: --set, --calibration, --granularity,
/// --jobs, --goodput, --symmetric, --fold-tp, --points.
void add_sim_options(po::options_description& desc, SimCommandOptions& o,
                     unsigned which = kAllSimOptions);

/// Writes a notice to `err` when --symmetric was given but cannot be exact for `scenario`
/// (sim::symmetric_shortcut_problem): the simulator then runs every rank. Returns whether it did.
bool notice_symmetric_fallback(const SimCommandOptions& o, const scenarios::Scenario& scenario,
                               std::ostream& err);

/// Translates the parsed options into the simulator's.
sim::SimOptions to_sim_options(const SimCommandOptions& o);

}  // namespace trainsim::cli
