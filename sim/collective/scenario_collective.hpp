#pragma once
// A collective on a named group of a scenario's cluster (`trainsim collective`, validation cases
// of kind collective): the group's ranks under the phase's parallel plan (sim/step/rank_layout.hpp
// places them), and for the MoE dispatch/combine the routing shape of the scenario's model and
// the payload dtype of its precision policy, priced as the step simulator prices them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/scenario.hpp"
#include "sim/collective/collective.hpp"

namespace trainsim::sim::collective {

/// The group names group_ranks accepts, for messages.
inline constexpr const char* kGroupNames =
    "tp, cp, dp, ep, etp (rank 0's group under the plan; etp: the expert-TP group), node, all, or "
    "a number N (ranks 0..N-1)";

/// Ranks of rank 0's `group` ("tp", "cp", "dp", "ep", "etp", "node", "all", or a count N of
/// consecutive ranks) under `plan` on `cluster`. Throws ModelError for an unknown name, N larger
/// than the cluster, or a group of fewer than 2 ranks.
std::vector<int> group_ranks(std::string_view group, const models::ParallelPlan& plan,
                             const hardware::ClusterSpec& cluster);

/// The spec of `op` on `group` of `s`'s phase `phase` (its plan, else the scenario's). EP ops:
/// `tokens` per rank; hidden, top-k, experts and node limit from the model; destinations per
/// token as sim/simulate.cpp derives them (models::dispatch_destinations_per_token); payload from
/// the precision's dispatch (FP8: 1 + 4/128 B) or combine dtype. `bytes` is left 0 for the
/// caller. Throws ModelError for a phase that does not exist, an EP op on a dense model, or an EP
/// group that does not divide the experts.
CollectiveSpec scenario_collective_spec(const scenarios::Scenario& s, std::size_t phase,
                                        CollectiveOp op, std::string_view group,
                                        std::int64_t tokens = 0);

/// Figures a measured table may state: "rdma" and "nvl" (DeepEP's accounting), "algbw" and
/// "busbw" (nccl-tests').
std::vector<std::string> figure_names();
/// The figure of `r` called `figure`, bytes/s. Throws ModelError for an unknown name, an EP
/// figure of a ring collective or the reverse, or "rdma" for a group inside one node.
double figure_Bps(const CollectiveResult& r, std::string_view figure);

}  // namespace trainsim::sim::collective
