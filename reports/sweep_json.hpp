#pragma once
// `trainsim sweep --json`: every point of a --vary sweep ("trainsim.sweep/1") or every side of a
// --sensitivity study ("trainsim.sensitivity/1") as JSON; keys in docs/result-schema.md.
#include <string>

#include "reports/sweep_report.hpp"

namespace trainsim::reports {

/// {"schema": "trainsim.sweep/1", scenario, sets, axes, points: [{values: {axis: value},
/// feasible, gpu_hours, cost_usd, wall_days, mfu, failure, reason}]}.
std::string sweep_json(const SweepResult& sweep);

/// {"schema": "trainsim.sensitivity/1", scenario, sets, delta, base, inputs: [{name, keys,
/// base_value, low, high}]}, each side with value, overrides, the outcome and gpu_hours_change.
std::string sensitivity_json(const SensitivityResult& study);

}  // namespace trainsim::reports
