#include "reports/plan_report.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "reports/html_report.hpp"
#include "reports/text_table.hpp"

namespace trainsim::reports {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kVegaLite = "https://vega.github.io/schema/vega-lite/v6.json";

std::string money(double usd) {
  return "$" + with_commas(usd);
}

std::string pct(double f) {
  return fmt::format("{:.1f}%", 100.0 * f);
}

/// Cost against days of every simulated run: colour by GPU type, filled on the frontier, a ring
/// for a plan that missed the deadline or the budget; the scenario's own plan labelled.
std::string scatter_spec(const PlanReport& r) {
  Json values = Json::array();
  Json labels = Json::array();
  for (const auto& p : r.plans) {
    const std::string where = p.frontier ? "on the frontier" : p.rank > 0 ? "dominated" : p.status;
    values.push_back({{"plan", p.label},
                      {"gpu", p.gpu},
                      {"days", p.days},
                      {"cost_usd", p.cost_usd},
                      {"gpu_hours", p.gpu_hours},
                      {"mfu", p.mfu},
                      {"rank", p.rank > 0 ? std::to_string(p.rank) : "not ranked: " + p.status},
                      {"where", where}});
    if (p.published || p.rank == 1) {
      labels.push_back({{"days", p.days},
                        {"cost_usd", p.cost_usd},
                        {"label", p.published ? "published plan" : "best plan"}});
    }
  }
  const Json x{{"field", "days"},
               {"type", "quantitative"},
               {"title", "wall-clock days"},
               {"scale", {{"zero", false}}}};
  const Json y{{"field", "cost_usd"},
               {"type", "quantitative"},
               {"title", "cost (USD)"},
               {"scale", {{"zero", false}}}};
  const Json tooltip = Json::array(
      {{{"field", "plan"}, {"type", "nominal"}, {"title", "plan"}},
       {{"field", "rank"}, {"type", "nominal"}, {"title", "rank"}},
       {{"field", "days"}, {"type", "quantitative"}, {"title", "days"}, {"format", ".1f"}},
       {{"field", "cost_usd"}, {"type", "quantitative"}, {"title", "cost"}, {"format", "$,.0f"}},
       {{"field", "gpu_hours"},
        {"type", "quantitative"},
        {"title", "GPU-hours"},
        {"format", ",.0f"}},
       {{"field", "mfu"}, {"type", "quantitative"}, {"title", "MFU"}, {"format", ".1%"}}});
  Json layers = Json::array(
      {{{"mark", {{"type", "point"}, {"size", 90}, {"strokeWidth", 2}}},
        {"encoding",
         {{"x", x},
          {"y", y},
          {"color", {{"field", "gpu"}, {"type", "nominal"}, {"title", "GPU"}}},
          {"shape", {{"field", "where"}, {"type", "nominal"}, {"title", "plan"}}},
          {"fill",
           {{"condition", {{"test", "datum.where === 'on the frontier'"}, {"field", "gpu"}}},
            {"value", "transparent"}}},
          {"tooltip", tooltip}}}}});
  if (!labels.empty()) {
    layers.push_back({{"data", {{"values", labels}}},
                      {"mark", {{"type", "text"}, {"align", "left"}, {"dx", 9}, {"dy", -9}}},
                      {"encoding", {{"x", x}, {"y", y}, {"text", {{"field", "label"}}}}}});
  }
  const Json spec{
      {"$schema", kVegaLite},
      {"title", "Cost against days of every plan whose whole run was simulated (filled: frontier)"},
      {"width", "container"},
      {"height", 340},
      {"data", {{"values", values}}},
      {"layer", layers}};
  return spec.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string plan_html(const PlanReport& r, const std::string& assets_dir) {
  std::string h = fmt::format(
      "<p>Capacity plan for <code>{}</code> (<code>{}</code>), objective: {}{}. {} candidate "
      "plans evaluated, {} screened by one simulated step, {} whole runs simulated, in {:.1f} "
      "s{}.</p>\n",
      html_escape(r.scenario), html_escape(r.file), html_escape(r.objective),
      r.constraints.empty() ? "" : ", " + html_escape(r.constraints), r.evaluated, r.screened,
      r.simulated, r.wall_s,
      r.interrupted ? " (interrupted: the best of those simulated so far)" : "");
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : r.plans) {
    if (p.rank == 0 || p.rank > r.top) continue;
    rows.push_back({std::to_string(p.rank), p.label + (p.published ? " (published)" : ""),
                    with_commas(p.gpu_hours), money(p.cost_usd), fmt::format("{:.1f}", p.days),
                    pct(p.mfu), pct(p.memory_headroom), p.frontier ? "yes" : "dominated"});
  }
  h += "<h2>Best plans</h2>\n";
  h += rows.empty()
           ? "<p>No plan meets the constraints.</p>\n"
           : html_table({"#", "plan", "GPU-hours", "cost", "days", "MFU", "mem free", "frontier"},
                        rows);
  if (!r.own_plan.empty()) h += "<p>" + html_escape(r.own_plan) + "</p>\n";
  std::string commands;
  for (const auto& p : r.plans) {
    if (p.rank == 0 || p.rank > r.top) continue;
    commands += fmt::format("{}. {}\n", p.rank, p.command);
  }
  if (!commands.empty()) {
    h += "<h3>Reproduce with <code>trainsim run</code></h3>\n<pre>" + html_escape(commands) +
         "</pre>\n";
  }
  std::vector<std::vector<std::string>> lost;
  for (const auto& p : r.plans) {
    if (p.rank == 0) lost.push_back({p.label, p.status, p.reason});
  }
  if (!lost.empty()) {
    h += "<h2>Simulated plans that missed a constraint</h2>\n" +
         html_table({"plan", "outcome", "why"}, lost);
  }
  std::vector<std::vector<std::string>> counts;
  for (const auto& [status, n] : r.outcomes) counts.push_back({status, with_commas(double(n))});
  h += "<h2>Pruning</h2>\n<p>Each candidate stops at the first rule it fails (the loader's "
       "structure rules, the memory and kernel floors, the one-step screen, the bound against "
       "the best plan so far, the deadline or budget); plan.csv lists every candidate with its "
       "reason.</p>\n" +
       html_table({"outcome", "candidates"}, counts);
  return html_page("trainsim plan: " + r.scenario, h,
                   "<p>Every plan whose whole run was simulated; hover a point for its plan.</p>",
                   {{"plans", scatter_spec(r)}}, assets_dir);
}

}  // namespace trainsim::reports
