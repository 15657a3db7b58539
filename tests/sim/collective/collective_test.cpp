#include "sim/collective/collective.hpp"
#include "sim/collective/scenario_collective.hpp"
// Before gtest: <signal.h> (pulled in by gtest) defines a `si_value` macro that breaks the
// parameter of that name in core/units.hpp.
#include "hardware/catalog.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numeric>
#include <string>

#include "core/error.hpp"
#include "models/op_list.hpp"
#include "scenarios/scenario_loader.hpp"

namespace trainsim::sim::collective {
namespace {

const std::string kGpusYaml = std::string(TRAINSIM_SOURCE_DIR) + "/hardware/catalog/gpus.yaml";
const std::string kFabricsYaml =
    std::string(TRAINSIM_SOURCE_DIR) + "/hardware/catalog/fabrics.yaml";

/// The engine rounds a flow's start latency and its completion up to whole nanoseconds: at most
/// two ns per simulated step.
constexpr double kNs = 2e-9;
/// Flows that start after different latencies share links unevenly for a few microseconds;
/// against transfers of tens of milliseconds that moves a bandwidth by well under 1%.
constexpr double kShareTol = 0.01;

const hardware::HardwareCatalog& catalog() {
  static const hardware::HardwareCatalog c =
      hardware::HardwareCatalog::load(kGpusYaml, kFabricsYaml);
  return c;
}

/// H800 nodes of 8 GPUs on DeepSeek's multi-plane fat-tree (400G CX7, 40 GB/s achievable).
hardware::Topology h800(int gpus) {
  hardware::ClusterSpec c;
  c.gpu = catalog().gpu("h800");
  c.fabric = catalog().fabric("mpft-ib-400g");
  c.gpus = gpus;
  c.node.gpus_per_node = 8;
  return hardware::Topology::build(c);
}

std::vector<int> consecutive(int first, int n) {
  std::vector<int> r(static_cast<std::size_t>(n));
  std::iota(r.begin(), r.end(), first);
  return r;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

/// C(a − r, k)/C(a, k) for integer k: k draws without replacement from a items all miss r.
double miss(double a, double r, int k) {
  double p = 1;
  for (int i = 0; i < k; ++i) p *= (a - r - i) / (a - i);
  return p;
}

/// DeepEP's benchmark shape (tests/test_internode.py defaults): 4,096 tokens, hidden 7,168,
/// top-8 of 256 experts, uniform routing.
moe::RoutingShape deepep_shape() {
  moe::RoutingShape s;
  s.tokens_per_rank = 4096;
  s.hidden = 7168;
  s.top_k = 8;
  s.routed_experts = 256;
  s.limited_nodes = 4;
  return s;
}

constexpr double kFp8 = 1.0 + 4.0 / 128.0;  // FP8 payload + one FP32 scale per 128 channels

/// DeepEP's intranode benchmark: an FP8 dispatch over the 8 GPUs of one node.
CollectiveSpec ep8_dispatch() {
  CollectiveSpec spec;
  spec.op = CollectiveOp::EpDispatch;
  spec.ranks = consecutive(0, 8);
  spec.routing = deepep_shape();
  spec.payload_bytes_per_element = kFp8;
  return spec;
}

TEST(Collective, RingAllReduceOnOneNvSwitchNode) {
  // NCCL ring all-reduce on p GPUs of one NVSwitch node: 2(p−1) steps, each moving S/p over
  // every GPU's own NVLink port at B = 160 GB/s after α = the NVLink latency (3.33 us):
  //   t = 2(p−1)/p · S/B + 2(p−1)·α,   busbw = 2(p−1)/p · S/t → B as S grows.
  const auto topo = h800(8);
  const double b_nvl = 160e9, alpha = 3.33e-6;
  for (int p : {2, 4, 8}) {
    CollectiveSpec spec;
    spec.op = CollectiveOp::AllReduce;
    spec.ranks = consecutive(0, p);
    spec.bytes = std::pow(2.0, 30);
    const auto r = simulate_collective(topo, spec);
    const double expected = 2.0 * (p - 1) / p * spec.bytes / b_nvl + 2.0 * (p - 1) * alpha;
    EXPECT_EQ(r.steps, 2 * (p - 1));
    EXPECT_EQ(r.rings, 1);
    EXPECT_NEAR(r.time_s, expected, 2.0 * (p - 1) * kNs) << "p = " << p;
    EXPECT_NEAR(r.algbw_Bps, spec.bytes / r.time_s, 1e-6);
    EXPECT_NEAR(r.busbw_Bps, r.algbw_Bps * 2.0 * (p - 1) / p, 1e-6);
    EXPECT_NEAR(r.latency_s, alpha, 1e-15);
  }
}

TEST(Collective, ReduceScatterAndAllGatherTakeHalfTheAllReduceSteps) {
  // Reduce-scatter and all-gather run p − 1 ring steps of S/p: t = (p−1)/p · S/B + (p−1)·α.
  const auto topo = h800(8);
  for (auto op : {CollectiveOp::ReduceScatter, CollectiveOp::AllGather}) {
    CollectiveSpec spec;
    spec.op = op;
    spec.ranks = consecutive(0, 8);
    spec.bytes = 256e6;
    const auto r = simulate_collective(topo, spec);
    EXPECT_EQ(r.steps, 7);
    EXPECT_NEAR(r.time_s, 7.0 / 8.0 * spec.bytes / 160e9 + 7 * 3.33e-6, 7 * kNs);
    EXPECT_NEAR(r.busbw_Bps, r.algbw_Bps * 7.0 / 8.0, 1e-6);
  }
}

TEST(Collective, AllGatherAcrossNodesIsLimitedByTheNic) {
  // One GPU per node (a DP group: ranks 0, 8, …, 56): every ring hop crosses InfiniBand on one
  // plane (NIC → leaf → NIC, 2.8 us same leaf) at the NIC's achievable 40 GB/s:
  //   t = (p−1)·(S/p / B_nic + α_ib),   busbw = (p−1)/p · S/t → 40 GB/s.
  const auto topo = h800(64);
  CollectiveSpec spec;
  spec.op = CollectiveOp::AllGather;
  for (int n = 0; n < 8; ++n) spec.ranks.push_back(8 * n);
  spec.bytes = std::pow(2.0, 33);
  const auto r = simulate_collective(topo, spec);
  const double p = 8, b_nic = 40e9, alpha = 2.8e-6;
  EXPECT_EQ(r.rings, 1);
  EXPECT_NEAR(r.time_s, (p - 1) * (spec.bytes / p / b_nic + alpha), (p - 1) * kNs);
  EXPECT_NEAR(r.busbw_Bps / b_nic, 1.0, kShareTol);
}

TEST(Collective, WholeNodeRingsUseEveryNicAndAreNvLinkBound) {
  // Two whole H800 nodes: 8 rings (NCCL channels), each leaving a node through its own NIC, so
  // the node's NICs carry 8 × 40 = 320 GB/s against one GPU's 160 GB/s NVLink port, which every
  // ring crosses: the bus bandwidth is NVLink's (one ring would be held to one NIC, 40 GB/s).
  const auto topo = h800(16);
  CollectiveSpec spec;
  spec.op = CollectiveOp::AllReduce;
  spec.ranks = consecutive(0, 16);
  spec.bytes = std::pow(2.0, 33);
  const auto r = simulate_collective(topo, spec);
  EXPECT_EQ(r.rings, 8);
  EXPECT_EQ(r.nodes, 2);
  EXPECT_NEAR(r.busbw_Bps / 160e9, 1.0, kShareTol);
}

TEST(Collective, AllToAllInsideANodeRunsAtNvLinkBandwidth) {
  // Each of p = 8 GPUs sends S/p to each of the 7 others at once: its NVLink port carries
  // 7/8·S, all flows equal, so t = α + (p−1)/p · S/B and busbw = (p−1)/p · S/t → B.
  const auto topo = h800(8);
  CollectiveSpec spec;
  spec.op = CollectiveOp::AllToAll;
  spec.ranks = consecutive(0, 8);
  spec.bytes = 1e9;
  const auto r = simulate_collective(topo, spec);
  EXPECT_EQ(r.flows, 56u);
  EXPECT_NEAR(r.time_s, 3.33e-6 + 7.0 / 8.0 * 1e9 / 160e9, kNs);
  EXPECT_NEAR(r.busbw_Bps, r.algbw_Bps * 7.0 / 8.0, 1e-6);
  EXPECT_NEAR(r.busbw_Bps / 160e9, 1.0, kShareTol);
}

TEST(Collective, AllToAllAcrossNodesIsLimitedByTheNics) {
  // 16 ranks on two nodes: a rank sends 8/16 of S to the other node; all 8 of a node's NICs
  // together carry 8 · S/2 at 8 × 40 GB/s, while NVLink carries less per port — so t ≥
  // (S/2)/B_nic and busbw = 15/16 · S/t stays at or under 15/16 · 2 · 40 GB/s = 75 GB/s.
  const auto topo = h800(16);
  CollectiveSpec spec;
  spec.op = CollectiveOp::AllToAll;
  spec.ranks = consecutive(0, 16);
  spec.bytes = 1e9;
  const auto r = simulate_collective(topo, spec);
  EXPECT_GE(r.time_s, 0.5e9 / 40e9);
  EXPECT_LE(r.busbw_Bps, 75e9 * (1 + 1e-9));
  EXPECT_NEAR(r.busbw_Bps / 75e9, 1.0, kShareTol);
}

TEST(Collective, IntranodeDispatchMovesTheRoutedTokensOverNvLink) {
  // EP8 inside one node, uniform top-8 of 256 experts (32 per GPU): a token reaches
  // g = 8·(1 − C(224,8)/C(256,8)) GPUs. DeepEP counts every received token (its own included):
  //   NVL bytes = T·g·H·b;  a GPU's NVLink port carries T·g·(7/8)·H·b in 7 equal flows, so
  //   t = α + T·g·(7/8)·H·b / 160 GB/s.
  const auto topo = h800(8);
  const CollectiveSpec spec = ep8_dispatch();
  const auto r = simulate_collective(topo, spec);
  const double g = 8.0 * (1.0 - miss(256, 32, 8));
  const double row = 7168 * kFp8;
  EXPECT_NEAR(r.gpus_per_node_hit, g, 1e-9);
  EXPECT_NEAR(r.nvl_bytes, 4096 * g * row, 1e-3);
  EXPECT_EQ(r.rdma_bytes, 0.0);
  EXPECT_EQ(r.bottleneck, "NVLink");
  EXPECT_NEAR(r.time_s, 3.33e-6 + 4096 * g * 7.0 / 8.0 * row / 160e9, kNs);
  EXPECT_NEAR(r.nvl_Bps, r.nvl_bytes / r.time_s, 1e-3);
}

TEST(Collective, AnEpKernelRateBelowTheLinkCapsEachGpusNvLinkCopies) {
  // With the kernel's NVLink rate R below the link's 160 GB/s, each GPU's 7 flows share R:
  //   t = α + T·g·(7/8)·H·b / R,  and DeepEP's figure (own tokens counted) → R · 8/7.
  // R above the link leaves the link in charge; R = 0 is no cap.
  const auto topo = h800(8);
  CollectiveSpec spec = ep8_dispatch();
  const auto free = simulate_collective(topo, spec);
  spec.nvlink_kernel_Bps = 133.9e9;
  const auto capped = simulate_collective(topo, spec);
  const double g = 8.0 * (1.0 - miss(256, 32, 8));
  const double wire = 4096 * g * 7.0 / 8.0 * 7168 * kFp8;
  EXPECT_NEAR(capped.time_s, 3.33e-6 + wire / 133.9e9, kNs);
  EXPECT_NEAR(capped.nvl_Bps, 133.9e9 * 8.0 / 7.0, 0.01 * 133.9e9);
  spec.nvlink_kernel_Bps = 500e9;
  EXPECT_NEAR(simulate_collective(topo, spec).time_s, free.time_s, kNs);
  spec.nvlink_kernel_Bps = -1;
  EXPECT_EQ(message_of([&] { simulate_collective(topo, spec); }),
            "ep-dispatch needs a non-negative NVLink kernel rate, got -1");
}

TEST(Collective, InternodeDispatchAndCombineCrossIbOncePerNode) {
  // EP16 on two nodes, uniform top-8 of 256 experts: ν = 2·(1 − C(128,8)/C(256,8)) nodes per
  // token; with k/ν experts per node among 128 (16 per GPU), g = 8·(1 − C(112,k')/C(128,k'))
  // (traffic.hpp interpolates k'). DeepEP's RDMA count includes the own node: T·ν·H·b; the NIC
  // sends T·ν/2·H·b to the other node's same-index GPU, and NVLink forwards T·ν·g·(7/8)·H·b
  // in 7 flows. The two stages use disjoint links, so
  //   t = max(α_ib + T·ν/2·H·b / 40 GB/s,  α_nvl + T·ν·g·(7/8)·H·b / 160 GB/s).
  // Combine sends the same tokens back in BF16 (b = 2).
  const auto topo = h800(16);
  for (auto op : {CollectiveOp::EpDispatch, CollectiveOp::EpCombine}) {
    CollectiveSpec spec;
    spec.op = op;
    spec.ranks = consecutive(0, 16);
    spec.routing = deepep_shape();
    spec.payload_bytes_per_element = op == CollectiveOp::EpDispatch ? kFp8 : 2.0;
    const auto r = simulate_collective(topo, spec);
    const double nu = 2.0 * (1.0 - miss(256, 128, 8));
    const double g = r.gpus_per_node_hit;
    const double row = 7168 * spec.payload_bytes_per_element;
    EXPECT_NEAR(r.nodes_per_token, nu, 1e-9);
    EXPECT_NEAR(r.rdma_bytes, 4096 * nu * row, 1e-3);
    EXPECT_NEAR(r.ib_out_bytes, 4096 * nu / 2 * row, 1e-3);
    EXPECT_NEAR(r.nvl_bytes, 4096 * nu * g * row, 1e-3);
    const double t_ib = 2.8e-6 + 4096 * nu / 2 * row / 40e9;
    const double t_nvl = 3.33e-6 + 4096 * nu * g * 7.0 / 8.0 * row / 160e9;
    EXPECT_NEAR(r.time_s, std::max(t_ib, t_nvl), kNs) << op_name(op);
    EXPECT_EQ(r.bottleneck, "RDMA");
    EXPECT_NEAR(r.rdma_Bps, r.rdma_bytes / r.time_s, 1e-3);
  }
}

TEST(Collective, InternodeDispatchOverAStridedEpGroup) {
  // EP8 over two nodes with expert_tp 2: the EP group is ranks 0, 2, …, 14, four per node at the
  // same local indices. A token crosses IB once per destination node (ν as for EP16 on two
  // nodes: 128 experts per node), to the other node's GPU with the sender's local index, and is
  // forwarded over NVLink to the g of the node's 4 members holding its experts:
  //   t = max(α_ib + T·ν/2·H·b / 40 GB/s,  α_nvl + T·ν·g·(3/4)·H·b / 160 GB/s).
  const auto topo = h800(16);
  CollectiveSpec spec;
  spec.op = CollectiveOp::EpDispatch;
  for (int r = 0; r < 16; r += 2) spec.ranks.push_back(r);
  spec.routing = deepep_shape();
  spec.payload_bytes_per_element = kFp8;
  const auto r = simulate_collective(topo, spec);
  const double nu = 2.0 * (1.0 - miss(256, 128, 8));
  const double g = r.gpus_per_node_hit;
  const double row = 7168 * kFp8;
  EXPECT_NEAR(r.nodes_per_token, nu, 1e-9);
  EXPECT_GT(g, 1.0);
  EXPECT_LE(g, 4.0);
  EXPECT_NEAR(r.ib_out_bytes, 4096 * nu / 2 * row, 1e-3);
  const double t_ib = 2.8e-6 + 4096 * nu / 2 * row / 40e9;
  const double t_nvl = 3.33e-6 + 4096 * nu * g * 3.0 / 4.0 * row / 160e9;
  EXPECT_NEAR(r.time_s, std::max(t_ib, t_nvl), kNs);
  // Members at different local indices on the two nodes cannot pair over IB.
  spec.ranks = {0, 2, 4, 6, 9, 11, 13, 15};
  EXPECT_EQ(message_of([&] { simulate_collective(topo, spec); }),
            "ep-dispatch group must lie inside one node or hold the same GPUs (local indices) of "
            "every node it spans: node 0 holds 4 of its GPUs in the group, node 1 4");
}

// ---------------------------------------------------------------- errors

TEST(Collective, UnknownOpListsTheValidOnes) {
  EXPECT_EQ(message_of([] { parse_op("allreduce"); }),
            "unknown collective 'allreduce'; valid: all-reduce, reduce-scatter, all-gather, "
            "all-to-all, ep-dispatch, ep-combine");
  EXPECT_EQ(parse_op("ep-combine"), CollectiveOp::EpCombine);
}

TEST(Collective, BadGroupsAndSizesAreErrors) {
  const auto topo = h800(16);
  CollectiveSpec spec;
  spec.op = CollectiveOp::AllReduce;
  spec.bytes = 1e6;
  spec.ranks = {3};
  EXPECT_EQ(message_of([&] { simulate_collective(topo, spec); }),
            "all-reduce needs a group of at least 2 ranks, got 1");
  spec.ranks = {0, 16};
  EXPECT_EQ(message_of([&] { simulate_collective(topo, spec); }),
            "rank 16 of the all-reduce group is outside the cluster's 16 GPUs");
  spec.ranks = {0, 1, 1};
  EXPECT_EQ(message_of([&] { simulate_collective(topo, spec); }),
            "rank 1 appears twice in the all-reduce group");
  spec.ranks = {0, 1};
  spec.bytes = 0;
  EXPECT_EQ(message_of([&] { simulate_collective(topo, spec); }),
            "all-reduce needs a positive, finite size in bytes, got 0");
}

TEST(Collective, AllToAllOverTooManyRanksIsAnError) {
  const auto topo = h800(128);
  CollectiveSpec spec;
  spec.op = CollectiveOp::AllToAll;
  spec.bytes = 1e6;
  spec.ranks = consecutive(0, 72);
  EXPECT_EQ(message_of([&] { simulate_collective(topo, spec); }),
            "an all-to-all over 72 ranks would simulate 5112 flows in one component; at most "
            "64 ranks");
}

TEST(Collective, EpGroupsMustBeWholeNodesOrInsideOne) {
  const auto topo = h800(16);
  CollectiveSpec spec;
  spec.op = CollectiveOp::EpDispatch;
  spec.routing = deepep_shape();
  spec.payload_bytes_per_element = kFp8;
  spec.ranks = consecutive(4, 8);  // half of node 0, half of node 1
  EXPECT_EQ(message_of([&] { simulate_collective(topo, spec); }),
            "ep-dispatch group must lie inside one node or hold the same GPUs (local indices) of "
            "every node it spans: node 0 holds 4 of its GPUs in the group, node 1 4");
  spec.ranks = consecutive(0, 8);
  spec.routing.tokens_per_rank = 0;
  EXPECT_EQ(message_of([&] { simulate_collective(topo, spec); }),
            "ep-dispatch needs a positive number of tokens per rank, got 0");
  spec.routing.tokens_per_rank = 16;
  spec.payload_bytes_per_element = 0;
  EXPECT_EQ(message_of([&] { simulate_collective(topo, spec); }),
            "ep-dispatch needs positive payload bytes per element, got 0");
}

// ---------------------------------------------------------------- groups of a scenario

const scenarios::Scenario& deepseek_v3() {
  static const scenarios::Scenario s =
      scenarios::load_scenario(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/deepseek-v3.yaml");
  return s;
}

TEST(ScenarioCollective, GroupsFollowTheRankLayout) {
  // DeepSeek-V3: PP16 × DP128, TP1, EP64 on 2,048 GPUs; ranks are stage-major with TP innermost
  // (rank_layout.hpp), so rank 0's DP group is ranks 0..127 of stage 0 and its EP group 0..63.
  const auto& s = deepseek_v3();
  EXPECT_EQ(group_ranks("ep", s.plan, s.cluster), consecutive(0, 64));
  EXPECT_EQ(group_ranks("dp", s.plan, s.cluster), consecutive(0, 128));
  EXPECT_EQ(group_ranks("node", s.plan, s.cluster), consecutive(0, 8));
  EXPECT_EQ(group_ranks("all", s.plan, s.cluster).size(), 2048u);
  EXPECT_EQ(group_ranks("24", s.plan, s.cluster), consecutive(0, 24));
}

TEST(ScenarioCollective, ExpertTpPlacesTheEpAndExpertTpGroups) {
  // V3 with EP32 × expert_tp 2 (Megatron-Core order: expert-TP innermost, then EP): rank 0's
  // expert-TP group is ranks 0, 1 and its EP group ranks 0, 2, …, 62 (eight nodes, four members
  // each), which `ep-dispatch` then prices with 4 EP ranks per node, as the step simulator does.
  const auto s =
      scenarios::load_scenario(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/deepseek-v3.yaml",
                               {{"parallelism.ep=32", "parallelism.expert_tp=2"}});
  std::vector<int> strided;
  for (int r = 0; r < 64; r += 2) strided.push_back(r);
  EXPECT_EQ(group_ranks("ep", s.plan, s.cluster), strided);
  EXPECT_EQ(group_ranks("etp", s.plan, s.cluster), consecutive(0, 2));
  const auto d = scenario_collective_spec(s, 0, CollectiveOp::EpDispatch, "ep", 4096);
  models::OpListContext ctx;
  ctx.ep = 32;
  ctx.expert_tp = 2;
  EXPECT_NEAR(d.routing.mean_nodes_per_token, models::dispatch_destinations_per_token(s.model, ctx),
              1e-12);
  const auto r = simulate_collective(h800(2048), d);
  EXPECT_EQ(r.nodes, 8);
}

TEST(ScenarioCollective, BadGroupsAreErrors) {
  const auto& s = deepseek_v3();
  EXPECT_EQ(message_of([&] { group_ranks("4096", s.plan, s.cluster); }),
            "group 4096 is larger than the cluster's 2048 GPUs");
  EXPECT_EQ(message_of([&] { group_ranks("rack", s.plan, s.cluster); }),
            std::string("group 'rack' is not a group; valid: ") + kGroupNames);
  EXPECT_EQ(message_of([&] { group_ranks("tp", s.plan, s.cluster); }),
            "group tp has 1 rank (plan: tp 1, cp 1, dp 128, ep 64, expert_tp 1); a collective "
            "needs at least 2");
  EXPECT_EQ(message_of([&] { group_ranks("etp", s.plan, s.cluster); }),
            "group etp has 1 rank (plan: tp 1, cp 1, dp 128, ep 64, expert_tp 1); a collective "
            "needs at least 2");
}

TEST(ScenarioCollective, EpSpecTakesTheModelAndPrecision) {
  // V3 dispatches FP8 (1 B + an FP32 scale per 128 channels) and combines BF16 (2 B). Its gate
  // picks 4 of 8 expert groups, and with EP64 the groups are the 8 nodes, so a token reaches
  // ν = 4·(1 − C(96,8)/C(128,8)) nodes (uniform over the 4 chosen nodes' 128 experts).
  const auto& s = deepseek_v3();
  const auto d = scenario_collective_spec(s, 0, CollectiveOp::EpDispatch, "ep", 4096);
  EXPECT_EQ(d.payload_bytes_per_element, kFp8);
  EXPECT_EQ(d.routing.hidden, 7168);
  EXPECT_EQ(d.routing.top_k, 8);
  EXPECT_EQ(d.routing.routed_experts, 256);
  EXPECT_NEAR(d.routing.mean_nodes_per_token, 4.0 * (1.0 - miss(128, 32, 8)), 1e-12);
  const auto c = scenario_collective_spec(s, 0, CollectiveOp::EpCombine, "ep", 4096);
  EXPECT_EQ(c.payload_bytes_per_element, 2.0);
  // Each op carries its own kernel's measured NVLink rate from the GPU catalog (H800: DeepEP).
  EXPECT_EQ(d.nvlink_kernel_Bps, s.cluster.gpu.ep_dispatch_nvlink_Bps);
  EXPECT_EQ(c.nvlink_kernel_Bps, s.cluster.gpu.ep_combine_nvlink_Bps);
  EXPECT_GT(d.nvlink_kernel_Bps, 0.0);
  EXPECT_EQ(message_of([&] { scenario_collective_spec(s, 0, CollectiveOp::EpDispatch, "24"); }),
            "ep-dispatch on group 24: 24 ranks do not divide the model's 256 experts");
  EXPECT_EQ(
      message_of([&] { scenario_collective_spec(s, 99, CollectiveOp::AllReduce, "dp"); }),
      "phase 99 does not exist: the scenario has phases 0.." + std::to_string(s.phases.size() - 1));
}

TEST(ScenarioCollective, EpOpsNeedAnMoeModel) {
  const auto s =
      scenarios::load_scenario(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/llama-3.1-405b.yaml");
  EXPECT_EQ(message_of([&] { scenario_collective_spec(s, 0, CollectiveOp::EpDispatch, "node"); }),
            "ep-dispatch needs an MoE model; 'llama-3.1-405b' has no routed experts");
}

}  // namespace
}  // namespace trainsim::sim::collective
