#pragma once
// Data flow between the work items of a schedule, for executors that wire them.
// A work item performs one or more atomic passes on (micro-batch, stage):
//   F → F;  B → B;  W → W;  BW → B, W;  FB → F(micro_batch, chunk), B and W(micro_batch2, chunk2).
// Each pass has at most one upstream pass that must finish before it may start:
//   F(mb, s) ← F(mb, s−1)               (none for s = 0)
//   B(mb, S−1) ← F(mb, S−1)             (the loss; same rank)
//   B(mb, s) ← B(mb, s+1)               (s < S−1)
//   W(mb, s) ← B(mb, s)                 (same rank)
// The upstream pass runs on slot_of(mb, its stage); when that rank differs from the pass's
// rank, the activation or gradient crosses a pipeline P2P link.
#include <optional>
#include <vector>

#include "sim/schedules/schedule.hpp"

namespace trainsim::sim::schedules {

/// An atomic pass kind.
enum class PassType { F, B, W };

/// One atomic pass: a forward, backward-for-inputs or backward-for-weights of one micro-batch
/// on one model stage.
struct Pass {
  PassType type = PassType::F;
  int micro_batch = 0;
  int stage = 0;
  friend bool operator==(const Pass&, const Pass&) = default;
};

/// The passes `item` on `rank` performs, in order (stages resolved with stage_of).
std::vector<Pass> passes_of(const PipelineSchedule& schedule, const ScheduleShape& shape, int rank,
                            const WorkItem& item);

/// The pass that must finish before `pass` may start; nullopt for F(mb, 0).
std::optional<Pass> upstream(const PipelineSchedule& schedule, const ScheduleShape& shape,
                             const Pass& pass);

/// Where the forward output of (mb, stage) goes: the slot of stage+1; nullopt on the last stage.
std::optional<StageSlot> next_slot(const PipelineSchedule& schedule, const ScheduleShape& shape,
                                   int micro_batch, int stage);

/// Where the input gradient of (mb, stage) goes: the slot of stage−1; nullopt on stage 0.
std::optional<StageSlot> prev_slot(const PipelineSchedule& schedule, const ScheduleShape& shape,
                                   int micro_batch, int stage);

}  // namespace trainsim::sim::schedules
