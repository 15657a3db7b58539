#pragma once
// A whole training run replayed phase by phase: steps, wall-clock, GPU-hours, dollars, MFU.
#include <optional>
#include <string>
#include <vector>

#include "sim/step/step_result.hpp"

namespace trainsim::sim {

/// One distinct global batch of a phase and the step time simulated (or interpolated) for it.
struct BatchPoint {
  std::int64_t batch = 0;     ///< sequences per step
  double steps = 0;           ///< steps taken at this batch, a count (a partial last step is one)
  double step_time_s = 0;     ///< one step at this batch
  bool simulated = true;      ///< false: interpolated between simulated neighbours
  bool extrapolated = false;  ///< true: below the schedule's minimum micro-batch count
};

struct PhaseResult {
  std::string name;
  std::string group;
  int gpus = 0;
  std::int64_t seq_len = 0;
  double tokens = 0;
  double steps = 0;        ///< a count, sim::phase_step_count (a partial last step is one)
  double step_time_s = 0;  ///< mean over the phase's steps (wall_s / steps), its batch ramp too
  double wall_s = 0;
  double gpu_hours = 0;
  double cost_usd = 0;
  double tokens_per_gpu_s = 0;
  double model_flops = 0;
  double mfu = 0;  ///< model FLOP / (wall × GPUs × peak of StepResult.peak_basis)
  std::vector<BatchPoint> batches;
  StepResult representative;  ///< the step at the phase's final (largest-token-share) batch
  std::string note;           ///< scenario note and any approximation the replay made
  bool feasible = true;
  std::string infeasible_reason;
};

struct GroupResult {
  std::string group;
  double gpu_hours = 0;
  double cost_usd = 0;
  double wall_s = 0;
  std::optional<double> published_gpu_hours;
};

/// Expected time lost to failures, reported apart from the ideal run (see goodput.hpp).
struct GoodputResult {
  bool enabled = false;
  double interruptions = 0;  ///< expected count over the run
  double lost_s = 0;         ///< wall seconds lost (restart + recomputation + checkpoints)
  double checkpoint_s = 0;   ///< wall seconds spent writing checkpoints
  double goodput = 1;        ///< ideal wall / (ideal wall + lost + checkpoints)
  double gpu_hours_with_failures = 0;
  std::string basis;  ///< the failure-rate source
};

struct RunResult {
  std::string scenario;
  std::string description;
  std::string gpu;
  int gpus = 0;
  double price_per_gpu_hour = 0;
  std::vector<PhaseResult> phases;
  std::vector<GroupResult> groups;
  double total_gpu_hours = 0;
  double total_cost_usd = 0;
  double total_wall_s = 0;
  double total_tokens = 0;
  double mfu = 0;  ///< over the whole run
  std::optional<double> published_gpu_hours;
  std::optional<double> published_cost_usd;
  std::string published_source;
  /// The scenario's --set overrides (Scenario::overrides): inputs that differ from the file's,
  /// and so from the published plan its published figures are for.
  std::vector<std::string> overrides;
  std::vector<std::string> assumptions;
  GoodputResult goodput;
  std::string cost_model;
  CalibrationUse calibration;  ///< as the first simulated step reports it
  double wall_s = 0;           ///< host seconds to simulate the run
};

}  // namespace trainsim::sim
