#pragma once
// The simulator's front door: one step, or a whole run, of a validated scenario.
#include <string>
#include <vector>

#include "scenarios/scenario.hpp"
#include "sim/replay/goodput.hpp"
#include "sim/replay/replay.hpp"
#include "sim/replay/run_result.hpp"
#include "sim/step/stage_work.hpp"
#include "sim/step/step_result.hpp"

namespace trainsim::sim {

struct SimOptions {
  Granularity granularity = Granularity::Auto;
  /// Simulate one data-parallel replica instead of every rank (see StepSetup::symmetric).
  bool symmetric = false;
  /// Simulate an identical, lockstep TP group once (see StepSetup::fold_tensor_parallel).
  bool fold_tensor_parallel = false;
  /// Ranks whose timeline is recorded (for traces and the pipeline chart); empty = none.
  std::vector<int> trace_ranks;
  /// Threads for independent step simulations of a run (results do not depend on it).
  int jobs = 1;
  /// Simulated batch points per phase before interpolating (see replay.hpp).
  int max_points_per_phase = 9;
  /// Override of the scenario's calibration profile ("" = the scenario's).
  std::string calibration;
  GoodputInputs goodput;
};

/// One step of `phase_index` at the phase's final batch (or `global_batch` if > 0).
StepResult simulate_step(const scenarios::Scenario& scenario, std::size_t phase_index,
                         std::int64_t global_batch, const SimOptions& options);

/// Simulates one step for a replay request.
StepResult simulate_step(const StepRequest& request, const SimOptions& options);

/// The whole run: every phase replayed (see replay.hpp), goodput applied if enabled.
RunResult simulate_run(const scenarios::Scenario& scenario, const SimOptions& options);

}  // namespace trainsim::sim
