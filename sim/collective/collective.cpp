#include "sim/collective/collective.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>

#include "core/error.hpp"
#include "sim/engine/engine.hpp"

namespace trainsim::sim::collective {
namespace {

struct OpEntry {
  CollectiveOp op;
  const char* name;
};
constexpr OpEntry kOps[] = {
    {CollectiveOp::AllReduce, "all-reduce"},   {CollectiveOp::ReduceScatter, "reduce-scatter"},
    {CollectiveOp::AllGather, "all-gather"},   {CollectiveOp::AllToAll, "all-to-all"},
    {CollectiveOp::EpDispatch, "ep-dispatch"}, {CollectiveOp::EpCombine, "ep-combine"},
};

/// One point-to-point transfer: `bytes` from `src` to `dst` along topology.route(src, dst).
struct Flow {
  int src = 0;
  int dst = 0;
  double bytes = 0;
  int stage = 0;  ///< EP ops: kIbStage or kNvlStage; 0 otherwise
};
constexpr int kIbStage = 1, kNvlStage = 2;

struct FlowRun {
  double makespan_s = 0;                ///< when the last flow ends, all starting at t = 0
  double latency_s = 0;                 ///< largest path latency among the flows
  std::array<double, 3> stage_end_s{};  ///< when the last flow of each stage ends
};

/// The links the step executor keeps in its fluid model (is_bottleneck_candidate in
/// sim/step/step_executor.cpp): GPU↔NIC PCIe runs at the NIC's rate behind the access link, and
/// leaf↔spine links of the fat-trees are non-blocking; both are left out so a collective sees what
/// a step sees.
bool is_bottleneck_candidate(hardware::LinkKind kind) {
  return kind != hardware::LinkKind::Pcie && kind != hardware::LinkKind::LeafSpine;
}

engine::TimeNs to_ns(double s) {
  return engine::seconds_to_ns(s);  // throws past the clock's horizon (no int overflow)
}

/// Starts every flow at t = 0 (each after its route's latency) with work = its bytes and weight 1
/// on each link of its route, so links are shared max-min fairly per flow; runs to the end. With
/// `nvl_kernel_Bps` > 0 the NVLink-stage flows of each source GPU also share one resource of that
/// capacity: the rate its EP kernel issues NVLink copies at.
FlowRun run_flows(const hardware::Topology& topo, const std::vector<Flow>& flows,
                  double nvl_kernel_Bps = 0) {
  constexpr auto kNone = std::numeric_limits<engine::ResourceId>::max();
  engine::Engine eng;
  std::vector<engine::ResourceId> resource(topo.link_count(), kNone);
  std::vector<engine::ResourceId> kernel(static_cast<std::size_t>(topo.gpus()), kNone);
  std::vector<hardware::LinkId> route;
  FlowRun out;
  for (const Flow& f : flows) {
    if (f.src == f.dst || !(f.bytes > 0)) continue;
    engine::ActivitySpec spec;
    spec.work = f.bytes;
    topo.route_into(f.src, f.dst, route);
    for (hardware::LinkId l : route) {
      const auto& link = topo.link(l);
      if (!is_bottleneck_candidate(link.kind)) continue;
      engine::ResourceId& r = resource[l];
      if (r == kNone) {
        r = eng.add_resource(link.achievable_Bps > 0 ? link.achievable_Bps : link.bandwidth_Bps);
      }
      spec.uses.push_back({r, 1.0});
    }
    if (nvl_kernel_Bps > 0 && f.stage == kNvlStage) {
      engine::ResourceId& k = kernel[static_cast<std::size_t>(f.src)];
      if (k == kNone) k = eng.add_resource(nvl_kernel_Bps);
      spec.uses.push_back({k, 1.0});
    }
    const double latency = topo.path_latency(f.src, f.dst);
    out.latency_s = std::max(out.latency_s, latency);
    spec.latency_ns = to_ns(latency);
    eng.start(spec, [&eng, &out, stage = f.stage] {
      out.stage_end_s[static_cast<std::size_t>(stage)] = static_cast<double>(eng.now()) / 1e9;
    });
  }
  eng.run();
  out.makespan_s = static_cast<double>(eng.now()) / 1e9;
  return out;
}

void check_group(const hardware::Topology& topo, const CollectiveSpec& spec) {
  const auto p = spec.ranks.size();
  if (p < 2) {
    throw ModelError(
        fmt::format("{} needs a group of at least 2 ranks, got {}", op_name(spec.op), p));
  }
  std::vector<char> seen(static_cast<std::size_t>(topo.gpus()), 0);
  for (int r : spec.ranks) {
    if (r < 0 || r >= topo.gpus()) {
      throw ModelError(fmt::format("rank {} of the {} group is outside the cluster's {} GPUs", r,
                                   op_name(spec.op), topo.gpus()));
    }
    if (seen[static_cast<std::size_t>(r)]++ != 0) {
      throw ModelError(fmt::format("rank {} appears twice in the {} group", r, op_name(spec.op)));
    }
  }
  if (!is_ep_op(spec.op) && (!(spec.bytes > 0) || !std::isfinite(spec.bytes))) {
    throw ModelError(fmt::format("{} needs a positive, finite size in bytes, got {}",
                                 op_name(spec.op), spec.bytes));
  }
  if (spec.op == CollectiveOp::AllToAll && p > static_cast<std::size_t>(kMaxAllToAllRanks)) {
    throw ModelError(fmt::format(
        "an all-to-all over {} ranks would simulate {} flows in one component; at most {} ranks", p,
        p * (p - 1), kMaxAllToAllRanks));
  }
}

/// The group's ranks per node, nodes in order of first appearance, ranks in group order.
std::vector<std::vector<int>> members_by_node(const hardware::Topology& topo,
                                              const std::vector<int>& ranks) {
  std::vector<std::vector<int>> out;
  std::map<int, std::size_t> index;
  for (int r : ranks) {
    const auto [it, fresh] = index.emplace(topo.node_of(r), out.size());
    if (fresh) out.emplace_back();
    out[it->second].push_back(r);
  }
  return out;
}

/// NCCL-style rings: with ≥ 2 nodes holding m ≥ 2 members each, m rings, ring r visiting each
/// node's members rotated by r (each ring leaves every node from a different GPU, hence NIC);
/// otherwise one ring in group order.
std::vector<std::vector<int>> build_rings(const hardware::Topology& topo,
                                          const std::vector<int>& ranks) {
  const auto nodes = members_by_node(topo, ranks);
  const std::size_t m = nodes.front().size();
  const bool multi = nodes.size() >= 2 && m >= 2 &&
                     std::all_of(nodes.begin(), nodes.end(),
                                 [m](const std::vector<int>& n) { return n.size() == m; });
  if (!multi) return {ranks};
  std::vector<std::vector<int>> rings(m);
  for (std::size_t r = 0; r < m; ++r) {
    for (const auto& node : nodes) {
      for (std::size_t j = 0; j < m; ++j) rings[r].push_back(node[(j + r) % m]);
    }
  }
  return rings;
}

CollectiveResult simulate_ring(const hardware::Topology& topo, const CollectiveSpec& spec,
                               CollectiveResult res) {
  const int p = res.ranks;
  const auto rings = build_rings(topo, spec.ranks);
  res.rings = static_cast<int>(rings.size());
  res.steps = (spec.op == CollectiveOp::AllReduce ? 2 : 1) * (p - 1);
  // One step: every member of every ring sends its chunk, S/(p·R), to its successor.
  const double chunk = spec.bytes / p / static_cast<double>(rings.size());
  std::vector<Flow> flows;
  for (const auto& ring : rings) {
    for (std::size_t i = 0; i < ring.size(); ++i)
      flows.push_back({ring[i], ring[(i + 1) % ring.size()], chunk});
  }
  const FlowRun run = run_flows(topo, flows);
  res.flows = flows.size();
  res.step_s = run.makespan_s;
  res.latency_s = run.latency_s;
  res.time_s = res.steps * run.makespan_s;
  return res;
}

CollectiveResult simulate_all_to_all(const hardware::Topology& topo, const CollectiveSpec& spec,
                                     CollectiveResult res) {
  const double share = spec.bytes / res.ranks;
  std::vector<Flow> flows;
  for (int s : spec.ranks) {
    for (int d : spec.ranks) {
      if (s != d) flows.push_back({s, d, share});
    }
  }
  const FlowRun run = run_flows(topo, flows);
  res.steps = 1;
  res.flows = flows.size();
  res.time_s = run.makespan_s;
  res.step_s = run.makespan_s;
  res.latency_s = run.latency_s;
  return res;
}

CollectiveResult simulate_ep(const hardware::Topology& topo, const CollectiveSpec& spec,
                             CollectiveResult res) {
  const auto nodes = members_by_node(topo, spec.ranks);
  const int n = static_cast<int>(nodes.size());
  // EP members per node: every GPU of it, or 1/expert_tp of them (an EP group strides over the
  // expert-TP index). A token crosses IB to the member with the sender's local index, so every
  // node must hold the same local indices.
  const int gpn = static_cast<int>(nodes.front().size());
  if (n > 1) {
    std::vector<int> first_locals;
    for (int r : nodes.front()) first_locals.push_back(topo.local_index(r));
    std::sort(first_locals.begin(), first_locals.end());
    for (const auto& node : nodes) {
      std::vector<int> locals;
      for (int r : node) locals.push_back(topo.local_index(r));
      std::sort(locals.begin(), locals.end());
      if (locals != first_locals) {
        throw ModelError(fmt::format(
            "{} group must lie inside one node or hold the same GPUs (local indices) of every "
            "node it spans: node {} holds {} of its GPUs in the group, node {} {}",
            op_name(spec.op), topo.node_of(nodes.front().front()), nodes.front().size(),
            topo.node_of(node.front()), node.size()));
      }
    }
  }
  if (spec.routing.tokens_per_rank <= 0) {
    throw ModelError(fmt::format("{} needs a positive number of tokens per rank, got {}",
                                 op_name(spec.op), spec.routing.tokens_per_rank));
  }
  if (!(spec.payload_bytes_per_element > 0) || !std::isfinite(spec.payload_bytes_per_element)) {
    throw ModelError(fmt::format("{} needs positive payload bytes per element, got {}",
                                 op_name(spec.op), spec.payload_bytes_per_element));
  }
  moe::RoutingShape rs = spec.routing;
  rs.ep = res.ranks;
  rs.gpus_per_node = gpn;
  const double b = spec.payload_bytes_per_element;
  const moe::RankTraffic tr = moe::balanced_traffic(rs, b);
  const double nu = moe::nodes_per_token(rs);
  const double g = moe::gpus_per_destination_node(rs);
  // Dispatch: IB to the same local index on every other node, NVLink from the receiving proxy to
  // the other GPUs of its node; combine sends the same volumes back along the reversed flows.
  std::map<std::pair<int, int>, int> at;  // (node index in group, local index) → rank
  for (int k = 0; k < n; ++k) {
    for (int r : nodes[static_cast<std::size_t>(k)]) at[{k, topo.local_index(r)}] = r;
  }
  std::vector<Flow> flows;
  for (int k = 0; k < n; ++k) {
    const auto& node = nodes[static_cast<std::size_t>(k)];
    for (int r : node) {
      const int local = topo.local_index(r);
      for (int other = 0; other < n; ++other) {
        if (other != k) {
          flows.push_back({r, at.at({other, local}), tr.ib_out_bytes / (n - 1), kIbStage});
        }
      }
      for (int peer : node) {
        if (peer != r) {
          flows.push_back(
              {r, peer, tr.nvlink_out_bytes / static_cast<double>(node.size() - 1), kNvlStage});
        }
      }
    }
  }
  if (spec.op == CollectiveOp::EpCombine) {
    for (auto& f : flows) std::swap(f.src, f.dst);
  }
  if (spec.nvlink_kernel_Bps < 0 || !std::isfinite(spec.nvlink_kernel_Bps)) {
    throw ModelError(fmt::format("{} needs a non-negative NVLink kernel rate, got {}",
                                 op_name(spec.op), spec.nvlink_kernel_Bps));
  }
  const FlowRun run = run_flows(topo, flows, spec.nvlink_kernel_Bps);
  const double t = static_cast<double>(rs.tokens_per_rank);
  const double h = static_cast<double>(rs.hidden);
  res.steps = 1;
  res.flows = flows.size();
  res.time_s = run.makespan_s;
  res.step_s = run.makespan_s;
  res.latency_s = run.latency_s;
  res.tokens = rs.tokens_per_rank;
  res.nodes_per_token = nu;
  res.gpus_per_node_hit = g;
  res.rdma_bytes = n > 1 ? t * nu * h * b : 0.0;
  res.nvl_bytes = t * nu * g * h * b;
  res.ib_out_bytes = tr.ib_out_bytes;
  res.nvlink_out_bytes = tr.nvlink_out_bytes;
  if (res.time_s > 0) {
    res.rdma_Bps = res.rdma_bytes / res.time_s;
    res.nvl_Bps = res.nvl_bytes / res.time_s;
  }
  res.bottleneck = n > 1 ? "RDMA" : "NVLink";
  res.limited_by = run.stage_end_s[kIbStage] > run.stage_end_s[kNvlStage] ? "InfiniBand" : "NVLink";
  res.bytes = n > 1 ? res.rdma_bytes : res.nvl_bytes;
  return res;
}

}  // namespace

const char* op_name(CollectiveOp op) {
  for (const auto& e : kOps) {
    if (e.op == op) return e.name;
  }
  return "?";
}

std::vector<std::string> op_names() {
  std::vector<std::string> out;
  for (const auto& e : kOps) out.emplace_back(e.name);
  return out;
}

CollectiveOp parse_op(std::string_view name) {
  for (const auto& e : kOps) {
    if (name == e.name) return e.op;
  }
  throw ModelError(
      fmt::format("unknown collective '{}'; valid: {}", name, fmt::join(op_names(), ", ")));
}

bool is_ep_op(CollectiveOp op) {
  return op == CollectiveOp::EpDispatch || op == CollectiveOp::EpCombine;
}

double bus_factor(CollectiveOp op, int ranks) {
  if (ranks < 1 || is_ep_op(op)) return 1.0;
  const double p = ranks;
  return (op == CollectiveOp::AllReduce ? 2.0 : 1.0) * (p - 1.0) / p;
}

CollectiveResult simulate_collective(const hardware::Topology& topology,
                                     const CollectiveSpec& spec) {
  check_group(topology, spec);
  CollectiveResult res;
  res.op = spec.op;
  res.ranks = static_cast<int>(spec.ranks.size());
  res.nodes = static_cast<int>(members_by_node(topology, spec.ranks).size());
  res.bytes = spec.bytes;
  switch (spec.op) {
    case CollectiveOp::AllReduce:
    case CollectiveOp::ReduceScatter:
    case CollectiveOp::AllGather:
      res = simulate_ring(topology, spec, res);
      break;
    case CollectiveOp::AllToAll:
      res = simulate_all_to_all(topology, spec, res);
      break;
    case CollectiveOp::EpDispatch:
    case CollectiveOp::EpCombine:
      res = simulate_ep(topology, spec, res);
      break;
  }
  if (res.time_s > 0) {
    res.algbw_Bps = res.bytes / res.time_s;
    res.busbw_Bps = res.algbw_Bps * bus_factor(spec.op, res.ranks);
  }
  return res;
}

}  // namespace trainsim::sim::collective
