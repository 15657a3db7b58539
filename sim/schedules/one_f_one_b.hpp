#pragma once
// 1F1B with a flush (PipeDream-Flush, Narayanan et al. 2021, arXiv:2006.09503; the Megatron-LM
// default schedule, arXiv:2104.04473 §2.2.1). Rank r runs w_r = min(PP − r − 1, m) warm-up
// forwards, then alternates one forward and one full backward, then drains the remaining
// backwards. With uniform chunk times F and B (full backward):
//   bubble per rank = (PP − 1)(F + B),  peak activations on rank r = min(PP − r, m)
//   (rank 0: PP micro-batches).
#include "sim/schedules/detail.hpp"

namespace trainsim::sim::schedules {

/// One-forward-one-backward; backward not split.
class OneFOneB final : public detail::SingleChunkSchedule {
 public:
  std::string_view name() const override { return "1f1b"; }
  void validate(const ScheduleShape& shape) const override;
  RankLists build(const ScheduleShape& shape) const override;
  bool splits_weight_grad() const override { return false; }
};

}  // namespace trainsim::sim::schedules
