#pragma once
// Replays a scenario's phases. Steps per phase come from the batch schedule (exact, step by step
// through a ramp). Every distinct batch of a phase needs a step time: with at most
// `max_points_per_phase` distinct batches each is simulated; otherwise that many, evenly spaced in
// micro-batch count and always including both ends, are simulated and the rest interpolated
// linearly in the micro-batch count (a pipeline step is affine in it: T(m) ≈ bubble + m·t_mb).
// A ramp's batches are rounded to multiples of dp × micro_batch × the schedule's micro-batch
// multiple (e.g. even counts for DualPipe). Batches whose micro-batch count is below the
// schedule's minimum are extrapolated from the smallest valid one at its per-micro-batch time,
// and the phase says so.
#include <functional>

#include "scenarios/scenario.hpp"
#include "sim/replay/run_result.hpp"

namespace trainsim::sim {

/// What one step simulation needs beyond the scenario.
struct StepRequest {
  const scenarios::Scenario* scenario = nullptr;
  const scenarios::Phase* phase = nullptr;
  models::ParallelPlan plan;
  models::PrecisionPolicy precision;
  int gpus = 0;
  std::int64_t global_batch = 0;  ///< sequences
};

/// Simulates one step; returns a result whose infeasible_reason is set when the plan cannot run.
using StepFunction = std::function<StepResult(const StepRequest&)>;

/// The micro-batch counts per DP rank a schedule accepts: at least `min`, in steps of `multiple`
/// (DualPipe: min 2·PP, even; interleaved 1F1B: multiples of PP).
struct MicroBatchRule {
  std::int64_t min = 1;
  std::int64_t multiple = 1;
};
using MinMicroBatches = std::function<MicroBatchRule(const models::ParallelPlan&)>;

/// The batch granularity a phase's ramp is rounded to: dp × micro_batch, times the schedule's
/// micro-batch multiple when the batch ramps (a constant batch is the scenario's, as given).
std::int64_t batch_granule(const scenarios::Phase& phase, const models::ParallelPlan& plan,
                           const MicroBatchRule& rule);

struct ReplayOptions {
  int max_points_per_phase = 9;
  /// Workers for the independent step simulations of all phases (1 = sequential). The result
  /// does not depend on it.
  int jobs = 1;
  /// Called after each step simulation with (done, total) steps simulated, from the worker that
  /// finished it (so it must be thread-safe); empty = none. Observes only.
  std::function<void(std::size_t, std::size_t)> progress;
};

RunResult replay(const scenarios::Scenario& scenario, const StepFunction& step,
                 const MinMicroBatches& min_micro_batches, const ReplayOptions& options = {});

}  // namespace trainsim::sim
