#include "sim/plan/plan_search.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/parallel_points.hpp"
#include "hardware/catalog.hpp"
#include "models/accounting.hpp"
#include "models/memory.hpp"
#include "scenarios/scenario_loader.hpp"
#include "scenarios/scenario_source.hpp"
#include "sim/plan/compute_floor.hpp"
#include "sim/schedules/schedule.hpp"
#include "sim/simulate.hpp"

namespace trainsim::sim::plan {
namespace {

/// Candidates simulated between two updates of the best-so-far (fixed, so that which candidates
/// the bound prunes does not depend on --jobs).
constexpr std::size_t kWave = 8;

/// Extra matmul FLOP of a recompute policy over 6·N per token: full recompute runs each layer's
/// forward again in backward, 2·N more (Korthikanti et al. 2022, arXiv 2205.05198 §4: 8·N
/// instead of 6·N); selective and core-attention recompute re-run only norms, activations,
/// up-projections or the attention core, counted as nothing here so that the bound stays a lower
/// bound.
double recompute_factor(models::Recompute r) {
  return r == models::Recompute::Full ? 8.0 / 6.0 : 1.0;
}

/// The 1F1B fill-and-drain factor of a phase's final batch, (m + (pp − 1)/v) / m for m
/// micro-batches per DP rank (Narayanan et al. 2021, arXiv 2104.04473 §2.2): every pipeline rank
/// idles (pp − 1)/v micro-batch times per step. A ramp's earlier, smaller batches idle a larger
/// share, so the final batch's factor keeps a bound below the truth; DualPipe's and the
/// zero-bubble schedules' smaller bubbles are not credited (factor 1).
double fill_drain_factor(const scenarios::Phase& ph, const models::ParallelPlan& p) {
  const double m = static_cast<double>(ph.batch.end) / (static_cast<double>(p.dp) * p.micro_batch);
  const bool fill_drain = p.schedule == "1f1b" || p.schedule == "interleaved-1f1b";
  return fill_drain && m >= 1 ? (m + (p.pp - 1.0) / std::max(1, p.virtual_stages)) / m : 1.0;
}

/// Lower bound on one phase's wall seconds from its FLOP alone: its model FLOP at the GEMM
/// dtype's dense peak on every GPU.
double ideal_phase_s(const scenarios::Scenario& s, const scenarios::Phase& ph) {
  const models::ParallelPlan& p = ph.plan ? *ph.plan : s.plan;
  const models::PrecisionPolicy& prec = ph.precision ? *ph.precision : s.precision;
  const int gpus = ph.gpus ? *ph.gpus : s.cluster.gpus;
  const auto fpt = models::flops_per_token(s.model, ph.seq_len);
  const double flop = ph.tokens * (fpt.matmul * recompute_factor(p.recompute) + fpt.attention);
  const double peak = s.cluster.gpu.peak(prec.gemm);
  if (peak <= 0 || gpus <= 0) return 0;
  return flop / (static_cast<double>(gpus) * peak);
}

/// Lower bound on the heaviest rank's model states: the mean over the PP ranks of the whole
/// model's weights, gradients, master weights and moments under the plan's TP/EP/ZeRO sharding.
double states_bound_bytes(const scenarios::Scenario& s, const scenarios::Phase& ph,
                          const models::ParallelPlan& p, const models::PrecisionPolicy& prec) {
  models::StageMemoryInput in;
  in.layers = {0, s.model.layers + s.model.mtp_depth};
  in.embedding = true;
  in.head = true;
  in.seq_len = ph.seq_len;  // the states do not depend on it; the op context checks CP with it
  in.gpus_per_node = s.cluster.node.gpus_per_node;
  const auto m = models::stage_memory(s.model, p, prec, in);
  return m.states() / p.pp;
}

std::string gb(double bytes) {
  return fmt::format("{:.1f} GB", bytes / 1e9);
}

/// The rules a phase's plan must pass before it is simulated, in order: the model states alone
/// fit (states_bound_bytes), the op list and the schedule accept it and its busiest rank's states
/// and activations in flight fit (compute_floor.hpp). Sets the candidate's status and reason and
/// returns false on the first that fails; `floor` gets the phase's floor.
bool phase_passes(const scenarios::Scenario& s, std::size_t index, ComputeFloor& floors,
                  PlanCandidate& c, PhaseFloor& floor) {
  const scenarios::Phase& ph = s.phases[index];
  const auto& p = ph.plan ? *ph.plan : s.plan;
  const double states = states_bound_bytes(s, ph, p, ph.precision ? *ph.precision : s.precision);
  const auto& gpu = s.cluster.gpu;
  if (states > gpu.hbm_bytes) {
    c.status = "memory";
    c.reason = fmt::format(
        "{}: the model states alone need at least {} per GPU (weights, gradients, optimizer over "
        "{} pipeline ranks) but {} has {}",
        ph.name, gb(states), p.pp, gpu.name, gb(gpu.hbm_bytes));
    return false;
  }
  floor = floors.phase(s, index);
  if (!floor.problem.empty()) {  // what the step would say, without simulating it
    c.status = "infeasible";
    c.reason = fmt::format("{}: {}", ph.name, floor.problem);
    return false;
  }
  if (floor.min_memory_bytes > gpu.hbm_bytes) {
    c.status = "memory";
    c.reason = fmt::format(
        "{}: needs at least {} per GPU (pipeline rank {}: states {}, activations in flight {}) "
        "but {} has {}",
        ph.name, gb(floor.min_memory_bytes), floor.min_memory_rank, gb(floor.min_memory_states),
        gb(floor.min_memory_activations), gpu.name, gb(gpu.hbm_bytes));
    return false;
  }
  return true;
}

/// A candidate's description and the `--set` overrides that give `p` on `gpus` GPUs of `type`
/// (DP as `auto`: it fills the cluster).
PlanCandidate candidate_of(const std::string& type, int gpus, const models::ParallelPlan& p,
                           double price_per_gpu_hour) {
  PlanCandidate c;
  c.gpu = type;
  c.gpus = gpus;
  c.tp = p.tp;
  c.pp = p.pp;
  c.ep = p.ep;
  c.schedule = p.schedule;
  c.virtual_stages = p.virtual_stages;
  c.recompute = models::recompute_name(p.recompute);
  c.zero = p.zero;
  c.micro_batch = p.micro_batch;
  c.price_per_gpu_hour = price_per_gpu_hour;
  c.sets = {"cluster.gpu=" + type,
            fmt::format("cluster.gpus={}", gpus),
            "parallelism.dp=auto",
            fmt::format("parallelism.tp={}", p.tp),
            fmt::format("parallelism.pp={}", p.pp),
            fmt::format("parallelism.ep={}", p.ep),
            "parallelism.schedule=" + p.schedule,
            fmt::format("parallelism.virtual_stages={}", p.virtual_stages),
            fmt::format("parallelism.recompute={}", c.recompute),
            fmt::format("parallelism.zero={}", p.zero),
            fmt::format("parallelism.micro_batch={}", p.micro_batch)};
  if (p.expert_tp != 1) c.sets.push_back(fmt::format("parallelism.expert_tp={}", p.expert_tp));
  return c;
}

/// Whether two plans agree on every field the search varies.
bool same_searched_fields(const models::ParallelPlan& a, const models::ParallelPlan& b) {
  return a.tp == b.tp && a.pp == b.pp && a.ep == b.ep && a.schedule == b.schedule &&
         a.virtual_stages == b.virtual_stages && a.recompute == b.recompute && a.zero == b.zero &&
         a.micro_batch == b.micro_batch;
}

struct Space {
  std::vector<int> tp, pp, ep;
  std::vector<std::pair<std::string, int>> schedules;  ///< name, virtual stages
  std::vector<models::Recompute> recompute;
  std::vector<int> zero;
  std::vector<int> micro_batch;  ///< sequences per micro-batch
};

Space search_space(const scenarios::Scenario& base, const std::vector<std::string>& schedules) {
  Space sp;
  for (int t = 1; t <= base.cluster.node.gpus_per_node && t <= 8; t *= 2) sp.tp.push_back(t);
  for (int q = 1; q <= 32 && q <= base.model.layers; q *= 2) sp.pp.push_back(q);
  if (base.model.is_moe()) {
    for (int e = 1; e <= base.model.moe.routed_experts; e *= 2) {
      if (base.model.moe.routed_experts % e == 0) sp.ep.push_back(e);
    }
  } else {
    sp.ep.push_back(1);
  }
  // By default the three schedules that bound the others' behaviour (plain 1F1B, interleaved,
  // DualPipe); --schedules widens or narrows it (zb1p and dualpipev add 1.7x the candidates).
  std::vector<std::string> names = schedules;
  if (names.empty()) names = {"1f1b", "interleaved-1f1b", "dualpipe"};
  for (const auto& n : names) {
    schedules::make_schedule(n);  // an unknown name is the registry's error, listing the valid
    sp.schedules.emplace_back(n, n == "interleaved-1f1b" ? 2 : 1);
  }
  const std::pair<std::string, int> own{base.plan.schedule, base.plan.virtual_stages};
  if (std::find(sp.schedules.begin(), sp.schedules.end(), own) == sp.schedules.end())
    sp.schedules.push_back(own);
  sp.recompute = {models::Recompute::None, models::Recompute::Selective, models::Recompute::Full};
  sp.zero = {1, 2};
  // One and two sequences per micro-batch (fewer, larger GEMMs against more activation memory
  // and a longer pipeline fill per micro-batch), and the scenario's own.
  sp.micro_batch = {1, 2};
  if (base.plan.micro_batch > 2) sp.micro_batch.push_back(base.plan.micro_batch);
  return sp;
}

bool better(const PlanCandidate& a, const PlanCandidate& b, Objective o) {
  const double va = objective_value(a, o), vb = objective_value(b, o);
  if (va != vb) return va < vb;
  if (a.cost_usd != b.cost_usd) return a.cost_usd < b.cost_usd;
  return a.days < b.days;
}

}  // namespace

double objective_value(const PlanCandidate& c, Objective objective) {
  switch (objective) {
    case Objective::Time:
      return c.days;
    case Objective::Gpus:
      return static_cast<double>(c.gpus);
    case Objective::Cost:
      break;
  }
  return c.cost_usd;
}

PlanSearchResult search_plans(const std::string& file, const PlanSearchOptions& opt) {
  const auto wall_start = std::chrono::steady_clock::now();
  // The scenario argument as every command takes it: a file, `-` (standard input, read once) or
  // a bundled scenario's name (scenarios/scenario_source.hpp).
  const std::size_t max_bytes = YamlLimits{}.max_bytes;
  const bool from_stdin = file == kStdinPath;
  const std::string origin =
      from_stdin ? std::string(kStdinName) : scenarios::resolve_scenario_path(file);
  const std::string text =
      from_stdin ? scenarios::standard_input_text(max_bytes) : read_file(origin, max_bytes);
  const scenarios::Scenario base = scenarios::load_scenario_text(text, origin, {opt.base_sets});
  PlanSearchResult res;
  res.scenario = base.name;
  const auto& hw = hardware::HardwareCatalog::bundled();
  std::vector<std::string> types = opt.gpu_types;
  if (types.empty()) types.push_back(base.cluster.gpu.name);
  std::vector<int> counts = opt.gpu_counts;
  if (counts.empty()) counts.push_back(base.cluster.gpus);
  std::map<std::string, double> price;
  for (const auto& t : types) {
    if (!hw.has_gpu(t)) hw.gpu(t);  // throws, listing the catalog's GPUs
    if (auto it = opt.price.find(t); it != opt.price.end()) {
      price[t] = it->second;
    } else if (t == base.cluster.gpu.name) {
      price[t] = base.price_per_gpu_hour;
    } else {
      throw ModelError(fmt::format(
          "no price for {}: give --price {}=USD_PER_GPU_HOUR (the scenario prices only {} at ${})",
          t, t, base.cluster.gpu.name, base.price_per_gpu_hour));
    }
  }
  const bool balanced = base.moe_imbalance == 0 && base.moe_capacity_factor == 0;
  res.symmetric_note =
      balanced ? "each run simulated with --symmetric (one data-parallel replica; exact for "
                 "balanced experts on a non-blocking fabric)"
               : "each run simulated on every rank (moe.imbalance or capacity_factor > 0: "
                 "replicas differ, --symmetric would not be exact)";

  // 1. Generate in a fixed order; structural rules first (the loader's plan_problem on the plan
  // as the scenario would resolve it), then the whole loader on the survivors.
  const Space sp = search_space(base, opt.schedules);
  ComputeFloor floors;
  std::vector<scenarios::Scenario> loaded;  // by candidate index, for those that load
  std::vector<std::size_t> loaded_of;
  struct Screen {
    std::size_t main_phase = 0;  ///< the phase with the largest bound, screened first
    std::int64_t batch = 0;      ///< the largest batch the run simulates for it
    double others_bound_s = 0;   ///< the other phases' bounds
  };
  std::vector<Screen> screens;  // parallel to loaded
  for (const auto& type : types) {
    for (int gpus : counts) {
      hardware::ClusterSpec cluster = base.cluster;
      cluster.gpus = gpus;
      cluster.gpu = hw.gpu(type);
      scenarios::Scenario probe = base;  // the scenario on this cluster, with each plan in turn
      probe.cluster = cluster;
      for (int tp : sp.tp)
        for (int pp : sp.pp)
          for (int ep : sp.ep)
            for (const auto& [sched, v] : sp.schedules)
              for (auto rc : sp.recompute)
                for (int zero : sp.zero)
                  for (int mb : sp.micro_batch) {
                    models::ParallelPlan p = base.plan;
                    p.tp = tp;
                    p.pp = pp;
                    p.ep = ep;
                    p.schedule = sched;
                    p.virtual_stages = v;
                    p.recompute = rc;
                    p.zero = zero;
                    p.micro_batch = mb;
                    if (p.expert_tp != 1) p.expert_tp = tp;
                    PlanCandidate c = candidate_of(type, gpus, p, price[type]);
                    c.published = type == base.cluster.gpu.name && gpus == base.cluster.gpus &&
                                  same_searched_fields(p, base.plan);
                    p.dp_auto = true;
                    std::string why = scenarios::resolve_auto_dp(p, gpus);
                    if (why.empty()) why = scenarios::plan_problem(p, base.model, cluster);
                    if (!why.empty()) {
                      c.status = "structure";
                      c.reason = why;
                    } else {
                      // The phases that take the scenario's plan are checked before the loader
                      // runs (the same rules as after it, on the same plan): most candidates
                      // that fail do so here, and a load costs a parse.
                      probe.plan = p;
                      PhaseFloor f;
                      for (std::size_t ph = 0; ph < probe.phases.size(); ++ph) {
                        if (!probe.phases[ph].plan && !probe.phases[ph].gpus &&
                            !phase_passes(probe, ph, floors, c, f))
                          break;
                      }
                    }
                    res.candidates.push_back(std::move(c));
                  }
    }
  }
  // The loader on every structurally sound candidate, in parallel (each candidate's outcome is
  // its own, so the result does not depend on --jobs).
  for (std::size_t i = 0; i < res.candidates.size(); ++i) {
    if (res.candidates[i].published) res.published = i;
  }
  std::vector<std::size_t> to_load;
  for (std::size_t i = 0; i < res.candidates.size(); ++i) {
    if (res.candidates[i].status.empty()) to_load.push_back(i);
  }
  std::vector<std::optional<scenarios::Scenario>> loads(to_load.size());
  const PointsRun load_run = run_points(to_load.size(), std::max(1, opt.jobs), [&](std::size_t k) {
    PlanCandidate& c = res.candidates[to_load[k]];
    std::vector<std::string> sets = opt.base_sets;
    sets.insert(sets.end(), c.sets.begin(), c.sets.end());
    try {
      loads[k] = scenarios::load_scenario_text(text, origin, {sets});
    } catch (const ConfigError& e) {
      c.status = "structure";
      c.reason = e.detail();
    } catch (const Error& e) {
      c.status = "structure";
      c.reason = e.what();
    }
  });
  for (std::size_t k = 0; k < to_load.size(); ++k) {
    const std::size_t i = to_load[k];
    PlanCandidate& c = res.candidates[i];
    if (load_run.failures[k]) {
      c.status = "structure";
      c.reason = load_run.failures[k]->message;
    }
    if (!loads[k]) continue;
    scenarios::Scenario& s = *loads[k];
    // 2. Every phase's rules (phase_passes), then its bound: the larger of the ideal-FLOP time
    // (times the fill-and-drain factor) and the kernel floor (compute_floor.hpp).
    double bound = 0, main_bound = -1;
    std::size_t main = 0;
    std::int64_t main_batch = 0;
    for (std::size_t ph = 0; ph < s.phases.size(); ++ph) {
      PhaseFloor f;
      if (!phase_passes(s, ph, floors, c, f)) break;
      const scenarios::Phase& phase = s.phases[ph];
      const double b = std::max(
          ideal_phase_s(s, phase) * fill_drain_factor(phase, phase.plan ? *phase.plan : s.plan),
          f.wall_s);
      bound += b;
      if (b > main_bound) {
        main_bound = b;
        main = ph;
        main_batch = f.simulated_batch;
      }
    }
    if (!c.status.empty()) continue;
    c.lower_bound_days = bound / 86400.0;
    screens.push_back({main, main_batch, bound - main_bound});
    loaded_of.push_back(i);
    loaded.push_back(std::move(s));
  }

  // 3. Bound order, then waves.
  std::vector<std::size_t> order(loaded_of.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  auto bound_value = [&](const PlanCandidate& c) {
    const double gpu_hours = c.lower_bound_days * 24.0 * c.gpus;
    switch (opt.objective) {
      case Objective::Time:
        return c.lower_bound_days;
      case Objective::Gpus:
        return static_cast<double>(c.gpus);
      case Objective::Cost:
        break;
    }
    return gpu_hours * c.price_per_gpu_hour;
  };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return bound_value(res.candidates[loaded_of[a]]) < bound_value(res.candidates[loaded_of[b]]);
  });
  SimOptions so;
  so.symmetric = balanced;
  so.jobs = 1;
  std::optional<std::size_t> best;
  std::size_t done = 0;
  const std::size_t total = res.candidates.size();
  std::size_t pruned = total - order.size();
  std::size_t pos = 0;
  const int workers = std::max(1, opt.jobs);
  while (pos < order.size()) {
    if (opt.stop && opt.stop->load()) {
      res.interrupted = true;
      break;
    }
    // A candidate whose lower bound misses the deadline or the budget, or cannot beat the best
    // plan simulated so far, is not simulated further; `what` names the bound.
    auto pruned_by_bound = [&](PlanCandidate& c, const std::string& what) {
      const double lb_cost = c.lower_bound_days * 24.0 * c.gpus * c.price_per_gpu_hour;
      if (opt.deadline_days && c.lower_bound_days > *opt.deadline_days) {
        c.reason = fmt::format("{}: the run takes at least {:.1f} days (deadline {})", what,
                               c.lower_bound_days, *opt.deadline_days);
      } else if (opt.budget_usd && lb_cost > *opt.budget_usd) {
        c.reason = fmt::format("{}: the run costs at least ${:.0f} (budget ${:.0f})", what, lb_cost,
                               *opt.budget_usd);
      } else if (best && bound_value(c) > objective_value(res.candidates[*best], opt.objective)) {
        c.reason =
            fmt::format("{} ({:.4g}) cannot beat the best plan ({:.4g})", what, bound_value(c),
                        objective_value(res.candidates[*best], opt.objective));
      } else {
        return false;
      }
      c.status = "bound";
      ++pruned;
      ++done;
      return true;
    };
    std::vector<std::size_t> wave;
    for (; pos < order.size() && wave.size() < kWave; ++pos) {
      const std::size_t k = order[pos];
      if (!pruned_by_bound(res.candidates[loaded_of[k]], "its ideal-FLOP and kernel floor"))
        wave.push_back(k);
    }
    // Screen: one step of the candidate's largest phase at the largest batch its run simulates
    // (the final one, or the schedule's minimum below which the run extrapolates). Its time per
    // token is the phase's least (a smaller batch of the ramp amortises the pipeline fill and the
    // DP synchronisation over fewer micro-batches; an extrapolated one has the same), so tokens ×
    // it bounds the phase from below where the floor was loosest; an infeasible step is the
    // run's outcome as it is.
    std::vector<StepResult> screened(wave.size());
    const PointsRun screen_run = run_points(wave.size(), workers, [&](std::size_t w) {
      const std::size_t k = wave[w];
      screened[w] = simulate_step(loaded[k], screens[k].main_phase, screens[k].batch, so);
    });
    std::vector<std::size_t> full;
    for (std::size_t w = 0; w < wave.size(); ++w) {
      const std::size_t k = wave[w];
      PlanCandidate& c = res.candidates[loaded_of[k]];
      const scenarios::Phase& ph = loaded[k].phases[screens[k].main_phase];
      const StepResult& r = screened[w];
      ++res.screened;
      if (screen_run.failures[w]) {
        c.status = "error";
        c.reason = screen_run.failures[w]->message;
      } else if (!r.infeasible_reason.empty()) {
        c.status = r.fits_in_memory ? "infeasible" : "memory";
        c.reason = fmt::format("{}: at batch {}: {}", ph.name, r.global_batch, r.infeasible_reason);
      }
      if (!c.status.empty()) {
        ++done;
        continue;
      }
      const double main_s = r.tokens > 0 ? r.step_time_s * ph.tokens / r.tokens : 0;
      c.lower_bound_days =
          std::max(c.lower_bound_days, (main_s + screens[k].others_bound_s) / 86400.0);
      if (!pruned_by_bound(c, fmt::format("its screened bound ({}, one step at batch {}: {:.2f} s)",
                                          ph.name, r.global_batch, r.step_time_s)))
        full.push_back(k);
    }
    wave = std::move(full);
    auto work = [&](std::size_t w) {
      const std::size_t k = wave[w];
      PlanCandidate& c = res.candidates[loaded_of[k]];
      // Threads the wave's workers leave idle go to its runs' own phase replays (a run's result
      // does not depend on its thread count): a wave of one run gets every worker; of three on
      // two workers, the third run gets both once the first two are done.
      const std::size_t tail = wave.size() % static_cast<std::size_t>(workers);
      SimOptions run_so = so;
      run_so.jobs = wave.size() <= static_cast<std::size_t>(workers)
                        ? std::max(1, workers / static_cast<int>(wave.size()))
                    : w >= wave.size() - tail ? std::max(1, workers / static_cast<int>(tail))
                                              : 1;
      const RunResult run = simulate_run(loaded[k], run_so);
      c.simulated = true;
      c.gpu_hours = run.total_gpu_hours;
      c.cost_usd = run.total_cost_usd;
      c.days = run.total_wall_s / 86400.0;
      c.mfu = run.mfu;
      c.memory_headroom = 1.0;
      for (const auto& ph : run.phases) {
        if (!ph.feasible) {
          c.status = ph.representative.fits_in_memory ? "infeasible" : "memory";
          c.reason = fmt::format("{}: {}", ph.name, ph.infeasible_reason);
          break;
        }
        const auto& r = ph.representative;
        if (r.memory_capacity > 0) {
          c.memory_headroom = std::min(c.memory_headroom,
                                       (r.memory_capacity - r.memory.total()) / r.memory_capacity);
        }
      }
      if (!c.status.empty()) return;
      if (opt.deadline_days && c.days > *opt.deadline_days) {
        c.status = "deadline";
        c.reason = fmt::format("{:.1f} days, over the {} day deadline", c.days, *opt.deadline_days);
      } else if (opt.budget_usd && c.cost_usd > *opt.budget_usd) {
        c.status = "budget";
        c.reason = fmt::format("${:.0f}, over the ${:.0f} budget", c.cost_usd, *opt.budget_usd);
      } else {
        c.status = "ok";
      }
    };
    // Every exception is its candidate's (core/parallel_points.hpp): out of memory in one
    // simulation is that plan's outcome, not the end of the search.
    const PointsRun wave_run = run_points(wave.size(), workers, work);
    for (std::size_t w = 0; w < wave.size(); ++w) {
      if (!wave_run.failures[w]) continue;
      PlanCandidate& c = res.candidates[loaded_of[wave[w]]];
      c.status = "error";
      c.reason = wave_run.failures[w]->message;
    }
    for (std::size_t k : wave) {  // in wave order: the same best on any thread count
      const std::size_t i = loaded_of[k];
      ++res.simulated;
      ++done;
      if (res.candidates[i].status == "ok" &&
          (!best || better(res.candidates[i], res.candidates[*best], opt.objective)))
        best = i;
    }
    if (opt.progress) {
      opt.progress(done + (total - order.size()), total, pruned,
                   best ? objective_value(res.candidates[*best], opt.objective) : -1.0,
                   opt.progress_user);
    }
  }

  // Ranking, dominance and the cost-days frontier among the ok plans.
  for (std::size_t i = 0; i < res.candidates.size(); ++i) {
    if (res.candidates[i].status == "ok") res.ranking.push_back(i);
  }
  std::stable_sort(res.ranking.begin(), res.ranking.end(), [&](std::size_t a, std::size_t b) {
    return better(res.candidates[a], res.candidates[b], opt.objective);
  });
  for (std::size_t a : res.ranking) {
    PlanCandidate& ca = res.candidates[a];
    for (std::size_t b : res.ranking) {
      const PlanCandidate& cb = res.candidates[b];
      if (cb.cost_usd <= ca.cost_usd && cb.days <= ca.days &&
          (cb.cost_usd < ca.cost_usd || cb.days < ca.days)) {
        ca.dominated = true;
        break;
      }
    }
    ca.frontier = !ca.dominated;
  }
  for (auto& c : res.candidates) {
    if (c.status.empty()) c.status = "not reached";
    ++res.counts[c.status];
  }
  res.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return res;
}

}  // namespace trainsim::sim::plan
