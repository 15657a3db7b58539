#pragma once
// Where each parallel coordinate lives on the cluster. Ranks are laid out stage-major with TP
// innermost: rank = ((stage · DP + dp) · CP + cp) · TP + tp. TP groups stay inside a node
// (NVLink), CP and DP spread over nodes, and every pipeline stage owns a contiguous block of
// dp·cp·tp GPUs — the layout DeepSeek-V3 implies (EP64 "spanning 8 nodes" inside a 128-GPU stage)
// and, with PP outermost, the order Llama 3 §3.3.2 gives up to the position of PP and DP.
// An EP group is `ep` ranks of a stage `expert_tp` apart (consecutive when expert_tp = 1; it may
// span several DP and CP indices): Megatron-Core's expert rank order, expert-TP innermost, then
// EP, then expert-DP, over the same dp·cp·tp ranks: the expert-TP group is the expert_tp
// consecutive ranks from a multiple of expert_tp (the TP group when expert_tp = tp).
#include <cstdint>

#include "models/training_plan.hpp"

namespace trainsim::sim {

struct RankCoords {
  int stage = 0;
  int dp = 0;
  int cp = 0;
  int tp = 0;
  int ep_group = 0;  ///< which EP group of the stage
  int ep_index = 0;  ///< index inside the EP group
};

class RankLayout {
 public:
  RankLayout(const models::ParallelPlan& plan, int gpus_per_node);

  int ranks() const { return ranks_; }
  int tp() const { return plan_.tp; }
  int cp() const { return plan_.cp; }
  int dp() const { return plan_.dp; }
  int ep() const { return plan_.ep; }
  int expert_tp() const { return plan_.expert_tp; }
  int pp() const { return plan_.pp; }
  int stage_size() const { return stage_size_; }  ///< dp · cp · tp GPUs per stage
  RankCoords coords(int rank) const;
  int rank_of(int stage, int dp, int cp, int tp) const;
  int node_of(int rank) const { return rank / gpus_per_node_; }
  /// First rank of the EP group holding `rank`; its members are first + i·expert_tp, i < ep.
  int ep_group_first(int rank) const;

 private:
  models::ParallelPlan plan_;
  int gpus_per_node_;
  int ranks_;
  int stage_size_;
};

}  // namespace trainsim::sim
