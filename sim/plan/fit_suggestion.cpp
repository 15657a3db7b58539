#include "sim/plan/fit_suggestion.hpp"

#include <fmt/format.h>

#include <functional>
#include <vector>

#include "core/error.hpp"
#include "scenarios/scenario_loader.hpp"
#include "sim/simulate.hpp"

namespace trainsim::sim::plan {

namespace {
struct Change {
  std::string sets;                                  ///< without the key prefix's "--set"
  std::function<bool(models::ParallelPlan&)> apply;  ///< false: not applicable to this plan
};
}  // namespace

FitSuggestion fit_suggestion(const scenarios::Scenario& base, std::size_t phase_index) {
  FitSuggestion best;
  const scenarios::Phase& ph0 = base.phases.at(phase_index);
  const bool own = ph0.plan.has_value();
  const std::string prefix =
      own ? fmt::format("--set phases[{}].parallelism.", phase_index) : "--set parallelism.";
  const models::ParallelPlan& p0 = own ? *ph0.plan : base.plan;
  const int gpus = ph0.gpus ? *ph0.gpus : base.cluster.gpus;
  // Doubling one degree: dp: auto refills the cluster; an explicit dp halves.
  const auto doubled = [&](const char* key, int models::ParallelPlan::*field) {
    Change c;
    c.sets = fmt::format("{}{}={}", prefix, key, p0.*field * 2);
    if (!p0.dp_auto && std::string_view(key) != "ep")
      c.sets += fmt::format(" {}dp={}", prefix, p0.dp / 2);
    c.apply = [&, field, key](models::ParallelPlan& p) {
      p.*field *= 2;
      if (std::string_view(key) == "ep") return true;
      if (p.dp_auto) return scenarios::resolve_auto_dp(p, gpus).empty();
      if (p.dp % 2 != 0) return false;
      p.dp /= 2;
      return true;
    };
    return c;
  };
  std::vector<Change> changes;
  if (p0.recompute == models::Recompute::None) {
    changes.push_back({prefix + "recompute=selective", [](models::ParallelPlan& p) {
                         p.recompute = models::Recompute::Selective;
                         return true;
                       }});
  }
  if (p0.recompute != models::Recompute::Full) {
    changes.push_back({prefix + "recompute=full", [](models::ParallelPlan& p) {
                         p.recompute = models::Recompute::Full;
                         return true;
                       }});
  }
  if (p0.zero < 2) {
    changes.push_back({prefix + "zero=2", [](models::ParallelPlan& p) {
                         p.zero = 2;
                         return true;
                       }});
  }
  changes.push_back(doubled("pp", &models::ParallelPlan::pp));
  changes.push_back(doubled("tp", &models::ParallelPlan::tp));
  if (base.model.is_moe()) changes.push_back(doubled("ep", &models::ParallelPlan::ep));

  SimOptions so;
  so.symmetric = symmetric_shortcut_problem(base).empty();
  for (const Change& c : changes) {
    scenarios::Scenario s = base;
    scenarios::Phase& ph = s.phases[phase_index];
    models::ParallelPlan& p = own ? *ph.plan : s.plan;
    if (!c.apply(p)) continue;
    hardware::ClusterSpec cluster = s.cluster;
    cluster.gpus = gpus;
    // A valid plan by the loader's rules, for this phase's batches too.
    if (!scenarios::plan_problem(p, s.model, cluster).empty()) continue;
    if (!scenarios::batch_problem(ph.batch.end, p).empty()) continue;
    StepResult r;
    try {
      r = simulate_step(s, phase_index, 0, so);
    } catch (const Error&) {
      continue;
    }
    ++best.tried;
    if (!r.infeasible_reason.empty() || !r.fits_in_memory) continue;
    if (best.sets.empty() || r.step_time_s < best.step_time_s) {
      best.sets = c.sets;
      best.step_time_s = r.step_time_s;
      best.memory_bytes = r.memory.total();
    }
  }
  return best;
}

std::string fit_suggestion_text(const FitSuggestion& s, double hbm_bytes) {
  if (s.sets.empty()) {
    return fmt::format("no single change of recompute, ZeRO, PP, TP or EP fits ({} tried)",
                       s.tried);
  }
  return fmt::format(
      "fits with {} ({:.1f} of {:.1f} GB per GPU, one step {:.2f} s; the fastest "
      "of {} single changes tried)",
      s.sets, s.memory_bytes / 1e9, hbm_bytes / 1e9, s.step_time_s, s.tried);
}

}  // namespace trainsim::sim::plan
