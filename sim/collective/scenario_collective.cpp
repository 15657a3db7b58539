#include "sim/collective/scenario_collective.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <string>

#include "core/error.hpp"
#include "hardware/dtype.hpp"
#include "models/op_list.hpp"
#include "sim/moe/traffic.hpp"
#include "sim/step/rank_layout.hpp"

namespace trainsim::sim::collective {

std::vector<int> group_ranks(std::string_view group, const models::ParallelPlan& plan,
                             const hardware::ClusterSpec& cluster) {
  const RankLayout layout(plan, cluster.node.gpus_per_node);
  std::vector<int> out;
  auto first_n = [&](int n) {
    for (int i = 0; i < n; ++i) out.push_back(i);
  };
  if (group == "tp") {
    for (int t = 0; t < plan.tp; ++t) out.push_back(layout.rank_of(0, 0, 0, t));
  } else if (group == "cp") {
    for (int c = 0; c < plan.cp; ++c) out.push_back(layout.rank_of(0, 0, c, 0));
  } else if (group == "dp") {
    for (int d = 0; d < plan.dp; ++d) out.push_back(layout.rank_of(0, d, 0, 0));
  } else if (group == "ep") {
    // EP members stride over the expert-TP index (rank_layout.hpp).
    for (int e = 0; e < plan.ep; ++e)
      out.push_back(layout.ep_group_first(0) + e * layout.expert_tp());
  } else if (group == "etp") {
    // The expert-TP group: expert_tp consecutive ranks (the TP group when expert_tp = tp).
    for (int t = 0; t < plan.expert_tp; ++t) out.push_back(t);
  } else if (group == "node") {
    first_n(std::min(cluster.node.gpus_per_node, cluster.gpus));
  } else if (group == "all") {
    first_n(cluster.gpus);
  } else {
    long long n = 0;
    const auto [end, ec] = std::from_chars(group.data(), group.data() + group.size(), n);
    if (group.empty() || ec != std::errc() || end != group.data() + group.size()) {
      throw ModelError(fmt::format("group '{}' is not a group; valid: {}", group, kGroupNames));
    }
    if (n > cluster.gpus) {
      throw ModelError(
          fmt::format("group {} is larger than the cluster's {} GPUs", group, cluster.gpus));
    }
    first_n(static_cast<int>(std::max(0LL, n)));
  }
  if (out.size() < 2) {
    throw ModelError(fmt::format(
        "group {} has {} rank{} (plan: tp {}, cp {}, dp {}, ep {}, expert_tp {}); a collective "
        "needs at least 2",
        group, out.size(), out.size() == 1 ? "" : "s", plan.tp, plan.cp, plan.dp, plan.ep,
        plan.expert_tp));
  }
  return out;
}

CollectiveSpec scenario_collective_spec(const scenarios::Scenario& s, std::size_t phase,
                                        CollectiveOp op, std::string_view group,
                                        std::int64_t tokens) {
  if (phase >= s.phases.size()) {
    throw ModelError(fmt::format("phase {} does not exist: the scenario has phases 0..{}", phase,
                                 s.phases.size() - 1));
  }
  const auto& ph = s.phases[phase];
  CollectiveSpec spec;
  spec.op = op;
  spec.ranks = group_ranks(group, ph.plan.value_or(s.plan), s.cluster);
  if (!is_ep_op(op)) return spec;
  const auto& m = s.model;
  if (!m.is_moe()) {
    throw ModelError(
        fmt::format("{} needs an MoE model; '{}' has no routed experts", op_name(op), m.name));
  }
  const int p = static_cast<int>(spec.ranks.size());
  if (m.moe.routed_experts % p != 0) {
    throw ModelError(fmt::format("{} on group {}: {} ranks do not divide the model's {} experts",
                                 op_name(op), group, p, m.moe.routed_experts));
  }
  const auto& prec = ph.precision.value_or(s.precision);
  const auto dtype = op == CollectiveOp::EpDispatch ? prec.dispatch : prec.combine;
  spec.payload_bytes_per_element = moe::payload_bytes_per_element(hardware::dtype_bytes(dtype));
  spec.nvlink_kernel_Bps = op == CollectiveOp::EpDispatch ? s.cluster.gpu.ep_dispatch_nvlink_Bps
                                                          : s.cluster.gpu.ep_combine_nvlink_Bps;
  spec.routing.tokens_per_rank = tokens;
  spec.routing.hidden = m.hidden;
  spec.routing.top_k = m.moe.experts_per_token;
  spec.routing.routed_experts = m.moe.routed_experts;
  spec.routing.limited_nodes = static_cast<int>(m.moe.limited_groups);
  // Destinations per token as sim/simulate.cpp prices them: the model's gate (node-limited groups
  // where the groups are the EP nodes) with uniform routing over the candidate nodes.
  // The group's members per node stand for the node's EP ranks (gpus_per_node / expert_tp for an
  // `ep` group under expert TP), as models::ep_ranks_per_node gives the step simulator.
  models::OpListContext ctx;
  ctx.ep = p;
  const int gpn = s.cluster.node.gpus_per_node;
  ctx.gpus_per_node = static_cast<int>(std::count_if(
      spec.ranks.begin(), spec.ranks.end(), [&](int r) { return r / gpn == spec.ranks[0] / gpn; }));
  spec.routing.mean_nodes_per_token = models::dispatch_destinations_per_token(m, ctx);
  return spec;
}

std::vector<std::string> figure_names() {
  return {"rdma", "nvl", "algbw", "busbw"};
}

double figure_Bps(const CollectiveResult& r, std::string_view figure) {
  const bool ep_figure = figure == "rdma" || figure == "nvl";
  if (!ep_figure && figure != "algbw" && figure != "busbw") {
    throw ModelError(fmt::format("unknown collective figure '{}'; valid: {}", figure,
                                 fmt::join(figure_names(), ", ")));
  }
  if (ep_figure != is_ep_op(r.op)) {
    throw ModelError(fmt::format("figure '{}' does not apply to {}: {}", figure, op_name(r.op),
                                 is_ep_op(r.op) ? "use rdma or nvl" : "use algbw or busbw"));
  }
  if (figure == "rdma") {
    if (r.nodes < 2) {
      throw ModelError(fmt::format(
          "figure 'rdma' needs a group spanning nodes; this {} stays inside one (use nvl)",
          op_name(r.op)));
    }
    return r.rdma_Bps;
  }
  if (figure == "nvl") return r.nvl_Bps;
  return figure == "algbw" ? r.algbw_Bps : r.busbw_Bps;
}

}  // namespace trainsim::sim::collective
