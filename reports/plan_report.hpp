#pragma once
// What `trainsim plan --out DIR` leaves beside plan.json and plan.csv: report.html with the plans
// whose whole runs were simulated as a chart of cost against days (one colour per GPU type, the
// cost–days frontier marked), the best plans' table with the `trainsim run` line that reproduces
// each, where the scenario's own plan ranks, and the pruning statistics (candidates per outcome).
// Plain data in, so the report does not depend on the search (sim/plan/plan_search.hpp).
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace trainsim::reports {

/// One plan whose whole run was simulated.
struct PlanReportPlan {
  std::string label;    ///< "h800 x2048 TP1 PP16 EP64 dualpipe recompute:selective ZeRO-1"
  std::string gpu;      ///< catalog GPU name
  std::string status;   ///< "ok", or why it lost ("deadline", "budget")
  std::string reason;   ///< for a plan that lost, with figures
  std::string command;  ///< the `trainsim run` line that reproduces it
  double gpu_hours = 0, cost_usd = 0, days = 0, mfu = 0;
  double memory_headroom = 0;  ///< least free share of HBM over the phases
  std::size_t rank = 0;        ///< 1 = best; 0 = not ranked (missed a constraint)
  bool frontier = false;       ///< on the Pareto frontier of cost against days
  bool published = false;      ///< the scenario's own plan
};

struct PlanReport {
  std::string scenario;  ///< its name
  std::string file;      ///< the scenario argument
  std::string objective;
  std::string constraints;  ///< "deadline 60 days, budget $6M", or ""
  std::size_t evaluated = 0, screened = 0, simulated = 0;
  double wall_s = 0;
  std::vector<std::pair<std::string, std::size_t>> outcomes;  ///< candidates per outcome
  std::vector<PlanReportPlan> plans;  ///< every simulated run, best ranked first
  std::size_t top = 5;                ///< ranked plans shown in the table
  std::string own_plan;               ///< where the scenario's own plan ranks, a sentence
  bool interrupted = false;
};

/// The page; scenario text is escaped. `assets_dir` as for html_page ("" = bundled).
std::string plan_html(const PlanReport& report, const std::string& assets_dir);

}  // namespace trainsim::reports
