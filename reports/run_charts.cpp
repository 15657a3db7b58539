#include "reports/run_charts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "reports/text_table.hpp"

namespace trainsim::reports {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kSchema = "https://vega.github.io/schema/vega-lite/v6.json";
// Layers sharing an axis all carry its title: Vega-Lite otherwise joins the layers' field names
// into it ("Sum of GB, capacity").
constexpr const char* kMemoryAxis = "GB per GPU (heaviest rank)";
constexpr const char* kSecondsAxis = "seconds (mean over ranks)";
constexpr const char* kShareAxis = "share of the step time (mean over ranks)";

/// Chart text: invalid UTF-8 in a scenario name becomes U+FFFD instead of throwing.
std::string text(const Json& spec) {
  return spec.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// GPU-hours as a bar label: "2.54M", "29.9k", "2,885" (three significant digits above 10,000).
std::string hours_label(double h) {
  if (h >= 1e6) return fmt::format("{:.3g}M", h / 1e6);
  if (h >= 1e4) return fmt::format("{:.3g}k", h / 1e3);
  return with_commas(h, 0);
}

/// A bar chart of GPU-hours: x = `x` (nominal), bars grouped by `color`, each labelled above.
Json labelled_bars(const std::string& title, Json values, const std::string& x,
                   const std::string& x_title, const std::string& color) {
  for (auto& v : values) v["label"] = hours_label(v.at("gpu_hours").get<double>());
  const Json x_enc{{"field", x},
                   {"type", "nominal"},
                   {"sort", nullptr},
                   {"title", x_title},
                   {"axis", {{"labelAngle", 0}, {"labelLimit", 240}}}};
  const Json y_enc{{"field", "gpu_hours"},
                   {"type", "quantitative"},
                   {"title", "GPU-hours"},
                   {"axis", {{"format", "~s"}}}};
  const Json color_enc{{"field", color}, {"type", "nominal"}, {"title", nullptr}};
  return Json{
      {"$schema", kSchema},
      {"title", title},
      {"width", "container"},
      {"height", 260},
      {"data", {{"values", std::move(values)}}},
      {"encoding", {{"x", x_enc}, {"xOffset", {{"field", color}}}, {"color", color_enc}}},
      {"layer",
       {{{"mark", {{"type", "bar"}, {"tooltip", true}}}, {"encoding", {{"y", y_enc}}}},
        {{"mark", {{"type", "text"}, {"baseline", "bottom"}, {"dy", -3}, {"fontSize", 11}}},
         {"encoding",
          {{"y", y_enc}, {"text", {{"field", "label"}}}, {"color", {{"value", "#222"}}}}}}}}};
}

struct StepPart {
  std::string name;
  double seconds;
};

/// The waterfall's parts of a step; they add up to its time (the last part is the rest).
std::vector<StepPart> step_parts(const sim::StepResult& s) {
  const double ideal = s.step_time_s * s.mfu;
  const std::string peak = s.peak_basis.empty() ? "dense peak" : s.peak_basis;
  return {{"ideal: model FLOPs at the " + peak, ideal},
          {"+ kernels below peak, recompute, SMs lent to communication",
           std::max(0.0, s.compute_s.mean - ideal)},
          {"+ exposed communication", s.exposed_comm_s.mean},
          {"+ pipeline bubbles and waiting", s.bubble_s.mean}};
}

}  // namespace

const sim::PhaseResult* costliest_phase(const sim::RunResult& r) {
  const sim::PhaseResult* best = nullptr;
  for (const auto& p : r.phases) {
    if (p.feasible && (best == nullptr || p.gpu_hours > best->gpu_hours)) best = &p;
  }
  return best;
}

std::string step_label(const sim::PhaseResult& p) {
  if (p.representative.global_batch <= 0) return p.name + ", one step";
  return fmt::format("{}, one step at {} sequences", p.name,
                     with_commas(static_cast<double>(p.representative.global_batch)));
}

std::string groups_chart(const sim::RunResult& run, const std::string& title) {
  Json groups = Json::array();
  for (const auto& g : run.groups) {
    groups.push_back({{"group", g.group}, {"source", "simulated"}, {"gpu_hours", g.gpu_hours}});
    if (g.published_gpu_hours)
      groups.push_back(
          {{"group", g.group}, {"source", "published"}, {"gpu_hours", *g.published_gpu_hours}});
  }
  return text(labelled_bars(title, groups, "group", "phase group", "source"));
}

std::string waterfall_chart(const sim::PhaseResult& p, const std::string& title) {
  const auto& s = p.representative;
  Json values = Json::array();
  double start = 0;
  for (const auto& [name, v] : step_parts(s)) {
    values.push_back({{"part", name},
                      {"start", start},
                      {"end", start + v},
                      {"seconds", v},
                      {"label", fmt::format("{:.2f} s", v)}});
    start += v;
  }
  values.push_back({{"part", "= simulated step"},
                    {"start", 0.0},
                    {"end", s.step_time_s},
                    {"seconds", s.step_time_s},
                    {"label", fmt::format("{:.2f} s", s.step_time_s)}});
  const Json y{{"field", "part"},
               {"type", "nominal"},
               {"sort", nullptr},
               {"title", nullptr},
               {"axis", {{"labelLimit", 420}}}};
  const Json spec{
      {"$schema", kSchema},
      {"title", title},
      {"width", "container"},
      {"height", 220},
      {"data", {{"values", values}}},
      {"encoding", {{"y", y}}},
      {"layer",
       {{{"mark", {{"type", "bar"}, {"tooltip", true}}},
         {"encoding",
          {{"x", {{"field", "start"}, {"type", "quantitative"}, {"title", kSecondsAxis}}},
           {"x2", {{"field", "end"}}},
           {"color", {{"field", "part"}, {"type", "nominal"}, {"legend", nullptr}}}}}},
        {{"mark", {{"type", "text"}, {"align", "left"}, {"dx", 4}, {"fontSize", 11}}},
         {"encoding",
          {{"x", {{"field", "end"}, {"type", "quantitative"}, {"title", kSecondsAxis}}},
           {"text", {{"field", "label"}}}}}}}}};
  return text(spec);
}

std::string memory_chart(const std::vector<std::pair<std::string, const sim::StepResult*>>& rows,
                         const std::string& title) {
  Json mem = Json::array();
  Json caps = Json::array();
  double widest = 0;
  for (const auto& [label, s] : rows) {
    const auto& m = s->memory;
    for (const auto& [name, v] :
         std::vector<std::pair<std::string, double>>{{"weights", m.weights},
                                                     {"gradients", m.gradients},
                                                     {"optimizer states", m.optimizer},
                                                     {"activations (in flight)", m.activations},
                                                     {"other", m.other}}) {
      mem.push_back({{"row", label}, {"component", name}, {"GB", v / 1e9}});
    }
    caps.push_back({{"row", label},
                    {"capacity", s->memory_capacity / 1e9},
                    {"label", fmt::format("HBM {:.0f} GB", s->memory_capacity / 1e9)}});
    widest = std::max({widest, m.total() / 1e9, s->memory_capacity / 1e9});
  }
  // Room right of the widest bar or tick for the capacity's label.
  const Json x_scale{{"domain", Json::array({0.0, widest * 1.18})}, {"nice", false}};
  const Json y{{"field", "row"},
               {"type", "nominal"},
               {"sort", nullptr},
               {"title", nullptr},
               {"axis", {{"labelLimit", 440}}}};
  const Json spec{
      {"$schema", kSchema},
      {"title", title},
      {"width", "container"},
      {"height", {{"step", 44}}},
      {"encoding", {{"y", y}}},
      {"layer",
       {{{"data", {{"values", mem}}},
         {"mark", {{"type", "bar"}, {"tooltip", true}}},
         {"encoding",
          {{"x",
            {{"field", "GB"},
             {"type", "quantitative"},
             {"aggregate", "sum"},
             {"title", kMemoryAxis},
             {"scale", x_scale}}},
           {"color", {{"field", "component"}, {"type", "nominal"}, {"title", nullptr}}}}}},
        {{"data", {{"values", caps}}},
         {"mark", {{"type", "tick"}, {"color", "black"}, {"thickness", 2}}},
         {"encoding",
          {{"x", {{"field", "capacity"}, {"type", "quantitative"}, {"title", kMemoryAxis}}}}}},
        {{"data", {{"values", caps}}},
         {"mark", {{"type", "text"}, {"align", "left"}, {"dx", 5}, {"fontSize", 11}}},
         {"encoding",
          {{"x", {{"field", "capacity"}, {"type", "quantitative"}, {"title", kMemoryAxis}}},
           {"text", {{"field", "label"}}}}}}}}};
  return text(spec);
}

std::string totals_chart(const std::vector<sim::RunResult>& runs) {
  Json cmp = Json::array();
  for (const auto& r : runs) {
    cmp.push_back(
        {{"scenario", r.scenario}, {"measure", "simulated"}, {"gpu_hours", r.total_gpu_hours}});
    if (r.published_gpu_hours)
      cmp.push_back({{"scenario", r.scenario},
                     {"measure", "published"},
                     {"gpu_hours", *r.published_gpu_hours}});
  }
  return text(labelled_bars("Total GPU-hours of each run: simulated and published", cmp, "scenario",
                            "scenario", "measure"));
}

std::string step_shares_chart(const std::vector<sim::RunResult>& runs) {
  Json values = Json::array();
  for (const auto& r : runs) {
    const auto* p = costliest_phase(r);
    if (p == nullptr || p->representative.step_time_s <= 0) continue;
    const std::string row = r.scenario + ": " + step_label(*p);
    const double step = p->representative.step_time_s;
    double start = 0;
    for (const auto& [name, v] : step_parts(p->representative)) {
      const double share = v / step;
      values.push_back({{"row", row},
                        {"part", name.rfind("ideal", 0) == 0 ? "ideal: model FLOPs at the peak"
                                                             : name.substr(2)},
                        {"start", start},
                        {"end", start + share},
                        {"mid", start + share / 2},
                        {"seconds", v},
                        {"label", share >= 0.04 ? fmt::format("{:.0f}%", 100 * share) : ""}});
      start += share;
    }
  }
  const Json y{{"field", "row"},
               {"type", "nominal"},
               {"sort", nullptr},
               {"title", nullptr},
               {"axis", {{"labelLimit", 440}}}};
  const Json spec{{"$schema", kSchema},
                  {"title", "Where each run's step goes: its costliest phase, share of the step"},
                  {"width", "container"},
                  {"height", {{"step", 44}}},
                  {"data", {{"values", values}}},
                  {"encoding", {{"y", y}}},
                  {"layer",
                   {{{"mark", {{"type", "bar"}, {"tooltip", true}}},
                     {"encoding",
                      {{"x",
                        {{"field", "start"},
                         {"type", "quantitative"},
                         {"title", kShareAxis},
                         {"axis", {{"format", "%"}}},
                         {"scale", {{"domain", Json::array({0, 1})}}}}},
                       {"x2", {{"field", "end"}}},
                       {"color",
                        {{"field", "part"},
                         {"type", "nominal"},
                         {"sort", nullptr},
                         {"title", nullptr},
                         {"legend", {{"labelLimit", 340}}}}}}}},
                    {{"mark", {{"type", "text"}, {"color", "white"}, {"fontSize", 11}}},
                     {"encoding",
                      {{"x", {{"field", "mid"}, {"type", "quantitative"}, {"title", kShareAxis}}},
                       {"text", {{"field", "label"}}}}}}}}};
  return text(spec);
}

std::string timeline_kind_label(const std::string& stream, const std::string& name) {
  static const std::map<std::pair<std::string, std::string>, std::string> labels{
      {{"compute", "F"}, "F: forward"},
      {{"compute", "B"}, "B: backward for inputs"},
      {{"compute", "W"}, "W: backward for weights"},
      {{"compute", "BW"}, "BW: backward (inputs and weights)"},
      {{"compute", "optimizer"}, "optimizer step"},
      {{"compute-side", "W"}, "W: expert weight gradients (second stream)"},
      {{"comm", "dispatch"}, "EP all-to-all: dispatch"},
      {{"comm", "combine"}, "EP all-to-all: combine"},
      {{"comm", "tp"}, "TP collective"},
      {{"comm", "cp"}, "CP collective"},
      {{"dp", "all-gather"}, "DP: all-gather (ZeRO)"},
      {{"dp", "reduce-scatter"}, "DP: gradient reduce-scatter"},
      {{"dp", "all-reduce"}, "DP: gradient all-reduce"},
  };
  const auto it = labels.find({stream, name});
  return it != labels.end() ? it->second : stream + ": " + name;
}

std::string timeline_chart(const sim::StepResult& step, const std::string& title) {
  Json ev = Json::array();
  for (const auto& e : step.timeline) {
    ev.push_back({{"rank", fmt::format("rank {}", e.rank)},
                  {"rank_number", e.rank},
                  {"stream", e.stream},
                  {"kind", timeline_kind_label(e.stream, e.name)},
                  {"micro_batch", e.micro_batch},
                  {"start_ms", e.start_s * 1e3},
                  {"end_ms", e.end_s * 1e3}});
  }
  int ranks = 0;
  {
    std::vector<int> seen;
    for (const auto& e : step.timeline) seen.push_back(e.rank);
    std::sort(seen.begin(), seen.end());
    ranks = static_cast<int>(std::unique(seen.begin(), seen.end()) - seen.begin());
  }
  const Json spec{
      {"$schema", kSchema},
      {"title", title},
      {"width", "container"},
      {"height", 24 * std::max(ranks, 4)},
      {"data", {{"values", ev}}},
      {"mark", {{"type", "bar"}, {"tooltip", true}}},
      {"encoding",
       {{"y",
         {{"field", "rank"},
          {"type", "nominal"},
          {"sort", {{"field", "rank_number"}}},
          {"title", nullptr}}},
        {"yOffset", {{"field", "stream"}}},
        {"x",
         {{"field", "start_ms"}, {"type", "quantitative"}, {"title", "time in the step (ms)"}}},
        {"x2", {{"field", "end_ms"}}},
        {"color",
         {{"field", "kind"},
          {"type", "nominal"},
          {"title", nullptr},
          {"legend", {{"labelLimit", 260}}}}}}}};
  return text(spec);
}

}  // namespace trainsim::reports
