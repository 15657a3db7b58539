#include "sim/replay/goodput.hpp"

#include <cmath>

#include "core/error.hpp"

namespace trainsim::sim {

void apply_goodput(RunResult& run, const GoodputInputs& in) {
  run.goodput = GoodputResult{};
  if (!in.enabled) return;
  if (!(in.failures_per_gpu_day >= 0) || !(in.checkpoint_interval_s > 0) ||
      !(in.checkpoint_write_s >= 0) || !(in.restart_s >= 0)) {
    throw ModelError(
        "goodput inputs must be finite and non-negative, with a positive checkpoint interval");
  }
  GoodputResult g;
  g.enabled = true;
  g.basis = in.basis;
  double ideal_gpu_s = 0;
  double lost_gpu_s = 0;
  for (const auto& p : run.phases) {
    const double lambda = in.failures_per_gpu_day * p.gpus / 86400.0;  // per second, whole job
    const double n = lambda * p.wall_s;
    const double lost = n * (in.restart_s + in.checkpoint_interval_s / 2.0);
    const double ckpt = p.wall_s / in.checkpoint_interval_s * in.checkpoint_write_s;
    g.interruptions += n;
    g.lost_s += lost;
    g.checkpoint_s += ckpt;
    ideal_gpu_s += p.wall_s * p.gpus;
    lost_gpu_s += (lost + ckpt) * p.gpus;
  }
  const double total = run.total_wall_s + g.lost_s + g.checkpoint_s;
  g.goodput = total > 0 ? run.total_wall_s / total : 1.0;
  g.gpu_hours_with_failures = (ideal_gpu_s + lost_gpu_s) / 3600.0;
  run.goodput = g;
}

double optimal_checkpoint_interval_s(const GoodputInputs& in, int gpus) {
  const double lambda = in.failures_per_gpu_day * gpus / 86400.0;
  if (lambda <= 0) return INFINITY;
  return std::sqrt(2.0 * in.checkpoint_write_s / lambda);
}

}  // namespace trainsim::sim
