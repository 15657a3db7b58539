// Hostile scenarios (issue 14): inputs that overflowed an integer, a double-to-int conversion or
// the simulator's clock, or that allocated without bound, are refused as the scenario loads, with
// the key and the valid range.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "scenarios/scenario_loader.hpp"

namespace trainsim::scenarios {
namespace {

const std::string kMoe = R"(name: small
model: deepseek-v3
cluster: {gpu: h800, gpus: 2048, gpus_per_node: 8, fabric: mpft-ib-400g}
parallelism: {pp: 16, dp: 128, ep: 64, schedule: dualpipe, zero: 1, micro_batch: 1}
precision: fp8
phases:
  - {name: pre-training, tokens: 1T, seq_len: 4K, batch: 15360}
price: 2
)";

std::string error_of(const std::string& text, const std::vector<std::string>& sets = {}) {
  try {
    load_scenario_text(text, "t.yaml", {sets});
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

void expect_contains(const std::string& msg, const std::string& part) {
  EXPECT_NE(msg.find(part), std::string::npos) << "message: " << msg << "\nexpected: " << part;
}

TEST(ScenarioHostile, PlanProductDoesNotOverflow) {
  // 10^6 · 10^6 · 10^6 · 10 = 10^19 > 2^63: the int64 product overflowed (UBSan) and the message
  // printed a negative number. In double it is exact enough to say what it is.
  const std::string msg = error_of(
      kMoe, {"parallelism.dp=1M", "parallelism.tp=1M", "parallelism.pp=1M", "parallelism.cp=10"});
  expect_contains(msg,
                  "dp × tp × pp × cp = 1000000 × 1000000 × 1000000 × 10 = 1e+19 does not "
                  "equal cluster.gpus = 2048");
  expect_contains(error_of(kMoe, {"parallelism.dp=1M", "parallelism.tp=1M", "parallelism.pp=1M"}),
                  "= 1000000000000000000 does not equal");
}

TEST(ScenarioHostile, LargestSeedIsExact) {
  // seed = 2^63 − 1 was read through a double (2^63) and converted: undefined behaviour.
  const Scenario s = load_scenario_text(kMoe, "t.yaml", {{"seed=9223372036854775807"}});
  EXPECT_EQ(s.seed, 9223372036854775807ull);
  expect_contains(error_of(kMoe, {"seed=9223372036854775808"}),
                  "seed: '9223372036854775808' is out of range: must be a whole number between 0 "
                  "and 9223372036854775807");
  expect_contains(error_of(kMoe, {"seed=-1"}), "'-1' is out of range");
  expect_contains(error_of(kMoe, {"seed=1e400"}), "'1e400' is out of range");
}

TEST(ScenarioHostile, AFileThatIsNotAScenarioIsNotQuoted) {
  const std::string shadow =
      "root:$6$saltsalt$hashhashhashhashhash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n";
  const std::string msg = error_of(shadow);
  expect_contains(msg, "t.yaml: not a scenario: none of its 2 top-level keys is a scenario key");
  EXPECT_EQ(msg.find("root"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("hash"), std::string::npos) << msg;
}

TEST(ScenarioHostile, NonUtf8NameIsRefusedAtLoad) {
  // Before: validate passed and `run --json` died with nlohmann's type_error.316 (exit 70).
  std::string text = kMoe;
  text.replace(text.find("name: small"), 11, "name: sm\xe9ll");
  expect_contains(error_of(text), "t.yaml:1:9: byte 0xE9, which is not valid UTF-8");
  expect_contains(error_of(kMoe, {"phases[0].name=\"a\\udc00\""}), "phases[0].name");
}

TEST(ScenarioHostile, RatesTooSmallForTheClockNameTheirKey) {
  // 1 B/s of HBM or 100 FLOP/s made an op last longer than int64 nanoseconds hold (2^63 ns);
  // the step then said "cannot schedule an event in the past".
  expect_contains(error_of(kMoe, {"cluster.gpu={base: h800, hbm_bw: 1B/s}"}),
                  "cluster.gpu.hbm_bw: '1B/s' is out of range: the bandwidth must be between "
                  "1 MB/s and 1000 TB/s");
  expect_contains(error_of(kMoe, {"cluster.gpu={base: h800, peak_flops: {bf16: 100FLOPS, fp8: "
                                  "1PFLOPS}}"}),
                  "cluster.gpu.peak_flops.bf16: '100FLOPS' is out of range: the FLOP rate must be "
                  "between 1 GFLOP/s");
  expect_contains(error_of(kMoe, {"cluster.gpu={base: h800, nvlink_bw_per_direction: 1B/s, "
                                  "nvlink_achievable_per_direction: 1B/s}"}),
                  "cluster.gpu.nvlink_bw_per_direction: '1B/s' is out of range");
  expect_contains(error_of(kMoe, {"cluster.fabric={base: mpft-ib-400g, nic_bw: 1B/s, "
                                  "nic_achievable: 1B/s}"}),
                  "cluster.fabric.nic_bw: '1B/s' is out of range");
}

TEST(ScenarioHostile, HugeLatenciesNameTheirKey) {
  // 10^6 days = 8.64·10^13 s = 8.64·10^22 ns, far past 2^63 ns.
  expect_contains(error_of(kMoe, {"cluster.gpu={base: h800, nvlink_latency: 1e6d}"}),
                  "cluster.gpu.nvlink_latency: '1e6d' is out of range: the duration must be "
                  "between 0 and 1 s");
  expect_contains(error_of(kMoe, {"cluster.fabric={base: mpft-ib-400g, latency_cross_leaf: 1e6d}"}),
                  "cluster.fabric.latency_cross_leaf: '1e6d' is out of range");
}

TEST(ScenarioHostile, TinyMoeImbalanceIsRefused) {
  // The gamma shape 1/cv² is infinite for cv = 1e-200 and the loads became NaN.
  expect_contains(error_of(kMoe, {"moe={imbalance: 1e-200}"}),
                  "moe.imbalance: '1e-200' is out of range: the imbalance (a coefficient of "
                  "variation) must be 0 (balanced routing) or between 0.001 and 10");
  EXPECT_EQ(error_of(kMoe, {"moe={imbalance: 0}"}), "<no error>");
  EXPECT_EQ(error_of(kMoe, {"moe={imbalance: 0.05}"}), "<no error>");
}

TEST(ScenarioHostile, HugeModelsAreRefusedBeforeAnyAllocation) {
  // layers: 2^31 passed validate and ran the step out of memory (per-layer lists).
  expect_contains(error_of(kMoe, {"model={base: deepseek-v3, layers: 2147483648}"}),
                  "model.layers: model 'custom-deepseek-v3': layers = 2147483648 is more than "
                  "10000");
  expect_contains(error_of(kMoe, {"model={base: deepseek-v3, moe: {routed_experts: 2147483648}}"}),
                  "moe.routed_experts = 2147483648 is more than 65536");
  // hidden = 2^31: about 2^31 · 2^31 · 61 layers · 2 ≈ 5.6·10^20 parameters, whose int64
  // accounting would overflow.
  expect_contains(error_of(kMoe, {"model={base: deepseek-v3, hidden: 2147483648}"}),
                  "parameters, more than 1e+15");
}

}  // namespace
}  // namespace trainsim::scenarios
