#pragma once
// Interleaved 1F1B (Narayanan et al. 2021, "Efficient Large-Scale Language Model Training on
// GPU Clusters Using Megatron-LM", arXiv:2104.04473 §2.2.2; Megatron-LM
// forward_backward_pipelining_with_interleaving). Each rank holds v chunks; chunk c of rank r is
// stage c·PP + r. Micro-batches advance in groups of PP: virtual step k runs micro-batch
// ⌊k/(PP·v)⌋·PP + k mod PP on chunk ⌊(k mod PP·v)/PP⌋ (backwards: v − 1 − that chunk). Rank r
// runs min(2(PP − r − 1) + (v − 1)·PP, m·v) warm-up forwards, then one forward / one full
// backward, then drains. With uniform per-chunk times f and b (full backward), F = v·f, B = v·b:
//   bubble per rank = (PP − 1)(f + b) = (PP − 1)(F + B)/v,
//   peak activations on rank 0 = min((v − 1)·PP + 2(PP − 1) + 1, m·v) chunks.
// Needs m a multiple of PP (as Megatron-LM's interleaved schedule did) and v ≥ 2.
#include "sim/schedules/schedule.hpp"

namespace trainsim::sim::schedules {

/// Megatron-LM's interleaved (virtual pipeline) 1F1B.
class Interleaved1F1B final : public PipelineSchedule {
 public:
  std::string_view name() const override { return "interleaved-1f1b"; }
  void validate(const ScheduleShape& shape) const override;
  RankLists build(const ScheduleShape& shape) const override;
  int chunks_per_rank(const ScheduleShape& shape) const override { return shape.virtual_stages; }
  int stage_count(const ScheduleShape& shape) const override {
    return shape.ranks * shape.virtual_stages;
  }
  int stage_of(const ScheduleShape& shape, int rank, int chunk) const override;
  StageSlot slot_of(const ScheduleShape& shape, int micro_batch, int stage) const override;
  double parameter_copies() const override { return 1.0; }
  bool splits_weight_grad() const override { return false; }
};

}  // namespace trainsim::sim::schedules
