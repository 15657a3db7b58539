#pragma once
// Expected time lost to failures, reported apart from the ideal run (the published DeepSeek-V3
// figure excludes it). First-order model with a constant failure rate λ (interruptions/s for the
// whole job) over the ideal wall time W, checkpoint interval τ, checkpoint write time c (blocking)
// and restart time r:
//   interruptions   N = λ·W
//   lost per event      r + τ/2        (restart, then redo on average half an interval)
//   checkpoint time     (W/τ)·c
//   goodput             W / (W + N·(r + τ/2) + (W/τ)·c)
// Young/Daly's interval that minimises the loss is τ* = sqrt(2c/λ) (reported as a hint).
#include <string>

#include "sim/replay/run_result.hpp"

namespace trainsim::sim {

struct GoodputInputs {
  bool enabled = false;
  /// Unexpected interruptions per GPU per day. Default: Llama 3 §3.3.4, 419 unexpected
  /// interruptions in a 54-day snapshot on 16,384 GPUs → 419 / (54 · 16,384) = 4.74e-4.
  double failures_per_gpu_day = 419.0 / (54.0 * 16384.0);
  double checkpoint_interval_s = 3600;  ///< τ (assumption: hourly)
  double checkpoint_write_s = 60;       ///< c (assumption: one minute, blocking)
  double restart_s = 600;  ///< r (assumption: ten minutes to detect, reschedule, reload)
  std::string basis = "Llama 3 §3.3.4: 419 unexpected interruptions in 54 days on 16,384 GPUs";
};

/// Fills run.goodput from the run's ideal wall time and GPU count (per phase, summed).
void apply_goodput(RunResult& run, const GoodputInputs& in);

/// Young/Daly checkpoint interval sqrt(2c/λ) for a job of `gpus` GPUs, seconds.
double optimal_checkpoint_interval_s(const GoodputInputs& in, int gpus);

}  // namespace trainsim::sim
