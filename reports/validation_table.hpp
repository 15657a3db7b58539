#pragma once
// The validation table (`trainsim validation`, `make validate`): each measured case beside
// trainsim's figure in the same metric, and the summary line
//   validation: median |error| X%, worst Y% over N cases
// error = (simulated − measured) / measured, in the case's own metric (for a throughput metric a
// positive error means trainsim is faster than the measured run; for seconds, slower). Rows that
// are excluded (not expressible yet, or infeasible in trainsim) are listed with their reason and
// counted separately, never in N.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace trainsim::reports {

struct ValidationRow {
  std::string name;
  std::string kind;    ///< "step", …
  std::string metric;  ///< metric name, e.g. "tflops-per-gpu"
  std::string unit;    ///< e.g. "TFLOP/s per GPU"
  double measured = 0;
  std::optional<double> simulated;  ///< in `unit`; absent if not simulated or infeasible
  std::string source;               ///< of the measured figure
  std::string conversion;           ///< how a simulated step becomes `unit`
  std::string file;
  std::string calibration;  ///< compute-time profile the simulation used ("" if not simulated)
  /// Non-empty: why the case cannot be simulated faithfully yet; `simulated` is then shown
  /// for information only (in parentheses) and the row is not in the statistics.
  std::string not_expressible;
  /// Non-empty: trainsim found the measured plan infeasible (e.g. memory); a failure to report.
  std::string infeasible;
  /// Non-empty: the measured figure is an input of this catalog or profile field; the row is
  /// shown (simulated figure in brackets) and never in the statistics.
  std::string calibrates;
};

struct ValidationSummary {
  std::size_t cases = 0;            ///< rows in the statistics (N)
  std::size_t not_expressible = 0;  ///< excluded: a feature trainsim lacks
  std::size_t infeasible = 0;       ///< excluded: trainsim says the measured plan cannot run
  std::size_t inputs = 0;  ///< excluded: the figure is an input (ValidationRow::calibrates)
  double median_abs_error_pct = 0;
  double worst_abs_error_pct = 0;
  std::string worst_case;  ///< name of the row with the worst |error|
};

/// (simulated − measured)/measured × 100, or nothing when there is no simulated figure.
std::optional<double> error_pct(const ValidationRow& row);

/// Statistics over the rows with a simulated figure and no exclusion reason; with
/// `include_not_expressible`, not-expressible rows with a figure count too (and are not counted
/// as excluded). Median of an even count is the mean of the two middle values.
ValidationSummary summarize(const std::vector<ValidationRow>& rows,
                            bool include_not_expressible = false);

/// "validation: median |error| X%, worst Y% over N cases" (one decimal).
std::string summary_line(const ValidationSummary& s);

/// The terminal table, footnotes with each distinct not-expressible reason, the excluded
/// counts, and summary_line() as the last line.
std::string validation_text(const std::vector<ValidationRow>& rows, const ValidationSummary& s);

/// {"cases": [...], "summary": {...}}.
std::string validation_json(const std::vector<ValidationRow>& rows, const ValidationSummary& s);

}  // namespace trainsim::reports
