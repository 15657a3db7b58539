#include "sim/replay/replay.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "core/error.hpp"
#include "scenarios/batch_schedule.hpp"

namespace trainsim::sim {
namespace {

struct PhasePlan {
  const scenarios::Phase* phase = nullptr;
  models::ParallelPlan plan;
  models::PrecisionPolicy precision;
  int gpus = 0;
  std::vector<scenarios::BatchSegment> segments;
  std::vector<std::int64_t> distinct;  ///< distinct batches, ascending
  std::vector<std::int64_t> simulate;  ///< the ones to simulate
  std::int64_t min_batch = 0;          ///< smallest valid batch (schedule minimum)
};

std::int64_t micro_batches(std::int64_t batch, const models::ParallelPlan& p) {
  return batch / (static_cast<std::int64_t>(p.dp) * p.micro_batch);
}

std::vector<std::int64_t> pick_points(const std::vector<std::int64_t>& valid, int max_points) {
  if (static_cast<int>(valid.size()) <= max_points) return valid;
  std::vector<std::int64_t> out;
  const std::int64_t lo = valid.front();
  const std::int64_t hi = valid.back();
  for (int i = 0; i < max_points; ++i) {
    const double target =
        static_cast<double>(lo) + static_cast<double>(hi - lo) * i / (max_points - 1);
    // Snap to the nearest valid batch.
    const auto it = std::lower_bound(valid.begin(), valid.end(),
                                     static_cast<std::int64_t>(std::llround(target)));
    std::int64_t pick = it == valid.end() ? valid.back() : *it;
    if (it != valid.begin() && it != valid.end()) {
      const std::int64_t below = *(it - 1);
      if (std::llabs(below - static_cast<std::int64_t>(target)) <
          std::llabs(pick - static_cast<std::int64_t>(target))) {
        pick = below;
      }
    }
    if (out.empty() || out.back() != pick) out.push_back(pick);
  }
  return out;
}

/// Linear interpolation of step time in micro-batch count between simulated points.
double interpolate(const std::map<std::int64_t, double>& simulated, std::int64_t batch) {
  const auto hi = simulated.lower_bound(batch);
  if (hi != simulated.end() && hi->first == batch) return hi->second;
  if (hi == simulated.begin())
    return hi->second * static_cast<double>(batch) / static_cast<double>(hi->first);
  const auto lo = std::prev(hi);
  if (hi == simulated.end())
    return lo->second * static_cast<double>(batch) / static_cast<double>(lo->first);
  const double f =
      static_cast<double>(batch - lo->first) / static_cast<double>(hi->first - lo->first);
  return lo->second + f * (hi->second - lo->second);
}

}  // namespace

std::int64_t batch_granule(const scenarios::Phase& phase, const models::ParallelPlan& plan,
                           const MicroBatchRule& rule) {
  const std::int64_t per_mb = static_cast<std::int64_t>(plan.dp) * plan.micro_batch;
  return phase.batch.ramped() ? per_mb * std::max<std::int64_t>(1, rule.multiple) : per_mb;
}

RunResult replay(const scenarios::Scenario& s, const StepFunction& step,
                 const MinMicroBatches& min_micro_batches, const ReplayOptions& options) {
  const auto wall_start = std::chrono::steady_clock::now();
  if (options.max_points_per_phase < 2) throw ModelError("max_points_per_phase must be at least 2");

  // 1. Plan every phase: segments and the batches to simulate.
  std::vector<PhasePlan> plans;
  for (const auto& ph : s.phases) {
    PhasePlan pp;
    pp.phase = &ph;
    pp.plan = ph.plan ? *ph.plan : s.plan;
    pp.precision = ph.precision ? *ph.precision : s.precision;
    pp.gpus = ph.gpus ? *ph.gpus : s.cluster.gpus;
    const MicroBatchRule rule = min_micro_batches(pp.plan);
    const std::int64_t per_mb = static_cast<std::int64_t>(pp.plan.dp) * pp.plan.micro_batch;
    pp.segments = scenarios::batch_segments(ph, batch_granule(ph, pp.plan, rule));
    for (const auto& seg : pp.segments) pp.distinct.push_back(seg.batch);
    std::sort(pp.distinct.begin(), pp.distinct.end());
    pp.distinct.erase(std::unique(pp.distinct.begin(), pp.distinct.end()), pp.distinct.end());
    pp.min_batch = std::max<std::int64_t>(per_mb, rule.min * per_mb);
    std::vector<std::int64_t> valid;
    for (std::int64_t b : pp.distinct) {
      if (b >= pp.min_batch) valid.push_back(b);
    }
    if (valid.empty() && !pp.distinct.empty()) valid.push_back(pp.min_batch);
    pp.simulate = pick_points(valid, options.max_points_per_phase);
    plans.push_back(std::move(pp));
  }

  // 2. Simulate every requested (phase, batch) — independent, so optionally in parallel.
  struct Job {
    std::size_t phase;
    std::int64_t batch;
    StepResult result;
  };
  std::vector<Job> jobs;
  for (std::size_t i = 0; i < plans.size(); ++i) {
    for (std::int64_t b : plans[i].simulate) jobs.push_back({i, b, {}});
  }
  std::atomic<std::size_t> finished{0};
  auto run_job = [&](Job& job) {
    const PhasePlan& pp = plans[job.phase];
    StepRequest req{&s, pp.phase, pp.plan, pp.precision, pp.gpus, job.batch};
    job.result = step(req);
    const std::size_t done = ++finished;
    if (options.progress) options.progress(done, jobs.size());
  };
  const int workers = std::max(1, std::min<int>(options.jobs, static_cast<int>(jobs.size())));
  if (workers == 1) {
    for (auto& j : jobs) run_job(j);
  } else {
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> pool;
    std::exception_ptr failure;
    std::mutex failure_mutex;
    for (int w = 0; w < workers; ++w) {
      pool.emplace_back([&] {
        for (std::size_t k = next++; k < jobs.size(); k = next++) {
          try {
            run_job(jobs[k]);
          } catch (...) {
            std::lock_guard<std::mutex> lock(failure_mutex);
            if (!failure) failure = std::current_exception();
          }
        }
      });
    }
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
  }

  // 3. Integrate each phase.
  RunResult run;
  run.scenario = s.name;
  run.description = s.description;
  run.gpu = s.cluster.gpu.name;
  run.gpus = s.cluster.gpus;
  run.price_per_gpu_hour = s.price_per_gpu_hour;
  run.assumptions = s.assumptions;
  run.published_gpu_hours = s.published.gpu_hours;
  run.published_cost_usd = s.published.cost_usd;
  run.published_source = s.published.source;
  run.overrides = s.overrides;
  double total_model_flops = 0;
  double total_peak_gpu_s = 0;
  for (std::size_t i = 0; i < plans.size(); ++i) {
    const PhasePlan& pp = plans[i];
    PhaseResult pr;
    pr.name = pp.phase->name;
    pr.group = pp.phase->group;
    pr.gpus = pp.gpus;
    pr.seq_len = pp.phase->seq_len;
    pr.note = pp.phase->note;
    std::map<std::int64_t, double> simulated;
    std::map<std::int64_t, const StepResult*> by_batch;
    for (const auto& job : jobs) {
      if (job.phase != i) continue;
      by_batch[job.batch] = &job.result;
      if (!job.result.infeasible_reason.empty()) {
        pr.feasible = false;
        pr.infeasible_reason =
            fmt::format("at batch {}: {}", job.batch, job.result.infeasible_reason);
      }
      simulated[job.batch] = job.result.step_time_s;
    }
    if (by_batch.empty() && pp.segments.empty()) {
      run.phases.push_back(std::move(pr));  // a phase of zero tokens: zero steps, zero cost
      continue;
    }
    if (by_batch.empty()) {
      pr.feasible = false;
      pr.infeasible_reason = "no batch could be simulated";
    }
    if (!pr.feasible) {
      if (!by_batch.empty()) pr.representative = *by_batch.rbegin()->second;
      run.phases.push_back(std::move(pr));
      continue;
    }
    const StepResult& rep = *by_batch.rbegin()->second;
    pr.representative = rep;
    // Per-micro-batch time at the smallest simulated batch, for extrapolation below the minimum.
    const auto smallest = simulated.begin();
    double extrapolated_tokens = 0;
    double model_flops = 0;
    for (const auto& seg : pp.segments) {
      BatchPoint bp;
      bp.batch = seg.batch;
      bp.steps = static_cast<double>(scenarios::step_count(seg));  // a count (partial step: 1)
      if (seg.batch < pp.min_batch) {
        bp.extrapolated = true;
        bp.simulated = false;
        bp.step_time_s = smallest->second * static_cast<double>(micro_batches(seg.batch, pp.plan)) /
                         static_cast<double>(micro_batches(smallest->first, pp.plan));
        extrapolated_tokens += seg.tokens;
      } else {
        bp.simulated = simulated.count(seg.batch) > 0;
        bp.step_time_s = interpolate(simulated, seg.batch);
      }
      pr.wall_s += bp.step_time_s * seg.steps;  // a partial last step for its fraction
      pr.steps += bp.steps;
      pr.tokens += seg.tokens;
      // Model FLOPs scale with tokens at fixed sequence length.
      model_flops += rep.tokens > 0 ? rep.model_flops / rep.tokens * seg.tokens : 0.0;
      pr.batches.push_back(bp);
    }
    if (extrapolated_tokens > 0) {
      const std::string msg = fmt::format(
          "{:.3g}% of this phase's tokens ran at batches below the {} schedule's minimum of {} "
          "sequences; their step time is extrapolated per micro-batch from the {}-sequence step",
          100.0 * extrapolated_tokens / pr.tokens, pp.plan.schedule, pp.min_batch, smallest->first);
      // Notes are sentences or clauses: a sentence is followed by a new one, a clause by "; ".
      const bool sentence = !pr.note.empty() && pr.note.back() == '.';
      pr.note = pr.note.empty() ? msg : pr.note + (sentence ? " " : "; ") + msg;
    }
    pr.step_time_s = pr.steps > 0 ? pr.wall_s / pr.steps : 0;  // mean over the phase's steps
    pr.gpu_hours = pr.wall_s * pr.gpus / 3600.0;
    pr.cost_usd = pr.gpu_hours * s.price_per_gpu_hour;
    pr.tokens_per_gpu_s = pr.wall_s > 0 ? pr.tokens / (pr.wall_s * pr.gpus) : 0;
    pr.model_flops = model_flops;
    const double peak_gpu_s = pr.wall_s * pr.gpus * rep.peak_flops;
    pr.mfu = peak_gpu_s > 0 ? model_flops / peak_gpu_s : 0;
    total_model_flops += model_flops;
    total_peak_gpu_s += peak_gpu_s;
    run.total_gpu_hours += pr.gpu_hours;
    run.total_cost_usd += pr.cost_usd;
    run.total_wall_s += pr.wall_s;
    run.total_tokens += pr.tokens;
    if (run.cost_model.empty()) {
      run.cost_model = rep.cost_model;
      run.calibration = rep.calibration;
    }
    run.phases.push_back(std::move(pr));
  }
  run.mfu = total_peak_gpu_s > 0 ? total_model_flops / total_peak_gpu_s : 0;

  for (const auto& pr : run.phases) {
    auto it = std::find_if(run.groups.begin(), run.groups.end(),
                           [&](const GroupResult& g) { return g.group == pr.group; });
    if (it == run.groups.end()) {
      run.groups.push_back({pr.group, 0, 0, 0, std::nullopt});
      it = std::prev(run.groups.end());
    }
    it->gpu_hours += pr.gpu_hours;
    it->cost_usd += pr.cost_usd;
    it->wall_s += pr.wall_s;
  }
  for (const auto& [group, hours] : s.published.group_gpu_hours) {
    for (auto& g : run.groups) {
      if (g.group == group) g.published_gpu_hours = hours;
    }
  }
  run.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return run;
}

}  // namespace trainsim::sim
