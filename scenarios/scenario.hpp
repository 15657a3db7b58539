#pragma once
// A fully resolved, validated scenario: everything a run needs, in SI units. Produced only by
// the loader (scenario_loader.hpp), which checks every field and states every assumption.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hardware/cluster_spec.hpp"
#include "hardware/dtype.hpp"
#include "models/model_spec.hpp"
#include "models/training_plan.hpp"

namespace trainsim::scenarios {

/// Global batch in sequences, constant or ramped linearly over the first `ramp_tokens`.
struct BatchSchedule {
  std::int64_t start = 0;  ///< sequences per step at the start
  std::int64_t end = 0;    ///< sequences per step after the ramp (== start if constant)
  double ramp_tokens = 0;  ///< tokens over which start → end (0: constant)
  bool ramped() const { return ramp_tokens > 0 && start != end; }
};

struct Phase {
  std::string name;
  double tokens = 0;                  ///< tokens processed in this phase
  std::optional<std::int64_t> steps;  ///< if given, tokens = steps × batch × seq_len
  std::int64_t seq_len = 0;
  BatchSchedule batch;
  std::optional<models::ParallelPlan> plan;  ///< phase-specific plan, else the scenario's
  std::optional<models::PrecisionPolicy> precision;
  /// Phases with the same group are summed and set beside the group's published figure
  /// (e.g. DeepSeek-V3's 32K and 128K phases form "context-extension"). Defaults to `name`.
  std::string group;
  /// GPUs this phase runs on if not the whole cluster (e.g. Llama 3's early 8,192-GPU stage).
  std::optional<int> gpus;
  /// When a phase cannot be simulated bottom-up (e.g. post-training with no published volume),
  /// the reason, shown in the result.
  std::string note;
};

/// Published totals the result is set beside. Never an input to any computation.
struct PublishedClaim {
  std::optional<double> gpu_hours;
  /// Published GPU-hours per phase group, in the order written.
  std::vector<std::pair<std::string, double>> group_gpu_hours;
  std::optional<double> cost_usd;
  std::optional<double> wall_days;
  std::string source;
};

/// Failure model inputs (sim/replay/goodput.hpp): off unless enabled here or by --goodput.
struct GoodputSpec {
  bool enabled = false;
  /// Llama 3 §3.3.4: 419 unexpected interruptions in 54 days on 16,384 GPUs.
  double failures_per_gpu_day = 419.0 / (54.0 * 16384.0);
  double checkpoint_interval_s = 3600;  ///< assumption: hourly
  double checkpoint_write_s = 60;       ///< assumption: one minute, blocking
  double restart_s = 600;               ///< assumption: ten minutes
};

struct Scenario {
  std::string name;
  std::string description;
  std::string file;  ///< where it was loaded from ("" for built in)
  /// The `key.path=value` overrides (--set) applied to the file, in order; empty = as written.
  std::vector<std::string> overrides;
  models::ModelSpec model;
  hardware::ClusterSpec cluster;
  models::ParallelPlan plan;
  models::PrecisionPolicy precision;
  std::vector<Phase> phases;
  double price_per_gpu_hour = 0;     ///< USD
  std::string calibration = "auto";  ///< profile name or file; "auto" (default) or "roofline"
  std::uint64_t seed = 1;            ///< MoE routing imbalance draws
  double moe_imbalance = 0.0;        ///< 0 = balanced; coefficient of variation of expert load
  /// Expert capacity over the balanced load (GShard/Switch): tokens beyond capacity·T·k/E per
  /// expert skip it; 0 = no token dropping (DeepSeek-V3).
  double moe_capacity_factor = 0.0;
  PublishedClaim published;
  GoodputSpec goodput;
  /// Assumptions the scenario states (missing published inputs), shown in every result.
  std::vector<std::string> assumptions;
};

}  // namespace trainsim::scenarios
