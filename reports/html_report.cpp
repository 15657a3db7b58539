#include "reports/html_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/data_paths.hpp"
#include "reports/escape.hpp"
#include "reports/run_charts.hpp"
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

/// JSON inside a <script type="application/json"> element: <, > and & as \u escapes
/// (reports/escape.hpp), so no scenario-provided string can close the element or start the
/// "<!--" that keeps a later "</script>" from closing it (which emptied every chart).
std::string script_safe(const std::string& text) {
  return json_for_script(text);
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
  out.emplace_back("groups",
                   groups_chart(run, "GPU-hours by phase group: simulated and published"));
  const sim::PhaseResult* p = costliest_phase(run);
  if (p != nullptr) {
    out.emplace_back("waterfall", waterfall_chart(*p, "From the ideal to the simulated step: " +
                                                          step_label(*p)));
    out.emplace_back("memory", memory_chart({{p->name, &p->representative}},
                                            "Memory per GPU against its HBM: " + step_label(*p)));
  }
  if (runs.size() > 1) out.emplace_back("comparison", totals_chart(runs));
  if (timeline_step != nullptr && !timeline_step->timeline.empty()) {
    out.emplace_back(
        "timeline",
        timeline_chart(*timeline_step,
                       fmt::format("{}: first rank of every pipeline stage",
                                   p != nullptr ? step_label(*p) : std::string("one step"))));
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

std::string run_summary_html(const sim::RunResult& run) {
  std::string h;
  const std::string timing =
      run.cost_model.empty()
          ? std::string("no phase could be simulated")
          : fmt::format("compute times from <code>{}</code>", html_escape(run.cost_model));
  h += fmt::format("<h2>{}</h2>\n<p>{}</p>\n<p>{} × {}, ${:.2f} per GPU-hour, {}.</p>\n",
                   html_escape(run.scenario), html_escape(run.description), run.gpus,
                   html_escape(run.gpu), run.price_per_gpu_hour, timing);
  h += "<table><tr><th>phase</th><th>GPUs</th><th>seq</th><th>steps</th><th>mean step "
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
      run.total_wall_s / 86400.0, with_commas(run.total_gpu_hours), with_commas(run.total_cost_usd),
      100.0 * run.mfu);
  if (run.published_gpu_hours) {
    h += fmt::format(
        "<p><b>Beside the published figure:</b> {} simulated against {} published GPU-hours "
        "({:.2f}×). Source: {}.</p>\n",
        with_commas(run.total_gpu_hours), with_commas(*run.published_gpu_hours),
        run.total_gpu_hours / *run.published_gpu_hours, html_escape(run.published_source));
    if (!run.overrides.empty()) {
      std::string changed;
      for (const auto& o : run.overrides)
        changed += (changed.empty() ? "" : ", ") + ("<code>" + html_escape(o) + "</code>");
      h += "<p class=\"note\"><b>Not the published plan:</b> <code>--set</code> changed " +
           changed + "; the published figures are for the plan as published.</p>\n";
    }
  }
  for (const auto& p : run.phases) {
    if (!p.note.empty())
      h +=
          "<p class=\"note\"><b>" + html_escape(p.name) + ":</b> " + html_escape(p.note) + "</p>\n";
    if (!p.feasible)
      h += "<p class=\"note\"><b>" + html_escape(p.name) + " is infeasible:</b> " +
           html_escape(p.infeasible_reason) + "</p>\n";
  }
  if (!run.assumptions.empty()) {
    h += "<details><summary>Stated assumptions (inputs never published)</summary><ul>\n";
    for (const auto& a : run.assumptions) h += "<li>" + html_escape(a) + "</li>\n";
    h += "</ul></details>\n";
  }
  return h;
}

std::string waterfall_note_html() {
  return "<p class=\"note\">The waterfall starts from the time the step's model FLOPs would take "
         "at "
         "the dense BF16 peak "
         "(step time × MFU) and adds, per rank on average: compute beyond that (kernel efficiency "
         "below peak, recompute, "
         "the SMs lent to communication), communication no compute overlapped, and time spent "
         "waiting (pipeline "
         "bubbles, slower peers).</p>\n";
}

std::string run_html(const std::vector<sim::RunResult>& runs, const HtmlOptions& options) {
  const std::string title = runs.empty() ? "trainsim" : "trainsim: " + runs.front().scenario;
  std::string h;
  for (const auto& run : runs) h += run_summary_html(run);
  return html_page(title, h, waterfall_note_html(), chart_specs(runs, options.timeline_step),
                   options.assets_dir);
}

}  // namespace trainsim::reports
