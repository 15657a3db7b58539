// run_points: every exception a point throws is caught for that point (issue 14: a std::bad_alloc
// in one sweep worker aborted the whole process and lost every finished point).
#include "core/parallel_points.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <new>
#include <stdexcept>
#include <vector>

namespace trainsim {
namespace {

TEST(ParallelPoints, EveryPointRunsOnceOnAnyNumberOfWorkers) {
  // Σ over i in [0, 100) of i = 100 · 99 / 2 = 4950, whatever the thread count.
  for (int workers : {1, 2, 7, 200}) {
    std::atomic<long> sum{0};
    std::vector<std::atomic<int>> calls(100);
    const PointsRun run = run_points(100, workers, [&](std::size_t i) {
      sum += static_cast<long>(i);
      ++calls[i];
    });
    EXPECT_TRUE(run.complete());
    EXPECT_EQ(sum.load(), 4950);
    for (const auto& c : calls) EXPECT_EQ(c.load(), 1);
    for (const auto& f : run.failures) EXPECT_FALSE(f.has_value());
  }
}

TEST(ParallelPoints, BadAllocInOnePointIsThatPointsOutOfMemoryAndTheOthersRunOn) {
  // Point 3 runs out of memory and point 5 hits a bug: both are their own failures, the other
  // eight points finish, and nothing escapes (before, the exception left the worker thread and
  // std::terminate aborted the process).
  for (int workers : {1, 3}) {
    std::atomic<int> ran{0};
    const PointsRun run = run_points(10, workers, [&](std::size_t i) {
      if (i == 3) throw std::bad_alloc();
      if (i == 5) throw std::logic_error("broken invariant");
      ++ran;
    });
    EXPECT_TRUE(run.complete());
    EXPECT_EQ(ran.load(), 8);
    ASSERT_TRUE(run.failures[3].has_value());
    EXPECT_EQ(run.failures[3]->kind, PointFailure::Kind::OutOfMemory);
    EXPECT_EQ(run.failures[3]->message, "out of memory");
    ASSERT_TRUE(run.failures[5].has_value());
    EXPECT_EQ(run.failures[5]->kind, PointFailure::Kind::Internal);
    EXPECT_EQ(run.failures[5]->message, "broken invariant");
    for (std::size_t i : {0u, 1u, 2u, 4u, 6u, 7u, 8u, 9u}) EXPECT_FALSE(run.failures[i]) << i;
  }
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

TEST(ParallelPoints, AReallyFailedAllocationIsCaughtToo) {
  // A real allocation past what any machine holds: operator new throws std::bad_alloc (or the
  // vector refuses the size with std::length_error); either is the point's out of memory.
  if (kAddressSanitizer) GTEST_SKIP() << "AddressSanitizer reports a 4 EiB request instead";
  const PointsRun run = run_points(2, 2, [&](std::size_t i) {
    if (i == 1) {
      std::vector<char> huge;
      huge.reserve(std::size_t{1} << 62);
    }
  });
  EXPECT_TRUE(run.complete());
  EXPECT_FALSE(run.failures[0]);
  ASSERT_TRUE(run.failures[1]);
  EXPECT_EQ(run.failures[1]->kind, PointFailure::Kind::OutOfMemory);
}

TEST(ParallelPoints, StopLetsThePointsInFlightFinishAndStartsNoOther) {
  // One worker, stop once two points are done: points 0 and 1 ran, 2.. never started.
  std::atomic<int> finished{0};
  const PointsRun run = run_points(
      10, 1, [&](std::size_t) {}, [&] { return finished.load() >= 2; },
      [&](std::size_t) { ++finished; });
  EXPECT_FALSE(run.complete());
  EXPECT_TRUE(run.done[0]);
  EXPECT_TRUE(run.done[1]);
  for (std::size_t i = 2; i < 10; ++i) EXPECT_FALSE(run.done[i]) << i;
}

TEST(ParallelPoints, AThrowingProgressCallbackLosesNoPoint) {
  const PointsRun run = run_points(
      4, 2, [&](std::size_t) {}, {}, [&](std::size_t) { throw std::runtime_error("tty gone"); });
  EXPECT_TRUE(run.complete());
  for (const auto& f : run.failures) EXPECT_FALSE(f);
}

TEST(ParallelPoints, NoPointsIsNoWork) {
  const PointsRun run = run_points(0, 4, [&](std::size_t) { FAIL(); });
  EXPECT_TRUE(run.complete());
  EXPECT_TRUE(run.done.empty());
}

}  // namespace
}  // namespace trainsim
