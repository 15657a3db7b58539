// Shared pieces of the schedules: names of work items, shape checks, the one-chunk base, and the
// registry of all schedules with their descriptions and citations.
#include "sim/schedules/schedule.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "sim/schedules/detail.hpp"
#include "sim/schedules/dualpipe.hpp"
#include "sim/schedules/dualpipev.hpp"
#include "sim/schedules/gpipe.hpp"
#include "sim/schedules/interleaved_1f1b.hpp"
#include "sim/schedules/one_f_one_b.hpp"
#include "sim/schedules/zb1p.hpp"

namespace trainsim::sim::schedules {

std::string_view to_string(WorkKind kind) {
  switch (kind) {
    case WorkKind::F:
      return "F";
    case WorkKind::B:
      return "B";
    case WorkKind::W:
      return "W";
    case WorkKind::BW:
      return "BW";
    case WorkKind::FB:
      return "FB";
  }
  return "?";
}

std::string to_string(const WorkItem& item) {
  if (item.kind == WorkKind::FB) {
    return fmt::format("FB(F{}c{},BW{}c{})", item.micro_batch, item.chunk, item.micro_batch2,
                       item.chunk2);
  }
  return fmt::format("{}{}c{}", to_string(item.kind), item.micro_batch, item.chunk);
}

namespace detail {

void check_positive(std::string_view schedule, const ScheduleShape& shape) {
  if (shape.ranks < 1) {
    throw ModelError(fmt::format("{} schedule: ranks must be >= 1, got {}", schedule, shape.ranks));
  }
  if (shape.micro_batches < 1) {
    throw ModelError(fmt::format("{} schedule: micro_batches must be >= 1, got {}", schedule,
                                 shape.micro_batches));
  }
  if (shape.virtual_stages < 1) {
    throw ModelError(fmt::format("{} schedule: virtual_stages must be >= 1, got {}", schedule,
                                 shape.virtual_stages));
  }
}

void check_no_virtual_stages(std::string_view schedule, const ScheduleShape& shape) {
  if (shape.virtual_stages != 1) {
    throw ModelError(fmt::format(
        "{} schedule has a fixed number of chunks per rank: virtual_stages must be 1, got {} "
        "(use interleaved-1f1b for virtual stages)",
        schedule, shape.virtual_stages));
  }
}

void check_rank_chunk(std::string_view schedule, const ScheduleShape& shape, int chunks, int rank,
                      int chunk) {
  if (rank < 0 || rank >= shape.ranks || chunk < 0 || chunk >= chunks) {
    throw ModelError(
        fmt::format("{} schedule: rank {} chunk {} is outside ranks 0..{}, chunks 0..{}", schedule,
                    rank, chunk, shape.ranks - 1, chunks - 1));
  }
}

void check_mb_stage(std::string_view schedule, const ScheduleShape& shape, int stages,
                    int micro_batch, int stage) {
  if (micro_batch < 0 || micro_batch >= shape.micro_batches || stage < 0 || stage >= stages) {
    throw ModelError(fmt::format(
        "{} schedule: micro-batch {} stage {} is outside micro-batches 0..{}, stages 0..{}",
        schedule, micro_batch, stage, shape.micro_batches - 1, stages - 1));
  }
}

int SingleChunkSchedule::chunks_per_rank(const ScheduleShape& /*shape*/) const {
  return 1;
}

int SingleChunkSchedule::stage_count(const ScheduleShape& shape) const {
  return shape.ranks;
}

int SingleChunkSchedule::stage_of(const ScheduleShape& shape, int rank, int chunk) const {
  check_rank_chunk(name(), shape, 1, rank, chunk);
  return rank;
}

StageSlot SingleChunkSchedule::slot_of(const ScheduleShape& shape, int micro_batch,
                                       int stage) const {
  check_mb_stage(name(), shape, shape.ranks, micro_batch, stage);
  return {stage, 0};
}

}  // namespace detail

namespace {

template <typename T>
RegistryEntry<std::unique_ptr<PipelineSchedule>> entry(std::string description,
                                                       std::string citation) {
  return {std::string(T{}.name()), std::move(description), std::move(citation),
          [] { return std::unique_ptr<PipelineSchedule>(std::make_unique<T>()); }};
}

Registry<std::unique_ptr<PipelineSchedule>> build_registry() {
  Registry<std::unique_ptr<PipelineSchedule>> r("pipeline schedule");
  r.add(entry<GPipe>("all forwards, then all full backwards; activations for every micro-batch",
                     "Huang et al. 2019, GPipe, arXiv:1811.06965"));
  r.add(entry<OneFOneB>(
      "one-forward-one-backward with PP−r−1 warm-up forwards; bubble (PP−1)(F+B)",
      "Narayanan et al. 2021, PipeDream-Flush, arXiv:2006.09503; Megatron-LM default schedule, "
      "arXiv:2104.04473 §2.2.1"));
  r.add(entry<Interleaved1F1B>(
      "1F1B over v virtual stages per rank; bubble (PP−1)(F+B)/v, micro-batches a multiple of PP",
      "Narayanan et al. 2021, Efficient Large-Scale Language Model Training on GPU Clusters "
      "Using Megatron-LM, arXiv:2104.04473 §2.2.2"));
  r.add(entry<ZeroBubbleH1>(
      "ZB-H1: 1F1B with backward split into B and W, W deferred r steps on rank r; bubble "
      "(PP−1)(F+B−2W) with B the full backward, peak activations as 1F1B",
      "Qi et al. 2023, Zero Bubble Pipeline Parallelism, arXiv:2401.10241 §2.1"));
  r.add(entry<DualPipe>(
      "bidirectional: rank r holds stages r and PP−1−r, overlapped F&B pairs; bubble "
      "(PP/2−1)(F&B+B−3W), activations PP+1, two parameter copies",
      "DeepSeek-AI 2024, DeepSeek-V3 Technical Report §3.2.1, arXiv:2412.19437; "
      "github.com/deepseek-ai/DualPipe dualpipe/dualpipe.py"));
  r.add(entry<DualPipeV>(
      "DualPipe cut in half: V-shape, rank r holds stages r and 2·ranks−1−r; bubble "
      "(PP/2−1)(F&B+B−3W) with PP = 2·ranks stages",
      "Sea AI Lab, Cut-in-half (hackmd.io/@ufotalent/r1lVXsa9Jg); "
      "github.com/deepseek-ai/DualPipe dualpipe/dualpipev.py"));
  return r;
}

}  // namespace

const Registry<std::unique_ptr<PipelineSchedule>>& schedule_registry() {
  static const Registry<std::unique_ptr<PipelineSchedule>> registry = build_registry();
  return registry;
}

std::unique_ptr<PipelineSchedule> make_schedule(const std::string& name) {
  return schedule_registry().get(name).make();
}

}  // namespace trainsim::sim::schedules
