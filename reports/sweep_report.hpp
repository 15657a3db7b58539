#pragma once
// What `trainsim sweep` leaves: the table of points as CSV, and report.html with charts:
//  - a sweep (--vary): cost (USD) against wall-clock days, one point per feasible sweep point
//    (points that coincide drawn as concentric rings, counted and listed in the tooltip; numeric
//    legends in numeric order), and the points that did not run grouped by reason with a count;
//  - a sensitivity study (--sensitivity): each main input at −δ and +δ (δ = 20% by default),
//    the change in GPU-hours against the base run as a tornado chart, largest swing on top,
//    with a table of both sides' GPU-hours and cost.
// Charts are Vega-Lite specs embedded as in html_report.hpp; all scenario text is escaped.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace trainsim::reports {

/// Why a point of a sweep did not run.
enum class SweepFailure {
  None,         ///< it ran
  Invalid,      ///< its overrides make no valid scenario (the loader's error): not a plan at all
  Infeasible,   ///< a valid plan that cannot run (memory per GPU, a phase's limit)
  OutOfMemory,  ///< this machine ran out of memory simulating it
  Internal,     ///< an internal error (a bug: please report)
};

/// The outcome of one whole run of a sweep: totals, or why it did not run.
struct SweepOutcome {
  bool feasible = false;  ///< false: invalid overrides or an infeasible phase (see `reason`)
  std::string reason;     ///< empty when feasible
  double gpu_hours = 0;   ///< Σ phases, GPU-hours
  double cost_usd = 0;    ///< USD
  double wall_days = 0;   ///< Σ phase wall-clock, days
  double mfu = 0;         ///< over the run
  SweepFailure failure = SweepFailure::None;  ///< the kind of `reason` when not feasible
};

/// "invalid combination", "infeasible", "out of memory", "internal error".
const char* failure_kind_name(SweepFailure f);

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

/// "key=value, key=value" of a sweep point, in axis order.
std::string point_label(const SweepResult& sweep, const SweepPoint& point);

/// Points of a sweep that did not run for one reason.
struct FailureGroup {
  SweepFailure kind = SweepFailure::Invalid;
  std::string reason;               ///< the first point's reason
  bool same_text = true;            ///< false: the points' reasons differ in their numbers only
  std::vector<std::size_t> points;  ///< indices into SweepResult::points, in point order
};

/// The points that did not run, grouped: two points are in one group when their failures are of
/// one kind and their reasons differ at most in the numbers they quote ("… = 4 does not equal
/// cluster.gpus = 16" and "… = 8 does not equal cluster.gpus = 16"). Groups in order of their
/// first point.
std::vector<FailureGroup> failure_groups(const SweepResult& sweep);

/// `values` in the order a legend shows them: ascending by number when every value is a number,
/// all with one common suffix ("2", "16"; "4K", "16K"; "400Gbps", "800Gbps"); otherwise the order
/// of first appearance (the order given to --vary). Duplicates are dropped.
std::vector<std::string> legend_order(const std::vector<std::string>& values);

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
