#pragma once
// The cluster as a directed graph: GPUs, one logical NVSwitch per node, one NIC per GPU, leaf,
// spine and aggregation switches; one link per direction (full duplex), each with its nominal and
// achievable bandwidth and its latency. Boost.Graph holds the same graph for searches (tests check
// that the structural `route` is a shortest path); it stays in topology.cpp.
//
// Structures (hardware/catalog/fabrics.yaml):
//   multi-plane-fat-tree (ISCA'25 §5.1): NIC i of every node sits on plane i; each plane is a
//     two-layer fat-tree of radix-R switches: leaves with R/2 NICs each, R/2 spines (built only
//     when a plane has more than one leaf), every leaf linked once to every spine of its plane.
//   rail-optimized-fat-tree / fat-tree (Llama 3 §3.3.1): leaves of `gpus_per_leaf` NICs (rack or
//     rail grouping); a pod of pod_gpus/gpus_per_leaf leaves shares `gpus_per_leaf` spines (one
//     uplink per spine: full bisection); spine s of every pod links to aggregation switch s by a
//     trunk of (leaves per pod × NIC rate / oversubscription).
// Link bandwidths: NVLink at the GPU's per-direction rate; GPU↔NIC (PCIe) and NIC↔leaf at the NIC
// rate (PCIe Gen5 x16 is faster than a 400G NIC, so the NIC is the limit); switch↔switch links at
// the NIC rate, with the same achievable fraction (the per-link protocol and small-message
// effects behind ISCA's 40-of-50 GB/s apply on every hop).
// Latencies: NVLink links carry half the GPU's nvlink_latency each; NIC↔leaf links half of
// latency_same_leaf; switch↔switch links (cross_leaf − same_leaf)/2; GPU↔NIC links 0 (inside the
// measured end-to-end figure). A route's summed latency reproduces ISCA'25 Table 5 exactly.
// Routing (deterministic, closed form, no search): intra-node GPU→NVSwitch→GPU. Inter-node: where
// the destination sits on another plane (MPFT) or on another rail of the same rail block, the data
// first crosses NVLink to the source-node GPU with the destination's local index (NCCL PXN), then
// NIC→leaf→[spine→[aggregation→spine]]→leaf→NIC→GPU. The spine is chosen by a fixed hash of
// (source, destination): deterministic ECMP.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "hardware/cluster_spec.hpp"

namespace trainsim::hardware {

using VertexId = std::uint32_t;
using LinkId = std::uint32_t;

enum class VertexKind { Gpu, NvSwitch, Nic, Leaf, Spine, Aggregation };
enum class LinkKind {
  NvLink,            ///< GPU ↔ NVSwitch
  Pcie,              ///< GPU ↔ its NIC
  Access,            ///< NIC ↔ leaf switch
  LeafSpine,         ///< leaf ↔ spine
  SpineAggregation,  ///< pod spine ↔ aggregation switch (oversubscribed trunk)
};

/// "gpu", "nvswitch", "nic", "leaf", "spine", "aggregation".
const char* vertex_kind_name(VertexKind k);
/// "nvlink", "pcie", "access", "leaf-spine", "spine-aggregation".
const char* link_kind_name(LinkKind k);

/// One direction of a full-duplex link.
struct Link {
  VertexId from = 0;
  VertexId to = 0;
  LinkKind kind = LinkKind::NvLink;
  double bandwidth_Bps = 0;   ///< nominal, bytes/s, this direction
  double achievable_Bps = 0;  ///< achievable, bytes/s, this direction (≤ nominal)
  double latency_s = 0;       ///< share of the end-to-end small-message latency, seconds
};

/// Immutable cluster graph. Cheap to copy (shares its storage).
class Topology {
 public:
  /// Builds the graph; throws ModelError if the cluster cannot be built (GPUs not filling nodes,
  /// NICs per node ≠ GPUs per node, a plane larger than two tiers of the radix allow, ...).
  static Topology build(const ClusterSpec& cluster);

  Topology(const Topology&);
  Topology& operator=(const Topology&);
  Topology(Topology&&) noexcept;
  Topology& operator=(Topology&&) noexcept;
  ~Topology();

  const ClusterSpec& cluster() const;
  int gpus() const;
  int nodes() const;          ///< ceil(gpus / gpus_per_node): a lone partial node counts
  int gpus_per_node() const;  ///< as configured
  int node_of(int gpu) const;
  int local_index(int gpu) const;  ///< 0 … gpus_per_node−1

  std::size_t vertex_count() const;
  VertexKind vertex_kind(VertexId v) const;
  std::string vertex_name(VertexId v) const;  ///< e.g. "gpu17", "leaf.3", "spine.2.31"
  std::size_t count(VertexKind k) const;      ///< vertices of that kind
  std::size_t switch_count() const;           ///< leaves + spines + aggregation (not NVSwitches)
  VertexId gpu_vertex(int gpu) const;
  VertexId nic_vertex(int gpu) const;
  VertexId leaf_of(int gpu) const;  ///< the leaf switch of the GPU's NIC

  std::size_t link_count() const;
  const Link& link(LinkId id) const;
  const std::vector<Link>& links() const;
  std::size_t count(LinkKind k) const;  ///< directed links of that kind

  /// Links from src to dst in order; empty when src == dst.
  std::vector<LinkId> route(int src_gpu, int dst_gpu) const;
  /// Same as route, into `out` (cleared first): no allocation once `out` has grown.
  void route_into(int src_gpu, int dst_gpu, std::vector<LinkId>& out) const;
  /// Smallest achievable bandwidth along route(src, dst), bytes/s; +infinity when src == dst.
  double bottleneck_bandwidth(int src_gpu, int dst_gpu) const;
  /// Sum of link latencies along route(src, dst), seconds; 0 when src == dst.
  double path_latency(int src_gpu, int dst_gpu) const;
  /// A fewest-hops path found by Boost.Graph BFS (slow; for tests and diagnostics).
  std::vector<LinkId> shortest_path(int src_gpu, int dst_gpu) const;

  LinkId nvlink_out(int gpu) const;  ///< GPU → NVSwitch
  LinkId nvlink_in(int gpu) const;   ///< NVSwitch → GPU
  LinkId pcie_out(int gpu) const;    ///< GPU → its NIC
  LinkId pcie_in(int gpu) const;     ///< NIC → GPU
  LinkId nic_out(int gpu) const;     ///< the GPU's NIC → leaf (scale-out egress)
  LinkId nic_in(int gpu) const;      ///< leaf → the GPU's NIC (scale-out ingress)

  struct Impl;

 private:
  explicit Topology(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace trainsim::hardware
