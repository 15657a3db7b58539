#include "reports/validation_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "reports/text_table.hpp"

namespace trainsim::reports {
namespace {

/// Measured figures are printed with the digits their sources give: 13,812 · 137.0 · 18.13.
std::string figure(double v) {
  const double a = std::fabs(v);
  if (a >= 1000) return with_commas(v, 0);
  if (a >= 100) return fmt::format("{:.1f}", v);
  return fmt::format("{:.2f}", v);
}

bool in_stats(const ValidationRow& r, bool include_not_expressible) {
  if (!r.simulated || !r.infeasible.empty() || !r.calibrates.empty()) return false;
  return r.not_expressible.empty() || include_not_expressible;
}

/// The 1-based number of `text` among the footnotes, adding it if new.
std::size_t footnote(std::vector<std::string>& notes, const std::string& text) {
  auto it = std::find(notes.begin(), notes.end(), text);
  if (it == notes.end()) it = notes.insert(notes.end(), text);
  return static_cast<std::size_t>(it - notes.begin()) + 1;
}

/// Wraps a figure in the row's marks: "(x)" not expressible, "[x]" an input.
std::string marked(const std::string& s, const char* open, const char* close) {
  return open + s + close;
}

}  // namespace

std::optional<double> error_pct(const ValidationRow& row) {
  if (!row.simulated || !(row.measured > 0)) return std::nullopt;
  return (*row.simulated - row.measured) / row.measured * 100.0;
}

ValidationSummary summarize(const std::vector<ValidationRow>& rows, bool include_not_expressible) {
  ValidationSummary s;
  std::vector<double> errs;
  for (const auto& r : rows) {
    if (!r.infeasible.empty()) {
      ++s.infeasible;
      continue;
    }
    if (!r.calibrates.empty()) {
      ++s.inputs;
      continue;
    }
    if (!in_stats(r, include_not_expressible)) {
      // No figure and no stated reason counts as a failure, never silently as "not expressible".
      if (!r.not_expressible.empty()) {
        ++s.not_expressible;
      } else {
        ++s.infeasible;
      }
      continue;
    }
    const double e = std::fabs(*error_pct(r));
    if (errs.empty() || e > s.worst_abs_error_pct) {
      s.worst_abs_error_pct = e;
      s.worst_case = r.name;
    }
    errs.push_back(e);
  }
  s.cases = errs.size();
  if (!errs.empty()) {
    std::sort(errs.begin(), errs.end());
    const std::size_t n = errs.size();
    s.median_abs_error_pct = n % 2 == 1 ? errs[n / 2] : (errs[n / 2 - 1] + errs[n / 2]) / 2.0;
  }
  return s;
}

std::string summary_line(const ValidationSummary& s) {
  return fmt::format("validation: median |error| {:.1f}%, worst {:.1f}% over {} cases",
                     s.median_abs_error_pct, s.worst_abs_error_pct, s.cases);
}

std::string validation_text(const std::vector<ValidationRow>& rows, const ValidationSummary& s) {
  TextTable t({"case", "metric", "measured", "simulated", "error", "note"},
              {Align::Left, Align::Left, Align::Right, Align::Right, Align::Right, Align::Left});
  std::vector<std::string> reasons;
  std::vector<std::string> inputs;
  for (const auto& r : rows) {
    std::string sim = r.simulated ? figure(*r.simulated) : "—";
    const auto e = error_pct(r);
    std::string err = e ? fmt::format("{:+.1f}%", *e) : "—";
    std::string note;
    if (!r.infeasible.empty()) {
      note = "infeasible in trainsim: " + r.infeasible;
    } else if (!r.calibrates.empty()) {
      note = fmt::format("input, not a check {{{}}}", footnote(inputs, r.calibrates));
      if (r.simulated) sim = marked(sim, "[", "]");
      if (e) err = marked(err, "[", "]");
    } else if (!r.not_expressible.empty()) {
      note = fmt::format("not expressible yet [{}]", footnote(reasons, r.not_expressible));
      if (r.simulated) sim = marked(sim, "(", ")");
      if (e) err = marked(err, "(", ")");
    }
    t.add_row({r.name, r.unit, figure(r.measured), sim, err, note});
  }
  std::string out = t.render();
  if (!reasons.empty()) {
    out += "\n( ) not expressible yet: simulated for information only, not in the statistics\n";
    for (std::size_t i = 0; i < reasons.size(); ++i) {
      out += fmt::format("[{}] {}\n", i + 1, reasons[i]);
    }
  }
  if (!inputs.empty()) {
    out += "\n[ ] an input: the measured figure sets the field named, so the row checks nothing\n";
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      out += fmt::format("{{{}}} {}\n", i + 1, inputs[i]);
    }
  }
  out += "\n";
  if (s.not_expressible > 0 || s.infeasible > 0) {
    out += fmt::format("excluded: {} not expressible yet, {} infeasible in trainsim{}\n",
                       s.not_expressible, s.infeasible,
                       s.inputs > 0 ? fmt::format(", {} inputs", s.inputs) : std::string());
  } else if (s.inputs > 0) {
    out += fmt::format("excluded: {} inputs\n", s.inputs);
  }
  if (s.cases > 0) out += fmt::format("worst case: {}\n", s.worst_case);
  out += summary_line(s) + "\n";
  return out;
}

std::string validation_json(const std::vector<ValidationRow>& rows, const ValidationSummary& s) {
  using J = nlohmann::ordered_json;
  J cases = J::array();
  for (const auto& r : rows) {
    const auto e = error_pct(r);
    J o{{"name", r.name},
        {"kind", r.kind},
        {"metric", r.metric},
        {"unit", r.unit},
        {"measured", r.measured},
        {"simulated", r.simulated ? J(*r.simulated) : J(nullptr)},
        {"error_pct", e ? J(*e) : J(nullptr)}};
    o["source"] = r.source;
    o["conversion"] = r.conversion;
    o["file"] = r.file;
    o["calibration"] = r.calibration;
    o["not_expressible"] = r.not_expressible.empty() ? J(nullptr) : J(r.not_expressible);
    o["infeasible"] = r.infeasible.empty() ? J(nullptr) : J(r.infeasible);
    o["calibrates"] = r.calibrates.empty() ? J(nullptr) : J(r.calibrates);
    cases.push_back(std::move(o));
  }
  J summary{{"cases", s.cases},
            {"not_expressible", s.not_expressible},
            {"infeasible", s.infeasible},
            {"inputs", s.inputs},
            {"median_abs_error_pct", s.median_abs_error_pct},
            {"worst_abs_error_pct", s.worst_abs_error_pct},
            {"worst_case", s.worst_case},
            {"line", summary_line(s)}};
  return J{{"schema", "trainsim.validation/1"}, {"cases", cases}, {"summary", summary}}.dump(2) +
         "\n";
}

}  // namespace trainsim::reports
