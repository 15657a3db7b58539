#include "sim/moe/traffic.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "core/error.hpp"

namespace trainsim::sim::moe {
namespace {

constexpr double kTight = 1e-9;

/// DeepSeek-V3 pre-training shape: 4,096 tokens per rank, hidden 7,168, top-8 of 256 experts,
/// EP64 over 8 nodes of 8 GPUs, at most 4 nodes per token, 3.2 experts per node on average
/// (V3 §3.2.2) → ν = 8 / 3.2 = 2.5 nodes per token.
RoutingShape v3() {
  RoutingShape s;
  s.tokens_per_rank = 4096;
  s.hidden = 7168;
  s.top_k = 8;
  s.routed_experts = 256;
  s.ep = 64;
  s.gpus_per_node = 8;
  s.limited_nodes = 4;
  s.mean_nodes_per_token = 8.0 / 3.2;
  return s;
}

TEST(MoeTraffic, PublishedNodesPerTokenIsUsed) {
  EXPECT_NEAR(nodes_per_token(v3()), 2.5, kTight);
}

TEST(MoeTraffic, UniformRoutingNodesPerTokenIsCappedByNodeLimit) {
  // Uniform top-8 of 256 over 8 nodes: 8·(1 − C(224,8)/C(256,8)) ≈ 5.3 nodes, capped at 4.
  RoutingShape s = v3();
  s.mean_nodes_per_token = 0;
  EXPECT_NEAR(nodes_per_token(s), 4.0, kTight);
  s.limited_nodes = 0;
  double miss = 1.0;
  for (int i = 0; i < 8; ++i) miss *= (224.0 - i) / (256.0 - i);
  EXPECT_NEAR(nodes_per_token(s), 8.0 * (1.0 - miss), 1e-12);
}

TEST(MoeTraffic, IbBytesCrossOncePerRemoteDestinationNode) {
  // IB out = T · ν · (N−1)/N · H · b with N = 8 nodes, b = 1 B (FP8 without scales here).
  const RankTraffic t = balanced_traffic(v3(), 1.0);
  EXPECT_NEAR(t.ib_out_bytes, 4096.0 * 2.5 * 7.0 / 8.0 * 7168.0, 1.0);
  EXPECT_DOUBLE_EQ(t.ib_in_bytes, t.ib_out_bytes);
  EXPECT_DOUBLE_EQ(t.expert_tokens, 4096.0 * 8.0);
}

TEST(MoeTraffic, NvlinkForwardingUsesDistinctGpusPerNode) {
  // 3.2 experts per node among 32 on 8 GPUs of 4: distinct GPUs g = 8·(1 − P(miss a GPU)),
  // P(miss) interpolated between k=3 and k=4 draws without replacement from 32 (28 misses).
  const double p3 = 28.0 / 32 * 27.0 / 31 * 26.0 / 30;
  const double p4 = p3 * 25.0 / 29;
  const double miss = p3 + 0.2 * (p4 - p3);
  EXPECT_NEAR(gpus_per_destination_node(v3()), 8.0 * (1.0 - miss), 1e-12);
  const RankTraffic t = balanced_traffic(v3(), 2.0);
  EXPECT_NEAR(t.nvlink_out_bytes, 4096.0 * 2.5 * 8.0 * (1.0 - miss) * (7.0 / 8.0) * 7168.0 * 2.0,
              1.0);
}

TEST(MoeTraffic, SingleNodeEpHasNoInfiniBandTraffic) {
  RoutingShape s = v3();
  s.ep = 8;
  s.mean_nodes_per_token = 0;
  EXPECT_EQ(balanced_traffic(s, 1.0).ib_out_bytes, 0.0);
}

TEST(MoeTraffic, FpEightPayloadCarriesOneScalePerTile) {
  // 1 byte + 4 bytes per 128 elements.
  EXPECT_DOUBLE_EQ(payload_bytes_per_element(1.0), 1.0 + 4.0 / 128.0);
  EXPECT_DOUBLE_EQ(payload_bytes_per_element(2.0), 2.0);
}

TEST(MoeTraffic, LoadFactorsAreBalancedAtZeroSkewAndSeededOtherwise) {
  const auto flat = rank_load_factors(v3(), 0.0, 7);
  for (double f : flat) EXPECT_DOUBLE_EQ(f, 1.0);
  const auto a = rank_load_factors(v3(), 0.5, 7);
  const auto b = rank_load_factors(v3(), 0.5, 7);
  const auto c = rank_load_factors(v3(), 0.5, 8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // Mean over ranks is 1 by construction (loads normalised by the mean expert load).
  EXPECT_NEAR(std::accumulate(a.begin(), a.end(), 0.0) / static_cast<double>(a.size()), 1.0, 1e-12);
  EXPECT_GT(*std::max_element(a.begin(), a.end()), 1.05);
}

TEST(MoeTraffic, CapacityFactorCapsEachExpertsLoad) {
  // GShard/Switch capacity = c·T·k/E tokens per expert: with one expert per rank (E = ep = 8) a
  // rank's load factor is its expert's load over the balanced load, so dropping gives exactly
  // min(uncapped factor, c); the dropped tokens lower the mean below 1.
  RoutingShape s = v3();
  s.routed_experts = 8;
  s.ep = 8;
  constexpr double kCapacity = 1.25;
  const auto free = rank_load_factors(s, 0.8, 3);
  const auto capped = rank_load_factors(s, 0.8, 3, kCapacity);
  ASSERT_EQ(free.size(), capped.size());
  ASSERT_GT(*std::max_element(free.begin(), free.end()), kCapacity);  // some expert overflows
  for (std::size_t i = 0; i < free.size(); ++i)
    EXPECT_NEAR(capped[i], std::min(free[i], kCapacity), 1e-12);
  EXPECT_LT(std::accumulate(capped.begin(), capped.end(), 0.0), 8.0);
  // Several experts per rank: each expert is capped, so a rank never exceeds the capacity.
  for (double f : rank_load_factors(v3(), 0.8, 3, kCapacity)) EXPECT_LE(f, kCapacity + 1e-12);
  // Balanced routing: nothing is dropped at c >= 1; c < 1 drops the excess of every expert.
  for (double f : rank_load_factors(v3(), 0.0, 3, kCapacity)) EXPECT_DOUBLE_EQ(f, 1.0);
  for (double f : rank_load_factors(v3(), 0.0, 3, 0.5)) EXPECT_DOUBLE_EQ(f, 0.5);
  try {
    rank_load_factors(v3(), 0.5, 1, -1.0);
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("capacity factor must be finite and >= 0"),
              std::string::npos);
  }
}

TEST(MoeTraffic, BadShapesAreRejected) {
  RoutingShape s = v3();
  s.ep = 7;
  try {
    balanced_traffic(s, 1.0);
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("ep must divide the routed experts"), std::string::npos);
  }
  EXPECT_THROW(rank_load_factors(v3(), INFINITY, 1), ModelError);
}

}  // namespace
}  // namespace trainsim::sim::moe
