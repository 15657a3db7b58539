// End-to-end tests of `trainsim collective`: the nccl-tests columns, the DeepEP columns, JSON
// rows, and every bad-input message (exit status 2).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include "tests/support/cli_process.hpp"

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace {

using Output = trainsim::test::CliOutput;

Output run(const std::string& args) {
  return trainsim::test::run_cli("collective " + args);
}

const std::string kV3 = std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/deepseek-v3.yaml";

void expect_contains(const Output& o, const std::string& part) {
  EXPECT_NE(o.text.find(part), std::string::npos) << "output:\n"
                                                  << o.text << "\nexpected: " << part;
}

/// Bus bandwidths are printed to 0.01 GB/s; JSON carries full precision.
constexpr double kPrinted = 0.005;

TEST(CollectiveCli, AllReducePrintsNcclTestsColumns) {
  // 8 H800 GPUs of one node, 1 GiB: t = 2·7/8 · S/160 GB/s + 14 · 3.33 us = 11,790.67 us,
  // algbw = S/t = 91.07 GB/s, busbw = 7/4 · algbw = 159.37 GB/s.
  const Output o = run(kV3 + " --op all-reduce --group node --bytes 1GiB");
  EXPECT_EQ(o.status, 0) << o.text;
  expect_contains(o, "all-reduce on group node (8 ranks: 0-7, 1 node) of 2048 × h800");
  expect_contains(o, "NCCL ring: 1 ring, 14 steps, α = 3.33 us per step; busbw = algbw × 1.7500");
  expect_contains(o, "size         time      algbw      busbw");
  expect_contains(o, "1073741824     11790.67      91.07     159.37");
}

TEST(CollectiveCli, SizeSweepDoublesAndJsonGoesToStdout) {
  const Output o = run(kV3 + " --op all-gather --group dp --sizes 1MiB..4MiB --json -");
  ASSERT_EQ(o.status, 0) << o.text;
  const auto j = nlohmann::json::parse(o.text);
  ASSERT_EQ(j["rows"].size(), 3u);
  EXPECT_EQ(j["rows"][2]["bytes"].get<double>(), 4.0 * 1024 * 1024);
  EXPECT_EQ(j["ranks"].get<int>(), 128);
  EXPECT_EQ(j["nodes"].get<int>(), 16);
  EXPECT_EQ(j["rows"][0]["rings"].get<int>(), 8);
  EXPECT_NEAR(j["bus_factor"].get<double>(), 127.0 / 128.0, 1e-12);
  const auto& r = j["rows"][1];
  EXPECT_NEAR(r["busbw_GBps"].get<double>(), r["algbw_GBps"].get<double>() * 127.0 / 128.0, 1e-9);
}

TEST(CollectiveCli, DispatchPrintsDeepEpColumns) {
  const Output o = run(kV3 + " --op ep-dispatch --group ep --tokens 4K");
  EXPECT_EQ(o.status, 0) << o.text;
  expect_contains(o, "ep-dispatch on group ep (64 ranks: 0-63, 8 nodes)");
  expect_contains(o, "RDMA bytes    RDMA BW      NVL bytes     NVL BW  table     limited by");
  expect_contains(o, "4096");
  expect_contains(o, "RDMA      InfiniBand");
  // The H800's DeepEP kernel rate caps each GPU's NVLink copies, and the header says so.
  expect_contains(o,
                  "each GPU's kernel puts at most 133.9 GB/s on NVLink (the h800 catalog's "
                  "ep_dispatch_nvlink_rate, a measured kernel rate)");
  const Output j = run(kV3 + " --op ep-combine --group 8 --tokens 128..512 --json -");
  ASSERT_EQ(j.status, 0) << j.text;
  const auto doc = nlohmann::json::parse(j.text);
  ASSERT_EQ(doc["rows"].size(), 3u);
  EXPECT_EQ(doc["payload_bytes_per_element"].get<double>(), 2.0);  // BF16 combine
  EXPECT_EQ(doc["rows"][0]["tokens"].get<int>(), 128);
  EXPECT_EQ(doc["rows"][0]["bottleneck"].get<std::string>(), "NVLink");
  EXPECT_NEAR(
      doc["rows"][0]["nvl_GBps"].get<double>(),
      doc["rows"][0]["nvl_bytes"].get<double>() / doc["rows"][0]["time_s"].get<double>() / 1e9,
      kPrinted);
}

TEST(CollectiveCli, BadInputIsExitTwoWithTheReason) {
  struct Case {
    std::string args, message;
  };
  const Case cases[] = {
      {"--group node", "--op is required; valid: all-reduce, reduce-scatter, all-gather"},
      {"--op allreduce --group node",
       "--op: unknown collective 'allreduce'; valid: all-reduce, reduce-scatter, all-gather, "
       "all-to-all, ep-dispatch, ep-combine"},
      {"--op all-reduce", "--group is required: tp, cp, dp, ep"},
      {"--op all-reduce --group 4096", "group 4096 is larger than the cluster's 2048 GPUs"},
      {"--op all-reduce --group rack", "group 'rack' is not a group; valid: tp, cp, dp, ep"},
      {"--op all-reduce --group tp",
       "group tp has 1 rank (plan: tp 1, cp 1, dp 128, ep 64, expert_tp 1); a collective needs at "
       "least 2"},
      {"--op all-gather --group etp",
       "group etp has 1 rank (plan: tp 1, cp 1, dp 128, ep 64, expert_tp 1); a collective needs "
       "at least 2"},
      {"--op all-reduce --group node --sizes 8GiB..1MiB",
       "--sizes '8GiB..1MiB': the end is smaller than the start"},
      {"--op all-reduce --group node --sizes abc..1MiB", "--sizes 'abc..1MiB': 'abc' is not a"},
      {"--op all-reduce --group node --bytes 0B", "--bytes '0B': must be positive"},
      {"--op all-reduce --group node --bytes 1GiB --sizes 1MiB..2MiB",
       "give --bytes or --sizes, not both"},
      {"--op all-reduce --group node --tokens 4096",
       "--tokens applies to ep-dispatch and ep-combine, not all-reduce"},
      {"--op ep-dispatch --group ep --bytes 1GiB",
       "--bytes and --sizes do not apply to ep-dispatch"},
      {"--op ep-dispatch --group 24",
       "ep-dispatch on group 24: 24 ranks do not divide the model's 256 experts"},
      {"--op all-to-all --group 128",
       "an all-to-all over 128 ranks would simulate 16256 flows in one component; at most 64"},
      {"--op all-reduce --group node --phase 9", "--phase 9 does not exist"},
  };
  for (const auto& c : cases) {
    const Output o = run(kV3 + " " + c.args);
    EXPECT_EQ(o.status, 2) << c.args << "\n" << o.text;
    expect_contains(o, c.message);
  }
}

TEST(CollectiveCli, EpGroupFollowsExpertTp) {
  // V3 with EP32 × expert_tp 2: rank 0's EP group is every second rank of 0..63 (eight nodes,
  // four members each), and its expert-TP group ranks 0 and 1.
  const Output ep = run(
      kV3 + " --op ep-dispatch --group ep --set parallelism.ep=32 --set parallelism.expert_tp=2");
  EXPECT_EQ(ep.status, 0) << ep.text;
  expect_contains(ep, "ep-dispatch on group ep (32 ranks: 0,2,…,62 (stride 2), 8 nodes)");
  const Output etp = run(kV3 +
                         " --op all-gather --group etp --bytes 64MiB --set parallelism.ep=32 --set "
                         "parallelism.expert_tp=2");
  EXPECT_EQ(etp.status, 0) << etp.text;
  expect_contains(etp, "all-gather on group etp (2 ranks: 0-1, 1 node)");
}

}  // namespace
