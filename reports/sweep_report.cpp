#include "reports/sweep_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "reports/html_report.hpp"
#include "reports/run_report.hpp"
#include "reports/text_table.hpp"

namespace trainsim::reports {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kVegaLite = "https://vega.github.io/schema/vega-lite/v6.json";

std::string csv_line(const std::vector<std::string>& cells) {
  std::string out;
  for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + csv_field(cells[i]);
  return out + "\n";
}

std::string num(double v) {
  return fmt::format("{:.6g}", v);
}
std::string money(double usd) {
  return "$" + with_commas(usd);
}
std::string pct(double f) {
  return fmt::format("{:.1f}%", 100.0 * f);
}
std::string signed_pct(double f) {
  return fmt::format("{:+.1f}%", 100.0 * f);
}

/// "key=value, key=value" for a sweep point.
std::string point_label(const SweepResult& s, const SweepPoint& p) {
  std::string out;
  for (std::size_t a = 0; a < s.axes.size() && a < p.values.size(); ++a) {
    out += (a ? ", " : "") + s.axes[a] + "=" + p.values[a];
  }
  return out;
}

/// Side label: "-20%" or "+20%".
std::string side_label(double delta, bool high) {
  return fmt::format("{}{:.0f}%", high ? "+" : "-", 100.0 * delta);
}

std::string sets_note(const std::vector<std::string>& sets) {
  if (sets.empty()) return "";
  std::string out = "<p>Overrides applied to every run:";
  for (const auto& s : sets) out += " <code>--set " + html_escape(s) + "</code>";
  return out + "</p>\n";
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

}  // namespace

double gpu_hours_change(const SweepOutcome& side, const SweepOutcome& base) {
  if (!side.feasible || !base.feasible || base.gpu_hours <= 0) return 0.0;
  return side.gpu_hours / base.gpu_hours - 1.0;
}

// ------------------------------------------------------------------ sweep (--vary)

std::string sweep_csv(const SweepResult& sweep) {
  std::vector<std::string> headers = sweep.axes;
  // The header names `sweep --csv` has always written.
  for (const char* h : {"GPU-hours", "cost", "days", "MFU", "status"}) headers.emplace_back(h);
  std::string out = csv_line(headers);
  for (const auto& p : sweep.points) {
    const auto& o = p.outcome;
    std::vector<std::string> c = p.values;
    c.push_back(o.feasible ? num(o.gpu_hours) : "");
    c.push_back(o.feasible ? num(o.cost_usd) : "");
    c.push_back(o.feasible ? num(o.wall_days) : "");
    c.push_back(o.feasible ? num(o.mfu) : "");
    c.push_back(o.feasible ? "ok" : o.reason);
    out += csv_line(c);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> sweep_chart_specs(const SweepResult& sweep) {
  std::vector<std::pair<std::string, std::string>> out;
  Json values = Json::array();
  for (const auto& p : sweep.points) {
    if (!p.outcome.feasible) continue;
    Json v{{"point", point_label(sweep, p)},
           {"wall_days", p.outcome.wall_days},
           {"cost_usd", p.outcome.cost_usd},
           {"gpu_hours", p.outcome.gpu_hours},
           {"mfu", p.outcome.mfu}};
    // Axis values under plain field names: Vega-Lite reads a "." in a field name as nesting.
    for (std::size_t a = 0; a < p.values.size(); ++a) v[fmt::format("axis{}", a)] = p.values[a];
    values.push_back(std::move(v));
  }
  if (values.empty()) return out;
  Json tooltip = Json::array({{{"field", "point"}, {"type", "nominal"}, {"title", "point"}},
                              {{"field", "wall_days"},
                               {"type", "quantitative"},
                               {"title", "wall-clock days"},
                               {"format", ".1f"}},
                              {{"field", "gpu_hours"},
                               {"type", "quantitative"},
                               {"title", "GPU-hours"},
                               {"format", ",.0f"}},
                              {{"field", "cost_usd"},
                               {"type", "quantitative"},
                               {"title", "cost (USD)"},
                               {"format", "$,.0f"}},
                              {{"field", "mfu"}, {"type", "quantitative"}, {"format", ".1%"}}});
  Json encoding{{"x",
                 {{"field", "wall_days"},
                  {"type", "quantitative"},
                  {"title", "wall-clock days"},
                  {"scale", {{"zero", false}}}}},
                {"y",
                 {{"field", "cost_usd"},
                  {"type", "quantitative"},
                  {"title", "cost (USD)"},
                  {"scale", {{"zero", false}}}}},
                {"tooltip", tooltip}};
  if (!sweep.axes.empty())
    encoding["color"] = {{"field", "axis0"}, {"type", "nominal"}, {"title", sweep.axes[0]}};
  if (sweep.axes.size() > 1)
    encoding["shape"] = {{"field", "axis1"}, {"type", "nominal"}, {"title", sweep.axes[1]}};
  Json spec{{"$schema", kVegaLite},
            {"title", "Cost against time: one point per sweep point that ran"},
            {"width", "container"},
            {"height", 320},
            {"data", {{"values", values}}},
            {"mark", {{"type", "point"}, {"filled", true}, {"size", 90}}},
            {"encoding", encoding}};
  out.emplace_back("scatter", spec.dump());
  return out;
}

std::string sweep_html(const SweepResult& sweep, const std::string& assets_dir) {
  std::size_t ran = 0;
  for (const auto& p : sweep.points) ran += p.outcome.feasible ? 1 : 0;
  std::string h =
      fmt::format("<p>Sweep of <code>{}</code> over {}: {} points, {} ran, {} did not.</p>\n",
                  html_escape(sweep.scenario), html_escape(join(sweep.axes, " × ")),
                  sweep.points.size(), ran, sweep.points.size() - ran);
  h += sets_note(sweep.sets);

  std::vector<std::string> headers = sweep.axes;
  for (const char* c : {"GPU-hours", "cost", "days", "MFU", "status"}) headers.emplace_back(c);
  std::vector<std::vector<std::string>> rows, failed;
  for (const auto& p : sweep.points) {
    const auto& o = p.outcome;
    std::vector<std::string> row = p.values;
    row.push_back(o.feasible ? with_commas(o.gpu_hours) : "");
    row.push_back(o.feasible ? money(o.cost_usd) : "");
    row.push_back(o.feasible ? fmt::format("{:.1f}", o.wall_days) : "");
    row.push_back(o.feasible ? pct(o.mfu) : "");
    row.push_back(o.feasible ? "ok" : "did not run");
    rows.push_back(std::move(row));
    if (!o.feasible) {
      std::vector<std::string> f = p.values;
      f.push_back(o.reason);
      failed.push_back(std::move(f));
    }
  }
  h += "<h2>Points</h2>\n" + html_table(headers, rows);
  h += "<h2>Points that did not run</h2>\n";
  if (failed.empty()) {
    h += "<p>Every point ran.</p>\n";
  } else {
    std::vector<std::string> fh = sweep.axes;
    fh.emplace_back("reason");
    h += html_table(fh, failed);
  }
  const std::string note =
      ran == 0 ? "<p class=\"note\">No point ran, so there is nothing to chart.</p>\n"
               : "<p class=\"note\">Each point is one whole simulated run: cost (GPU-hours × "
                 "price) against wall-clock days. Points that did not run are listed above "
                 "with the reason.</p>\n";
  return html_page("trainsim sweep: " + sweep.scenario, h, note, sweep_chart_specs(sweep),
                   assets_dir);
}

// ------------------------------------------------------------------ sensitivity

std::string sensitivity_csv(const SensitivityResult& study) {
  std::string out = csv_line({"input", "keys", "side", "value", "gpu_hours", "gpu_hours_change",
                              "cost_usd", "wall_days", "overrides", "status"});
  const auto& b = study.base;
  out += csv_line({"base", "", "0%", "", b.feasible ? num(b.gpu_hours) : "", "",
                   b.feasible ? num(b.cost_usd) : "", b.feasible ? num(b.wall_days) : "", "",
                   b.feasible ? "ok" : b.reason});
  for (const auto& in : study.inputs) {
    for (const bool high : {false, true}) {
      const auto& s = high ? in.high : in.low;
      const auto& o = s.outcome;
      out += csv_line({in.name, in.keys, side_label(study.delta, high), s.value,
                       o.feasible ? num(o.gpu_hours) : "",
                       o.feasible && b.feasible ? num(gpu_hours_change(o, b)) : "",
                       o.feasible ? num(o.cost_usd) : "", o.feasible ? num(o.wall_days) : "",
                       join(s.overrides, " "), o.feasible ? "ok" : o.reason});
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> sensitivity_chart_specs(
    const SensitivityResult& study) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!study.base.feasible) return out;
  // Largest swing on top.
  std::vector<const SensitivityInput*> order;
  for (const auto& in : study.inputs) order.push_back(&in);
  auto swing = [&](const SensitivityInput* in) {
    return std::max(std::abs(gpu_hours_change(in->low.outcome, study.base)),
                    std::abs(gpu_hours_change(in->high.outcome, study.base)));
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](const auto* a, const auto* b) { return swing(a) > swing(b); });
  Json values = Json::array();
  Json sort = Json::array();
  for (const auto* in : order) {
    sort.push_back(in->name);
    for (const bool high : {false, true}) {
      const auto& s = high ? in->high : in->low;
      if (!s.outcome.feasible) continue;
      values.push_back({{"input", in->name},
                        {"side", side_label(study.delta, high)},
                        {"value", s.value},
                        {"gpu_hours", s.outcome.gpu_hours},
                        {"change_pct", 100.0 * gpu_hours_change(s.outcome, study.base)}});
    }
  }
  if (values.empty()) return out;
  const std::string lo = side_label(study.delta, false), hi = side_label(study.delta, true);
  Json spec{
      {"$schema", kVegaLite},
      {"title", fmt::format("Change in GPU-hours with each input at {} and {} (base: {} GPU-hours)",
                            lo, hi, with_commas(study.base.gpu_hours))},
      {"width", "container"},
      {"height", 36 * static_cast<int>(order.size())},
      {"data", {{"values", values}}},
      {"layer",
       {{{"mark", {{"type", "bar"}, {"tooltip", true}}},
         {"encoding",
          {{"y", {{"field", "input"}, {"type", "nominal"}, {"sort", sort}, {"title", nullptr}}},
           {"x",
            {{"field", "change_pct"},
             {"type", "quantitative"},
             {"title", "change in GPU-hours against the base run (%)"}}},
           {"color",
            {{"field", "side"},
             {"type", "nominal"},
             {"title", "input changed by"},
             {"scale", {{"domain", {lo, hi}}, {"range", {"#4c78a8", "#e45756"}}}}}},
           {"yOffset", {{"field", "side"}, {"sort", {lo, hi}}}}}}},
        {{"mark", {{"type", "rule"}, {"color", "black"}}},
         {"encoding", {{"x", {{"datum", 0}}}}}}}}};
  out.emplace_back("tornado", spec.dump());
  return out;
}

std::string sensitivity_html(const SensitivityResult& study, const std::string& assets_dir) {
  const auto& b = study.base;
  const std::string lo = side_label(study.delta, false), hi = side_label(study.delta, true);
  std::string h = fmt::format(
      "<p>Sensitivity of <code>{}</code>: each input below at {} and {} of its value, one "
      "whole run per side, everything else as in the scenario.</p>\n",
      html_escape(study.scenario), lo, hi);
  h += sets_note(study.sets);
  if (b.feasible) {
    h += fmt::format("<p><b>Base run:</b> {} GPU-hours, {}, {:.1f} days, MFU {}.</p>\n",
                     with_commas(b.gpu_hours), html_escape(money(b.cost_usd)), b.wall_days,
                     pct(b.mfu));
  } else {
    h += "<p><b>The base run did not run:</b> " + html_escape(b.reason) +
         ". No change can be computed.</p>\n";
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& in : study.inputs) {
    for (const bool high : {false, true}) {
      const auto& s = high ? in.high : in.low;
      const auto& o = s.outcome;
      const bool both = o.feasible && b.feasible;
      rows.push_back({in.name, in.keys, in.base_value, side_label(study.delta, high), s.value,
                      o.feasible ? with_commas(o.gpu_hours) : "",
                      both ? signed_pct(gpu_hours_change(o, b)) : "",
                      o.feasible ? money(o.cost_usd) : "",
                      both && b.cost_usd > 0 ? signed_pct(o.cost_usd / b.cost_usd - 1.0) : "",
                      o.feasible ? "ok" : "did not run: " + o.reason});
    }
  }
  h += "<h2>Inputs</h2>\n" +
       html_table({"input", "scenario keys", "base value", "side", "value", "GPU-hours",
                   "GPU-hours change", "cost", "cost change", "status"},
                  rows);
  h += "<details><summary>The overrides of each run (to reproduce one with <code>trainsim run "
       "--set</code>)</summary><ul>\n";
  for (const auto& in : study.inputs) {
    for (const bool high : {false, true}) {
      const auto& s = high ? in.high : in.low;
      h += "<li>" + html_escape(in.name) + " " + side_label(study.delta, high) + ":";
      for (const auto& o : s.overrides) h += " <code>--set " + html_escape(o) + "</code>";
      h += "</li>\n";
    }
  }
  h += "</ul></details>\n";
  const std::string note =
      "<p class=\"note\">The tornado shows, per input, how much the run's GPU-hours move when "
      "that input alone changes; the longest bars are the inputs the result depends on most. "
      "The price changes only the cost (see the table). Sides that did not run are left out of "
      "the chart and listed in the table.</p>\n";
  return html_page("trainsim sensitivity: " + study.scenario, h, note,
                   sensitivity_chart_specs(study), assets_dir);
}

}  // namespace trainsim::reports
