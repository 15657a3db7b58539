// Timing statistics of the calibration harness, on the host (no GPU needed).
#include "calibration/timing_stats.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"

namespace trainsim::calibration {
namespace {

constexpr double kExact = 1e-12;

TEST(TimingStats, PercentilesInterpolateBetweenOrderStatistics) {
  // 1..10 in any order: h = q·9, so p50 = x(4.5) = 5.5, p10 = x(0.9) = 1.9, p90 = x(8.1) = 9.1.
  const std::vector<double> v{7, 3, 10, 1, 9, 2, 8, 4, 6, 5};
  EXPECT_NEAR(percentile(v, 0.5), 5.5, kExact);
  EXPECT_NEAR(percentile(v, 0.1), 1.9, kExact);
  EXPECT_NEAR(percentile(v, 0.9), 9.1, kExact);
  EXPECT_NEAR(percentile(v, 0.0), 1.0, kExact);
  EXPECT_NEAR(percentile(v, 1.0), 10.0, kExact);
}

TEST(TimingStats, SummaryOfAnOddCountUsesTheMiddleSample) {
  // 5 samples: the median is the 3rd smallest; one slow outlier moves max and p90 only.
  const auto s = summarize_timings({1.0, 1.2, 1.1, 9.0, 1.05});
  EXPECT_NEAR(s.median, 1.1, kExact);
  EXPECT_NEAR(s.min, 1.0, kExact);
  EXPECT_NEAR(s.max, 9.0, kExact);
  EXPECT_NEAR(s.p10, 1.0 + 0.4 * 0.05, kExact);  // h = 0.4 between 1.0 and 1.05
  EXPECT_NEAR(s.p90, 1.2 + 0.6 * 7.8, kExact);   // h = 3.6 between 1.2 and 9.0
}

TEST(TimingStats, NoSamplesGiveZerosAndOneSampleIsEveryStatistic) {
  const auto none = summarize_timings({});
  EXPECT_EQ(none.median, 0);
  EXPECT_EQ(none.max, 0);
  const auto one = summarize_timings({2.5});
  EXPECT_EQ(one.median, 2.5);
  EXPECT_EQ(one.p10, 2.5);
  EXPECT_EQ(one.p90, 2.5);
  EXPECT_EQ(one.min, 2.5);
  EXPECT_EQ(one.max, 2.5);
}

TEST(TimingStats, NanSamplesAndBadQuantilesAreErrors) {
  try {
    (void)summarize_timings({1.0, std::nan(""), 2.0});
    FAIL() << "a NaN sample was accepted";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("timing sample is NaN"), std::string::npos) << e.what();
  }
  try {
    (void)percentile({1.0, 2.0}, 1.5);
    FAIL() << "q = 1.5 was accepted";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("q between 0 and 1, got 1.5"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace trainsim::calibration
