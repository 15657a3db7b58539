// A changed nominal link rate reaches the simulated step: the catalog gives the achievable NIC
// and NVLink rates as fractions of the nominal ones (hardware/catalog/*.yaml), so
// `cluster.fabric={base: mpft-ib-400g, nic_bw: 800Gbps}` doubles the achievable 40 GB/s.
#include <gtest/gtest.h>

#include "scenarios/scenario_loader.hpp"
#include "sim/simulate.hpp"

namespace trainsim::sim {
namespace {

const std::string kV3 = std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/deepseek-v3.yaml";

/// Seconds rank 0 spends in expert all-to-all transfers (dispatch and combine) over the step.
double all_to_all_s(const StepResult& r) {
  double t = 0;
  for (const auto& e : r.timeline) {
    if (e.rank == 0 && (e.name == "dispatch" || e.name == "combine")) t += e.end_s - e.start_s;
  }
  return t;
}

StepResult v3_step(const std::vector<std::string>& sets) {
  SimOptions o;
  o.symmetric = true;
  o.trace_ranks = {0};
  return simulate_step(scenarios::load_scenario(kV3, {sets}), 0, 4096, o);
}

TEST(NominalOverride, EightHundredGigabitNicsShortenTheExpertAllToAll) {
  // V3's EP64 spans 8 nodes: 7/8 of a dispatch's bytes cross the NIC once, then NVLink forwards
  // them. At 800 Gb/s the NIC's achievable rate is 0.8 × 100 = 80 GB/s (was 40), so the IB part
  // of every all-to-all halves; the NVLink part and the handshakes do not change. The all-to-all
  // time falls by well over a quarter, and the step cannot get longer.
  const StepResult base = v3_step({});
  const StepResult fast = v3_step({"cluster.fabric={base: mpft-ib-400g, nic_bw: 800Gbps}"});
  ASSERT_TRUE(base.infeasible_reason.empty()) << base.infeasible_reason;
  ASSERT_GT(all_to_all_s(base), 0.0);
  EXPECT_LT(all_to_all_s(fast), 0.75 * all_to_all_s(base));
  EXPECT_LE(fast.step_time_s, base.step_time_s);
  // The same fabric written with its achievable rate at the nominal 400G gives the bit-identical
  // step: the catalog's fraction reproduces the former 40 GB/s exactly.
  const StepResult same =
      v3_step({"cluster.fabric={base: mpft-ib-400g, nic_bw: 400Gbps, nic_achievable: 40GB/s}"});
  EXPECT_EQ(same.step_time_s, base.step_time_s);
  EXPECT_EQ(all_to_all_s(same), all_to_all_s(base));
}

}  // namespace
}  // namespace trainsim::sim
