#pragma once
// Gradient accumulation over several pipeline passes per optimizer step: the inner schedule runs
// `passes` times back to back, each pass a complete pipeline flush of micro_batches / passes
// micro-batches (its own warm-up and drain), before the step's one data-parallel synchronisation
// and optimizer update. This is torchtitan's loop (pytorch/torchtitan torchtitan/train.py,
// Trainer.train_step: `for microbatch in range(self.gradient_accumulation_steps)` calls
// forward_backward_step, whose PP branch runs `self.pp_schedule.step(...)`, one full schedule of
// local_batch_size / pipeline_parallel_microbatch_size micro-batches; one optimizers.step()
// after the loop). With uniform per-pass time T_pass and synchronisation T_sync not overlapped:
//   T_step ≈ passes · T_pass + T_sync,   peak activations = one pass's.
// (Megatron-LM's and NeMo's "GA", global_batch / (micro_batch · dp), is the micro-batch count of
// ONE pass: all of them go through one pipeline flush; that is passes = 1.)
//
// Micro-batches of pass p are p·m_pass … (p+1)·m_pass − 1; each rank runs its inner list for pass
// 0, then for pass 1, ... A rank's next pass starts when its own previous pass is done (no global
// barrier: each rank issues its schedule's program in order, and data dependencies do the rest).
#include <memory>

#include "sim/schedules/schedule.hpp"

namespace trainsim::sim::schedules {

class RepeatedPasses final : public PipelineSchedule {
 public:
  /// `inner` runs `passes` (≥ 1) times per step; throws ModelError for passes < 1.
  RepeatedPasses(std::unique_ptr<PipelineSchedule> inner, int passes);

  std::string_view name() const override { return inner_->name(); }
  int passes() const { return passes_; }
  /// The shape of one pass: micro_batches / passes micro-batches.
  ScheduleShape pass_shape(const ScheduleShape& shape) const;
  /// Throws ModelError unless shape.micro_batches is a multiple of passes whose per-pass count
  /// the inner schedule accepts.
  void validate(const ScheduleShape& shape) const override;
  RankLists build(const ScheduleShape& shape) const override;
  int chunks_per_rank(const ScheduleShape& shape) const override;
  int stage_count(const ScheduleShape& shape) const override;
  int stage_of(const ScheduleShape& shape, int rank, int chunk) const override;
  StageSlot slot_of(const ScheduleShape& shape, int micro_batch, int stage) const override;
  double parameter_copies() const override { return inner_->parameter_copies(); }
  bool splits_weight_grad() const override { return inner_->splits_weight_grad(); }

 private:
  std::unique_ptr<PipelineSchedule> inner_;
  int passes_;
};

}  // namespace trainsim::sim::schedules
