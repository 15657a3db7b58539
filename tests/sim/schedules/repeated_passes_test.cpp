// RepeatedPasses (gradient accumulation over pipeline passes): each rank's list is its inner
// schedule's list once per pass, the micro-batches of pass p shifted by p·m_pass.
#include "sim/schedules/repeated_passes.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <tuple>

#include "core/error.hpp"

namespace trainsim::sim::schedules {
namespace {

TEST(RepeatedPasses, ListsArePassesOfTheInnerScheduleBackToBack) {
  // 1F1B, PP4, 3 passes of 4 micro-batches: rank r's list is 3 copies of its 1F1B list for 4,
  // the k-th copy on micro-batches 4k … 4k + 3; every (micro-batch, stage) still gets one F and
  // one full backward.
  const RepeatedPasses ga(make_schedule("1f1b"), 3);
  const ScheduleShape shape{4, 12, 1};
  const RankLists lists = ga.build(shape);
  const RankLists pass = make_schedule("1f1b")->build({4, 4, 1});
  ASSERT_EQ(lists.size(), 4u);
  for (std::size_t r = 0; r < 4; ++r) {
    ASSERT_EQ(lists[r].size(), 3 * pass[r].size());
    for (std::size_t i = 0; i < lists[r].size(); ++i) {
      const std::size_t p = i / pass[r].size();
      WorkItem want = pass[r][i % pass[r].size()];
      want.micro_batch += static_cast<int>(4 * p);
      EXPECT_EQ(lists[r][i], want) << "rank " << r << " item " << i;
    }
  }
  std::map<std::tuple<int, int, WorkKind>, int> seen;
  for (std::size_t r = 0; r < 4; ++r) {
    for (const WorkItem& w : lists[r]) ++seen[{w.micro_batch, static_cast<int>(r), w.kind}];
  }
  EXPECT_EQ(seen.size(), 12u * 4u * 2u);  // F and BW of 12 micro-batches on 4 stages
  for (const auto& [key, n] : seen) EXPECT_EQ(n, 1);
}

TEST(RepeatedPasses, DualPipeMicroBatchesMeetStagesWhereTheirPassPlacesThem) {
  // DualPipe feeds the first half of a pass's micro-batches from rank 0 and the second half from
  // the last rank: micro-batch 8 (the first of pass 2 of 8) enters like micro-batch 0, 12 like 4.
  const RepeatedPasses ga(make_schedule("dualpipe"), 2);
  const auto inner = make_schedule("dualpipe");
  const ScheduleShape shape{4, 16, 1}, pass{4, 8, 1};
  for (int s = 0; s < 4; ++s) {
    EXPECT_EQ(ga.slot_of(shape, 8, s), inner->slot_of(pass, 0, s));
    EXPECT_EQ(ga.slot_of(shape, 12, s), inner->slot_of(pass, 4, s));
  }
  EXPECT_EQ(ga.chunks_per_rank(shape), 2);
  EXPECT_EQ(ga.stage_count(shape), inner->stage_count(pass));
  EXPECT_EQ(ga.name(), "dualpipe");
}

TEST(RepeatedPasses, ShapesThatDoNotSplitIntoPassesAreRejectedWithTheReason) {
  const RepeatedPasses ga(make_schedule("interleaved-1f1b"), 4);
  try {
    ga.validate({4, 10, 2});
    FAIL() << "10 micro-batches accepted for 4 passes";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("10 micro-batches per data-parallel rank do not split "
                                         "into grad_accum_passes = 4 equal pipeline passes"),
              std::string::npos)
        << e.what();
  }
  try {
    ga.validate({4, 8, 2});  // 2 per pass: interleaved 1F1B needs multiples of PP
    FAIL() << "2 micro-batches per pass accepted for PP4 interleaved";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("each of the 4 pipeline passes runs 2 micro-batches: "),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("multiple of ranks"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(ga.validate({4, 16, 2}));
  EXPECT_THROW(RepeatedPasses(make_schedule("1f1b"), 0), ModelError);
}

}  // namespace
}  // namespace trainsim::sim::schedules
