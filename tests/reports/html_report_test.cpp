#include "reports/html_report.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

namespace trainsim::reports {
namespace {

sim::RunResult fake_run(const std::string& name) {
  sim::RunResult r;
  r.scenario = name;
  r.gpus = 16;
  r.total_gpu_hours = 100;
  r.published_gpu_hours = 120;
  sim::PhaseResult p;
  p.name = "main";
  p.group = "main";
  p.gpu_hours = 100;
  p.representative.step_time_s = 10;
  p.representative.mfu = 0.4;
  p.representative.compute_s = {6, 6, 6};
  p.representative.exposed_comm_s = {2, 2, 2};
  p.representative.bubble_s = {2, 2, 2};
  p.representative.memory = {10e9, 20e9, 5e9, 30e9, 1e9};
  p.representative.memory_capacity = 80e9;
  r.phases.push_back(p);
  r.groups.push_back({"main", 100, 200, 86400, 120.0});
  return r;
}

/// Every <script type="application/json"> block of the page, parsed.
std::vector<nlohmann::json> embedded_specs(const std::string& html) {
  std::vector<nlohmann::json> out;
  const std::regex block(R"(<script type="application/json" id="spec-[a-z]+">([\s\S]*?)</script>)");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), block);
       it != std::sregex_iterator(); ++it) {
    std::string text = (*it)[1];
    // Undo the "</" escaping before parsing as JSON ("<\/" is a valid JSON escape anyway).
    out.push_back(nlohmann::json::parse(text));
  }
  return out;
}

bool has_data(const nlohmann::json& spec) {
  if (spec.contains("data")) return !spec.at("data").at("values").empty();
  if (spec.contains("layer")) {
    for (const auto& l : spec.at("layer")) {
      if (!has_data(l)) return false;
    }
    return true;
  }
  return false;
}

TEST(HtmlReport, EveryChartIsValidVegaLiteWithData) {
  sim::StepResult traced;
  traced.timeline.push_back({0, "compute", "F", 0, 0, 0.0, 0.01});
  HtmlOptions o;
  o.timeline_step = &traced;
  const std::string html = run_html({fake_run("a"), fake_run("b")}, o);
  const auto specs = embedded_specs(html);
  ASSERT_EQ(specs.size(), 5u);  // groups, waterfall, memory, comparison, timeline
  for (const auto& s : specs) {
    EXPECT_NE(s.at("$schema").get<std::string>().find("vega-lite"), std::string::npos);
    EXPECT_TRUE(has_data(s)) << s.dump();
  }
}

TEST(HtmlReport, WaterfallAddsUpToTheStep) {
  // ideal = step × MFU = 4; compute beyond it 6 − 4 = 2; exposed comm 2; bubble 2 → 10 s.
  const auto specs = chart_specs({fake_run("a")}, nullptr);
  const auto it = std::find_if(specs.begin(), specs.end(),
                               [](const auto& p) { return p.first == "waterfall"; });
  ASSERT_NE(it, specs.end());
  const auto values = nlohmann::json::parse(it->second).at("data").at("values");
  EXPECT_DOUBLE_EQ(values[3].at("end").get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(values[0].at("seconds").get<double>(), 4.0);
}

TEST(HtmlReport, HostileScenarioTextIsEscaped) {
  const std::string html = run_html({fake_run("<script>alert('x')</script>")});
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), std::string::npos);
  // Inside the chart JSON, "</script>" can no longer close the element.
  for (const auto& s : embedded_specs(html)) EXPECT_FALSE(s.empty());
}

TEST(HtmlReport, WithoutChartAssetsThePageStillHasTheTablesAndSaysWhy) {
  HtmlOptions o;
  o.assets_dir = "/nonexistent-assets";
  const std::string html = run_html({fake_run("a")}, o);
  EXPECT_NE(html.find("<table>"), std::string::npos);
  EXPECT_NE(html.find("need the chart libraries"), std::string::npos);
  EXPECT_EQ(html.find("vegaEmbed("), std::string::npos);
}

}  // namespace
}  // namespace trainsim::reports
