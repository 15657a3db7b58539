#include "sim/step/rank_layout.hpp"

#include "core/error.hpp"

namespace trainsim::sim {

RankLayout::RankLayout(const models::ParallelPlan& plan, int gpus_per_node)
    : plan_(plan),
      gpus_per_node_(gpus_per_node),
      ranks_(plan.pp * plan.dp * plan.cp * plan.tp),
      stage_size_(plan.dp * plan.cp * plan.tp) {
  if (plan.pp < 1 || plan.dp < 1 || plan.cp < 1 || plan.tp < 1 || plan.ep < 1 ||
      gpus_per_node < 1) {
    throw ModelError("parallel degrees and gpus_per_node must be at least 1");
  }
  if (plan.expert_tp < 1 || stage_size_ % (plan.ep * plan.expert_tp) != 0)
    throw ModelError("ep · expert_tp must divide dp · cp · tp");
}

RankCoords RankLayout::coords(int rank) const {
  RankCoords c;
  c.tp = rank % plan_.tp;
  int rest = rank / plan_.tp;
  c.cp = rest % plan_.cp;
  rest /= plan_.cp;
  c.dp = rest % plan_.dp;
  c.stage = rest / plan_.dp;
  const int in_stage = rank % stage_size_;
  const int block = plan_.ep * plan_.expert_tp;
  c.ep_group = (in_stage / block) * plan_.expert_tp + in_stage % plan_.expert_tp;
  c.ep_index = (in_stage % block) / plan_.expert_tp;
  return c;
}

int RankLayout::rank_of(int stage, int dp, int cp, int tp) const {
  return ((stage * plan_.dp + dp) * plan_.cp + cp) * plan_.tp + tp;
}

int RankLayout::ep_group_first(int rank) const {
  const int stage_first = (rank / stage_size_) * stage_size_;
  const int in_stage = rank - stage_first, block = plan_.ep * plan_.expert_tp;
  return stage_first + (in_stage / block) * block + in_stage % plan_.expert_tp;
}

}  // namespace trainsim::sim
