#include "sim/schedules/dependencies.hpp"

namespace trainsim::sim::schedules {

std::vector<Pass> passes_of(const PipelineSchedule& schedule, const ScheduleShape& shape, int rank,
                            const WorkItem& item) {
  const auto stage = [&](int chunk) { return schedule.stage_of(shape, rank, chunk); };
  switch (item.kind) {
    case WorkKind::F:
      return {{PassType::F, item.micro_batch, stage(item.chunk)}};
    case WorkKind::B:
      return {{PassType::B, item.micro_batch, stage(item.chunk)}};
    case WorkKind::W:
      return {{PassType::W, item.micro_batch, stage(item.chunk)}};
    case WorkKind::BW: {
      const int s = stage(item.chunk);
      return {{PassType::B, item.micro_batch, s}, {PassType::W, item.micro_batch, s}};
    }
    case WorkKind::FB: {
      const int s2 = stage(item.chunk2);
      return {{PassType::F, item.micro_batch, stage(item.chunk)},
              {PassType::B, item.micro_batch2, s2},
              {PassType::W, item.micro_batch2, s2}};
    }
  }
  return {};
}

std::optional<Pass> upstream(const PipelineSchedule& schedule, const ScheduleShape& shape,
                             const Pass& pass) {
  const int last = schedule.stage_count(shape) - 1;
  switch (pass.type) {
    case PassType::F:
      if (pass.stage == 0) return std::nullopt;
      return Pass{PassType::F, pass.micro_batch, pass.stage - 1};
    case PassType::B:
      if (pass.stage == last) return Pass{PassType::F, pass.micro_batch, pass.stage};
      return Pass{PassType::B, pass.micro_batch, pass.stage + 1};
    case PassType::W:
      return Pass{PassType::B, pass.micro_batch, pass.stage};
  }
  return std::nullopt;
}

std::optional<StageSlot> next_slot(const PipelineSchedule& schedule, const ScheduleShape& shape,
                                   int micro_batch, int stage) {
  if (stage + 1 >= schedule.stage_count(shape)) return std::nullopt;
  return schedule.slot_of(shape, micro_batch, stage + 1);
}

std::optional<StageSlot> prev_slot(const PipelineSchedule& schedule, const ScheduleShape& shape,
                                   int micro_batch, int stage) {
  if (stage <= 0) return std::nullopt;
  return schedule.slot_of(shape, micro_batch, stage - 1);
}

}  // namespace trainsim::sim::schedules
