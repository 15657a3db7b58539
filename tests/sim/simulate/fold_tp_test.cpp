// TP folding (SimOptions::fold_tensor_parallel): an identical, lockstep tensor-parallel group
// simulated once gives the step of simulating every member.
#include <gtest/gtest.h>

#include <algorithm>

#include "scenarios/scenario_loader.hpp"
#include "sim/simulate.hpp"

namespace trainsim::sim {
namespace {

const std::string kDenseTp = std::string(TRAINSIM_TEST_DATA_DIR) + "/scenarios/small-dense-tp.yaml";
const std::string kSmallMoe = std::string(TRAINSIM_TEST_DATA_DIR) + "/scenarios/small-moe.yaml";

// On these symmetric fabrics every member's flows mirror TP index 0's, so the result is the
// same up to float summation order.
constexpr double kExact = 1e-9;

StepResult step(const std::string& file, bool fold, const std::vector<std::string>& sets = {}) {
  scenarios::LoadOptions lo;
  lo.overrides = sets;
  const auto s = scenarios::load_scenario(file, lo);
  SimOptions o;
  o.fold_tensor_parallel = fold;
  o.trace_ranks = {0, 3};
  return simulate_step(s, 0, 0, o);
}

void expect_same_step(const StepResult& all, const StepResult& folded) {
  EXPECT_NEAR(folded.step_time_s / all.step_time_s, 1.0, kExact);
  EXPECT_NEAR(folded.mfu / all.mfu, 1.0, kExact);
  EXPECT_NEAR(folded.hfu / all.hfu, 1.0, kExact);
  EXPECT_NEAR(folded.exposed_comm_s.mean / all.exposed_comm_s.mean, 1.0, kExact);
  EXPECT_NEAR(folded.bubble_s.max / all.bubble_s.max, 1.0, kExact);
  EXPECT_NEAR(folded.memory.activations / all.memory.activations, 1.0, kExact);
}

TEST(FoldTensorParallel, SameStepAsEveryMemberOnANonBlockingFatTree) {
  // Llama 3.1 70B, TP8 PP4 DP8 on 256 GPUs: 32 TP groups simulated instead of 256 ranks.
  const StepResult all = step(kDenseTp, false);
  const StepResult folded = step(kDenseTp, true);
  EXPECT_EQ(all.ranks_simulated, 256);
  EXPECT_EQ(folded.ranks_simulated, 32);
  EXPECT_LT(folded.events, all.events);
  expect_same_step(all, folded);
  // Every rank is still reported (members as copies of their group's times).
  EXPECT_EQ(folded.ranks.size(), 256u);
}

TEST(FoldTensorParallel, SameStepOnTheRailOptimizedRoceFabric) {
  const std::vector<std::string> rail{"cluster.fabric=rail-roce-400g"};
  expect_same_step(step(kDenseTp, false, rail), step(kDenseTp, true, rail));
}

TEST(FoldTensorParallel, AFoldedMembersTimelineIsItsGroupsTimeline) {
  // Rank 3 (TP index 3 of group 0) is not simulated on its own but its trace is recorded.
  const StepResult all = step(kDenseTp, false);
  const StepResult folded = step(kDenseTp, true);
  auto count = [](const StepResult& r, int rank) {
    return std::count_if(r.timeline.begin(), r.timeline.end(),
                         [rank](const TimelineEvent& e) { return e.rank == rank; });
  };
  EXPECT_GT(count(folded, 3), 0);
  EXPECT_EQ(count(folded, 3), count(all, 3));
  EXPECT_EQ(count(folded, 3), count(folded, 0));
}

TEST(FoldTensorParallel, ExpertParallelPlansAreNeverFolded) {
  // Mixtral with EP8 (tp 1 here, so there is nothing to fold) and with TP2: members of an EP
  // group may carry different expert loads, so every rank stays explicit.
  const StepResult ep =
      step(kSmallMoe, true, {"parallelism.tp=2", "parallelism.dp=4", "parallelism.ep=4"});
  EXPECT_EQ(ep.ranks_simulated, 16);
}

}  // namespace
}  // namespace trainsim::sim
