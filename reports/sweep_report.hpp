#pragma once
// What `trainsim sweep` leaves: the table of points as CSV, and report.html with charts:
//  - a sweep (--vary): cost (USD) against wall-clock days, one point per feasible sweep point,
//    and a table of the points that did not run with the reason;
//  - a sensitivity study (--sensitivity): each main input at −δ and +δ (δ = 20% by default),
//    the change in GPU-hours against the base run as a tornado chart, largest swing on top,
//    with a table of both sides' GPU-hours and cost.
// Charts are Vega-Lite specs embedded as in html_report.hpp; all scenario text is escaped.
#include <string>
#include <utility>
#include <vector>

namespace trainsim::reports {

/// The outcome of one whole run of a sweep: totals, or why it did not run.
struct SweepOutcome {
  bool feasible = false;  ///< false: invalid overrides or an infeasible phase (see `reason`)
  std::string reason;     ///< empty when feasible
  double gpu_hours = 0;   ///< Σ phases, GPU-hours
  double cost_usd = 0;    ///< USD
  double wall_days = 0;   ///< Σ phase wall-clock, days
  double mfu = 0;         ///< over the run
};

/// One point of a --vary sweep: the value of every axis, in axis order.
struct SweepPoint {
  std::vector<std::string> values;
  SweepOutcome outcome;
};

struct SweepResult {
  std::string scenario;            ///< the base scenario file
  std::vector<std::string> sets;   ///< --set overrides applied to every point
  std::vector<std::string> axes;   ///< the --vary keys
  std::vector<SweepPoint> points;  ///< in cross-product order
};

/// One side (−δ or +δ) of one input of a sensitivity study.
struct SensitivitySide {
  std::string value;                   ///< the input's value on this side, readable ("48 GB/s")
  std::vector<std::string> overrides;  ///< the --set overrides that give it
  SweepOutcome outcome;
};

struct SensitivityInput {
  std::string name;  ///< e.g. "NIC bandwidth"
  std::string keys;  ///< the scenario keys changed, e.g. "cluster.fabric.nic_bw, nic_achievable"
  std::string base_value;  ///< readable base value
  SensitivitySide low, high;
};

struct SensitivityResult {
  std::string scenario;           ///< the base scenario file
  std::vector<std::string> sets;  ///< --set overrides applied to every run
  double delta = 0.2;             ///< relative change of each input, e.g. 0.2 = ±20%
  SweepOutcome base;
  std::vector<SensitivityInput> inputs;
};

/// Relative change of `side` against `base` in GPU-hours (0.05 = +5%); 0 if either did not run.
double gpu_hours_change(const SweepOutcome& side, const SweepOutcome& base);

/// The points as CSV: one column per axis, then GPU-hours, cost (USD), days, MFU (a fraction),
/// status ("ok" or the reason).
std::string sweep_csv(const SweepResult& sweep);

/// Vega-Lite specs by chart id ("scatter"); a chart with no data (no feasible point) is left out.
std::vector<std::pair<std::string, std::string>> sweep_chart_specs(const SweepResult& sweep);

/// report.html of a sweep. `assets_dir` as HtmlOptions::assets_dir.
std::string sweep_html(const SweepResult& sweep, const std::string& assets_dir = "");

/// One row per input and side: input, keys, side, value, gpu_hours, change, cost_usd, status.
std::string sensitivity_csv(const SensitivityResult& study);

/// Vega-Lite specs by chart id ("tornado"); left out when no side ran.
std::vector<std::pair<std::string, std::string>> sensitivity_chart_specs(
    const SensitivityResult& study);

/// report.html of a sensitivity study.
std::string sensitivity_html(const SensitivityResult& study, const std::string& assets_dir = "");

}  // namespace trainsim::reports
