// Every pipeline schedule, through one typed suite: valid lists for several shapes (each
// (micro-batch, stage) gets one F, one B and one W on the rank the schedule places it, and the
// reference executor finishes without deadlock), the bubble and peak activations of the DualPipe
// README table (Pipeline Bubbles and Memory Usage Comparison; DeepSeek-V3 report Table 2), and
// the documented errors for invalid shapes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "core/error.hpp"
#include "sim/schedules/dependencies.hpp"
#include "sim/schedules/dualpipe.hpp"
#include "sim/schedules/dualpipev.hpp"
#include "sim/schedules/gpipe.hpp"
#include "sim/schedules/interleaved_1f1b.hpp"
#include "sim/schedules/one_f_one_b.hpp"
#include "sim/schedules/schedule.hpp"
#include "sim/schedules/timeline.hpp"
#include "sim/schedules/zb1p.hpp"

namespace trainsim::sim::schedules {
namespace {

using ::testing::HasSubstr;

/// Durations below are small multiples of 1/2, exact in binary; sums of a few hundred of them
/// are exact too, so a tight tolerance only guards against accidental float noise.
constexpr double kTol = 1e-9;

/// One bubble check: shape, durations, the expected worst-rank bubble, and whether every rank
/// has that bubble (true for the one-directional schedules, whose ranks are all equally busy).
struct BubbleCase {
  ScheduleShape shape;
  PassDurations d;
  double expected;
  bool every_rank;
};

/// An invalid shape and a fragment of the message it must produce.
struct InvalidCase {
  ScheduleShape shape;
  std::string message;
};

/// Full backward time in the README's notation: B = b + w.
double full_b(const PassDurations& d) {
  return d.b + d.w;
}

PassDurations dur(double f, double b, double w, double fb = -1.0, double p2p = 0.0) {
  return {f, b, w, fb < 0 ? f + b + w : fb, p2p};
}

// ---------------------------------------------------------------------------------------------
// Per-schedule expectations.

template <typename T>
struct Traits;

std::vector<InvalidCase> common_invalid(const std::string& name) {
  return {{{0, 4, 1}, name + " schedule: ranks must be >= 1, got 0"},
          {{2, 0, 1}, name + " schedule: micro_batches must be >= 1, got 0"}};
}

std::vector<InvalidCase> single_chunk_invalid(const std::string& name) {
  auto v = common_invalid(name);
  v.push_back({{2, 4, 2},
               name + " schedule has a fixed number of chunks per rank: "
                      "virtual_stages must be 1, got 2"});
  return v;
}

template <>
struct Traits<GPipe> {
  static constexpr int kChunks = 1;
  static constexpr double kCopies = 1.0;
  static constexpr bool kSplits = false;
  static std::vector<ScheduleShape> shapes() {
    return {{1, 1, 1}, {4, 8, 1}, {3, 5, 1}, {8, 2, 1}};
  }
  // GPipe: makespan (m + PP − 1)(F + B), busy m(F + B) ⇒ bubble (PP − 1)(F + B) on every rank.
  static double bubble(const ScheduleShape& s, const PassDurations& d) {
    return (s.ranks - 1) * (d.f + full_b(d));
  }
  static std::vector<BubbleCase> bubble_cases() {
    std::vector<BubbleCase> v;
    for (ScheduleShape s :
         {ScheduleShape{4, 8, 1}, ScheduleShape{3, 5, 1}, ScheduleShape{8, 2, 1}}) {
      for (PassDurations d : {dur(1, 2, 1), dur(2, 1, 0.5)})
        v.push_back({s, d, bubble(s, d), true});
    }
    return v;
  }
  // Every forward runs before any backward: all m micro-batches are alive on every rank.
  static int peak(const ScheduleShape& s, int /*rank*/) { return s.micro_batches; }
  static std::vector<InvalidCase> invalid() { return single_chunk_invalid("gpipe"); }
};

template <>
struct Traits<OneFOneB> {
  static constexpr int kChunks = 1;
  static constexpr double kCopies = 1.0;
  static constexpr bool kSplits = false;
  static std::vector<ScheduleShape> shapes() {
    return {{1, 1, 1}, {4, 8, 1}, {3, 5, 1}, {8, 2, 1}, {16, 120, 1}};
  }
  // DualPipe README: 1F1B bubble (PP − 1)(F + B), B the full backward, on every rank.
  static double bubble(const ScheduleShape& s, const PassDurations& d) {
    return (s.ranks - 1) * (d.f + full_b(d));
  }
  static std::vector<BubbleCase> bubble_cases() {
    std::vector<BubbleCase> v;
    for (ScheduleShape s : {ScheduleShape{4, 8, 1}, ScheduleShape{3, 5, 1}, ScheduleShape{8, 2, 1},
                            ScheduleShape{16, 120, 1}}) {
      for (PassDurations d : {dur(1, 2, 1), dur(2, 1, 0.5)})
        v.push_back({s, d, bubble(s, d), true});
    }
    return v;
  }
  // DualPipe README: activations PP (on the first rank). Rank r holds its PP − r − 1 warm-up
  // forwards plus the one in flight: min(PP − r, m).
  static int peak(const ScheduleShape& s, int rank) {
    return std::min(s.ranks - rank, s.micro_batches);
  }
  static std::vector<InvalidCase> invalid() { return single_chunk_invalid("1f1b"); }
};

template <>
struct Traits<Interleaved1F1B> {
  static constexpr int kChunks = -1;  // virtual_stages
  static constexpr double kCopies = 1.0;
  static constexpr bool kSplits = false;
  static std::vector<ScheduleShape> shapes() {
    return {{1, 2, 2}, {4, 8, 2}, {4, 12, 3}, {2, 4, 2}, {4, 4, 2}, {8, 16, 4}};
  }
  // Narayanan et al. 2021 §2.2.2: bubble (PP − 1)(F + B)/v with F, B per rank (all v chunks);
  // per chunk f = F/v, b = B/v, so (PP − 1)(f + b) with f, b the chunk times, on every rank.
  static double bubble(const ScheduleShape& s, const PassDurations& d) {
    const double v = s.virtual_stages;
    return (s.ranks - 1) * (v * d.f + v * full_b(d)) / v;
  }
  static std::vector<BubbleCase> bubble_cases() {
    std::vector<BubbleCase> v;
    for (ScheduleShape s : {ScheduleShape{4, 8, 2}, ScheduleShape{4, 12, 3}, ScheduleShape{2, 4, 2},
                            ScheduleShape{8, 16, 4}}) {
      for (PassDurations d : {dur(1, 2, 1), dur(2, 1, 0.5)})
        v.push_back({s, d, bubble(s, d), true});
    }
    return v;
  }
  // Megatron-LM warm-up: rank r runs 2(PP − r − 1) + (v − 1)·PP forwards, then one more before
  // its first backward: min(2(PP − r − 1) + (v − 1)·PP + 1, m·v) chunks alive.
  static int peak(const ScheduleShape& s, int rank) {
    return std::min(2 * (s.ranks - rank - 1) + (s.virtual_stages - 1) * s.ranks + 1,
                    s.micro_batches * s.virtual_stages);
  }
  static std::vector<InvalidCase> invalid() {
    auto v = common_invalid("interleaved-1f1b");
    v.push_back(
        {{4, 8, 1}, "interleaved-1f1b schedule needs virtual_stages >= 2, got 1 (use 1f1b"});
    v.push_back({{4, 6, 2},
                 "interleaved-1f1b schedule needs micro_batches to be a multiple of ranks "
                 "(micro-batches advance in groups of PP), got 6 micro-batches for 4 ranks; "
                 "valid: 4, 8, ..."});
    return v;
  }
};

template <>
struct Traits<ZeroBubbleH1> {
  static constexpr int kChunks = 1;
  static constexpr double kCopies = 1.0;
  static constexpr bool kSplits = true;
  static std::vector<ScheduleShape> shapes() {
    return {{1, 1, 1}, {4, 8, 1}, {3, 5, 1}, {8, 2, 1}, {16, 120, 1}};
  }
  // DualPipe README: ZB1P bubble (PP − 1)(F + B − 2W), B the full backward, on every rank.
  // Holds when m ≥ PP (enough deferred W to fill the drain) and W ≤ min(F, b).
  static double bubble(const ScheduleShape& s, const PassDurations& d) {
    return (s.ranks - 1) * (d.f + full_b(d) - 2 * d.w);
  }
  static std::vector<BubbleCase> bubble_cases() {
    std::vector<BubbleCase> v;
    for (ScheduleShape s : {ScheduleShape{4, 8, 1}, ScheduleShape{3, 3, 1}, ScheduleShape{8, 16, 1},
                            ScheduleShape{16, 120, 1}}) {
      for (PassDurations d : {dur(1, 2, 1), dur(2, 1, 0.5), dur(1, 1, 1)}) {
        v.push_back({s, d, bubble(s, d), true});
      }
    }
    return v;
  }
  // DualPipe README: activations PP, as 1F1B (the order of F and B is 1F1B's): min(PP − r, m).
  static int peak(const ScheduleShape& s, int rank) {
    return std::min(s.ranks - rank, s.micro_batches);
  }
  static std::vector<InvalidCase> invalid() { return single_chunk_invalid("zb1p"); }
};

// DualPipe family bubble cases. The README formula (PP/2 − 1)(F&B + B − 3W) is the bubble of the
// worst (middle) ranks when the forward and the backward-for-inputs take the same time (F = b)
// and W ≤ F, for any physical F&B (max(F, b + w) ≤ F&B ≤ F + b + w); ranks nearer the ends
// have less. Outside that regime it is an approximation (larger when b > F, smaller when F > b).
std::vector<PassDurations> dual_durations() {
  return {dur(1, 1, 1, 3), dur(1, 1, 1, 2.5), dur(1, 1, 1, 2),
          dur(2, 2, 1, 5), dur(2, 2, 1, 4),   dur(2, 2, 0.5, 3)};
}

template <>
struct Traits<DualPipe> {
  static constexpr int kChunks = 2;
  static constexpr double kCopies = 2.0;
  static constexpr bool kSplits = true;
  static std::vector<ScheduleShape> shapes() {
    return {{2, 4, 1}, {4, 8, 1}, {4, 10, 1}, {8, 20, 1}, {8, 16, 1}, {16, 120, 1}};
  }
  static double bubble(const ScheduleShape& s, const PassDurations& d) {
    return (s.ranks / 2 - 1) * (d.fb + full_b(d) - 3 * d.w);
  }
  static std::vector<BubbleCase> bubble_cases() {
    std::vector<BubbleCase> v;
    for (ScheduleShape s : {ScheduleShape{8, 20, 1}, ScheduleShape{4, 8, 1},
                            ScheduleShape{16, 32, 1}, ScheduleShape{16, 120, 1}}) {
      for (const PassDurations& d : dual_durations()) v.push_back({s, d, bubble(s, d), false});
    }
    return v;
  }
  // DualPipe README: activations PP + 1 per device, independent of m. Every rank holds PP chunk
  // activations after its warm-up (2(PP/2 − h − 1) + 2(h + 1) forwards) and one more while the
  // first forward of the main phase runs beside a backward.
  static int peak(const ScheduleShape& s, int /*rank*/) { return s.ranks + 1; }
  static std::vector<InvalidCase> invalid() {
    auto v = common_invalid("dualpipe");
    v.push_back({{4, 8, 2},
                 "dualpipe schedule has a fixed number of chunks per rank: "
                 "virtual_stages must be 1, got 2"});
    v.push_back({{3, 6, 1},
                 "dualpipe schedule needs an even number of ranks (rank r holds stages "
                 "r and PP-1-r), got 3"});
    v.push_back({{4, 9, 1},
                 "dualpipe schedule needs an even number of micro-batches (half are "
                 "fed from each end), got 9"});
    v.push_back({{4, 6, 1}, "dualpipe schedule needs micro_batches >= 2*ranks = 8, got 6"});
    return v;
  }
};

template <>
struct Traits<DualPipeV> {
  static constexpr int kChunks = 2;
  static constexpr double kCopies = 1.0;
  static constexpr bool kSplits = true;
  static std::vector<ScheduleShape> shapes() {
    return {{1, 2, 1}, {2, 4, 1}, {4, 10, 1}, {4, 9, 1}, {8, 16, 1}, {8, 60, 1}};
  }
  // README: same bubble as DualPipe with PP = 2·ranks stages: (ranks − 1)(F&B + B − 3W).
  static double bubble(const ScheduleShape& s, const PassDurations& d) {
    const int pp = 2 * s.ranks;
    return (pp / 2 - 1) * (d.fb + full_b(d) - 3 * d.w);
  }
  static std::vector<BubbleCase> bubble_cases() {
    std::vector<BubbleCase> v;
    for (ScheduleShape s : {ScheduleShape{4, 10, 1}, ScheduleShape{2, 4, 1},
                            ScheduleShape{8, 16, 1}, ScheduleShape{8, 60, 1}}) {
      for (const PassDurations& d : dual_durations()) v.push_back({s, d, bubble(s, d), false});
    }
    return v;
  }
  // README: activations PP + 1 = 2·ranks + 1 chunk-micro-batches per device.
  static int peak(const ScheduleShape& s, int /*rank*/) { return 2 * s.ranks + 1; }
  static std::vector<InvalidCase> invalid() {
    auto v = common_invalid("dualpipev");
    v.push_back({{4, 8, 2},
                 "dualpipev schedule has a fixed number of chunks per rank: "
                 "virtual_stages must be 1, got 2"});
    v.push_back({{4, 6, 1}, "dualpipev schedule needs micro_batches >= 2*ranks = 8, got 6"});
    return v;
  }
};

// ---------------------------------------------------------------------------------------------

template <typename T>
class ScheduleTest : public ::testing::Test {
 protected:
  T schedule_;
};

using AllSchedules =
    ::testing::Types<GPipe, OneFOneB, Interleaved1F1B, ZeroBubbleH1, DualPipe, DualPipeV>;
TYPED_TEST_SUITE(ScheduleTest, AllSchedules);

TYPED_TEST(ScheduleTest, RegistryMakesTheSameSchedule) {
  const auto made = make_schedule(std::string(this->schedule_.name()));
  EXPECT_EQ(made->name(), this->schedule_.name());
  const auto& e = schedule_registry().get(std::string(this->schedule_.name()));
  EXPECT_FALSE(e.description.empty());
  EXPECT_FALSE(e.citation.empty());
  EXPECT_DOUBLE_EQ(this->schedule_.parameter_copies(), Traits<TypeParam>::kCopies);
  EXPECT_EQ(this->schedule_.splits_weight_grad(), Traits<TypeParam>::kSplits);
}

TYPED_TEST(ScheduleTest, StagePlacementIsABijection) {
  const auto& sch = this->schedule_;
  for (const ScheduleShape& s : Traits<TypeParam>::shapes()) {
    SCOPED_TRACE(::testing::Message() << "ranks " << s.ranks << " m " << s.micro_batches);
    const int chunks = sch.chunks_per_rank(s);
    if (Traits<TypeParam>::kChunks > 0) {
      EXPECT_EQ(chunks, Traits<TypeParam>::kChunks);
    }
    const int stages = sch.stage_count(s);
    // Each stage is hosted parameter_copies times over the pipeline.
    EXPECT_DOUBLE_EQ(static_cast<double>(s.ranks * chunks),
                     sch.parameter_copies() * static_cast<double>(stages));
    // slot_of and stage_of are inverse: the slot of (mb, stage) runs that stage.
    for (int mb = 0; mb < s.micro_batches; ++mb) {
      for (int st = 0; st < stages; ++st) {
        const StageSlot slot = sch.slot_of(s, mb, st);
        EXPECT_EQ(sch.stage_of(s, slot.rank, slot.chunk), st);
      }
    }
  }
}

TYPED_TEST(ScheduleTest, EveryPassRunsOnceOnItsSlotWithoutDeadlock) {
  const auto& sch = this->schedule_;
  for (const ScheduleShape& s : Traits<TypeParam>::shapes()) {
    SCOPED_TRACE(::testing::Message()
                 << "ranks " << s.ranks << " m " << s.micro_batches << " v " << s.virtual_stages);
    const RankLists lists = sch.build(s);
    ASSERT_EQ(lists.size(), static_cast<std::size_t>(s.ranks));
    // Count passes independently of the executor.
    std::map<std::tuple<int, int, int>, int> count;  // (type, mb, stage) → times run
    for (int r = 0; r < s.ranks; ++r) {
      for (const WorkItem& item : lists[static_cast<std::size_t>(r)]) {
        if (!sch.splits_weight_grad()) {
          EXPECT_TRUE(item.kind == WorkKind::F || item.kind == WorkKind::BW) << to_string(item);
        }
        for (const Pass& p : passes_of(sch, s, r, item)) {
          EXPECT_EQ(sch.slot_of(s, p.micro_batch, p.stage).rank, r) << to_string(item);
          ++count[{static_cast<int>(p.type), p.micro_batch, p.stage}];
        }
      }
    }
    const int stages = sch.stage_count(s);
    EXPECT_EQ(count.size(), static_cast<std::size_t>(3 * s.micro_batches * stages));
    for (const auto& [key, n] : count) EXPECT_EQ(n, 1);
    // The executor checks the same and that dependencies can be satisfied (no deadlock).
    EXPECT_NO_THROW(run_timeline(sch, s, lists, PassDurations{}));
    EXPECT_NO_THROW(run_timeline(sch, s, lists, dur(1, 2, 1, 3.5, 0.25)));
  }
}

TYPED_TEST(ScheduleTest, BubbleMatchesTheReadmeFormula) {
  const auto& sch = this->schedule_;
  for (const BubbleCase& c : Traits<TypeParam>::bubble_cases()) {
    SCOPED_TRACE(::testing::Message() << "ranks " << c.shape.ranks << " m " << c.shape.micro_batches
                                      << " v " << c.shape.virtual_stages << " F " << c.d.f << " b "
                                      << c.d.b << " W " << c.d.w << " F&B " << c.d.fb);
    const Timeline t = run_timeline(sch, c.shape, c.d);
    EXPECT_NEAR(t.max_bubble(), c.expected, kTol);
    for (std::size_t r = 0; r < t.bubble.size(); ++r) {
      if (c.every_rank) {
        EXPECT_NEAR(t.bubble[r], c.expected, kTol) << "rank " << r;
      } else {
        EXPECT_LE(t.bubble[r], c.expected + kTol) << "rank " << r;
      }
      EXPECT_NEAR(t.bubble[r] + t.busy[r], t.makespan, kTol);
    }
  }
}

TYPED_TEST(ScheduleTest, PeakActivationsMatchTheTable) {
  const auto& sch = this->schedule_;
  for (const ScheduleShape& s : Traits<TypeParam>::shapes()) {
    SCOPED_TRACE(::testing::Message()
                 << "ranks " << s.ranks << " m " << s.micro_batches << " v " << s.virtual_stages);
    const Timeline t = run_timeline(sch, s, dur(1, 2, 1, 3));
    for (int r = 0; r < s.ranks; ++r) {
      EXPECT_EQ(t.peak_activations[static_cast<std::size_t>(r)], Traits<TypeParam>::peak(s, r))
          << "rank " << r;
    }
  }
}

TYPED_TEST(ScheduleTest, InvalidShapesAreRejectedWithTheReason) {
  for (const InvalidCase& c : Traits<TypeParam>::invalid()) {
    SCOPED_TRACE(c.message);
    try {
      (void)this->schedule_.build(c.shape);
      ADD_FAILURE() << "no error";
    } catch (const ModelError& e) {
      EXPECT_THAT(e.what(), HasSubstr(c.message));
    }
    EXPECT_THROW(this->schedule_.validate(c.shape), ModelError);
  }
}

TYPED_TEST(ScheduleTest, OutOfRangePlacementQueriesThrow) {
  const ScheduleShape s = Traits<TypeParam>::shapes().back();
  const int chunks = this->schedule_.chunks_per_rank(s);
  try {
    (void)this->schedule_.stage_of(s, s.ranks, 0);
    ADD_FAILURE() << "no error";
  } catch (const ModelError& e) {
    EXPECT_THAT(e.what(),
                HasSubstr(fmt::format("rank {} chunk 0 is outside ranks 0..{}, chunks 0..{}",
                                      s.ranks, s.ranks - 1, chunks - 1)));
  }
  try {
    (void)this->schedule_.slot_of(s, s.micro_batches, 0);
    ADD_FAILURE() << "no error";
  } catch (const ModelError& e) {
    EXPECT_THAT(e.what(),
                HasSubstr(fmt::format("micro-batch {} stage 0 is outside micro-batches 0..{}",
                                      s.micro_batches, s.micro_batches - 1)));
  }
}

// ---------------------------------------------------------------------------------------------
// Schedule-specific checks.

TEST(ScheduleRegistry, ListsAllSchedulesInOrderAndRejectsUnknownNames) {
  EXPECT_EQ(schedule_registry().names(),
            (std::vector<std::string>{"gpipe", "1f1b", "interleaved-1f1b", "zb1p", "dualpipe",
                                      "dualpipev"}));
  try {
    (void)make_schedule("dual-pipe");
    ADD_FAILURE() << "no error";
  } catch (const ModelError& e) {
    EXPECT_STREQ(e.what(),
                 "unknown pipeline schedule 'dual-pipe'; valid: gpipe, 1f1b, interleaved-1f1b, "
                 "zb1p, dualpipe, dualpipev");
  }
}

TEST(DualPipe, RankZeroOrderFollowsDualpipePy) {
  // Transcribed by hand from DualPipe.step() in deepseek-ai/DualPipe dualpipe/dualpipe.py for
  // num_ranks = 4, num_chunks = 8, rank 0 (half_rank 0, not a middle rank). Chunk 0 carries
  // micro-batches 0..3 (fed at rank 0), chunk 1 carries 4..7 (fed at rank 3).
  //   step 1 nF0 ×2, step 2 nF0F1 ×1, step 3 nB1W1F1 ×1 (zero bubble), step 4 ×1 (F0B1, F1B0),
  //   step 5 nB1F1B0 ×1, step 6 nB1B0 ×1 (B0 defers W), step 7 nWB0 ×1, step 8 nW ×1.
  const std::vector<WorkItem> expected = {
      {WorkKind::F, 0, 0},  {WorkKind::F, 1, 0},        {WorkKind::F, 2, 0},
      {WorkKind::F, 4, 1},  {WorkKind::B, 4, 1},        {WorkKind::W, 4, 1},
      {WorkKind::F, 5, 1},  {WorkKind::FB, 3, 0, 5, 1}, {WorkKind::FB, 6, 1, 0, 0},
      {WorkKind::BW, 6, 1}, {WorkKind::FB, 7, 1, 1, 0}, {WorkKind::BW, 7, 1},
      {WorkKind::B, 2, 0},  {WorkKind::W, 2, 0},        {WorkKind::B, 3, 0},
      {WorkKind::W, 3, 0}};
  const RankLists lists = DualPipe{}.build({4, 8, 1});
  ASSERT_EQ(lists[0].size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(lists[0][i], expected[i]) << "item " << i << ": " << to_string(lists[0][i]);
  }
}

TEST(DualPipe, MirrorRanksRunMirroredLists) {
  // Rank PP−1−r runs rank r's list with the directions swapped: chunk c ↔ 1−c and micro-batch
  // mb ↔ mb ± m/2 (dualpipe.py XORs the phase with is_in_second_half).
  const ScheduleShape s{8, 20, 1};
  const RankLists lists = DualPipe{}.build(s);
  const int half_m = s.micro_batches / 2;
  auto mirror = [&](WorkItem w) {
    auto flip = [&](int& mb, int& c) {
      if (c < 0) return;
      mb = mb < half_m ? mb + half_m : mb - half_m;
      c = 1 - c;
    };
    flip(w.micro_batch, w.chunk);
    flip(w.micro_batch2, w.chunk2);
    return w;
  };
  for (int r = 0; r < s.ranks / 2; ++r) {
    const auto& a = lists[static_cast<std::size_t>(r)];
    const auto& b = lists[static_cast<std::size_t>(s.ranks - 1 - r)];
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(mirror(a[i]), b[i]) << "rank " << r;
  }
}

TEST(DualPipe, ActivationsAndBubbleDoNotGrowWithMicroBatches) {
  // DeepSeek-V3 §3.2.1: "neither the bubbles nor activation memory will increase as the number
  // of micro-batches grows". With F = b = W = 1, F&B = 2.5: worst bubble (PP/2 − 1)(2.5 + 2 − 3)
  // = 4.5 and peak PP + 1 = 9 for PP = 8 at every m.
  for (int m : {16, 20, 40, 64, 120}) {
    const Timeline t = run_timeline(DualPipe{}, {8, m, 1}, dur(1, 1, 1, 2.5));
    EXPECT_NEAR(t.max_bubble(), 4.5, kTol) << "m " << m;
    EXPECT_EQ(t.max_peak_activations(), 9) << "m " << m;
  }
}

TEST(DualPipeV, EveryMicroBatchTurnsOnTheLastRank) {
  // V shape: stages 0..R−1 on ranks 0..R−1 (chunk 0), stages R..2R−1 on ranks R−1..0 (chunk 1).
  const ScheduleShape s{4, 10, 1};
  const DualPipeV v;
  EXPECT_EQ(v.stage_count(s), 8);
  EXPECT_EQ(v.slot_of(s, 3, 3), (StageSlot{3, 0}));
  EXPECT_EQ(v.slot_of(s, 3, 4), (StageSlot{3, 1}));
  EXPECT_EQ(v.slot_of(s, 3, 7), (StageSlot{0, 1}));
}

TEST(Dependencies, UpstreamFollowsTheStageChainInBothDirections) {
  const DualPipe d;
  const ScheduleShape s{8, 20, 1};
  // F(mb, s) ← F(mb, s−1); B(mb, S−1) ← F(mb, S−1); B(mb, s) ← B(mb, s+1); W ← B.
  EXPECT_FALSE(upstream(d, s, {PassType::F, 3, 0}).has_value());
  EXPECT_EQ(upstream(d, s, {PassType::F, 3, 5}), (Pass{PassType::F, 3, 4}));
  EXPECT_EQ(upstream(d, s, {PassType::B, 3, 7}), (Pass{PassType::F, 3, 7}));
  EXPECT_EQ(upstream(d, s, {PassType::B, 3, 2}), (Pass{PassType::B, 3, 3}));
  EXPECT_EQ(upstream(d, s, {PassType::W, 3, 2}), (Pass{PassType::B, 3, 2}));
  // Direction 0 (mb < m/2) flows down the ranks, direction 1 flows up.
  EXPECT_EQ(next_slot(d, s, 3, 2), (StageSlot{3, 0}));
  EXPECT_EQ(next_slot(d, s, 13, 2), (StageSlot{4, 1}));
  EXPECT_EQ(prev_slot(d, s, 13, 2), (StageSlot{6, 1}));
  EXPECT_FALSE(next_slot(d, s, 13, 7).has_value());
  EXPECT_FALSE(prev_slot(d, s, 3, 0).has_value());
}

TEST(Dependencies, CompoundItemsExpandToTheirPasses) {
  const DualPipe d;
  const ScheduleShape s{8, 20, 1};
  // Rank 1 holds stage 1 (chunk 0) and stage 6 (chunk 1); an F&B's backward is a full one.
  EXPECT_EQ(passes_of(d, s, 1, {WorkKind::FB, 2, 0, 14, 1}),
            (std::vector<Pass>{{PassType::F, 2, 1}, {PassType::B, 14, 6}, {PassType::W, 14, 6}}));
  EXPECT_EQ(passes_of(d, s, 1, {WorkKind::BW, 12, 1}),
            (std::vector<Pass>{{PassType::B, 12, 6}, {PassType::W, 12, 6}}));
}

}  // namespace
}  // namespace trainsim::sim::schedules
