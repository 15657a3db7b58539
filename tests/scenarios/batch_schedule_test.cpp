#include "scenarios/batch_schedule.hpp"

#include <gtest/gtest.h>

#include <cmath>

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

TEST(BatchSchedule, ZeroTokensHasNoSteps) {
  EXPECT_TRUE(batch_segments(phase(0, 4096, 8, 8, 0), 8).empty());
}

}  // namespace
}  // namespace trainsim::scenarios
