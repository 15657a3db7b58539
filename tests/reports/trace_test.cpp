#include "reports/trace.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace trainsim::reports {
namespace {

sim::StepResult step_with_timeline(int events) {
  sim::StepResult s;
  s.step_time_s = 1.0;
  for (int i = 0; i < events; ++i)
    s.timeline.push_back({i % 2, i % 3 ? "compute" : "comm", "F", i, 0, i * 1e-3, i * 1e-3 + 5e-4});
  return s;
}

TEST(Trace, IsTraceEventJsonWithProcessesAndThreadsNamed) {
  const auto j = nlohmann::json::parse(step_trace_json(step_with_timeline(10)));
  int complete = 0, meta = 0;
  for (const auto& e : j.at("traceEvents")) {
    if (e.at("ph") == "X") {
      ++complete;
      EXPECT_GE(e.at("dur").get<double>(), 0.0);
      EXPECT_TRUE(e.contains("ts") && e.contains("pid") && e.contains("tid"));
    } else if (e.at("ph") == "M") {
      ++meta;
    }
  }
  EXPECT_EQ(complete, 10);
  EXPECT_GT(meta, 0);
  EXPECT_FALSE(j.at("otherData").at("truncated").get<bool>());
}

TEST(Trace, LargeTimelinesAreCutAndSaySo) {
  TraceOptions o;
  o.max_events = 5;
  const auto j = nlohmann::json::parse(step_trace_json(step_with_timeline(100), o));
  EXPECT_TRUE(j.at("otherData").at("truncated").get<bool>());
  EXPECT_EQ(j.at("otherData").at("events_written"), 5);
}

}  // namespace
}  // namespace trainsim::reports
