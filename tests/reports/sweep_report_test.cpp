#include "reports/sweep_report.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <algorithm>
#include <map>
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
  const auto& encoding = spec.at("layer")[0].at("encoding");
  EXPECT_EQ(encoding.at("color").at("field"), "axis0");
  EXPECT_EQ(encoding.at("x").at("field"), "wall_days");
  EXPECT_EQ(encoding.at("y").at("field"), "cost_usd");
  // Nothing coincides: one point per spot, no "×n" label layer.
  EXPECT_EQ(values[0].at("here"), 1);
  EXPECT_EQ(spec.at("layer").size(), 1u);
}

SweepResult numeric_sweep() {
  // 16, 2 and 4 GPUs (given in that order) × two published figures that change nothing in the
  // run: every (GPUs) point is drawn twice at one spot.
  SweepResult s;
  s.scenario = "s.yaml";
  s.axes = {"cluster.gpus", "published.gpu_hours"};
  const double days[] = {1.0, 6.0, 3.5};
  const double scale[] = {1.0, 2.0, 3.0};
  for (std::size_t g = 0; g < 3; ++g) {
    for (const char* pub : {"1000", "2000"}) {
      s.points.push_back({{std::vector<std::string>{"16", "2", "4"}[g], pub},
                          {true, "", 100.0 * scale[g], 200.0 * scale[g], days[g], 0.4}});
    }
  }
  return s;
}

TEST(SweepReport, NumericLegendsSortByNumberNotAsText) {
  // As text "16" < "2" < "4"; as numbers 2 < 4 < 16.
  const auto specs = sweep_chart_specs(numeric_sweep());
  ASSERT_EQ(specs.size(), 1u);
  const auto spec = nlohmann::json::parse(specs[0].second);
  const auto& encoding = spec.at("layer")[0].at("encoding");
  EXPECT_EQ(encoding.at("color").at("sort"), nlohmann::json({"2", "4", "16"}));
  EXPECT_EQ(encoding.at("shape").at("sort"), nlohmann::json({"1000", "2000"}));
}

TEST(SweepReport, LegendOrderIsNumericWithACommonSuffixElseAsGiven) {
  EXPECT_EQ(legend_order({"16", "2", "4", "2"}), (std::vector<std::string>{"2", "4", "16"}));
  EXPECT_EQ(legend_order({"16K", "4K", "8K"}), (std::vector<std::string>{"4K", "8K", "16K"}));
  EXPECT_EQ(legend_order({"800Gbps", "400Gbps"}), (std::vector<std::string>{"400Gbps", "800Gbps"}));
  EXPECT_EQ(legend_order({"0.5", "-1", "1e3"}), (std::vector<std::string>{"-1", "0.5", "1e3"}));
  // Names, and numbers with different suffixes, keep the order they were given in (--vary's).
  EXPECT_EQ(legend_order({"h800", "h100", "a100"}),
            (std::vector<std::string>{"h800", "h100", "a100"}));
  EXPECT_EQ(legend_order({"2K", "512"}), (std::vector<std::string>{"2K", "512"}));
}

TEST(SweepReport, PointsThatCoincideAreRingsWithACountAndTheirTooltipListsThemAll) {
  // Each spot holds 2 points (same days and cost): the first drawn larger (90 + 110 px²) under
  // the second (90 px²), both keep their colour and shape, and a "×2" label marks the spot.
  const auto spec = nlohmann::json::parse(sweep_chart_specs(numeric_sweep())[0].second);
  const auto& values = spec.at("data").at("values");
  ASSERT_EQ(values.size(), 6u);
  int large = 0, small = 0;
  for (const auto& v : values) {
    EXPECT_EQ(v.at("here"), 2);
    const std::string here = v.at("points_here");
    EXPECT_NE(here.find("published.gpu_hours=1000"), std::string::npos) << here;
    EXPECT_NE(here.find("published.gpu_hours=2000"), std::string::npos) << here;
    const double size = v.at("size");
    if (size == 200.0) ++large;
    if (size == 90.0) ++small;
  }
  EXPECT_EQ(large, 3);
  EXPECT_EQ(small, 3);
  // Larger first, so the smaller marks are drawn on top.
  EXPECT_EQ(values[0].at("size"), 200.0);
  EXPECT_EQ(values[5].at("size"), 90.0);
  ASSERT_EQ(spec.at("layer").size(), 2u);
  const auto& labels = spec.at("layer")[1].at("data").at("values");
  ASSERT_EQ(labels.size(), 3u);
  EXPECT_EQ(labels[0].at("label"), "×2");
  EXPECT_EQ(spec.at("layer")[0].at("encoding").at("size").at("field"), "size");
}

TEST(SweepReport, PointsCloserThanAMarkerCoincideAndFarOnesDoNot) {
  // Days range 0..120 → a spot reaches 120/100 = 1.2 days from its first point. 47.9 and 48.1
  // days (same cost) are 0.2 apart: one spot, though they fall in different 1.2-day grid cells
  // (39 and 40). 50.0 is 2.1 days from 47.9: a spot of its own.
  SweepResult s;
  s.axes = {"price"};
  for (const auto& [p, d] : std::vector<std::pair<const char*, double>>{
           {"a", 0.0}, {"b", 47.9}, {"c", 48.1}, {"d", 50.0}, {"e", 120.0}}) {
    s.points.push_back({{p}, {true, "", 1.0, 10.0, d, 0.4}});
  }
  const auto spec = nlohmann::json::parse(sweep_chart_specs(s)[0].second);
  std::map<std::string, int> here;
  for (const auto& v : spec.at("data").at("values")) here[v.at("axis0")] = v.at("here");
  EXPECT_EQ(here["a"], 1);
  EXPECT_EQ(here["b"], 2);
  EXPECT_EQ(here["c"], 2);
  EXPECT_EQ(here["d"], 1);
  EXPECT_EQ(here["e"], 1);
}

TEST(SweepReport, FailuresGroupByReasonUpToTheirNumbers) {
  // Four points of a 2 × 3 product are invalid with one sentence and different numbers, one is
  // infeasible, one ran: two groups, the first with 4 points, in point order.
  SweepResult s;
  s.axes = {"parallelism.pp", "parallelism.dp"};
  auto invalid = [](int dp, int pp) {
    SweepOutcome o;
    o.reason = fmt::format(
        "dp × tp × pp × cp = {} × 1 × {} × 1 = {} does not equal cluster.gpus "
        "= 16",
        dp, pp, dp * pp);
    o.failure = SweepFailure::Invalid;
    return o;
  };
  SweepOutcome oom;
  oom.reason = "main: needs 81.1 GB per GPU but h100 has 80.0 GB";
  oom.failure = SweepFailure::Infeasible;
  s.points = {{{"1", "4"}, invalid(4, 1)}, {{"1", "8"}, invalid(8, 1)},
              {{"2", "4"}, invalid(4, 2)}, {{"2", "8"}, {true, "", 48, 97, 0.1, 0.46}},
              {{"4", "4"}, oom},           {{"4", "8"}, invalid(8, 4)}};
  const auto groups = failure_groups(s);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].kind, SweepFailure::Invalid);
  EXPECT_EQ(groups[0].points, (std::vector<std::size_t>{0, 1, 2, 5}));
  EXPECT_FALSE(groups[0].same_text);
  EXPECT_EQ(groups[0].reason, invalid(4, 1).reason);
  EXPECT_EQ(groups[1].points, (std::vector<std::size_t>{4}));
  EXPECT_TRUE(groups[1].same_text);

  const std::string html = sweep_html(s);
  EXPECT_NE(html.find("<b>4 of 6 points, invalid combination:</b> dp × tp × pp × cp = 4 × 1 × 1 "
                      "× 1 = 4 does not equal cluster.gpus = 16 (figures at parallelism.pp=1, "
                      "parallelism.dp=4; the others differ only in the numbers)"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<b>1 of 6 points, infeasible:</b> main: needs 81.1 GB"), std::string::npos);
  // Each reason once; the table's rows point at it.
  EXPECT_EQ(html.find("does not equal"), html.rfind("does not equal"));
  EXPECT_NE(html.find("<td>invalid combination (reason 1)</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>infeasible (reason 2)</td>"), std::string::npos);
}

TEST(SweepReport, NamesWithDigitsAreNotNumbers) {
  // "h100" and "h200" are different GPUs, not one reason with different numbers.
  SweepResult s;
  s.axes = {"cluster.gpu"};
  SweepOutcome a, b;
  a.reason = "h100 has no fp4 peak";
  b.reason = "h200 has no fp4 peak";
  a.failure = b.failure = SweepFailure::Invalid;
  s.points = {{{"h100"}, a}, {{"h200"}, b}};
  EXPECT_EQ(failure_groups(s).size(), 2u);
  // One sentence of one kind, with thousands separators and exponents, is one group.
  SweepOutcome c, d;
  c.reason = "needs 1,024.5 GB (2.4e+06 B)";
  d.reason = "needs 512 GB (1e3 B)";
  c.failure = d.failure = SweepFailure::Infeasible;
  s.points = {{{"x"}, c}, {{"y"}, d}};
  EXPECT_EQ(failure_groups(s).size(), 1u);
  // The same sentence of different kinds stays apart.
  d.reason = c.reason;
  d.failure = SweepFailure::OutOfMemory;
  s.points = {{{"x"}, c}, {{"y"}, d}};
  EXPECT_EQ(failure_groups(s).size(), 2u);
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
  // Full precision (the shortest round-trip text), not 6 significant digits.
  EXPECT_NE(csv.find("dualpipe,h800,2400000,4800000,49.6,0.44,ok"), std::string::npos) << csv;
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
      // Full precision: 110 / 100 − 1 in binary floating point is 0.10000000000000009.
      csv.find("NIC bandwidth,\"cluster.fabric.nic_bw, nic_achievable\",-20%,32 GB/s,110,"
               "0.10000000000000009,"),
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
