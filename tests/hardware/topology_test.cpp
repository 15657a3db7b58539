#include "hardware/topology.hpp"
// Before gtest: <signal.h> (pulled in by gtest) defines a `si_value` macro that breaks the
// parameter of that name in core/units.hpp.
#include "hardware/catalog.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <string>

namespace trainsim::hardware {
namespace {

const std::string kGpusYaml = std::string(TRAINSIM_SOURCE_DIR) + "/hardware/catalog/gpus.yaml";
const std::string kFabricsYaml =
    std::string(TRAINSIM_SOURCE_DIR) + "/hardware/catalog/fabrics.yaml";

// Latencies are sums of a few microsecond-scale doubles; 1e-15 s absorbs rounding only.
constexpr double kLatencyTol = 1e-15;

const HardwareCatalog& catalog() {
  static const HardwareCatalog c = HardwareCatalog::load(kGpusYaml, kFabricsYaml);
  return c;
}

ClusterSpec cluster(const std::string& gpu, const std::string& fabric, int gpus, int per_node = 8) {
  ClusterSpec c;
  c.gpu = catalog().gpu(gpu);
  c.fabric = catalog().fabric(fabric);
  c.gpus = gpus;
  c.node.gpus_per_node = per_node;
  return c;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

/// Checks that consecutive links of a route chain from src's GPU vertex to dst's.
void expect_connected(const Topology& t, int src, int dst, const std::vector<LinkId>& path) {
  ASSERT_FALSE(path.empty());
  EXPECT_EQ(t.link(path.front()).from, t.gpu_vertex(src));
  EXPECT_EQ(t.link(path.back()).to, t.gpu_vertex(dst));
  for (std::size_t i = 1; i < path.size(); ++i) {
    EXPECT_EQ(t.link(path[i - 1]).to, t.link(path[i]).from) << src << "->" << dst << " hop " << i;
  }
}

// ---------------------------------------------------------------- counts

TEST(Topology, SmallMpftCounts) {
  // 2 nodes × 8 GPUs on 8 planes: each plane holds 2 NICs → one leaf per plane, no spines.
  // Links: 16 GPUs × (NVLink + PCIe + access) × 2 directions = 96.
  const Topology t = Topology::build(cluster("h800", "mpft-ib-400g", 16));
  EXPECT_EQ(t.gpus(), 16);
  EXPECT_EQ(t.nodes(), 2);
  EXPECT_EQ(t.count(VertexKind::NvSwitch), 2u);
  EXPECT_EQ(t.count(VertexKind::Nic), 16u);
  EXPECT_EQ(t.count(VertexKind::Leaf), 8u);
  EXPECT_EQ(t.count(VertexKind::Spine), 0u);
  EXPECT_EQ(t.link_count(), 96u);
  EXPECT_EQ(t.node_of(9), 1);
  EXPECT_EQ(t.local_index(9), 1);
}

TEST(Topology, FullDeepSeekMpftCounts) {
  // 2,048 H800s = 256 nodes; each of 8 planes holds 256 NICs → 256/32 = 8 leaves and 32 spines
  // (radix/2) per plane: 64 leaves + 256 spines = 320 switches.
  // Links: 6 × 2,048 (GPU-side) + 2 × 64 leaves × 32 spines = 12,288 + 4,096 = 16,384.
  const Topology t = Topology::build(cluster("h800", "mpft-ib-400g", 2048));
  EXPECT_EQ(t.nodes(), 256);
  EXPECT_EQ(t.count(VertexKind::Leaf), 64u);
  EXPECT_EQ(t.count(VertexKind::Spine), 256u);
  EXPECT_EQ(t.count(VertexKind::Aggregation), 0u);
  EXPECT_EQ(t.switch_count(), 320u);
  EXPECT_EQ(t.count(LinkKind::LeafSpine), 4096u);
  EXPECT_EQ(t.link_count(), 16384u);
}

TEST(Topology, MaximalMpftMatchesIscaTable3) {
  // ISCA'25 Table 3: MPFT of 64-port switches, 16,384 endpoints, 768 switches, and 16,384
  // leaf–spine links (8 planes × 64 leaves × 32 spines; we store each direction separately).
  const Topology t = Topology::build(cluster("h800", "mpft-ib-400g", 16384));
  EXPECT_EQ(t.switch_count(), 768u);
  EXPECT_EQ(t.count(LinkKind::LeafSpine), 2u * 16384u);
  EXPECT_NE(
      message_of([] {
        Topology::build(cluster("h800", "mpft-ib-400g", 16392));
      }).find("holds at most 64 × 32 = 2048 NICs, but 16392 GPUs put 2049 NICs on each plane"),
      std::string::npos);
}

TEST(Topology, LlamaRailRoceCounts) {
  // 16,384 H100s on 16-GPU ToRs: 1,024 leaves; pods of 3,072 GPUs = 192 leaves → 6 pods (the last
  // one partial) × 16 spines = 96 spines, and 16 aggregation switches.
  // Links: 6 × 16,384 + 2 × 1,024 × 16 + 2 × 96 = 98,304 + 32,768 + 192 = 131,264.
  // (Build time is measured by bench/hardware/topology_bench, not asserted here.)
  const Topology t = Topology::build(cluster("h100", "rail-roce-400g", 16384));
  EXPECT_EQ(t.count(VertexKind::Leaf), 1024u);
  EXPECT_EQ(t.count(VertexKind::Spine), 96u);
  EXPECT_EQ(t.count(VertexKind::Aggregation), 16u);
  EXPECT_EQ(t.link_count(), 131264u);
  // The spine→aggregation trunk: 192 leaves × 50 GB/s / 7.
  const Link& trunk = t.link(static_cast<LinkId>(t.link_count() - 1));
  EXPECT_EQ(trunk.kind, LinkKind::SpineAggregation);
  EXPECT_NEAR(trunk.bandwidth_Bps, 192 * 50e9 / 7, 1.0);
}

TEST(Topology, SingleGpuAndPartialNode) {
  const Topology one = Topology::build(cluster("h100", "rail-roce-400g", 1));
  EXPECT_EQ(one.nodes(), 1);
  EXPECT_TRUE(one.route(0, 0).empty());
  EXPECT_EQ(one.bottleneck_bandwidth(0, 0), std::numeric_limits<double>::infinity());
  const Topology four = Topology::build(cluster("h800", "mpft-ib-400g", 4));
  EXPECT_EQ(four.route(0, 3).size(), 2u);
}

// ---------------------------------------------------------------- routes

TEST(Topology, IntraNodeRouteIsNvlink) {
  // GPU → NVSwitch → GPU: two NVLink hops; bottleneck = achievable NVLink (160 GB/s on the H800);
  // latency = ISCA Table 5's 3.33 us.
  const Topology t = Topology::build(cluster("h800", "mpft-ib-400g", 2048));
  const auto r = t.route(3, 5);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], t.nvlink_out(3));
  EXPECT_EQ(r[1], t.nvlink_in(5));
  EXPECT_EQ(t.link(r[0]).kind, LinkKind::NvLink);
  EXPECT_DOUBLE_EQ(t.bottleneck_bandwidth(3, 5), 160e9);
  EXPECT_NEAR(t.path_latency(3, 5), 3.33e-6, kLatencyTol);
}

TEST(Topology, MpftSameIndexSameLeaf) {
  // GPU 0 (node 0) → GPU 8 (node 1), both index 0: PCIe, NIC→leaf, leaf→NIC, PCIe = 4 hops,
  // bottleneck = NIC achievable 40 GB/s, latency = IB same leaf 2.8 us.
  const Topology t = Topology::build(cluster("h800", "mpft-ib-400g", 2048));
  const auto r = t.route(0, 8);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[1], t.nic_out(0));
  EXPECT_EQ(r[2], t.nic_in(8));
  EXPECT_DOUBLE_EQ(t.bottleneck_bandwidth(0, 8), 40e9);
  EXPECT_NEAR(t.path_latency(0, 8), 2.8e-6, kLatencyTol);
}

TEST(Topology, MpftCrossLeafGoesThroughOneSpineOfThePlane) {
  // Node 0 and node 32 sit on different leaves of plane 0 (32 NICs per leaf): 6 hops, 3.7 us.
  const Topology t = Topology::build(cluster("h800", "mpft-ib-400g", 2048));
  const int dst = 32 * 8;
  const auto r = t.route(0, dst);
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(t.link(r[2]).kind, LinkKind::LeafSpine);
  EXPECT_NEAR(t.path_latency(0, dst), 3.7e-6, kLatencyTol);
  EXPECT_EQ(t.route(0, dst), r);  // deterministic
}

TEST(Topology, MpftCrossPlaneForwardsOverNvlinkFirst) {
  // GPU 0 (node 0, plane 0) → GPU 9 (node 1, plane 1): PXN over NVLink to GPU 1 (plane 1), then
  // its NIC. Bottleneck = NIC (40 < 160); latency = 3.33 + 2.8 us.
  const Topology t = Topology::build(cluster("h800", "mpft-ib-400g", 2048));
  const auto r = t.route(0, 9);
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r[0], t.nvlink_out(0));
  EXPECT_EQ(r[1], t.nvlink_in(1));
  EXPECT_EQ(r[2], t.pcie_out(1));
  EXPECT_EQ(r[3], t.nic_out(1));
  EXPECT_DOUBLE_EQ(t.bottleneck_bandwidth(0, 9), 40e9);
  EXPECT_NEAR(t.path_latency(0, 9), 3.33e-6 + 2.8e-6, kLatencyTol);
}

TEST(Topology, RailRoceRoutesByTier) {
  // Same ToR (GPUs 0 and 8, two servers of one rack): 4 hops, 3.6 us. Same pod, other ToR:
  // 6 hops, 5.6 us. Other pod: 8 hops through an aggregation switch; latency 5.6 + 2 × 1.0 us
  // (assumed: the aggregation tier adds what the spine tier adds).
  const Topology t = Topology::build(cluster("h100", "rail-roce-400g", 16384));
  EXPECT_EQ(t.route(0, 8).size(), 4u);
  EXPECT_NEAR(t.path_latency(0, 8), 3.6e-6, kLatencyTol);
  EXPECT_EQ(t.route(0, 16).size(), 6u);
  EXPECT_NEAR(t.path_latency(0, 16), 5.6e-6, kLatencyTol);
  EXPECT_EQ(t.route(1, 3072 + 5).size(), 8u);
  EXPECT_NEAR(t.path_latency(1, 3072 + 5), 7.6e-6, kLatencyTol);
  EXPECT_DOUBLE_EQ(t.bottleneck_bandwidth(1, 3072 + 5), 40e9);
  EXPECT_DOUBLE_EQ(t.bottleneck_bandwidth(0, 7), 360e9);  // H100 NVLink achievable
}

TEST(Topology, RoutesAreShortestPaths) {
  // The structural route must have as few hops as a Boost BFS over the whole graph, and chain
  // link to link from source to destination; checked over a sample of pairs in every fabric kind.
  struct Case {
    std::string gpu, fabric;
    int gpus;
  };
  const std::vector<Case> cases{{"h800", "mpft-ib-400g", 2048},
                                {"h100", "rail-roce-400g", 8192},
                                {"h100", "fat-tree-ib-400g", 4096}};
  for (const auto& c : cases) {
    const Topology t = Topology::build(cluster(c.gpu, c.fabric, c.gpus));
    for (int src : {0, 1, 7, 13, c.gpus / 2 + 3, c.gpus - 1}) {
      for (int dst : {0, 2, 9, 31, 255, 300, 3071, 3075, c.gpus - 9, c.gpus - 1}) {
        if (dst >= c.gpus) continue;
        const auto r = t.route(src, dst);
        const auto bfs = t.shortest_path(src, dst);
        EXPECT_EQ(r.size(), bfs.size()) << c.fabric << " " << src << "->" << dst;
        if (src != dst) {
          expect_connected(t, src, dst, r);
          expect_connected(t, src, dst, bfs);
        }
      }
    }
  }
}

TEST(Topology, RailGroupingUsesPxnWithinABlock) {
  // Rail leaves: GPU i of 16 consecutive nodes shares leaf i of its block. Within a block a
  // cross-rail transfer goes NVLink-first (PXN, 6 hops, no spine); across blocks directly through
  // a spine (6 hops). Both are shortest paths.
  ClusterSpec c = cluster("h100", "rail-roce-400g", 1024);
  c.fabric.leaf_grouping = LeafGrouping::Rail;
  const Topology t = Topology::build(c);
  EXPECT_EQ(t.count(VertexKind::Leaf), 64u);  // 128 nodes / 16 per block × 8 rails
  const auto in_block = t.route(0, 8 + 3);
  ASSERT_EQ(in_block.size(), 6u);
  EXPECT_EQ(in_block[0], t.nvlink_out(0));
  const auto across = t.route(0, 16 * 8 + 3);
  ASSERT_EQ(across.size(), 6u);
  EXPECT_EQ(across[0], t.pcie_out(0));
  for (int dst : {11, 16 * 8 + 3, 700}) {
    EXPECT_EQ(t.route(0, dst).size(), t.shortest_path(0, dst).size()) << dst;
  }
}

TEST(Topology, SpineChoiceSpreadsAcrossSpines) {
  // Deterministic ECMP: distinct (src, dst) pairs crossing leaves use many of the 32 spines.
  const Topology t = Topology::build(cluster("h800", "mpft-ib-400g", 2048));
  std::set<VertexId> spines;
  for (int n = 32; n < 64; ++n) {
    for (int m = 0; m < 8; ++m) spines.insert(t.link(t.route(m * 8, n * 8)[2]).to);
  }
  EXPECT_GE(spines.size(), 24u);
}

TEST(Topology, BuildErrors) {
  EXPECT_NE(message_of([] {
              Topology::build(cluster("h800", "mpft-ib-400g", 12));
            }).find("12 GPUs do not fill whole nodes of 8 GPUs"),
            std::string::npos);
  EXPECT_NE(message_of([] {
              Topology::build(cluster("h800", "mpft-ib-400g", 16, 4));
            }).find("fabric 'mpft-ib-400g' has 8 NICs per node but nodes have 4 GPUs"),
            std::string::npos);
  EXPECT_NE(message_of([] {
              Topology::build(cluster("h800", "mpft-ib-400g", 0));
            }).find("at least one GPU"),
            std::string::npos);
  ClusterSpec rail = cluster("h100", "rail-roce-400g", 64);
  rail.fabric.leaf_grouping = LeafGrouping::Rail;
  rail.fabric.pod_gpus = 64;  // 4 rail leaves per pod < 8 rails of a node
  EXPECT_NE(message_of([&] {
              Topology::build(rail);
            }).find("a pod's 4 rail leaves are not a multiple of the 8 GPUs of a node"),
            std::string::npos);
  ClusterSpec no_nvlink = cluster("h800", "mpft-ib-400g", 16);
  no_nvlink.gpu.nvlink_bw_Bps = 0;
  EXPECT_NE(
      message_of([&] { Topology::build(no_nvlink); }).find("GPU 'h800' has no NVLink bandwidth"),
      std::string::npos);
  const Topology t = Topology::build(cluster("h800", "mpft-ib-400g", 16));
  EXPECT_NE(message_of([&] { t.route(0, 16); }).find("GPU index 16 is out of range [0, 16)"),
            std::string::npos);
}

TEST(Topology, VertexNamesAndKinds) {
  const Topology t = Topology::build(cluster("h800", "mpft-ib-400g", 512));
  EXPECT_EQ(t.vertex_name(t.gpu_vertex(17)), "gpu17");
  EXPECT_EQ(t.vertex_kind(t.nic_vertex(17)), VertexKind::Nic);
  EXPECT_EQ(t.vertex_kind(t.leaf_of(17)), VertexKind::Leaf);
  EXPECT_EQ(t.vertex_name(t.link(t.nvlink_out(17)).to), "nvswitch2");
  const Topology copy = t;  // cheap, shares storage
  EXPECT_EQ(copy.link_count(), t.link_count());
}

}  // namespace
}  // namespace trainsim::hardware
