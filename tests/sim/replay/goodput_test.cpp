#include "sim/replay/goodput.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"

namespace trainsim::sim {
namespace {

TEST(Goodput, OffByDefault) {
  RunResult run;
  apply_goodput(run, GoodputInputs{});
  EXPECT_FALSE(run.goodput.enabled);
  EXPECT_DOUBLE_EQ(run.goodput.goodput, 1.0);
}

TEST(Goodput, FirstOrderLossMatchesTheFormula) {
  // λ = f · G / 86400 per second; N = λ·W; lost = N·(r + τ/2); checkpoints = W/τ · c.
  RunResult run;
  PhaseResult p;
  p.gpus = 2048;
  p.wall_s = 50.0 * 86400.0;
  run.phases.push_back(p);
  run.total_wall_s = p.wall_s;
  GoodputInputs in;
  in.enabled = true;
  apply_goodput(run, in);
  const double lambda = in.failures_per_gpu_day * 2048 / 86400.0;
  const double n = lambda * p.wall_s;
  const double lost = n * (in.restart_s + in.checkpoint_interval_s / 2);
  const double ckpt = p.wall_s / in.checkpoint_interval_s * in.checkpoint_write_s;
  EXPECT_NEAR(run.goodput.interruptions, n, 1e-9);
  EXPECT_NEAR(run.goodput.goodput, p.wall_s / (p.wall_s + lost + ckpt), 1e-12);
  EXPECT_NEAR(run.goodput.gpu_hours_with_failures, (p.wall_s + lost + ckpt) * 2048 / 3600.0, 1e-6);
}

TEST(Goodput, YoungDalyInterval) {
  GoodputInputs in;
  const double lambda = in.failures_per_gpu_day * 16384 / 86400.0;
  EXPECT_NEAR(optimal_checkpoint_interval_s(in, 16384),
              std::sqrt(2 * in.checkpoint_write_s / lambda), 1e-9);
}

TEST(Goodput, RejectsNonsense) {
  RunResult run;
  GoodputInputs in;
  in.enabled = true;
  in.checkpoint_interval_s = 0;
  EXPECT_THROW(apply_goodput(run, in), ModelError);
}

}  // namespace
}  // namespace trainsim::sim
