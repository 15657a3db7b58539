#pragma once
// DualPipeV: DualPipe "cut in half" into a V shape (Sea AI Lab, hackmd.io/@ufotalent/r1lVXsa9Jg;
// schedule from github.com/deepseek-ai/DualPipe dualpipe/dualpipev.py). R ranks run PP = 2R
// stages: rank r holds stage r (chunk 0) and stage 2R−1−r (chunk 1); every micro-batch enters
// at rank 0, goes down chunk 0 to rank R−1, turns there onto chunk 1 and comes back up to rank 0.
// One copy of the parameters. DualPipe README table, with PP = 2R stages:
//   bubble = (PP/2 − 1)(F&B + B − 3W) = (R − 1)(F&B + B − 3W),
//   activations per device PP + 1 = 2R + 1 chunk-micro-batches, independent of m.
// Needs m ≥ 2·R.
#include "sim/schedules/schedule.hpp"

namespace trainsim::sim::schedules {

/// The V-shape half of DualPipe on R ranks and 2R stages.
class DualPipeV final : public PipelineSchedule {
 public:
  std::string_view name() const override { return "dualpipev"; }
  void validate(const ScheduleShape& shape) const override;
  RankLists build(const ScheduleShape& shape) const override;
  int chunks_per_rank(const ScheduleShape& /*shape*/) const override { return 2; }
  int stage_count(const ScheduleShape& shape) const override { return 2 * shape.ranks; }
  int stage_of(const ScheduleShape& shape, int rank, int chunk) const override;
  StageSlot slot_of(const ScheduleShape& shape, int micro_batch, int stage) const override;
  double parameter_copies() const override { return 1.0; }
  bool splits_weight_grad() const override { return true; }
};

}  // namespace trainsim::sim::schedules
