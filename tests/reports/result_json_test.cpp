#include "reports/result_json.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace trainsim::reports {
namespace {

sim::RunResult fake_run() {
  sim::RunResult r;
  r.scenario = "fake";
  r.gpus = 2048;
  r.total_gpu_hours = 2.5e6;
  r.total_cost_usd = 5e6;
  r.total_wall_s = 50 * 86400.0;
  r.published_gpu_hours = 2.788e6;
  sim::PhaseResult p;
  p.name = "pre-training";
  p.group = "pre-training";
  p.steps = 242788;
  p.step_time_s = 16.1;
  p.gpu_hours = 2.2e6;
  p.mfu = 0.47;
  p.representative.step_time_s = 16.1;
  p.representative.compute_by_kind_s = {{"gemm", 9.0}, {"attention", 1.2}};
  p.representative.wall_s = 1.234;  // host timing: must not appear by default
  r.phases.push_back(p);
  r.groups.push_back({"pre-training", 2.2e6, 4.4e6, 45 * 86400.0, 2.664e6});
  r.wall_s = 9.9;
  return r;
}

TEST(ResultJson, StableKeysArePresent) {
  const auto j = nlohmann::json::parse(run_to_json(fake_run()));
  EXPECT_EQ(j.at("schema"), "trainsim.run/1");
  EXPECT_DOUBLE_EQ(j.at("total").at("gpu_hours").get<double>(), 2.5e6);
  EXPECT_DOUBLE_EQ(j.at("total").at("wall_days").get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(j.at("published").at("ratio_gpu_hours").get<double>(), 2.5e6 / 2.788e6);
  const auto& p = j.at("phases")[0];
  for (const char* k : {"name", "steps", "mean_step_time_s", "gpu_hours", "mfu", "step"})
    EXPECT_TRUE(p.contains(k)) << k;
  EXPECT_DOUBLE_EQ(j.at("groups")[0].at("ratio").get<double>(), 2.2e6 / 2.664e6);
}

TEST(ResultJson, ByteIdenticalAndFreeOfHostTimingByDefault) {
  const std::string a = run_to_json(fake_run());
  EXPECT_EQ(a, run_to_json(fake_run()));
  EXPECT_EQ(a.find("wall_s"), std::string::npos);
  JsonOptions timing;
  timing.include_timing = true;
  EXPECT_NE(run_to_json(fake_run(), timing).find("wall_s"), std::string::npos);
}

TEST(ResultJson, HostileNamesStayValidJson) {
  sim::RunResult r = fake_run();
  r.scenario = "</script><script>alert(\"x\")</script>\n";
  const auto j = nlohmann::json::parse(run_to_json(r));
  EXPECT_EQ(j.at("scenario"), r.scenario);
}

TEST(ResultJson, StepJson) {
  sim::StepResult s;
  s.step_time_s = 2.0;
  s.ranks.push_back({3, 1, 1.0, 0.5, 0.2, 0.8, {}});
  JsonOptions o;
  o.include_ranks = true;
  const auto j = nlohmann::json::parse(step_to_json(s, o));
  EXPECT_EQ(j.at("schema"), "trainsim.step/1");
  EXPECT_EQ(j.at("ranks")[0].at("rank"), 3);
}

}  // namespace
}  // namespace trainsim::reports
