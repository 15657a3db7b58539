#pragma once
// ZB-H1 ("ZB1P"), Qi et al. 2023, Zero Bubble Pipeline Parallelism, arXiv:2401.10241 §2.1.
// The 1F1B order of forwards and backwards-for-inputs (B), with each backward-for-weights (W)
// deferred: rank r runs W(i − r) right after B(i), so every rank keeps the same number of
// micro-batches alive (PP − r − 1 warm-up forwards + 1 + r deferred W = PP), and the r deferred
// W fill the drain at the end. With uniform chunk times F, B (full backward = b + w) and W:
//   bubble per rank = (PP − 1)(F + B − 2W) = (PP − 1)(F + b − w)   (DualPipe README table),
//   peak activations (forward run, B not finished) on rank 0 = PP, as 1F1B.
// The identity needs w ≤ b and w ≤ F (so the deferred W fit in the gaps they fill).
#include "sim/schedules/detail.hpp"

namespace trainsim::sim::schedules {

/// Zero-bubble ZB-H1: memory of 1F1B, about a third of its bubble when F = B = W.
class ZeroBubbleH1 final : public detail::SingleChunkSchedule {
 public:
  std::string_view name() const override { return "zb1p"; }
  void validate(const ScheduleShape& shape) const override;
  RankLists build(const ScheduleShape& shape) const override;
  bool splits_weight_grad() const override { return true; }
};

}  // namespace trainsim::sim::schedules
