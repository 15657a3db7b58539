#pragma once
// One self-contained report.html that opens offline: tables, and Vega-Lite charts whose
// libraries (vega, vega-lite, vega-embed, pinned in reports/vendor/package.json) are inlined from
// reports/vendor/node_modules when installed (scripts/install-report-assets). Without them the
// page keeps every table and says the charts need the assets. All scenario-provided text is
// HTML-escaped; chart data sits in <script type="application/json"> with "</" escaped.
#include <string>
#include <vector>

#include "sim/replay/run_result.hpp"
#include "sim/step/step_result.hpp"

namespace trainsim::reports {

struct HtmlOptions {
  /// Directory holding node_modules/{vega,vega-lite,vega-embed}; "" = the bundled reports/vendor.
  std::string assets_dir;
  /// A step with a recorded timeline (StepResult::timeline) for the pipeline chart; may be null.
  const sim::StepResult* timeline_step = nullptr;
};

/// The report of one run, or of several side by side (the first is the main one).
std::string run_html(const std::vector<sim::RunResult>& runs, const HtmlOptions& options = {});

/// The Vega-Lite specs the page embeds, by chart id (exposed for tests).
std::vector<std::pair<std::string, std::string>> chart_specs(
    const std::vector<sim::RunResult>& runs, const sim::StepResult* timeline_step);

/// One run's heading, description, phase table, published comparison, notes and assumptions
/// (every scenario-provided string escaped): the part of the page each run contributes.
std::string run_summary_html(const sim::RunResult& run);

/// The paragraph explaining what the waterfall's parts are.
std::string waterfall_note_html();

/// HTML-escapes &, <, >, " and '.
std::string html_escape(const std::string& text);

/// A whole self-contained page: `title` (escaped here), `body` (HTML, already escaped by the
/// caller), then a "Charts" section: `charts_note` (HTML) and one element per (id, Vega-Lite spec
/// JSON) pair, rendered by the libraries inlined from `assets_dir` ("" = the bundled
/// reports/vendor); without them a note says why and the tables above carry every figure.
std::string html_page(const std::string& title, const std::string& body,
                      const std::string& charts_note,
                      const std::vector<std::pair<std::string, std::string>>& specs,
                      const std::string& assets_dir);

/// An HTML <table>: one header row, then `rows`; every cell is escaped. The first column is
/// left-aligned, the others right-aligned (the page's style).
std::string html_table(const std::vector<std::string>& headers,
                       const std::vector<std::vector<std::string>>& rows);

}  // namespace trainsim::reports
