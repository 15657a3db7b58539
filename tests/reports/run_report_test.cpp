#include "reports/run_report.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "core/error.hpp"

namespace trainsim::reports {
namespace {

TEST(RunReport, CsvQuotesPerRfc4180) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
}

TEST(RunReport, MarkdownEscapesScenarioText) {
  sim::RunResult r;
  r.scenario = "<b>bold</b> | pipe";
  sim::PhaseResult p;
  p.name = "a|b";
  r.phases.push_back(p);
  const std::string md = run_markdown(r);
  EXPECT_EQ(md.find("<b>"), std::string::npos);
  EXPECT_NE(md.find("&lt;b&gt;bold&lt;/b&gt; \\| pipe"), std::string::npos);
  EXPECT_NE(md.find("a\\|b"), std::string::npos);
}

TEST(RunReport, PhasesCsvHasOneRowPerPhase) {
  sim::RunResult r;
  for (const char* n : {"x", "y,z"}) {
    sim::PhaseResult p;
    p.name = n;
    r.phases.push_back(p);
  }
  const std::string csv = phases_csv(r);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);
  EXPECT_NE(csv.find("\"y,z\""), std::string::npos);
}

TEST(RunReport, WritesEveryFileAndNothingElse) {
  const auto dir = std::filesystem::temp_directory_path() / "trainsim_run_report_test";
  std::filesystem::remove_all(dir);
  const auto written = write_run_outputs(sim::RunResult{}, dir.string());
  EXPECT_EQ(written.size(), 5u);
  int files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 5);  // no temporaries left behind
  std::filesystem::remove_all(dir);
}

TEST(RunReport, UnwritableDirectoryIsAnIoError) {
  EXPECT_THROW(write_run_outputs(sim::RunResult{}, "/proc/trainsim-no"), IoError);
}

}  // namespace
}  // namespace trainsim::reports
