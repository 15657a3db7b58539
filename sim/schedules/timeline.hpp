#pragma once
// A dependency-driven reference executor for pipeline schedules: no hardware, fixed durations.
// Every rank runs its list in order; an item starts when the rank is free and each of its passes'
// upstream passes (dependencies.hpp) has finished, plus `p2p` when the upstream ran on another
// rank. Every pass of an item finishes when the item does (a BW's input gradient and an F&B's
// outputs leave at the end of the item). It checks the lists as it goes: each pass runs on the
// slot the schedule assigns it, no pass runs twice, every (micro-batch, stage) gets one F, one B
// and one W, and a list that cannot progress is a deadlock. All throw ModelError.
//   bubble(rank) = makespan − busy(rank)   (as in the DualPipe README table)
//   activations(rank) = chunk-micro-batches whose forward has started and whose B has not
//   finished; peak over the step.
#include <vector>

#include "sim/schedules/schedule.hpp"

namespace trainsim::sim::schedules {

/// Durations of one chunk's work, in any time unit (the results use the same unit).
struct PassDurations {
  double f = 1.0;    ///< forward of one chunk
  double b = 1.0;    ///< backward for inputs of one chunk; a BW item lasts b + w
  double w = 1.0;    ///< backward for weights of one chunk
  double fb = 3.0;   ///< an overlapped F&B pair (forward + full backward); ≤ f + b + w
  double p2p = 0.0;  ///< delay between a pass and its upstream on another rank
};

/// Start and end of one work item.
struct ItemSpan {
  double start = 0.0;
  double end = 0.0;
};

/// The executed step.
struct Timeline {
  std::vector<std::vector<ItemSpan>> spans;  ///< spans[rank][i] of lists[rank][i]
  double makespan = 0.0;                     ///< last end; every rank starts at 0
  std::vector<double> busy;                  ///< per rank, sum of its item durations
  std::vector<double> bubble;                ///< per rank, makespan − busy
  std::vector<int> peak_activations;         ///< per rank, chunk-micro-batches

  /// The largest per-rank bubble.
  double max_bubble() const;
  /// The largest per-rank peak of activations.
  int max_peak_activations() const;
};

/// Duration of `item` under `d` (F: f, B: b, W: w, BW: b + w, FB: fb).
double duration_of(const WorkItem& item, const PassDurations& d);

/// Runs `lists` (one per rank, as from schedule.build(shape)) and checks them; throws ModelError
/// naming the rank, item and pass on a misplaced or duplicate pass, a missing pass or a deadlock.
Timeline run_timeline(const PipelineSchedule& schedule, const ScheduleShape& shape,
                      const RankLists& lists, const PassDurations& durations);

/// Builds the schedule's lists for `shape` and runs them.
Timeline run_timeline(const PipelineSchedule& schedule, const ScheduleShape& shape,
                      const PassDurations& durations);

}  // namespace trainsim::sim::schedules
