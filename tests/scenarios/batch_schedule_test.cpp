#include "scenarios/batch_schedule.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace trainsim::scenarios {
namespace {

Phase phase(double tokens, std::int64_t seq, std::int64_t start, std::int64_t end, double ramp) {
  Phase p;
  p.name = "p";
  p.tokens = tokens;
  p.seq_len = seq;
  p.batch = {start, end, ramp};
  return p;
}

TEST(BatchSchedule, ConstantBatchIsOneSegment) {
  // steps = tokens / (batch · seq_len) = 1000 exactly for DeepSeek-V3's 32K phase.
  const auto segs = batch_segments(phase(1000.0 * 1920 * 32768, 32768, 1920, 1920, 0), 32);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0].batch, 1920);
  EXPECT_DOUBLE_EQ(segs[0].steps, 1000.0);
}

TEST(BatchSchedule, RampWalksEveryGranuleAndConservesTokens) {
  // V3: 3,072 → 15,360 over 469B tokens at 4K, granule 128: (15360 − 3072)/128 + 1 = 97 batches.
  const Phase p = phase(14.8e12, 4096, 3072, 15360, 469e9);
  const auto segs = batch_segments(p, 128);
  EXPECT_EQ(segs.size(), 97u);
  double tokens = 0;
  for (const auto& s : segs) {
    tokens += s.tokens;
    EXPECT_EQ(s.batch % 128, 0);
  }
  EXPECT_NEAR(tokens, 14.8e12, 1.0);
  EXPECT_EQ(segs.front().batch, 3072);
  EXPECT_EQ(segs.back().batch, 15360);
  // Steps over the ramp ≈ ∫ dT / (b(T)·S) = R/(S·(b1−b0)) · ln(b1/b0) (continuous limit).
  double ramp_steps = 0;
  for (const auto& s : segs) {
    if (s.batch != 15360) ramp_steps += s.steps;
  }
  const double continuous = 469e9 / (4096.0 * (15360 - 3072)) * std::log(15360.0 / 3072.0);
  EXPECT_NEAR(ramp_steps / continuous, 1.0, 0.01);
}

TEST(BatchSchedule, PhaseShorterThanOneStepIsAFractionalStep) {
  const auto segs = batch_segments(phase(4096.0 * 100, 4096, 200, 200, 0), 8);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_DOUBLE_EQ(segs[0].steps, 0.5);
}

TEST(BatchSchedule, StepCountCountsAPartialLastStepAsOneStep) {
  // Half a step of tokens is one step run (at a smaller batch): 1 step, time for 0.5.
  EXPECT_EQ(step_count(batch_segments(phase(4096.0 * 100, 4096, 200, 200, 0), 8)), 1);
  // 10.25 steps of tokens: 10 full steps and a partial one = 11; exactly 10 steps = 10.
  EXPECT_EQ(step_count(batch_segments(phase(4096.0 * 200 * 10.25, 4096, 200, 200, 0), 8)), 11);
  EXPECT_EQ(step_count(batch_segments(phase(4096.0 * 200 * 10, 4096, 200, 200, 0), 8)), 10);
  // A remainder below kPartialStepEpsilon of a step is rounding, not a step.
  EXPECT_EQ(step_count(BatchSegment{200, 10 + 1e-9, 0}), 10);
  EXPECT_EQ(step_count(std::vector<BatchSegment>{}), 0);
}

TEST(BatchSchedule, ZeroTokensHasNoSteps) {
  EXPECT_TRUE(batch_segments(phase(0, 4096, 8, 8, 0), 8).empty());
}

/// The step-by-step walk the closed form replaces (the pre-closed-form algorithm), as reference.
std::vector<BatchSegment> walk_step_by_step(const Phase& p, std::int64_t g) {
  std::vector<BatchSegment> out;
  const auto push = [&](std::int64_t b, double steps, double tokens) {
    if (steps <= 0) return;
    if (!out.empty() && out.back().batch == b) {
      out.back().steps += steps;
      out.back().tokens += tokens;
    } else {
      out.push_back({b, steps, tokens});
    }
  };
  const double seq = static_cast<double>(p.seq_len);
  double consumed = 0;
  const double ramp = std::min(p.batch.ramp_tokens, p.tokens);
  while (p.batch.ramped() && consumed < ramp) {
    const double x =
        static_cast<double>(p.batch.start) +
        static_cast<double>(p.batch.end - p.batch.start) * consumed / p.batch.ramp_tokens;
    const auto b =
        static_cast<std::int64_t>(std::max(1.0, std::round(x / static_cast<double>(g)))) * g;
    const double st = static_cast<double>(b) * seq;
    if (st >= p.tokens - consumed) {
      push(b, (p.tokens - consumed) / st, p.tokens - consumed);
      return out;
    }
    push(b, 1, st);
    consumed += st;
  }
  const double st = static_cast<double>(p.batch.end) * seq;
  push(p.batch.end, (p.tokens - consumed) / st, p.tokens - consumed);
  return out;
}

TEST(BatchSchedule, ClosedFormMatchesTheStepByStepWalk) {
  // Same segments and step counts as walking every step (integers exact in double here), rising
  // and falling ramps, ramp shorter than and equal to the phase.
  for (const Phase& p : {phase(14.8e12, 4096, 3072, 15360, 469e9), phase(1e10, 2048, 64, 8, 3e9),
                         phase(5e9, 1024, 8, 1000, 5e9), phase(123456789.0, 7, 5, 77, 1e8)}) {
    for (std::int64_t g : {1, 8, 128}) {
      const auto fast = batch_segments(p, g);
      const auto slow = walk_step_by_step(p, g);
      ASSERT_EQ(fast.size(), slow.size()) << p.batch.start << "->" << p.batch.end << " g " << g;
      for (std::size_t i = 0; i < fast.size(); ++i) {
        EXPECT_EQ(fast[i].batch, slow[i].batch);
        EXPECT_DOUBLE_EQ(fast[i].steps, slow[i].steps);
        EXPECT_NEAR(fast[i].tokens, slow[i].tokens, 1e-9 * p.tokens);
      }
    }
  }
}

TEST(BatchSchedule, LongRampIsWalkedInClosedForm) {
  // 100T tokens ramped 8 → 16 at 4K on DP8 (took > 120 s step by step). The batch rounds to 8
  // until b(T) reaches 12 (half the ramp, 0.5e9 tokens), then to 16: steps = 0.5e9/(8·4096) +
  // (1e14 − 0.5e9)/(16·4096), to within one step at the boundary; two segments.
  const auto segs = batch_segments(phase(1e14, 4096, 8, 16, 1e9), 8);
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_NEAR(total_steps(segs), 0.5e9 / (8.0 * 4096) + (1e14 - 0.5e9) / (16.0 * 4096), 1.0);
}

TEST(BatchSchedule, TooManyStepsIsAClearError) {
  // 1e18 tokens at seq_len 1, batch ≤ 16: at least 6.25e16 steps, above the 1e12 a phase may have.
  const Phase p = phase(1e18, 1, 8, 16, 1e18);
  EXPECT_EQ(phase_size_problem(p, 8),
            "phase 'p': 1e+18 tokens at seq_len 1 and a batch of at most 16 sequences is at least "
            "6.25e+16 steps; a phase may have at most 1,000,000,000,000 steps (raise the batch or "
            "seq_len, or lower tokens)");
  EXPECT_THROW(batch_segments(p, 8), ModelError);
}

TEST(BatchSchedule, RampThroughTooManySizesIsAClearError) {
  // 8 → 2^31 − 8 in multiples of 8: 268,435,455 sizes, each a segment in memory.
  const Phase p = phase(1e15, 4096, 8, 2147483640, 1e14);
  EXPECT_EQ(phase_size_problem(p, 8),
            "phase 'p': the batch ramp from 8 to 2147483640 sequences in multiples of 8 passes "
            "through 268,435,455 batch sizes; at most 1,000,000 are supported (ramp over a "
            "smaller range, or use a larger dp × micro_batch)");
  EXPECT_THROW(batch_segments(p, 8), ModelError);
}

}  // namespace
}  // namespace trainsim::scenarios
