#include "sim/schedules/repeated_passes.hpp"

#include <fmt/format.h>

#include <utility>

#include "core/error.hpp"

namespace trainsim::sim::schedules {

RepeatedPasses::RepeatedPasses(std::unique_ptr<PipelineSchedule> inner, int passes)
    : inner_(std::move(inner)), passes_(passes) {
  if (!inner_) throw ModelError("internal error: RepeatedPasses without an inner schedule");
  if (passes_ < 1)
    throw ModelError(fmt::format("grad_accum_passes = {} must be at least 1", passes_));
}

ScheduleShape RepeatedPasses::pass_shape(const ScheduleShape& shape) const {
  ScheduleShape p = shape;
  p.micro_batches = shape.micro_batches / passes_;
  return p;
}

void RepeatedPasses::validate(const ScheduleShape& shape) const {
  if (shape.micro_batches < passes_ || shape.micro_batches % passes_ != 0) {
    throw ModelError(fmt::format(
        "{} micro-batches per data-parallel rank do not split into grad_accum_passes = {} equal "
        "pipeline passes (the batch must be a multiple of dp × micro_batch × grad_accum_passes)",
        shape.micro_batches, passes_));
  }
  try {
    inner_->validate(pass_shape(shape));
  } catch (const ModelError& e) {
    throw ModelError(fmt::format("each of the {} pipeline passes runs {} micro-batches: {}",
                                 passes_, shape.micro_batches / passes_, e.what()));
  }
}

RankLists RepeatedPasses::build(const ScheduleShape& shape) const {
  validate(shape);
  const ScheduleShape one = pass_shape(shape);
  const RankLists pass = inner_->build(one);
  RankLists lists(pass.size());
  for (std::size_t r = 0; r < pass.size(); ++r) {
    auto& list = lists[r];
    list.reserve(pass[r].size() * static_cast<std::size_t>(passes_));
    for (int p = 0; p < passes_; ++p) {
      const int offset = p * one.micro_batches;
      for (WorkItem w : pass[r]) {
        w.micro_batch += offset;
        if (w.micro_batch2 >= 0) w.micro_batch2 += offset;
        list.push_back(w);
      }
    }
  }
  return lists;
}

int RepeatedPasses::chunks_per_rank(const ScheduleShape& shape) const {
  return inner_->chunks_per_rank(pass_shape(shape));
}

int RepeatedPasses::stage_count(const ScheduleShape& shape) const {
  return inner_->stage_count(pass_shape(shape));
}

int RepeatedPasses::stage_of(const ScheduleShape& shape, int rank, int chunk) const {
  return inner_->stage_of(pass_shape(shape), rank, chunk);
}

StageSlot RepeatedPasses::slot_of(const ScheduleShape& shape, int micro_batch, int stage) const {
  // A micro-batch meets a stage where its pass's copy of it does (DualPipe feeds each pass's
  // first half from rank 0 and its second half from the last rank).
  const ScheduleShape one = pass_shape(shape);
  if (micro_batch < 0 || micro_batch >= shape.micro_batches) {
    throw ModelError(fmt::format("{}: micro-batch {} is outside 0..{}", name(), micro_batch,
                                 shape.micro_batches - 1));
  }
  return inner_->slot_of(one, micro_batch % one.micro_batches, stage);
}

}  // namespace trainsim::sim::schedules
