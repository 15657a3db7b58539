#include "reports/html_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/data_paths.hpp"
#include "reports/text_table.hpp"

namespace trainsim::reports {
namespace {

using Json = nlohmann::ordered_json;

std::string read_if_exists(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return "";
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// JavaScript inlined in a <script> element: only "</script" (any case) could close it early;
/// it is written "<\/script", which means the same inside the string or regex it must be in.
/// (Escaping every "</" would corrupt regex literals such as /</g.)
std::string js_safe(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') {
      std::string tag = text.substr(i + 2, 6);
      std::transform(tag.begin(), tag.end(), tag.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (tag == "script") {
        out += "<\\/";
        ++i;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

/// JSON inside a <script type="application/json"> element: every "</" becomes "<\/" (a valid
/// JSON escape), so no scenario-provided string can close the element.
std::string script_safe(std::string text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

Json bar(const std::string& title, Json values, const std::string& x, const std::string& y,
         const std::string& color) {
  Json spec{{"$schema", "https://vega.github.io/schema/vega-lite/v6.json"},
            {"title", title},
            {"width", "container"},
            {"height", 260},
            {"data", {{"values", std::move(values)}}},
            {"mark", {{"type", "bar"}, {"tooltip", true}}},
            {"encoding",
             {{"x", {{"field", x}, {"type", "nominal"}, {"sort", nullptr}}},
              {"y", {{"field", y}, {"type", "quantitative"}}}}}};
  if (!color.empty()) {
    spec["encoding"]["color"] = {{"field", color}, {"type", "nominal"}};
    spec["encoding"]["xOffset"] = {{"field", color}};
  }
  return spec;
}

const sim::PhaseResult* main_phase(const sim::RunResult& r) {
  const sim::PhaseResult* best = nullptr;
  for (const auto& p : r.phases) {
    if (p.feasible && (best == nullptr || p.gpu_hours > best->gpu_hours)) best = &p;
  }
  return best;
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> chart_specs(
    const std::vector<sim::RunResult>& runs, const sim::StepResult* timeline_step) {
  std::vector<std::pair<std::string, std::string>> out;
  if (runs.empty()) return out;
  const sim::RunResult& run = runs.front();

  // 1. GPU-hours by phase group, simulated beside published.
  Json groups = Json::array();
  for (const auto& g : run.groups) {
    groups.push_back({{"group", g.group}, {"source", "simulated"}, {"gpu_hours", g.gpu_hours}});
    if (g.published_gpu_hours)
      groups.push_back(
          {{"group", g.group}, {"source", "published"}, {"gpu_hours", *g.published_gpu_hours}});
  }
  out.emplace_back("groups", bar("GPU-hours by phase group: simulated and published", groups,
                                 "group", "gpu_hours", "source")
                                 .dump());

  // 2. Waterfall of the main phase's step: ideal (FLOP-bound at the dense peak) → simulated.
  if (const auto* p = main_phase(run)) {
    const auto& s = p->representative;
    const double ideal = s.step_time_s * s.mfu;
    const std::vector<std::pair<std::string, double>> parts = {
        {"1 ideal: model FLOP at the dense BF16 peak", ideal},
        {"2 kernel efficiency, recompute, SMs lent to communication",
         std::max(0.0, s.compute_s.mean - ideal)},
        {"3 exposed communication", s.exposed_comm_s.mean},
        {"4 pipeline bubbles and waiting", s.bubble_s.mean}};
    Json values = Json::array();
    double start = 0;
    for (const auto& [name, v] : parts) {
      values.push_back({{"part", name}, {"start", start}, {"end", start + v}, {"seconds", v}});
      start += v;
    }
    values.push_back({{"part", "5 simulated step"},
                      {"start", 0.0},
                      {"end", s.step_time_s},
                      {"seconds", s.step_time_s}});
    Json spec{
        {"$schema", "https://vega.github.io/schema/vega-lite/v6.json"},
        {"title", fmt::format("From the ideal to the simulated step: {} (mean over ranks, seconds)",
                              p->name)},
        {"width", "container"},
        {"height", 220},
        {"data", {{"values", values}}},
        {"mark", {{"type", "bar"}, {"tooltip", true}}},
        {"encoding",
         {{"y", {{"field", "part"}, {"type", "nominal"}, {"sort", nullptr}, {"title", nullptr}}},
          {"x", {{"field", "start"}, {"type", "quantitative"}, {"title", "seconds"}}},
          {"x2", {{"field", "end"}}},
          {"color", {{"field", "part"}, {"type", "nominal"}, {"legend", nullptr}}}}}};
    out.emplace_back("waterfall", spec.dump());

    // 3. Memory per GPU by component against the HBM capacity.
    Json mem = Json::array();
    const auto& m = s.memory;
    for (const auto& [name, v] :
         std::vector<std::pair<std::string, double>>{{"weights", m.weights},
                                                     {"gradients", m.gradients},
                                                     {"optimizer states", m.optimizer},
                                                     {"activations (in flight)", m.activations},
                                                     {"other", m.other}}) {
      mem.push_back({{"phase", p->name}, {"component", name}, {"GB", v / 1e9}});
    }
    Json mspec{{"$schema", "https://vega.github.io/schema/vega-lite/v6.json"},
               {"title", fmt::format("Memory per GPU (heaviest rank) against {:.0f} GB of HBM",
                                     s.memory_capacity / 1e9)},
               {"width", "container"},
               {"height", 120},
               {"layer",
                {{{"data", {{"values", mem}}},
                  {"mark", {{"type", "bar"}, {"tooltip", true}}},
                  {"encoding",
                   {{"x", {{"field", "GB"}, {"type", "quantitative"}, {"aggregate", "sum"}}},
                    {"y", {{"field", "phase"}, {"type", "nominal"}}},
                    {"color", {{"field", "component"}, {"type", "nominal"}}}}}},
                 {{"data", {{"values", Json::array({{{"capacity", s.memory_capacity / 1e9}}})}}},
                  {"mark", {{"type", "rule"}, {"color", "black"}, {"strokeWidth", 2}}},
                  {"encoding", {{"x", {{"field", "capacity"}, {"type", "quantitative"}}}}}}}}};
    out.emplace_back("memory", mspec.dump());
  }

  // 4. Several runs side by side.
  if (runs.size() > 1) {
    Json cmp = Json::array();
    for (const auto& r : runs) {
      cmp.push_back(
          {{"scenario", r.scenario}, {"measure", "simulated"}, {"gpu_hours", r.total_gpu_hours}});
      if (r.published_gpu_hours)
        cmp.push_back({{"scenario", r.scenario},
                       {"measure", "published"},
                       {"gpu_hours", *r.published_gpu_hours}});
    }
    out.emplace_back(
        "comparison",
        bar("Total GPU-hours, side by side", cmp, "scenario", "gpu_hours", "measure").dump());
  }

  // 5. Pipeline timeline of one step: ranks × time, coloured by work kind.
  if (timeline_step != nullptr && !timeline_step->timeline.empty()) {
    Json ev = Json::array();
    for (const auto& e : timeline_step->timeline) {
      ev.push_back({{"rank", fmt::format("rank {}", e.rank)},
                    {"rank_number", e.rank},
                    {"stream", e.stream},
                    {"kind", e.name},
                    {"micro_batch", e.micro_batch},
                    {"start_ms", e.start_s * 1e3},
                    {"end_ms", e.end_s * 1e3}});
    }
    Json tspec{
        {"$schema", "https://vega.github.io/schema/vega-lite/v6.json"},
        {"title",
         "One step, first rank of every pipeline stage (F forward, BW/B/W backward, comm: "
         "all-to-all)"},
        {"width", "container"},
        {"height", 24 * 16},
        {"data", {{"values", ev}}},
        {"mark", {{"type", "bar"}, {"tooltip", true}}},
        {"encoding",
         {{"y", {{"field", "rank"}, {"type", "nominal"}, {"sort", {{"field", "rank_number"}}}}},
          {"yOffset", {{"field", "stream"}}},
          {"x", {{"field", "start_ms"}, {"type", "quantitative"}, {"title", "ms"}}},
          {"x2", {{"field", "end_ms"}}},
          {"color", {{"field", "kind"}, {"type", "nominal"}}}}}};
    out.emplace_back("timeline", tspec.dump());
  }
  return out;
}

std::string html_table(const std::vector<std::string>& headers,
                       const std::vector<std::vector<std::string>>& rows) {
  std::string h = "<table><tr>";
  for (const auto& c : headers) h += "<th>" + html_escape(c) + "</th>";
  h += "</tr>\n";
  for (const auto& row : rows) {
    h += "<tr>";
    for (const auto& c : row) h += "<td>" + html_escape(c) + "</td>";
    h += "</tr>\n";
  }
  return h + "</table>\n";
}

std::string html_page(const std::string& title, const std::string& body,
                      const std::string& charts_note,
                      const std::vector<std::pair<std::string, std::string>>& specs,
                      const std::string& assets_dir) {
  namespace fs = std::filesystem;
  const fs::path assets =
      assets_dir.empty() ? fs::path(data_path("reports/vendor")) : fs::path(assets_dir);
  const std::string vega = read_if_exists(assets / "node_modules/vega/build/vega.min.js");
  const std::string vega_lite =
      read_if_exists(assets / "node_modules/vega-lite/build/vega-lite.min.js");
  const std::string vega_embed =
      read_if_exists(assets / "node_modules/vega-embed/build/vega-embed.min.js");
  const bool have_assets = !vega.empty() && !vega_lite.empty() && !vega_embed.empty();

  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" +
                  html_escape(title) + "</title>\n";
  h += "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 "
       "1em;color:#222}"
       "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px "
       "8px;text-align:right}"
       "td:first-child,th:first-child{text-align:left}.chart{width:100%;margin:1.5em "
       "0}.note{color:#555}</style>\n";
  if (have_assets) {
    h += "<script>" + js_safe(vega) + "</script>\n<script>" + js_safe(vega_lite) +
         "</script>\n<script>" + js_safe(vega_embed) + "</script>\n";
  }
  h += "</head><body>\n<h1>" + html_escape(title) + "</h1>\n";
  h += body;
  h += "<h2>Charts</h2>\n";
  if (!have_assets) {
    h += "<p class=\"note\">The charts need the chart libraries, which were not installed when "
         "this report was "
         "written (run <code>scripts/install-report-assets</code>, then write the report again). "
         "Every figure is in "
         "the tables above.</p>\n";
  }
  h += charts_note;
  for (const auto& [id, spec] : specs) {
    h += fmt::format(
        "<div class=\"chart\" id=\"chart-{}\"></div>\n<script type=\"application/json\" "
        "id=\"spec-{}\">{}</script>\n",
        id, id, script_safe(spec));
  }
  if (have_assets) {
    h += "<script>document.querySelectorAll('script[type=\"application/"
         "json\"]').forEach(function(s){"
         "var "
         "id=s.id.replace('spec-','chart-');vegaEmbed('#'+id,JSON.parse(s.textContent),{actions:"
         "false,renderer:'svg'});});"
         "</script>\n";
  }
  h += "<p class=\"note\">Generated by trainsim. Charts: Vega-Lite (inlined; the page needs no "
       "network).</p>\n</body></html>\n";
  return h;
}

std::string run_html(const std::vector<sim::RunResult>& runs, const HtmlOptions& options) {
  const std::string title = runs.empty() ? "trainsim" : "trainsim: " + runs.front().scenario;
  std::string h;
  for (const auto& run : runs) {
    const std::string timing =
        run.cost_model.empty()
            ? std::string("no phase could be simulated")
            : fmt::format("compute times from <code>{}</code>", html_escape(run.cost_model));
    h += fmt::format("<h2>{}</h2>\n<p>{}</p>\n<p>{} × {}, ${:.2f} per GPU-hour, {}.</p>\n",
                     html_escape(run.scenario), html_escape(run.description), run.gpus,
                     html_escape(run.gpu), run.price_per_gpu_hour, timing);
    h += "<table><tr><th>phase</th><th>GPUs</th><th>seq</th><th>steps</th><th>step time "
         "(s)</th><th>days</th>"
         "<th>GPU-hours</th><th>cost (USD)</th><th>MFU</th></tr>\n";
    for (const auto& p : run.phases) {
      h += fmt::format(
          "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2f}</td><td>{:.1f}</td><td>{}</"
          "td><td>{}</td><td>{:.1f}%</td></tr>\n",
          html_escape(p.name), p.gpus, p.seq_len, with_commas(p.steps), p.step_time_s,
          p.wall_s / 86400.0, p.feasible ? with_commas(p.gpu_hours) : "infeasible",
          with_commas(p.cost_usd), 100.0 * p.mfu);
    }
    h += fmt::format(
        "<tr><th>total</th><td></td><td></td><td></td><td></td><th>{:.1f}</th><th>{}</th><th>{}</"
        "th><th>{:.1f}%</th></tr></table>\n",
        run.total_wall_s / 86400.0, with_commas(run.total_gpu_hours),
        with_commas(run.total_cost_usd), 100.0 * run.mfu);
    if (run.published_gpu_hours) {
      h += fmt::format(
          "<p><b>Beside the published figure:</b> {} simulated against {} published GPU-hours "
          "({:.2f}×). Source: {}.</p>\n",
          with_commas(run.total_gpu_hours), with_commas(*run.published_gpu_hours),
          run.total_gpu_hours / *run.published_gpu_hours, html_escape(run.published_source));
    }
    for (const auto& p : run.phases) {
      if (!p.note.empty())
        h += "<p class=\"note\"><b>" + html_escape(p.name) + ":</b> " + html_escape(p.note) +
             "</p>\n";
      if (!p.feasible)
        h += "<p class=\"note\"><b>" + html_escape(p.name) + " is infeasible:</b> " +
             html_escape(p.infeasible_reason) + "</p>\n";
    }
    if (!run.assumptions.empty()) {
      h += "<details><summary>Stated assumptions (inputs never published)</summary><ul>\n";
      for (const auto& a : run.assumptions) h += "<li>" + html_escape(a) + "</li>\n";
      h += "</ul></details>\n";
    }
  }
  const std::string note =
      "<p class=\"note\">The waterfall starts from the time the step's model FLOPs would take at "
      "the dense BF16 peak "
      "(step time × MFU) and adds, per rank on average: compute beyond that (kernel efficiency "
      "below peak, recompute, "
      "the SMs lent to communication), communication no compute overlapped, and time spent "
      "waiting (pipeline "
      "bubbles, slower peers).</p>\n";
  return html_page(title, h, note, chart_specs(runs, options.timeline_step), options.assets_dir);
}

}  // namespace trainsim::reports
