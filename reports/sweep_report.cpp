#include "reports/sweep_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>

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

/// Full precision: the shortest text that reads back as the same double ({fmt}'s "{}").
std::string num(double v) {
  return fmt::format("{}", v);
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

/// `reason` with every number it quotes replaced by '#': the numbers of "= 4 × 1 × 1 × 1 = 4"
/// and "= 8 × 1 × 1 × 1 = 8" vary from point to point, the sentence does not. A digit that
/// continues a name ("h100", "fp8", "phases[0]", "sm_90a") is kept.
std::string without_numbers(const std::string& reason) {
  auto digit = [&](std::size_t i) {
    return i < reason.size() && std::isdigit(static_cast<unsigned char>(reason[i])) != 0;
  };
  std::string out;
  std::size_t i = 0;
  while (i < reason.size()) {
    const char prev = i == 0 ? ' ' : reason[i - 1];
    const bool in_name = std::isalnum(static_cast<unsigned char>(prev)) != 0 || prev == '_' ||
                         prev == '[' || prev == '.';
    if (!digit(i) || in_name) {
      out += reason[i++];
      continue;
    }
    // A number: digits, thousands groups ("1,024"), a fraction, an exponent ("2.4e+06").
    while (digit(i)) ++i;
    while (i < reason.size() && reason[i] == ',' && digit(i + 1) && digit(i + 2) && digit(i + 3) &&
           !digit(i + 4))
      i += 4;
    if (i < reason.size() && reason[i] == '.' && digit(i + 1)) {
      ++i;
      while (digit(i)) ++i;
    }
    if (i < reason.size() && (reason[i] == 'e' || reason[i] == 'E')) {
      std::size_t j = i + 1;
      if (j < reason.size() && (reason[j] == '+' || reason[j] == '-')) ++j;
      if (digit(j)) {
        i = j;
        while (digit(i)) ++i;
      }
    }
    out += '#';
  }
  return out;
}

/// The leading number of `v` and the rest ("16K" → 16, "K"), if `v` starts with one.
std::optional<std::pair<double, std::string>> split_number(const std::string& v) {
  double x = 0;
  const char* begin = v.data();
  const char* end = v.data() + v.size();
  const auto [ptr, ec] = std::from_chars(begin, end, x);
  if (ec != std::errc() || ptr == begin || !std::isfinite(x)) return std::nullopt;
  return std::make_pair(x, std::string(ptr, end));
}

}  // namespace

const char* failure_kind_name(SweepFailure f) {
  switch (f) {
    case SweepFailure::None:
      return "ran";
    case SweepFailure::Invalid:
      return "invalid combination";
    case SweepFailure::Infeasible:
      return "infeasible";
    case SweepFailure::OutOfMemory:
      return "out of memory";
    case SweepFailure::Internal:
      return "internal error";
  }
  return "did not run";
}

std::string point_label(const SweepResult& s, const SweepPoint& p) {
  std::string out;
  for (std::size_t a = 0; a < s.axes.size() && a < p.values.size(); ++a) {
    out += (a ? ", " : "") + s.axes[a] + "=" + p.values[a];
  }
  return out;
}

std::vector<FailureGroup> failure_groups(const SweepResult& sweep) {
  std::vector<FailureGroup> groups;
  std::map<std::pair<SweepFailure, std::string>, std::size_t> index;
  for (std::size_t i = 0; i < sweep.points.size(); ++i) {
    const auto& o = sweep.points[i].outcome;
    if (o.feasible) continue;
    // An outcome without a kind (filled by an older caller) counts as invalid.
    const SweepFailure kind = o.failure == SweepFailure::None ? SweepFailure::Invalid : o.failure;
    const auto key = std::make_pair(kind, without_numbers(o.reason));
    const auto [it, fresh] = index.emplace(key, groups.size());
    if (fresh) groups.push_back({kind, o.reason, true, {}});
    FailureGroup& g = groups[it->second];
    g.same_text = g.same_text && o.reason == g.reason;
    g.points.push_back(i);
  }
  return groups;
}

std::vector<std::string> legend_order(const std::vector<std::string>& values) {
  std::vector<std::string> unique;
  for (const auto& v : values) {
    if (std::find(unique.begin(), unique.end(), v) == unique.end()) unique.push_back(v);
  }
  std::vector<std::pair<double, std::string>> numbers;
  std::string suffix;
  for (const auto& v : unique) {
    const auto n = split_number(v);
    if (!n || (!numbers.empty() && n->second != suffix)) return unique;
    suffix = n->second;
    numbers.emplace_back(n->first, v);
  }
  std::stable_sort(numbers.begin(), numbers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (auto& [x, v] : numbers) out.push_back(std::move(v));
  return out;
}

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
  std::vector<const SweepPoint*> ran;
  for (const auto& p : sweep.points) {
    if (p.outcome.feasible) ran.push_back(&p);
  }
  if (ran.empty()) return out;

  // Points that coincide on the chart: within about a marker's width of a spot's first point
  // (1/100 of the days range, 1/50 of the cost range: 6 px on the 320-px-high chart). Each point
  // of a spot keeps its colour and shape but is drawn larger the earlier it comes, so a spot of n
  // points is n concentric rings; a "×n" label marks it and its tooltip lists every point there.
  double x0 = ran[0]->outcome.wall_days, x1 = x0, y0 = ran[0]->outcome.cost_usd, y1 = y0;
  for (const auto* p : ran) {
    x0 = std::min(x0, p->outcome.wall_days);
    x1 = std::max(x1, p->outcome.wall_days);
    y0 = std::min(y0, p->outcome.cost_usd);
    y1 = std::max(y1, p->outcome.cost_usd);
  }
  const double wx = (x1 - x0) / 100.0, wy = (y1 - y0) / 50.0;
  auto cell = [](double v, double lo, double w) {
    return w > 0 ? static_cast<long long>(std::floor((v - lo) / w)) : 0LL;
  };
  // A spot's first point is its anchor; a point joins the earliest spot whose anchor is within
  // (wx, wy), looked up in the 3 × 3 grid cells around it.
  std::vector<std::vector<std::size_t>> spot_points;
  std::vector<std::size_t> spot_of(ran.size());
  std::map<std::pair<long long, long long>, std::vector<std::size_t>> anchors;  // cell → spots
  for (std::size_t i = 0; i < ran.size(); ++i) {
    const double x = ran[i]->outcome.wall_days, y = ran[i]->outcome.cost_usd;
    const long long cx = cell(x, x0, wx), cy = cell(y, y0, wy);
    std::optional<std::size_t> found;
    for (long long dx = -1; dx <= 1; ++dx) {
      for (long long dy = -1; dy <= 1; ++dy) {
        const auto it = anchors.find({cx + dx, cy + dy});
        if (it == anchors.end()) continue;
        for (const std::size_t sp : it->second) {
          const auto& o = ran[spot_points[sp].front()]->outcome;
          if (std::abs(o.wall_days - x) <= wx && std::abs(o.cost_usd - y) <= wy &&
              (!found || sp < *found)) {
            found = sp;
          }
        }
      }
    }
    if (!found) {
      found = spot_points.size();
      spot_points.emplace_back();
      anchors[{cx, cy}].push_back(*found);
    }
    spot_points[*found].push_back(i);
    spot_of[i] = *found;
  }
  constexpr double kSize = 90;       // marker area, px²
  constexpr double kRingStep = 110;  // each earlier point of a spot this much larger
  constexpr std::size_t kMaxRings = 6;

  Json values = Json::array();
  Json labels = Json::array();
  for (std::size_t i = 0; i < ran.size(); ++i) {
    const auto& p = *ran[i];
    const auto& here = spot_points[spot_of[i]];
    const std::size_t rank =
        static_cast<std::size_t>(std::find(here.begin(), here.end(), i) - here.begin());
    const std::size_t rings = std::min(here.size(), kMaxRings);
    const std::size_t ring = std::min(rank, rings - 1);
    std::string all;
    for (std::size_t k = 0; k < here.size(); ++k) {
      if (k == 20) {
        all += fmt::format("; … and {} more", here.size() - k);
        break;
      }
      all += (k ? "; " : "") + point_label(sweep, *ran[here[k]]);
    }
    Json v{{"point", point_label(sweep, p)},
           {"wall_days", p.outcome.wall_days},
           {"cost_usd", p.outcome.cost_usd},
           {"gpu_hours", p.outcome.gpu_hours},
           {"mfu", p.outcome.mfu},
           {"here", here.size()},
           {"points_here", all},
           {"size", kSize + kRingStep * static_cast<double>(rings - 1 - ring)}};
    // Axis values under plain field names: Vega-Lite reads a "." in a field name as nesting.
    for (std::size_t a = 0; a < p.values.size(); ++a) v[fmt::format("axis{}", a)] = p.values[a];
    values.push_back(std::move(v));
    if (rank == 0 && here.size() > 1) {
      labels.push_back({{"wall_days", p.outcome.wall_days},
                        {"cost_usd", p.outcome.cost_usd},
                        {"label", fmt::format("×{}", here.size())},
                        {"points_here", all}});
    }
  }
  // Larger rings first, so the smaller ones are drawn on top of them.
  std::stable_sort(values.begin(), values.end(), [](const Json& a, const Json& b) {
    return a.at("size").get<double>() > b.at("size").get<double>();
  });

  Json tooltip = Json::array(
      {{{"field", "point"}, {"type", "nominal"}, {"title", "point"}},
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
       {{"field", "mfu"}, {"type", "quantitative"}, {"title", "MFU"}, {"format", ".1%"}},
       {{"field", "here"}, {"type", "quantitative"}, {"title", "points at this spot"}},
       {{"field", "points_here"}, {"type", "nominal"}, {"title", "all points at this spot"}}});
  const Json x{{"field", "wall_days"},
               {"type", "quantitative"},
               {"title", "wall-clock days"},
               {"scale", {{"zero", false}}}};
  const Json y{{"field", "cost_usd"},
               {"type", "quantitative"},
               {"title", "cost (USD)"},
               {"scale", {{"zero", false}}}};
  Json encoding{{"x", x},
                {"y", y},
                {"size", {{"field", "size"}, {"type", "quantitative"}, {"scale", nullptr}}},
                {"order", {{"field", "size"}, {"sort", "descending"}}},
                {"tooltip", tooltip}};
  auto axis_values = [&](std::size_t a) {
    std::vector<std::string> v;
    for (const auto* p : ran) {
      if (a < p->values.size()) v.push_back(p->values[a]);
    }
    return legend_order(v);
  };
  if (!sweep.axes.empty()) {
    encoding["color"] = {{"field", "axis0"},
                         {"type", "nominal"},
                         {"title", sweep.axes[0]},
                         {"sort", axis_values(0)}};
  }
  if (sweep.axes.size() > 1) {
    encoding["shape"] = {{"field", "axis1"},
                         {"type", "nominal"},
                         {"title", sweep.axes[1]},
                         {"sort", axis_values(1)}};
  }
  Json layers = Json::array(
      {{{"mark", {{"type", "point"}, {"filled", true}, {"stroke", "white"}, {"strokeWidth", 1}}},
        {"encoding", encoding}}});
  if (!labels.empty()) {
    layers.push_back(
        {{"data", {{"values", labels}}},
         {"mark",
          {{"type", "text"}, {"align", "left"}, {"dx", 9}, {"dy", -9}, {"fontWeight", "bold"}}},
         {"encoding",
          {{"x", x},
           {"y", y},
           {"text", {{"field", "label"}}},
           {"tooltip", Json::array({{{"field", "points_here"},
                                     {"type", "nominal"},
                                     {"title", "all points at this spot"}}})}}}});
  }
  Json spec{{"$schema", kVegaLite},
            {"title", "Cost against time: one point per sweep point that ran"},
            {"width", "container"},
            {"height", 320},
            {"data", {{"values", values}}},
            {"layer", layers}};
  out.emplace_back("scatter", spec.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
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

  const auto groups = failure_groups(sweep);
  std::vector<std::size_t> group_of(sweep.points.size(), 0);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (const std::size_t i : groups[g].points) group_of[i] = g + 1;
  }
  std::vector<std::string> headers = sweep.axes;
  for (const char* c : {"GPU-hours", "cost", "days", "MFU", "status"}) headers.emplace_back(c);
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < sweep.points.size(); ++i) {
    const auto& p = sweep.points[i];
    const auto& o = p.outcome;
    std::vector<std::string> row = p.values;
    row.push_back(o.feasible ? with_commas(o.gpu_hours) : "");
    row.push_back(o.feasible ? money(o.cost_usd) : "");
    row.push_back(o.feasible ? fmt::format("{:.1f}", o.wall_days) : "");
    row.push_back(o.feasible ? pct(o.mfu) : "");
    row.push_back(o.feasible
                      ? "ok"
                      : fmt::format("{} (reason {})",
                                    failure_kind_name(groups[group_of[i] - 1].kind), group_of[i]));
    rows.push_back(std::move(row));
  }
  h += "<h2>Points</h2>\n" + html_table(headers, rows);
  h += "<h2>Points that did not run</h2>\n";
  if (groups.empty()) {
    h += "<p>Every point ran.</p>\n";
  } else {
    // One item per reason, with how many points it stopped: a cross product's invalid
    // combinations are one line, not one row each.
    h += "<ol class=\"failures\">\n";
    for (const auto& grp : groups) {
      std::string which;
      for (std::size_t k = 0; k < grp.points.size(); ++k) {
        if (k == 50) {
          which +=
              fmt::format("; … and {} more (sweep.csv lists every point)", grp.points.size() - k);
          break;
        }
        which += (k ? "; " : "") + point_label(sweep, sweep.points[grp.points[k]]);
      }
      // "out of memory: …" and "internal error (please report): …" name their kind already.
      const std::string kind = failure_kind_name(grp.kind);
      const bool named = grp.reason.rfind(kind, 0) == 0;
      h += fmt::format(
          "<li><b>{} of {} {}{}:</b> {}{}<br><small>{}</small></li>\n", grp.points.size(),
          sweep.points.size(), sweep.points.size() == 1 ? "point" : "points",
          named ? "" : ", " + html_escape(kind), html_escape(grp.reason),
          grp.same_text
              ? ""
              : html_escape(fmt::format(" (figures at {}; the others differ only in the numbers)",
                                        point_label(sweep, sweep.points[grp.points.front()]))),
          html_escape(which));
    }
    h += "</ol>\n";
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
  out.emplace_back("tornado", spec.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
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
