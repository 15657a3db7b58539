#pragma once
// Terminal summaries of simulation results (the reports module writes the files).
#include <string>
#include <vector>

#include "sim/replay/run_result.hpp"
#include "sim/step/step_result.hpp"

namespace trainsim::cli {

/// Phases × (steps, step time, days, GPU-hours, $, MFU), groups beside the published figures
/// with their ratio, the total, and the approximations the replay made.
std::string describe_run(const sim::RunResult& run);

/// Step time, where it went (compute / exposed communication / bubble, min-mean-max over ranks),
/// compute by op kind, communication by kind, MFU/HFU with their peak, memory per GPU.
std::string describe_step(const sim::StepResult& step);

/// Several runs side by side with ratios to the first.
std::string describe_comparison(const std::vector<sim::RunResult>& runs);

}  // namespace trainsim::cli
