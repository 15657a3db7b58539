// The reference executor: timing of a known schedule with P2P delay, and each way a hand-written
// list can be wrong (deadlock, duplicate, misplaced, missing, malformed), with its message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "sim/schedules/dualpipe.hpp"
#include "sim/schedules/gpipe.hpp"
#include "sim/schedules/one_f_one_b.hpp"
#include "sim/schedules/timeline.hpp"
#include "sim/schedules/zb1p.hpp"

namespace trainsim::sim::schedules {
namespace {

using ::testing::HasSubstr;

constexpr double kTol = 1e-9;  // durations are exact binary fractions

std::string error_of(const PipelineSchedule& sch, const ScheduleShape& s, const RankLists& lists) {
  try {
    (void)run_timeline(sch, s, lists, PassDurations{});
  } catch (const ModelError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Timeline, GPipeMakespanIncludesTwoP2PHopsPerBoundary) {
  // GPipe, PP ranks, m micro-batches, P2P delay p: the last forward reaches the last rank after
  // (PP − 1)(F + p) + m·F, the last backward reaches rank 0 (PP − 1)(B + p) + m·B later:
  //   makespan = (m + PP − 1)(F + B) + 2(PP − 1)p,  B = b + w.
  const ScheduleShape s{4, 6, 1};
  const PassDurations d{1.0, 1.5, 0.5, 3.0, 0.25};
  const Timeline t = run_timeline(GPipe{}, s, d);
  EXPECT_NEAR(t.makespan, (6 + 4 - 1) * (1.0 + 2.0) + 2 * 3 * 0.25, kTol);
  // Spans are per item, in list order, non-overlapping on a rank.
  for (const auto& spans : t.spans) {
    for (std::size_t i = 1; i < spans.size(); ++i)
      EXPECT_GE(spans[i].start, spans[i - 1].end - kTol);
  }
}

TEST(Timeline, P2PDelaySlowsDualPipeButKeepsItValid) {
  const ScheduleShape s{8, 20, 1};
  const PassDurations fast{1, 1, 1, 2.5, 0.0};
  PassDurations slow = fast;
  slow.p2p = 0.5;
  EXPECT_GT(run_timeline(DualPipe{}, s, slow).makespan, run_timeline(DualPipe{}, s, fast).makespan);
}

TEST(Timeline, DetectsDeadlock) {
  // Rank 0 wants the backward of micro-batch 0 before running its forward: rank 1 waits for that
  // forward, rank 0 for rank 1's backward.
  const RankLists lists = {{{WorkKind::BW, 0, 0}, {WorkKind::F, 0, 0}},
                           {{WorkKind::F, 0, 0}, {WorkKind::BW, 0, 0}}};
  EXPECT_EQ(error_of(OneFOneB{}, {2, 1, 1}, lists),
            "1f1b schedule deadlocks: no rank can progress; rank 0 at item 0 (BW0c0) waits for B "
            "of micro-batch 0 stage 1 on rank 1; rank 1 at item 0 (F0c0) waits for F of "
            "micro-batch 0 stage 0 on rank 0");
}

TEST(Timeline, DetectsWeightGradientBeforeItsBackward) {
  const RankLists lists = {{{WorkKind::F, 0, 0}, {WorkKind::W, 0, 0}, {WorkKind::B, 0, 0}}};
  EXPECT_THAT(error_of(ZeroBubbleH1{}, {1, 1, 1}, lists),
              HasSubstr("rank 0 at item 1 (W0c0) waits for B of micro-batch 0 stage 0 on rank 0"));
}

TEST(Timeline, DetectsDuplicatePass) {
  const RankLists lists = {{{WorkKind::F, 0, 0}, {WorkKind::F, 0, 0}, {WorkKind::BW, 0, 0}}};
  EXPECT_EQ(error_of(OneFOneB{}, {1, 1, 1}, lists),
            "1f1b schedule: rank 0 item 1 (F0c0) runs F of micro-batch 0 stage 0 a second time");
}

TEST(Timeline, DetectsMissingPass) {
  const RankLists lists = {{{WorkKind::F, 0, 0}, {WorkKind::B, 0, 0}}};
  EXPECT_EQ(error_of(ZeroBubbleH1{}, {1, 1, 1}, lists),
            "zb1p schedule: no rank runs W of micro-batch 0 stage 0 (expected on rank 0)");
}

TEST(Timeline, DetectsPassOnTheWrongRank) {
  // DualPipe feeds micro-batches m/2.. at the last rank; rank 0's chunk 0 cannot run stage 0 of
  // micro-batch 4 when m = 8.
  RankLists lists = DualPipe{}.build({4, 8, 1});
  lists[0][0] = {WorkKind::F, 4, 0};
  EXPECT_EQ(error_of(DualPipe{}, {4, 8, 1}, lists),
            "dualpipe schedule: rank 0 item 0 (F4c0) runs F of micro-batch 4 stage 0, which the "
            "schedule places on rank 3");
}

TEST(Timeline, DetectsMalformedItemsAndListCounts) {
  EXPECT_EQ(error_of(OneFOneB{}, {2, 1, 1}, RankLists(1)),
            "1f1b schedule: 1 rank lists for 2 ranks");
  const RankLists lists = {{{WorkKind::F, 3, 0}}};
  EXPECT_EQ(error_of(OneFOneB{}, {1, 1, 1}, lists),
            "1f1b schedule: rank 0 item 0 (F3c0) names a micro-batch outside 0..0 or a chunk "
            "outside 0..0");
}

TEST(Timeline, RejectsAnInvalidShapeBeforeRunning) {
  EXPECT_THROW(run_timeline(DualPipe{}, {3, 6, 1}, PassDurations{}), ModelError);
}

TEST(Timeline, DurationOfEachKind) {
  const PassDurations d{1.0, 2.0, 0.5, 2.75, 0.0};
  EXPECT_DOUBLE_EQ(duration_of({WorkKind::F, 0, 0}, d), 1.0);
  EXPECT_DOUBLE_EQ(duration_of({WorkKind::B, 0, 0}, d), 2.0);
  EXPECT_DOUBLE_EQ(duration_of({WorkKind::W, 0, 0}, d), 0.5);
  EXPECT_DOUBLE_EQ(duration_of({WorkKind::BW, 0, 0}, d), 2.5);
  EXPECT_DOUBLE_EQ(duration_of({WorkKind::FB, 0, 0, 1, 1}, d), 2.75);
}

}  // namespace
}  // namespace trainsim::sim::schedules
