#pragma once
// Loads and validates a scenario YAML file into a typed Scenario (SI units). Every field is
// checked; unknown keys, bad units, impossible parallel plans and unknown catalog names are
// ConfigErrors with file:line:column, key path, the bad value and what would be valid.
#include <string>
#include <vector>

#include "scenarios/scenario.hpp"

namespace trainsim {
class ConfigNode;
}

namespace trainsim::scenarios {

struct LoadOptions {
  /// `key.path=value` overrides applied to the YAML before validation (--set).
  std::vector<std::string> overrides;
};

/// Reads, overrides and validates `path`. Throws IoError or ConfigError.
Scenario load_scenario(const std::string& path, const LoadOptions& options = {});

/// Same, from YAML text; `origin` names it in errors.
Scenario load_scenario_text(const std::string& text, const std::string& origin,
                            const LoadOptions& options = {});

/// Validates an already parsed document (used by both of the above).
Scenario parse_scenario(const ConfigNode& root);

/// Names of the precision presets (`precision: fp8`), in listing order.
std::vector<std::string> precision_preset_names();
/// The preset called `name`; throws ModelError listing valid names.
models::PrecisionPolicy precision_preset(const std::string& name);

/// Checks a plan against the cluster and model; returns "" if valid, else the reason (e.g.
/// "dp × tp × pp × cp = 2,000 does not equal cluster.gpus = 2,048"). Used for the scenario's
/// plan, phase overrides and sweep points (where an invalid plan is a result, not an error).
std::string plan_problem(const models::ParallelPlan& plan, const models::ModelSpec& model,
                         const hardware::ClusterSpec& cluster);

/// Resolves `dp: auto` (plan.dp_auto) to gpus / (tp · pp · cp); returns the problem when that
/// product does not divide `gpus`, else "" (a plan without dp_auto is left as it is).
std::string resolve_auto_dp(models::ParallelPlan& plan, int gpus);

/// Returns "" if `batch` sequences divide evenly over the plan's data-parallel micro-batches.
std::string batch_problem(std::int64_t batch, const models::ParallelPlan& plan);

}  // namespace trainsim::scenarios
