#pragma once
// The table of `trainsim compare`: one column per run, one row per measure, each later run's
// cell followed by its ratio to the first run. The terminal and the HTML page print the same
// cells.
#include <string>
#include <vector>

#include "sim/replay/run_result.hpp"

namespace trainsim::reports {

struct ComparisonTable {
  std::vector<std::string> headers;            ///< "", then each run's scenario name
  std::vector<std::vector<std::string>> rows;  ///< measure, then one cell per run
};

/// GPUs, tokens, GPU-hours, cost, wall days, MFU and GPU-hours per trillion tokens of each run;
/// a later run's cell ends with " (R×)", R = its value / the first run's (left out when the
/// first run's value is 0).
ComparisonTable comparison_table(const std::vector<sim::RunResult>& runs);

}  // namespace trainsim::reports
