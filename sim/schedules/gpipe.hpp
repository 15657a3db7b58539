#pragma once
// GPipe (Huang et al. 2019, arXiv:1811.06965): every rank runs the forwards of all m
// micro-batches, then their full backwards. With uniform chunk times F and B (full backward):
//   makespan = (m + PP − 1)(F + B),  bubble per rank = (PP − 1)(F + B),
//   peak activations per rank = m micro-batches.
#include "sim/schedules/detail.hpp"

namespace trainsim::sim::schedules {

/// All forwards, then all full backwards (in micro-batch order).
class GPipe final : public detail::SingleChunkSchedule {
 public:
  std::string_view name() const override { return "gpipe"; }
  void validate(const ScheduleShape& shape) const override;
  RankLists build(const ScheduleShape& shape) const override;
  bool splits_weight_grad() const override { return false; }
};

}  // namespace trainsim::sim::schedules
