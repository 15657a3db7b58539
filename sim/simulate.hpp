#pragma once
// The simulator's front door: one step, or a whole run, of a validated scenario.
#include <functional>
#include <string>
#include <vector>

#include "scenarios/batch_schedule.hpp"
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
  /// A run's progress: called with (steps simulated, steps to simulate) after each one, from
  /// worker threads; empty = none (see ReplayOptions::progress).
  std::function<void(std::size_t, std::size_t)> progress;
};

/// Why the symmetry shortcut (SimOptions::symmetric) is not exact for `scenario`, or "" when it
/// is: with moe.imbalance > 0 every EP group draws its own expert loads, so the data-parallel
/// replicas differ and replica 0 does not stand for the others. A step asked for the shortcut
/// then simulates every rank and says so in StepResult::fallbacks.
std::string symmetric_shortcut_problem(const scenarios::Scenario& scenario);

/// One step of `phase_index` at the phase's final batch (or `global_batch` if > 0).
StepResult simulate_step(const scenarios::Scenario& scenario, std::size_t phase_index,
                         std::int64_t global_batch, const SimOptions& options);

/// Simulates one step for a replay request.
StepResult simulate_step(const StepRequest& request, const SimOptions& options);

/// The micro-batch counts `plan`'s schedule accepts (probed from its validation).
MicroBatchRule micro_batch_rule(const models::ParallelPlan& plan);

/// The batch segments a run replays for `phase_index` (ramp rounded to batch_granule): the one
/// source of a phase's step count for every command (validate, run, reports).
std::vector<scenarios::BatchSegment> phase_batch_segments(const scenarios::Scenario& scenario,
                                                          std::size_t phase_index);
/// scenarios::step_count of phase_batch_segments: the steps `run` reports for the phase.
std::int64_t phase_step_count(const scenarios::Scenario& scenario, std::size_t phase_index);

/// The whole run: every phase replayed (see replay.hpp), goodput applied if enabled.
RunResult simulate_run(const scenarios::Scenario& scenario, const SimOptions& options);

}  // namespace trainsim::sim
