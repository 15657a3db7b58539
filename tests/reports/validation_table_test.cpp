#include "reports/validation_table.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace trainsim::reports {
namespace {

/// Percentages are computed from exact decimal inputs; 1e-9 covers the rounding of doubles.
constexpr double kTol = 1e-9;

ValidationRow row(const std::string& name, double measured, std::optional<double> simulated,
                  const std::string& not_expressible = "", const std::string& infeasible = "") {
  ValidationRow r;
  r.name = name;
  r.kind = "step";
  r.metric = "iteration-s";
  r.unit = "s/iteration";
  r.measured = measured;
  r.simulated = simulated;
  r.source = "a paper, Table 9";
  r.not_expressible = not_expressible;
  r.infeasible = infeasible;
  return r;
}

// error = (simulated − measured)/measured: 110 vs 100 → +10%, 95 vs 100 → −5%.
TEST(ValidationTable, ErrorIsRelativeToTheMeasuredFigure) {
  EXPECT_NEAR(*error_pct(row("a", 100, 110)), 10.0, kTol);
  EXPECT_NEAR(*error_pct(row("b", 100, 95)), -5.0, kTol);
  EXPECT_FALSE(error_pct(row("c", 100, std::nullopt)).has_value());
}

// |errors| 10, 5, 20 → median 10 (odd count), worst 20; with 30 added → median (10+20)/2 = 15.
TEST(ValidationTable, MedianAndWorstOverTheCountedRows) {
  std::vector<ValidationRow> rows{row("a", 100, 110), row("b", 100, 95), row("c", 100, 80)};
  ValidationSummary s = summarize(rows);
  EXPECT_EQ(s.cases, 3u);
  EXPECT_NEAR(s.median_abs_error_pct, 10.0, kTol);
  EXPECT_NEAR(s.worst_abs_error_pct, 20.0, kTol);
  EXPECT_EQ(s.worst_case, "c");
  rows.push_back(row("d", 100, 130));
  s = summarize(rows);
  EXPECT_NEAR(s.median_abs_error_pct, 15.0, kTol);
  EXPECT_EQ(s.worst_case, "d");
}

TEST(ValidationTable, ExcludedRowsAreCountedSeparately) {
  const std::vector<ValidationRow> rows{row("a", 100, 110), row("b", 100, 300, "needs feature X"),
                                        row("c", 100, std::nullopt, "", "memory")};
  const ValidationSummary s = summarize(rows);
  EXPECT_EQ(s.cases, 1u);
  EXPECT_EQ(s.not_expressible, 1u);
  EXPECT_EQ(s.infeasible, 1u);
  EXPECT_NEAR(s.worst_abs_error_pct, 10.0, kTol);
  const ValidationSummary all = summarize(rows, true);
  EXPECT_EQ(all.cases, 2u);
  EXPECT_EQ(all.not_expressible, 0u);
  EXPECT_NEAR(all.worst_abs_error_pct, 200.0, kTol);
}

TEST(ValidationTable, TextEndsWithTheSummaryLine) {
  const std::vector<ValidationRow> rows{row("a", 100, 110), row("b", 100, 95),
                                        row("x", 100, 300, "needs feature X")};
  const std::string text = validation_text(rows, summarize(rows));
  const std::string last = "validation: median |error| 7.5%, worst 10.0% over 2 cases\n";
  ASSERT_GE(text.size(), last.size());
  EXPECT_EQ(text.substr(text.size() - last.size()), last);
  EXPECT_NE(text.find("(300.0)"), std::string::npos) << text;
  EXPECT_NE(text.find("[1] needs feature X"), std::string::npos) << text;
  EXPECT_NE(text.find("excluded: 1 not expressible yet, 0 infeasible in trainsim"),
            std::string::npos)
      << text;
}

TEST(ValidationTable, AnInputRowIsShownButNeverCounted) {
  // A row whose measured figure sets a catalog field agrees with it by construction: it stays
  // out of N even with the not-expressible rows counted, and its figures are bracketed.
  std::vector<ValidationRow> rows{row("a", 100, 110), row("b", 153, 152.5)};
  rows[1].calibrates = "gpus.yaml h800 ep_dispatch_nvlink_rate";
  for (bool include : {false, true}) {
    const ValidationSummary s = summarize(rows, include);
    EXPECT_EQ(s.cases, 1u);
    EXPECT_EQ(s.inputs, 1u);
    EXPECT_NEAR(s.median_abs_error_pct, 10.0, kTol);
  }
  const std::string text = validation_text(rows, summarize(rows));
  EXPECT_NE(text.find("[152.5]"), std::string::npos) << text;
  EXPECT_NE(text.find("input, not a check {1}"), std::string::npos) << text;
  EXPECT_NE(text.find("{1} gpus.yaml h800 ep_dispatch_nvlink_rate"), std::string::npos) << text;
  EXPECT_NE(text.find("excluded: 1 inputs"), std::string::npos) << text;
  const auto j = nlohmann::json::parse(validation_json(rows, summarize(rows)));
  EXPECT_EQ(j["cases"][1]["calibrates"], "gpus.yaml h800 ep_dispatch_nvlink_rate");
  EXPECT_TRUE(j["cases"][0]["calibrates"].is_null());
  EXPECT_EQ(j["summary"]["inputs"], 1);
}

TEST(ValidationTable, JsonHasRowsAndSummary) {
  const std::vector<ValidationRow> rows{row("a", 100, 110), row("c", 100, std::nullopt, "", "m")};
  const auto j = nlohmann::json::parse(validation_json(rows, summarize(rows)));
  ASSERT_EQ(j["cases"].size(), 2u);
  EXPECT_NEAR(j["cases"][0]["error_pct"].get<double>(), 10.0, kTol);
  EXPECT_TRUE(j["cases"][1]["simulated"].is_null());
  EXPECT_EQ(j["cases"][1]["infeasible"], "m");
  EXPECT_EQ(j["summary"]["cases"], 1);
  EXPECT_EQ(j["summary"]["line"], "validation: median |error| 10.0%, worst 10.0% over 1 cases");
}

}  // namespace
}  // namespace trainsim::reports
