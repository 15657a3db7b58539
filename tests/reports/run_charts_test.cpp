// The charts read as a person would read them: human axis titles with units (never a raw field
// name), a value on every bar, the HBM capacity labelled, the timeline's legend naming the traffic
// it draws, and the compare page naming every run with the CLI's ratio table.
#include "reports/run_charts.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "reports/compare_report.hpp"
#include "reports/comparison_table.hpp"

namespace trainsim::reports {
namespace {

using nlohmann::json;

sim::RunResult fake_run(const std::string& name, double hours) {
  sim::RunResult r;
  r.scenario = name;
  r.gpus = 16;
  r.total_gpu_hours = hours;
  r.total_tokens = 1e12;
  r.published_gpu_hours = 120;
  sim::PhaseResult p;
  p.name = "pre-training";
  p.group = "pre-training";
  p.gpu_hours = hours;
  p.representative.global_batch = 15360;
  p.representative.step_time_s = 10;
  p.representative.mfu = 0.4;
  p.representative.peak_basis = "dense BF16 peak (989 TFLOP/s)";
  p.representative.compute_s = {6, 6, 6};
  p.representative.exposed_comm_s = {2, 2, 2};
  p.representative.bubble_s = {2, 2, 2};
  p.representative.memory = {10e9, 20e9, 5e9, 30e9, 1e9};
  p.representative.memory_capacity = 80e9;
  r.phases.push_back(p);
  r.groups.push_back({"pre-training", hours, 2 * hours, 86400, 120.0});
  // A post-training group 1/1000 of pre-training: its bar is a pixel high, its label is not.
  r.groups.push_back({"post-training", hours / 1000, hours / 500, 60, std::nullopt});
  return r;
}

/// Every "title" of every axis-bearing encoding channel (x, y) in the spec and its layers.
void axis_titles(const json& spec, std::vector<json>& out) {
  if (spec.contains("encoding")) {
    for (const char* ch : {"x", "y"}) {
      if (spec["encoding"].contains(ch) && spec["encoding"][ch].contains("field"))
        out.push_back(spec["encoding"][ch].value("title", json("<missing>")));
    }
  }
  if (spec.contains("layer"))
    for (const auto& l : spec["layer"]) axis_titles(l, out);
}

/// The labels (field "label") of a spec's shared data and of its text layers' own data.
std::vector<std::string> labels(const json& spec) {
  std::vector<std::string> out;
  const auto take = [&](const json& values) {
    for (const auto& v : values)
      if (v.contains("label")) out.push_back(v["label"]);
  };
  if (spec.contains("data")) take(spec["data"]["values"]);
  if (spec.contains("layer"))
    for (const auto& l : spec["layer"])
      if (l.contains("data") && l["mark"]["type"] == "text") take(l["data"]["values"]);
  return out;
}

bool has_text_layer(const json& spec) {
  for (const auto& l : spec.value("layer", json::array()))
    if (l["mark"]["type"] == "text") return true;
  return false;
}

TEST(RunCharts, AxisTitlesAreHumanWithUnitsNeverFieldNames) {
  const auto run = fake_run("a", 1e6);
  const auto& phase = run.phases[0];
  sim::StepResult traced;
  traced.timeline.push_back({0, "compute", "F", 0, 0, 0.0, 0.01});
  for (const std::string& text :
       {groups_chart(run, "t"), waterfall_chart(phase, "t"),
        memory_chart({{"a", &phase.representative}}, "t"), totals_chart({run, run}),
        step_shares_chart({run, run}), timeline_chart(traced, "t")}) {
    const json spec = json::parse(text);
    std::vector<json> titles;
    axis_titles(spec, titles);
    ASSERT_FALSE(titles.empty()) << text;
    for (const auto& t : titles) {
      // Either a deliberate null (the row labels say it all) or words; never missing, never
      // the field name Vega-Lite would print ("gpu_hours", "Sum of GB").
      EXPECT_NE(t, json("<missing>")) << text;
      if (t.is_string()) {
        const std::string s = t;
        EXPECT_EQ(s.find('_'), std::string::npos) << s;
        EXPECT_GT(s.size(), 3u) << s;
      }
    }
  }
  const json g = json::parse(groups_chart(run, "t"));
  EXPECT_EQ(g["layer"][0]["encoding"]["y"]["title"], "GPU-hours");
  const json m = json::parse(memory_chart({{"a", &phase.representative}}, "t"));
  EXPECT_EQ(m["layer"][0]["encoding"]["x"]["title"], "GB per GPU (heaviest rank)");
}

TEST(RunCharts, EveryGroupBarCarriesItsValueSoATinyBarStillReads) {
  // Groups: pre-training 1e6 simulated and 120 published, post-training 1e6 / 1000 = 1,000.
  const json g = json::parse(groups_chart(fake_run("a", 1e6), "t"));
  EXPECT_TRUE(has_text_layer(g));
  const auto l = labels(g);
  EXPECT_EQ(l, (std::vector<std::string>{"1M", "120", "1,000"}));
}

TEST(RunCharts, WaterfallLabelsAreWholeAndEachBarHasItsSeconds) {
  // ideal = 10 s × 0.4 = 4 s; beyond it 6 − 4 = 2 s; exposed comm 2 s; bubbles 2 s; step 10 s.
  const auto run = fake_run("a", 1e6);
  const json w = json::parse(waterfall_chart(run.phases[0], "t"));
  EXPECT_EQ(labels(w),
            (std::vector<std::string>{"4.00 s", "2.00 s", "2.00 s", "2.00 s", "10.00 s"}));
  // Vega-Lite cuts axis labels at 180 px by default; the longest part name needs more.
  EXPECT_GE(w["encoding"]["y"]["axis"]["labelLimit"].get<int>(), 400);
  EXPECT_EQ(w["data"]["values"][0]["part"],
            "ideal: model FLOPs at the dense BF16 peak (989 TFLOP/s)");
  EXPECT_EQ(step_label(run.phases[0]), "pre-training, one step at 15,360 sequences");
}

TEST(RunCharts, MemoryCapacityIsALabelledTickInsideTheAxis) {
  const auto run = fake_run("a", 1e6);
  const json m = json::parse(memory_chart({{"a", &run.phases[0].representative}}, "t"));
  EXPECT_EQ(labels(m), (std::vector<std::string>{"HBM 80 GB"}));
  // The domain reaches past the capacity (80 GB) and the stack (66 GB) so the label fits.
  const double top = m["layer"][0]["encoding"]["x"]["scale"]["domain"][1];
  EXPECT_GT(top, 80.0);
}

TEST(RunCharts, TimelineLegendNamesTheTrafficItDraws) {
  EXPECT_EQ(timeline_kind_label("comm", "tp"), "TP collective");
  EXPECT_EQ(timeline_kind_label("comm", "dispatch"), "EP all-to-all: dispatch");
  EXPECT_EQ(timeline_kind_label("dp", "reduce-scatter"), "DP: gradient reduce-scatter");
  EXPECT_EQ(timeline_kind_label("compute", "F"), "F: forward");
  EXPECT_EQ(timeline_kind_label("p2p", "send"), "p2p: send");  // unknown: said as it is
  // A dense run's step has TP traffic and no all-to-all: nothing in it says all-to-all.
  sim::StepResult s;
  s.timeline.push_back({0, "compute", "F", 0, 0, 0.0, 0.01});
  s.timeline.push_back({0, "comm", "tp", 0, 0, 0.01, 0.02});
  const std::string text = timeline_chart(s, "one step");
  EXPECT_EQ(text.find("all-to-all"), std::string::npos);
  EXPECT_NE(text.find("TP collective"), std::string::npos);
}

TEST(ComparePage, NamesBothRunsHasTheCliTableAndChartsForEveryRun) {
  const std::vector<sim::RunResult> runs{fake_run("deepseek-v3", 200), fake_run("llama", 300)};
  sim::StepResult traced;
  traced.timeline.push_back({0, "compute", "F", 0, 0, 0.0, 0.01});
  const std::string html = compare_html(runs, {&traced, nullptr});
  EXPECT_NE(html.find("<title>trainsim compare: deepseek-v3 vs llama</title>"), std::string::npos);
  EXPECT_NE(html.find("<h1>trainsim compare: deepseek-v3 vs llama</h1>"), std::string::npos);
  // The table the CLI prints: every cell, e.g. GPU-hours 300 / 200 = 1.50×.
  const ComparisonTable t = comparison_table(runs);
  for (const auto& row : t.rows)
    for (const auto& cell : row)
      EXPECT_NE(html.find("<td>" + cell + "</td>"), std::string::npos) << cell;
  EXPECT_NE(html.find("<td>300 (1.50×)</td>"), std::string::npos);
  // Each run's own section.
  EXPECT_NE(html.find("<h2>deepseek-v3</h2>"), std::string::npos);
  EXPECT_NE(html.find("<h2>llama</h2>"), std::string::npos);
  // Charts with both runs, then per run; the timeline only where one was recorded.
  std::vector<std::string> ids;
  const std::regex block(R"re(<script type="application/json" id="spec-([a-z0-9-]+)">)re");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), block);
       it != std::sregex_iterator(); ++it)
    ids.push_back((*it)[1]);
  EXPECT_EQ(ids,
            (std::vector<std::string>{"totals", "steps", "memory", "run1-groups", "run1-waterfall",
                                      "run1-timeline", "run2-groups", "run2-waterfall"}));
  for (const auto& [id, text] : compare_chart_specs(runs, {&traced})) {
    const json spec = json::parse(text);
    const std::string title = spec["title"];
    if (id.rfind("run1-", 0) == 0) {
      EXPECT_EQ(title.rfind("deepseek-v3: ", 0), 0u) << title;
    }
    if (id.rfind("run2-", 0) == 0) {
      EXPECT_EQ(title.rfind("llama: ", 0), 0u) << title;
    }
  }
  // Both runs in the shared charts.
  const json mem = json::parse(compare_chart_specs(runs)[2].second);
  EXPECT_EQ(labels(mem).size(), 2u);  // one HBM tick per run
}

TEST(ComparePage, StepSharesAddUpToTheWholeStep) {
  // 4 + 2 + 2 + 2 = 10 s of a 10 s step: the last part ends at share 1.
  const json s = json::parse(step_shares_chart({fake_run("a", 1), fake_run("b", 2)}));
  const auto& v = s["data"]["values"];
  ASSERT_EQ(v.size(), 8u);
  EXPECT_DOUBLE_EQ(v[3]["end"].get<double>(), 1.0);
  EXPECT_EQ(v[0]["label"], "40%");
}

}  // namespace
}  // namespace trainsim::reports
