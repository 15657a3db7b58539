#pragma once
// One collective, or one MoE layer's dispatch/combine, alone on a group of a cluster, simulated
// on the event engine with flows sharing links fairly per flow in bytes/s (SimGrid's network
// model: work = a flow's bytes, weight 1 on every link of its route). Figures are reported the
// way nccl-tests (docs/PERFORMANCE.md) and DeepEP's tests report them, so they can be set
// beside published tables.
//
// Ring collectives (NCCL's ring algorithm, "simple" protocol): p ranks, a buffer of S bytes.
// All-reduce runs 2(p−1) steps (reduce-scatter, then all-gather), reduce-scatter and all-gather
// p−1 steps; in each step every member sends one chunk of S/p to its ring successor. Every step
// moves the same chunk over the same hops, so one step is simulated and the collective takes
//   t = steps · (α + transfer of one step),     α = the hop's path latency (topology catalog).
// On one NVSwitch node: t_AR = 2(p−1)/p · S/B_nvlink + 2(p−1)·α.
// A group of whole nodes runs R = (members per node) rings as NCCL's channels do: ring r visits
// each node's members rotated by r, so every ring leaves a node through a different NIC (the
// topology adds the NVLink hop of NCCL's PXN where the next node's entry GPU sits on another
// plane or rail). Each ring carries S/R.
//   algbw = S / t;  busbw = algbw · 2(p−1)/p (all-reduce), · (p−1)/p (reduce-scatter, all-gather).
// All-to-all (nccl-tests alltoall_perf): every rank sends S/p to every other rank at once, one
// flow per ordered pair; busbw = algbw · (p−1)/p.
// DeepEP normal-kernel dispatch/combine (deepseek-ai/DeepEP, README and tests/test_internode.py):
// tokens cross InfiniBand at most once per destination node, to the GPU with the sender's local
// index, and are forwarded over NVLink to the GPUs holding their experts; volumes per rank come
// from sim/moe/traffic.hpp (balanced routing). Each rank starts one IB flow per other node of
// the group and one NVLink flow per other GPU of its node; the two stages stream concurrently,
// as DeepEP's chunked forwarding does, and the layer ends with the last flow. Combine is the
// reverse (BF16). The reported bandwidths follow DeepEP's test accounting, which counts the
// sender's own node and own GPU:
//   RDMA bytes = T · ν · H · b     (tokens × destination nodes, own node included)
//   NVL bytes  = T · ν · g · H · b (tokens received by a rank, its own included)
// with ν destination nodes and g GPUs hit per destination node (traffic.hpp), divided by t.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hardware/topology.hpp"
#include "sim/moe/traffic.hpp"

namespace trainsim::sim::collective {

enum class CollectiveOp { AllReduce, ReduceScatter, AllGather, AllToAll, EpDispatch, EpCombine };

/// "all-reduce", "reduce-scatter", "all-gather", "all-to-all", "ep-dispatch", "ep-combine".
const char* op_name(CollectiveOp op);
/// Every op name, in the order above.
std::vector<std::string> op_names();
/// The op called `name`; throws ModelError naming it and listing the valid ones.
CollectiveOp parse_op(std::string_view name);
/// True for the DeepEP dispatch and combine.
bool is_ep_op(CollectiveOp op);
/// nccl-tests' bus-bandwidth factor: 2(p−1)/p for all-reduce, (p−1)/p for the others; 1 for EP.
double bus_factor(CollectiveOp op, int ranks);

/// Most ranks an all-to-all may have: it simulates p(p−1) flows that all share one max-min
/// component, re-solved at every start and end (64 ranks, 4,032 flows: about 3 s).
inline constexpr int kMaxAllToAllRanks = 64;

struct CollectiveSpec {
  CollectiveOp op = CollectiveOp::AllReduce;
  /// The group's GPUs (distinct, each < topology.gpus()), in ring order; at least 2.
  std::vector<int> ranks;
  /// nccl-tests' size, bytes: the all-reduce buffer, the whole reduce-scatter input or
  /// all-gather output (each rank holds S/p), the per-rank all-to-all send buffer. Unused by EP
  /// ops.
  double bytes = 0;
  /// EP ops: tokens per rank, hidden, top-k, experts, node limit and destinations per token;
  /// `ep` and `gpus_per_node` (the group's members per node) are taken from the group.
  moe::RoutingShape routing;
  /// EP ops: payload bytes per element (FP8 dispatch 1 + 4/128, BF16 combine 2).
  double payload_bytes_per_element = 0;
  /// EP ops: NVLink bytes per second the op's kernel puts on the wire from one GPU
  /// (GpuSpec::ep_dispatch_nvlink_Bps / ep_combine_nvlink_Bps); 0 = only the links limit it.
  double nvlink_kernel_Bps = 0;
};

struct CollectiveResult {
  CollectiveOp op = CollectiveOp::AllReduce;
  int ranks = 0;            ///< p
  int nodes = 0;            ///< distinct nodes of the group
  int rings = 0;            ///< ring ops: concurrent rings (NCCL channels); 0 otherwise
  int steps = 0;            ///< ring ops: 2(p−1) or p−1; 1 otherwise
  double bytes = 0;         ///< nccl-tests size (EP ops: the bottleneck domain's counted bytes)
  double time_s = 0;        ///< the whole collective
  double step_s = 0;        ///< ring ops: one step (α + transfer)
  double latency_s = 0;     ///< largest path latency of any flow (α)
  double algbw_Bps = 0;     ///< bytes / time
  double busbw_Bps = 0;     ///< algbw · bus_factor
  std::uint64_t flows = 0;  ///< flows simulated (one ring step, or the whole all-to-all/EP op)
  // EP ops only (DeepEP's accounting, per rank).
  std::int64_t tokens = 0;       ///< T
  double nodes_per_token = 0;    ///< ν
  double gpus_per_node_hit = 0;  ///< g
  double rdma_bytes = 0;         ///< T·ν·H·b
  double nvl_bytes = 0;          ///< T·ν·g·H·b
  double rdma_Bps = 0;           ///< rdma_bytes / time (0 inside one node)
  double nvl_Bps = 0;            ///< nvl_bytes / time
  double ib_out_bytes = 0;       ///< bytes the rank's NIC sends (other nodes only)
  double nvlink_out_bytes = 0;   ///< bytes the rank forwards over NVLink
  std::string bottleneck;        ///< EP ops: the domain DeepEP's table reports ("RDMA" across
                                 ///< nodes, "NVLink" inside one)
  std::string limited_by;        ///< EP ops: the stage whose last flow ends last: "InfiniBand"
                                 ///< or "NVLink"
};

/// Simulates `spec` on `topology`. Throws ModelError for a group with fewer than 2 ranks, an
/// out-of-range or repeated rank, a non-positive size, an all-to-all over more than
/// kMaxAllToAllRanks ranks, or an EP group that neither lies inside one node nor consists of
/// whole nodes.
CollectiveResult simulate_collective(const hardware::Topology& topology,
                                     const CollectiveSpec& spec);

}  // namespace trainsim::sim::collective
