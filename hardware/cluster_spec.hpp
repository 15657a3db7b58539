#pragma once
// Nodes, NICs and the scale-out fabric: what a topology is built from. SI units throughout.
#include <map>
#include <string>

#include "hardware/gpu_spec.hpp"

namespace trainsim::hardware {

/// The scale-out network family. Selected by name in YAML.
enum class FabricKind {
  MultiPlaneFatTree,     ///< DeepSeek MPFT: one plane per GPU index, two-layer fat-tree per plane
  RailOptimizedFatTree,  ///< leaf (ToR or rail) switches, full-bisection pods, oversubscribed above
  FatTree,               ///< single-plane fat-tree: leaf, spine, aggregation tiers (non-blocking)
};

/// Which GPUs share a leaf switch in the three-tier fabrics.
enum class LeafGrouping {
  Rack,  ///< consecutive GPUs (a ToR per rack: Llama 3's 16-GPU racks)
  Rail,  ///< GPU i of consecutive nodes (rail switch i of a block of nodes)
};

struct FabricSpec {
  std::string name;  ///< catalog key ("mpft-ib-400g")
  std::string description;
  FabricKind kind = FabricKind::MultiPlaneFatTree;
  double nic_bw_Bps = 0;            ///< NIC line rate per direction, bytes/s (400 Gb/s = 50e9)
  double nic_achievable_Bps = 0;    ///< achievable per NIC per direction, bytes/s
  double nic_efficiency = 0;        ///< nic_achievable_Bps / nic_bw_Bps, in (0, 1]
  int nics_per_node = 8;            ///< scale-out NICs per node (one per GPU in both fabrics)
  int switch_radix = 64;            ///< ports per switch
  double oversubscription = 1.0;    ///< above pods, downlink:uplink (7 means 1:7); 1 = non-blocking
  double link_latency_s = 0;        ///< per switch-to-switch link: (cross_leaf - same leaf) / 2, s
  double nic_latency_s = 0;         ///< end-to-end small-message latency same leaf, seconds
  double cross_leaf_latency_s = 0;  ///< end-to-end small-message latency leaf-spine-leaf, seconds
  int planes = 8;                   ///< independent planes (MPFT only)
  int gpus_per_leaf = 32;           ///< NIC ports per leaf (MPFT: switch_radix / 2)
  LeafGrouping leaf_grouping = LeafGrouping::Rack;  ///< three-tier fabrics only
  int pod_gpus = 0;  ///< GPUs per full-bisection pod (three-tier); 0 = MPFT
  std::map<std::string, std::string> sources;
};

struct NodeSpec {
  int gpus_per_node = 8;  ///< GPUs joined by NVSwitch
};

/// A whole cluster: what the scenario's `cluster:` section resolves to.
struct ClusterSpec {
  GpuSpec gpu;
  int gpus = 0;
  NodeSpec node;
  FabricSpec fabric;

  int nodes() const { return node.gpus_per_node > 0 ? gpus / node.gpus_per_node : 0; }
};

}  // namespace trainsim::hardware
