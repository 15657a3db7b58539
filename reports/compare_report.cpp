#include "reports/compare_report.hpp"

#include <fmt/format.h>

#include "reports/comparison_table.hpp"
#include "reports/html_report.hpp"
#include "reports/run_charts.hpp"

namespace trainsim::reports {

std::string compare_title(const std::vector<sim::RunResult>& runs) {
  std::string names;
  for (const auto& r : runs) names += (names.empty() ? "" : " vs ") + r.scenario;
  return "trainsim compare: " + names;
}

std::vector<std::pair<std::string, std::string>> compare_chart_specs(
    const std::vector<sim::RunResult>& runs, const std::vector<const sim::StepResult*>& timelines) {
  std::vector<std::pair<std::string, std::string>> out;
  if (runs.empty()) return out;
  out.emplace_back("totals", totals_chart(runs));
  out.emplace_back("steps", step_shares_chart(runs));
  std::vector<std::pair<std::string, const sim::StepResult*>> memory_rows;
  for (const auto& r : runs) {
    if (const auto* p = costliest_phase(r)) {
      memory_rows.emplace_back(r.scenario + ": " + step_label(*p), &p->representative);
    }
  }
  if (!memory_rows.empty()) {
    out.emplace_back("memory", memory_chart(memory_rows,
                                            "Memory per GPU against its HBM, each run's "
                                            "costliest phase"));
  }
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    const std::string id = fmt::format("run{}-", i + 1);
    out.emplace_back(id + "groups",
                     groups_chart(r, r.scenario + ": GPU-hours by phase group, simulated and "
                                                  "published"));
    const auto* p = costliest_phase(r);
    if (p == nullptr) continue;
    out.emplace_back(id + "waterfall",
                     waterfall_chart(*p, r.scenario + ": from the ideal to the simulated step, " +
                                             step_label(*p)));
    const sim::StepResult* t = i < timelines.size() ? timelines[i] : nullptr;
    if (t != nullptr && !t->timeline.empty()) {
      out.emplace_back(id + "timeline",
                       timeline_chart(*t, r.scenario + ": " + step_label(*p) +
                                              ", first rank of every pipeline stage"));
    }
  }
  return out;
}

std::string compare_html(const std::vector<sim::RunResult>& runs,
                         const std::vector<const sim::StepResult*>& timelines,
                         const std::string& assets_dir) {
  std::string h;
  if (!runs.empty()) {
    h += fmt::format(
        "<p>{} whole runs simulated with the same options, side by side. Ratios in parentheses "
        "are to the first run, <b>{}</b>.</p>\n",
        runs.size(), html_escape(runs.front().scenario));
  }
  const ComparisonTable t = comparison_table(runs);
  h += "<h2>Side by side</h2>\n" + html_table(t.headers, t.rows);
  for (const auto& r : runs) h += run_summary_html(r);
  const std::string note =
      "<p class=\"note\">First the charts with every run, then each run's own charts in the "
      "order of the table. " +
      waterfall_note_html().substr(std::string("<p class=\"note\">").size());
  return html_page(compare_title(runs), h, note, compare_chart_specs(runs, timelines), assets_dir);
}

}  // namespace trainsim::reports
