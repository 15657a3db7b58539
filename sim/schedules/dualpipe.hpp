#pragma once
// DualPipe (DeepSeek-AI 2024, DeepSeek-V3 Technical Report §3.2.1, arXiv:2412.19437; schedule
// from github.com/deepseek-ai/DualPipe dualpipe/dualpipe.py). Bidirectional: rank r holds model
// stages r (chunk 0) and PP−1−r (chunk 1), i.e. two copies of the parameters per pipeline.
// Micro-batches 0..m/2−1 enter at rank 0 and flow through chunk 0 (stages 0→PP−1 on ranks
// 0→PP−1); micro-batches m/2..m−1 enter at rank PP−1 and flow through chunk 1 (stage s on rank
// PP−1−s). The main phase runs a forward and a full backward of the two directions as one
// overlapped "F&B" item. DualPipe README table, with F&B the overlapped pair's time, B a full
// backward and W a backward-for-weights:
//   bubble = (PP/2 − 1)(F&B + B − 3W),  activations per device PP + 1 (chunk-micro-batches),
//   parameters per device 2×; neither grows with m.
// Needs PP even, m even and m ≥ 2·PP.
#include "sim/schedules/schedule.hpp"

namespace trainsim::sim::schedules {

/// DeepSeek's bidirectional pipeline with overlapped forward-backward pairs.
class DualPipe final : public PipelineSchedule {
 public:
  std::string_view name() const override { return "dualpipe"; }
  void validate(const ScheduleShape& shape) const override;
  RankLists build(const ScheduleShape& shape) const override;
  int chunks_per_rank(const ScheduleShape& /*shape*/) const override { return 2; }
  int stage_count(const ScheduleShape& shape) const override { return shape.ranks; }
  int stage_of(const ScheduleShape& shape, int rank, int chunk) const override;
  StageSlot slot_of(const ScheduleShape& shape, int micro_batch, int stage) const override;
  double parameter_copies() const override { return 2.0; }
  bool splits_weight_grad() const override { return true; }
};

}  // namespace trainsim::sim::schedules
