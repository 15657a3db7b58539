// The capacity planner's kernel floor (sim/plan/compute_floor.hpp) is a lower bound: for every
// schedule, on a dense and an MoE scenario, the step simulated at the phase's final batch is
// never shorter than the floor's per-step bound, nor uses less memory than its memory bound; and
// the busiest rank's compute per micro-batch is the step's own (the same op lists, cost model
// and layer split), so m · t_max is within a few per cent of the step's largest per-rank compute.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scenarios/scenario_loader.hpp"
#include "sim/plan/compute_floor.hpp"
#include "sim/simulate.hpp"

namespace trainsim::sim::plan {
namespace {

const std::string kDense = std::string(TRAINSIM_TEST_DATA_DIR) + "/scenarios/small-dense-tp.yaml";
const std::string kMoe = std::string(TRAINSIM_TEST_DATA_DIR) + "/scenarios/small-moe.yaml";

struct Case {
  std::string file;
  std::vector<std::string> sets;
};

class ComputeFloorBound : public ::testing::TestWithParam<Case> {};

TEST_P(ComputeFloorBound, NeverAboveTheSimulatedStep) {
  const scenarios::Scenario s = scenarios::load_scenario(GetParam().file, {GetParam().sets});
  const scenarios::Phase& ph = s.phases[0];
  ComputeFloor floors;
  const PhaseFloor f = floors.phase(s, 0);
  ASSERT_TRUE(f.problem.empty()) << f.problem;
  SimOptions so;
  so.symmetric = true;
  const StepResult r = simulate_step(s, 0, 0, so);
  ASSERT_TRUE(r.infeasible_reason.empty() || !r.fits_in_memory) << r.infeasible_reason;
  // Per step at the final batch: the phase bound over its micro-batches, scaled to this step's
  // m = batch / (dp · micro_batch) of the phase's M = tokens / (seq_len · dp · micro_batch).
  const auto& p = ph.plan ? *ph.plan : s.plan;
  const double m = static_cast<double>(r.micro_batches);
  // t_max holds the serial TP collectives too (not with DualPipe's pairs): still below the step.
  EXPECT_LE(f.busiest_rank_s * m, r.step_time_s * (1 + 1e-9));
  EXPECT_GE(f.busiest_rank_s, f.busiest_compute_s);
  // The step's busiest rank computes m · t_max at full speed (balanced experts: no load factor);
  // kernels slowed by communication only lengthen it, so the floor is at most its compute time
  // and, on these small cases, within 5% of it.
  EXPECT_LE(f.busiest_compute_s * m, r.compute_s.max * (1 + 1e-9));
  EXPECT_GE(f.busiest_compute_s * m, 0.95 * r.compute_s.max)
      << "tp " << p.tp << " pp " << p.pp << " " << p.schedule;
  EXPECT_LE(f.min_memory_bytes, r.memory.total() * (1 + 1e-9));
}

INSTANTIATE_TEST_SUITE_P(
    Schedules, ComputeFloorBound,
    ::testing::Values(
        Case{kDense, {}},
        Case{kDense, {"parallelism.schedule=gpipe", "parallelism.virtual_stages=1"}},
        Case{kDense, {"parallelism.schedule=1f1b", "parallelism.virtual_stages=1"}},
        Case{kDense, {"parallelism.schedule=zb1p", "parallelism.virtual_stages=1"}},
        Case{kDense, {"parallelism.schedule=dualpipe", "parallelism.virtual_stages=1"}},
        Case{kDense, {"parallelism.schedule=dualpipev", "parallelism.virtual_stages=1"}},
        Case{kMoe, {}}, Case{kMoe, {"parallelism.schedule=dualpipe"}},
        Case{kMoe, {"parallelism.schedule=dualpipev", "parallelism.recompute=full"}}));

}  // namespace
}  // namespace trainsim::sim::plan
