#include "reports/trace.hpp"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace trainsim::reports {

std::string step_trace_json(const sim::StepResult& step, const TraceOptions& options) {
  using Json = nlohmann::ordered_json;
  Json events = Json::array();
  std::set<int> ranks;
  std::map<std::string, int> threads = {{"compute", 1}, {"comm", 2}, {"dp", 3}};
  std::size_t written = 0;
  for (const auto& e : step.timeline) {
    if (written >= options.max_events) break;
    ranks.insert(e.rank);
    auto [it, inserted] = threads.try_emplace(e.stream, static_cast<int>(threads.size()) + 1);
    Json ev{{"name", e.name},
            {"cat", e.stream},
            {"ph", "X"},
            {"pid", e.rank},
            {"tid", it->second},
            {"ts", e.start_s * 1e6},
            {"dur", (e.end_s - e.start_s) * 1e6}};
    Json args = Json::object();
    if (e.micro_batch >= 0) args["micro_batch"] = e.micro_batch;
    if (e.chunk >= 0) args["chunk"] = e.chunk;
    ev["args"] = args;
    events.push_back(ev);
    ++written;
  }
  for (int r : ranks) {
    events.push_back({{"name", "process_name"},
                      {"ph", "M"},
                      {"pid", r},
                      {"args", {{"name", fmt::format("rank {}", r)}}}});
    for (const auto& [name, tid] : threads) {
      events.push_back({{"name", "thread_name"},
                        {"ph", "M"},
                        {"pid", r},
                        {"tid", tid},
                        {"args", {{"name", name}}}});
    }
  }
  Json j{{"traceEvents", events}, {"displayTimeUnit", "ms"}};
  j["otherData"] = {{"step_time_s", step.step_time_s},
                    {"truncated", written < step.timeline.size()},
                    {"events_written", written},
                    {"events_recorded", step.timeline.size()}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace trainsim::reports
