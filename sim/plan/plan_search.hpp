#pragma once
// Capacity planning: searches the parallel plans of a scenario (GPU type and count, TP, PP, EP,
// schedule, recompute, ZeRO stage) for the cheapest, fastest or smallest one that meets a deadline
// and a budget. Every candidate is a list of `--set` overrides of the scenario file, so the loader
// (scenarios/scenario_loader.hpp) decides what is valid exactly as `trainsim run` would, and a
// reported plan is reproduced by `trainsim run FILE --symmetric` with the same overrides.
//
// Pruning, before any simulation, in this order (each counted):
//   1. structure: scenarios::plan_problem on the candidate plan (divisibility, TP within a node,
//      experts over EP, the schedule's shape rules), then the whole loader (every phase's plan,
//      batch and sequence rules);
//   2. memory: a lower bound on the heaviest rank's weights, gradients and optimizer states (the
//      mean over pipeline ranks of the whole model's states, models::stage_memory, which no
//      rank can be below the maximum of) above the GPU's HBM;
//   3. bound: the run's ideal time, model FLOP / (GPUs × the GEMM dtype's dense peak), gives a
//      lower bound on days and cost; a candidate whose bound misses the deadline or the budget,
//      or cannot beat the best plan simulated so far on the objective, is not simulated.
// Candidates are simulated in waves of a fixed size in bound order; the best-so-far used for the
// bound changes only between waves, so the result does not depend on the thread count.
#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace trainsim::sim::plan {

enum class Objective { Cost, Time, Gpus };

struct PlanSearchOptions {
  std::vector<std::string> base_sets;  ///< --set overrides applied before the candidate's
  std::vector<std::string> gpu_types;  ///< catalog GPU names; empty: the scenario's
  std::vector<int> gpu_counts;         ///< empty: the scenario's
  /// Pipeline schedules to try (interleaved-1f1b with 2 virtual stages), besides the scenario's
  /// own; empty: 1f1b, interleaved-1f1b and dualpipe.
  std::vector<std::string> schedules;
  std::map<std::string, double> price;  ///< USD per GPU-hour by GPU name; else the scenario's
  Objective objective = Objective::Cost;
  std::optional<double> deadline_days;
  std::optional<double> budget_usd;
  int jobs = 1;
  /// Set from another thread (Ctrl-C): no new wave starts; the result holds what finished.
  const std::atomic<bool>* stop = nullptr;
  /// Called after every wave (candidates done, pruned, best objective so far or < 0).
  void (*progress)(std::size_t done, std::size_t total, std::size_t pruned, double best,
                   void* user) = nullptr;
  void* progress_user = nullptr;
};

/// One candidate plan and what became of it.
struct PlanCandidate {
  std::string gpu;
  int gpus = 0;
  int tp = 1, pp = 1, ep = 1, virtual_stages = 1, zero = 1, micro_batch = 1;
  std::string schedule;
  std::string recompute;
  std::vector<std::string> sets;  ///< overrides after the base ones that give this plan
  /// "" while not decided; else structure, memory, bound, infeasible, deadline, budget, ok.
  std::string status;
  std::string reason;           ///< why it was pruned or lost, with figures
  double lower_bound_days = 0;  ///< ideal-FLOP bound on the whole run
  double price_per_gpu_hour = 0;
  bool simulated = false;
  double gpu_hours = 0, cost_usd = 0, days = 0, mfu = 0;
  double memory_headroom = 0;  ///< min over phases of (HBM − peak use) / HBM, simulated
  bool published = false;      ///< the scenario's own plan (on its own GPU and count)
  bool dominated = false;      ///< another ok plan is no costlier and no slower, one strictly
  bool frontier = false;       ///< on the Pareto frontier of cost against days
};

struct PlanSearchResult {
  std::string scenario;                       ///< the scenario's name
  std::vector<PlanCandidate> candidates;      ///< every candidate, in generation order
  std::vector<std::size_t> ranking;           ///< indices of `ok` candidates, best first
  std::map<std::string, std::size_t> counts;  ///< candidates per status
  std::size_t screened = 0;   ///< candidates whose largest phase had one step simulated
  std::size_t simulated = 0;  ///< candidates whose whole run was simulated
  bool interrupted = false;
  double wall_s = 0;
  std::optional<std::size_t> published;  ///< index of the scenario's own plan, if generated
  std::string symmetric_note;            ///< how the runs were simulated
};

/// Searches the plans of the scenario at `file`. Throws ConfigError if the base scenario (with
/// base_sets) does not load, ModelError for an unknown GPU or a GPU without a price.
PlanSearchResult search_plans(const std::string& file, const PlanSearchOptions& options);

/// The objective's value of a simulated candidate (lower is better).
double objective_value(const PlanCandidate& c, Objective objective);

}  // namespace trainsim::sim::plan
