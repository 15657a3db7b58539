// trainsim plan as a subprocess: the best plan's printed overrides reproduce its figures with
// `trainsim run --symmetric`, the answer does not depend on --jobs, and bad options are rejected
// with their message. The scenario is the small dense one (864 candidates, a few seconds).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/support/cli_process.hpp"

namespace {

using trainsim::test::run_cli;

const std::string kDense = std::string(TRAINSIM_TEST_DATA_DIR) + "/scenarios/small-dense-tp.yaml";

nlohmann::json plan_json(const std::string& extra) {
  const auto r = run_cli("plan " + kDense + " --json - " + extra + " 2>/dev/null");
  EXPECT_EQ(r.status, 0) << r.text;
  return nlohmann::json::parse(r.text);
}

TEST(PlanCli, BestPlanReproducesItsGpuHoursWithRun) {
  const auto j = plan_json("--jobs 2");
  EXPECT_EQ(j["schema"], "trainsim.plan/1");
  ASSERT_FALSE(j["ranking"].empty());
  // Every candidate is counted once under exactly one outcome.
  std::size_t counted = 0;
  for (const auto& [status, n] : j["counts"].items()) counted += n.get<std::size_t>();
  EXPECT_EQ(counted, j["candidates"].size());
  EXPECT_LT(j["simulated"].get<std::size_t>(), j["candidates"].size());  // pruning happened
  const auto& best = j["candidates"][j["ranking"][0].get<std::size_t>()];
  std::string sets;
  for (const auto& s : best["sets"]) sets += " --set " + s.get<std::string>();
  // `run` with the same overrides and the same (symmetric) simulation is the same computation:
  // the same GPU-hours up to the printed JSON's round trip.
  const auto r = run_cli("run " + kDense + " --symmetric --json -" + sets + " 2>/dev/null");
  ASSERT_EQ(r.status, 0) << r.text;
  const auto run = nlohmann::json::parse(r.text);
  const double planned = best["gpu_hours"].get<double>();
  EXPECT_NEAR(run["total"]["gpu_hours"].get<double>(), planned, 1e-9 * planned);
  EXPECT_NEAR(run["total"]["cost_usd"].get<double>(), best["cost_usd"].get<double>(),
              1e-9 * planned);
}

TEST(PlanCli, SameAnswerOnAnyJobs) {
  // The bound's best-so-far changes only between fixed-size waves, so the JSON (which holds no
  // timing) is identical whatever the thread count.
  EXPECT_EQ(plan_json("--jobs 1").dump(), plan_json("--jobs 2").dump());
}

TEST(PlanCli, TextNamesTheOwnPlanAndTheOverrides) {
  const auto r = run_cli("plan " + kDense + " --top 2 --jobs 2");
  EXPECT_EQ(r.status, 0) << r.text;
  EXPECT_NE(r.text.find("candidate plans evaluated"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("trainsim run " + kDense + " --symmetric --set cluster.gpu=h100"),
            std::string::npos)
      << r.text;
  EXPECT_NE(r.text.find("the scenario's own plan"), std::string::npos) << r.text;
}

TEST(PlanCli, OutWritesTheJsonAndTheCsv) {
  const std::string dir = ::testing::TempDir() + "/plan-out";
  std::remove((dir + "/plan.json").c_str());
  std::remove((dir + "/plan.csv").c_str());
  const auto r = trainsim::test::run_shell("mkdir -p " + dir + " && " + TRAINSIM_CLI + " plan " +
                                           kDense + " --top 1 --jobs 2 --out " + dir);
  ASSERT_EQ(r.status, 0) << r.text;
  std::ifstream json(dir + "/plan.json"), csv(dir + "/plan.csv");
  std::stringstream js, cs;
  js << json.rdbuf();
  cs << csv.rdbuf();
  const auto j = nlohmann::json::parse(js.str());
  EXPECT_EQ(j["schema"], "trainsim.plan/1");
  // One CSV line per candidate under the header.
  std::size_t lines = 0;
  for (char ch : cs.str()) lines += ch == '\n' ? 1 : 0;
  EXPECT_EQ(lines, j["candidates"].size() + 1);
  // The page names the scenario and holds the chart of the simulated plans.
  std::ifstream html(dir + "/report.html");
  std::stringstream hs;
  hs << html.rdbuf();
  EXPECT_NE(hs.str().find("trainsim plan: small-dense-tp"), std::string::npos);
  EXPECT_NE(hs.str().find("Best plans"), std::string::npos);
  // plan-1.yaml is the scenario with the best plan's overrides applied: `trainsim run` on it
  // (the same symmetric simulation) gives the best plan's GPU-hours.
  const auto run = run_cli("run " + dir + "/plan-1.yaml --symmetric --json - 2>/dev/null");
  ASSERT_EQ(run.status, 0) << run.text;
  const double planned = j["candidates"][j["ranking"][0].get<std::size_t>()]["gpu_hours"];
  EXPECT_NEAR(nlohmann::json::parse(run.text)["total"]["gpu_hours"].get<double>(), planned,
              1e-9 * planned);
}

TEST(PlanCli, ABundledScenarioByNameAndStandardInput) {
  // The scenario argument as every command takes it: `small-dense-tp` is not bundled, so a name
  // and stdin are checked on the bundled V3, on 16 GPUs where no plan fits (exit 1), decided
  // before any simulation.
  auto r = run_cli("plan deepseek-v3 --gpus 16 --deadline 1h --json - 2>/dev/null");
  EXPECT_EQ(r.status, 1) << r.text;
  EXPECT_EQ(nlohmann::json::parse(r.text)["scenario"], "deepseek-v3");
  r = trainsim::test::run_shell(std::string(TRAINSIM_CLI) +
                                " plan - --gpus 16 --deadline 1h --json - < " +
                                TRAINSIM_SOURCE_DIR + "/scenarios/deepseek-v3.yaml 2>/dev/null");
  EXPECT_EQ(r.status, 1) << r.text;
  EXPECT_EQ(nlohmann::json::parse(r.text)["scenario"], "deepseek-v3");
}

TEST(PlanCli, ADeadlineNoPlanMeetsIsExitOneWithTheReason) {
  // 10B tokens of a 70B model: 6 · 70e9 · 10e9 = 4.2e21 FLOP; at 256 × 989 TFLOP/s that is at
  // least 4.6 hours, so a one-hour deadline prunes every plan on its bound.
  const auto r = run_cli("plan " + kDense + " --deadline 1h --json - 2>/dev/null");
  EXPECT_EQ(r.status, 1) << r.text;
  const auto j = nlohmann::json::parse(r.text);
  EXPECT_TRUE(j["ranking"].empty());
  EXPECT_GT(j["counts"]["bound"].get<int>(), 0);
}

TEST(PlanCli, BadOptionsGiveTheirMessages) {
  auto r = run_cli("plan " + kDense + " --objective speed");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.text.find("--objective must be 'cost', 'time' or 'gpus', not 'speed'"),
            std::string::npos)
      << r.text;
  r = run_cli("plan " + kDense + " --gpu h800");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.text.find("no price for h800: give --price h800="), std::string::npos) << r.text;
  r = run_cli("plan " + kDense + " --gpus 256,abc");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.text.find("--gpus: 'abc' is not a GPU count"), std::string::npos) << r.text;
  r = run_cli("plan " + kDense + " --gpus 512..256");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.text.find("the range is empty"), std::string::npos) << r.text;
  r = run_cli("plan " + kDense + " --schedules 1f1b,bogus");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.text.find("unknown pipeline schedule 'bogus'; valid: gpipe, 1f1b"), std::string::npos)
      << r.text;
  r = run_cli("plan " + kDense + " --price h800");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.text.find("--price: 'h800' is not GPU=USD_PER_HOUR"), std::string::npos) << r.text;
}

}  // namespace
