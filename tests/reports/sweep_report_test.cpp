#include "reports/sweep_report.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/support/report_specs.hpp"

namespace trainsim::reports {
namespace {

SweepResult fake_sweep() {
  SweepResult s;
  s.scenario = "scenarios/<b>v3</b>.yaml";
  s.axes = {"parallelism.schedule", "cluster.gpu"};
  s.points = {{{"dualpipe", "h800"}, {true, "", 2.4e6, 4.8e6, 49.6, 0.44}},
              {{"1f1b", "h800"}, {true, "", 3.9e6, 7.8e6, 80.7, 0.27}},
              {{"zb1p", "h800"}, {false, "memory: 91 GB of 80 GB <per GPU>", 0, 0, 0, 0}}};
  return s;
}

SensitivityResult fake_study() {
  SensitivityResult s;
  s.scenario = "v3.yaml";
  s.delta = 0.2;
  s.base = {true, "", 100.0, 200.0, 10.0, 0.4};
  // NIC bandwidth: −20% → +10% GPU-hours, +20% → −5%; price: GPU-hours unchanged, cost ±20%;
  // tokens: ±20% exactly; HBM: the low side did not run.
  s.inputs.push_back({"NIC bandwidth",
                      "cluster.fabric.nic_bw, nic_achievable",
                      "40 GB/s",
                      {"32 GB/s",
                       {"cluster.fabric={base: x, nic_achievable: 32GB/s}"},
                       {true, "", 110.0, 220.0, 11.0, 0.36}},
                      {"48 GB/s",
                       {"cluster.fabric={base: x, nic_achievable: 48GB/s}"},
                       {true, "", 95.0, 190.0, 9.5, 0.42}}});
  s.inputs.push_back({"price per GPU-hour",
                      "price",
                      "$2.00",
                      {"$1.60", {"price=1.6"}, {true, "", 100.0, 160.0, 10.0, 0.4}},
                      {"$2.40", {"price=2.4"}, {true, "", 100.0, 240.0, 10.0, 0.4}}});
  s.inputs.push_back({"training tokens",
                      "phases[0].tokens",
                      "1B",
                      {"800M", {"phases[0].tokens=8e8"}, {true, "", 80.0, 160.0, 8.0, 0.4}},
                      {"1.2B", {"phases[0].tokens=1.2e9"}, {true, "", 120.0, 240.0, 12.0, 0.4}}});
  s.inputs.push_back(
      {"HBM bandwidth",
       "cluster.gpu.hbm_bw",
       "3.35 TB/s",
       {"2.68 TB/s", {"cluster.gpu.hbm_bw=2.68TB/s"}, {false, "does not fit <x>"}},
       {"4.02 TB/s", {"cluster.gpu.hbm_bw=4.02TB/s"}, {true, "", 99.0, 198.0, 9.9, 0.41}}});
  return s;
}

using test::embedded_specs;

TEST(SweepReport, ScatterHasOnePointPerPointThatRan) {
  // 3 points, 1 infeasible → 2 chart points, at (days, cost) of each.
  const auto specs = embedded_specs(sweep_html(fake_sweep()));
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].first, "scatter");
  const auto& spec = specs[0].second;
  EXPECT_NE(spec.at("$schema").get<std::string>().find("vega-lite"), std::string::npos);
  const auto& values = spec.at("data").at("values");
  ASSERT_EQ(values.size(), 2u);
  EXPECT_DOUBLE_EQ(values[0].at("wall_days").get<double>(), 49.6);
  EXPECT_DOUBLE_EQ(values[0].at("cost_usd").get<double>(), 4.8e6);
  EXPECT_EQ(values[1].at("point"), "parallelism.schedule=1f1b, cluster.gpu=h800");
  // Axis values under dot-free field names (a "." would mean nesting to Vega-Lite).
  EXPECT_EQ(values[1].at("axis0"), "1f1b");
  EXPECT_EQ(spec.at("encoding").at("color").at("field"), "axis0");
  EXPECT_EQ(spec.at("encoding").at("x").at("field"), "wall_days");
  EXPECT_EQ(spec.at("encoding").at("y").at("field"), "cost_usd");
}

TEST(SweepReport, InfeasiblePointsAreListedWithTheirReasonEscaped) {
  const std::string html = sweep_html(fake_sweep());
  EXPECT_NE(html.find("Points that did not run"), std::string::npos);
  EXPECT_NE(html.find("memory: 91 GB of 80 GB &lt;per GPU&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<b>v3</b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;v3&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(html.find("3 points, 2 ran, 1 did not"), std::string::npos);
}

TEST(SweepReport, NoPointRanMeansNoChartButATable) {
  SweepResult s = fake_sweep();
  for (auto& p : s.points) p.outcome = {false, "invalid"};
  const std::string html = sweep_html(s);
  EXPECT_TRUE(embedded_specs(html).empty());
  EXPECT_NE(html.find("No point ran"), std::string::npos);
}

TEST(SweepReport, CsvHasAHeaderAndOneRowPerPoint) {
  const std::string csv = sweep_csv(fake_sweep());
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "parallelism.schedule,cluster.gpu,GPU-hours,cost,days,MFU,status");
  EXPECT_NE(csv.find("dualpipe,h800,2.4e+06,4.8e+06,49.6,0.44,ok"), std::string::npos);
}

TEST(SweepReport, TornadoIsSortedBySwingAndHasEverySideThatRan) {
  // Swings: tokens 20%, NIC 10%, HBM 1% (high side only), price 0% → that order on the y axis.
  const auto specs = embedded_specs(sensitivity_html(fake_study()));
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].first, "tornado");
  const auto& spec = specs[0].second;
  const auto& values = spec.at("data").at("values");
  ASSERT_EQ(values.size(), 7u);  // 4 inputs × 2 sides, minus HBM's low side
  const auto sort = spec.at("layer")[0].at("encoding").at("y").at("sort");
  EXPECT_EQ(sort, nlohmann::json(
                      {"training tokens", "NIC bandwidth", "HBM bandwidth", "price per GPU-hour"}));
  // Tokens −20%: 80 against 100 GPU-hours = −20%.
  EXPECT_EQ(values[0].at("input"), "training tokens");
  EXPECT_EQ(values[0].at("side"), "-20%");
  EXPECT_NEAR(values[0].at("change_pct").get<double>(), -20.0, 1e-9);
  EXPECT_NEAR(values[3].at("change_pct").get<double>(), -5.0, 1e-9);  // NIC +20%
}

TEST(SweepReport, SensitivityTableHasBothSidesAndTheReasons) {
  const std::string html = sensitivity_html(fake_study());
  EXPECT_NE(html.find("<td>+10.0%</td>"), std::string::npos);  // NIC −20% → +10% GPU-hours
  EXPECT_NE(html.find("<td>+20.0%</td>"), std::string::npos);  // price +20% → cost +20%
  EXPECT_NE(html.find("did not run: does not fit &lt;x&gt;"), std::string::npos);
  EXPECT_NE(html.find("<code>--set price=1.6</code>"), std::string::npos);
  const std::string csv = sensitivity_csv(fake_study());
  // A header, the base row, two rows per input.
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 1 + 2 * 4);
  EXPECT_NE(
      csv.find("NIC bandwidth,\"cluster.fabric.nic_bw, nic_achievable\",-20%,32 GB/s,110,0.1,"),
      std::string::npos)
      << csv;
}

TEST(SweepReport, SensitivityWithoutABaseHasNoChart) {
  SensitivityResult s = fake_study();
  s.base = {false, "plan does not fit"};
  const std::string html = sensitivity_html(s);
  EXPECT_TRUE(embedded_specs(html).empty());
  EXPECT_NE(html.find("The base run did not run:</b> plan does not fit"), std::string::npos);
}

}  // namespace
}  // namespace trainsim::reports
