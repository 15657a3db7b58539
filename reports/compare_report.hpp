#pragma once
// The report.html of `trainsim compare --out`: a page naming every run, the table the command
// prints (ratios to the first run), charts with every run (total GPU-hours, where each step goes,
// memory per GPU), then each run's tables and its own charts (GPU-hours by phase group, the
// step's waterfall, and its pipeline timeline when one was recorded).
#include <string>
#include <vector>

#include "sim/replay/run_result.hpp"
#include "sim/step/step_result.hpp"

namespace trainsim::reports {

/// The page title: "trainsim compare: A vs B vs C".
std::string compare_title(const std::vector<sim::RunResult>& runs);

/// The Vega-Lite specs of the page, by chart id: "totals", "steps", "memory", then per run i
/// (from 1) "run<i>-groups", "run<i>-waterfall" and, where `timelines[i-1]` holds a timeline,
/// "run<i>-timeline". `timelines` may be shorter than `runs` or hold nulls.
std::vector<std::pair<std::string, std::string>> compare_chart_specs(
    const std::vector<sim::RunResult>& runs,
    const std::vector<const sim::StepResult*>& timelines = {});

/// The whole page. `assets_dir` as in HtmlOptions ("" = the bundled reports/vendor).
std::string compare_html(const std::vector<sim::RunResult>& runs,
                         const std::vector<const sim::StepResult*>& timelines = {},
                         const std::string& assets_dir = "");

}  // namespace trainsim::reports
