#pragma once
// The steps of a phase, grouped into runs of equal global batch. A ramp is linear in tokens
// consumed: b(T) = b0 + (b1 − b0)·T/R for T < R (rounded to the nearest multiple of the plan's
// granularity dp × micro_batch, never below one granule), then b1. A step consumes b·S tokens.
// The last step may be partial (the phase ends at exactly `tokens`), counted as a fraction.
#include <cstdint>
#include <string>
#include <vector>

#include "scenarios/scenario.hpp"

namespace trainsim::scenarios {

struct BatchSegment {
  std::int64_t batch = 0;  ///< sequences per step
  double steps = 0;        ///< steps at this batch (fractional only for the phase's last step)
  double tokens = 0;       ///< tokens consumed by these steps
};

/// Most steps a phase may have (a real run has about 10⁶): beyond it a double no longer counts
/// single steps reliably, and the phase is surely a typo.
inline constexpr double kMaxStepsPerPhase = 1e12;
/// Most distinct batch sizes a ramp may pass through (each one a segment held in memory).
inline constexpr double kMaxBatchSegments = 1e6;

/// Why `phase` is too large to walk at `granularity` (more than kMaxStepsPerPhase steps, or a
/// ramp through more than kMaxBatchSegments batch sizes), or "" if it is not. Cheap (closed
/// form), so a loader can call it before anything is walked.
std::string phase_size_problem(const Phase& phase, std::int64_t granularity);

/// Segments in training order. `granularity` = dp × micro_batch (≥ 1). The ramp is walked in
/// closed form, one segment (run of steps at one batch) at a time: time O(segments · log steps).
/// Throws ModelError with phase_size_problem's reason for a phase too large to walk.
std::vector<BatchSegment> batch_segments(const Phase& phase, std::int64_t granularity);

/// Total steps of a phase (sum over its segments), the partial last step as its fraction: what
/// the phase's time integrates over.
double total_steps(const std::vector<BatchSegment>& segments);

/// A remainder of less than this fraction of a step is rounding of the token count, not a step.
inline constexpr double kPartialStepEpsilon = 1e-6;
/// Steps of a segment as a count: its whole steps, and a partial last step as one step.
std::int64_t step_count(const BatchSegment& segment);
/// Steps of a phase as a count (sum of step_count over its segments): the number every output
/// prints (validate, run, reports, CSV).
std::int64_t step_count(const std::vector<BatchSegment>& segments);

}  // namespace trainsim::scenarios
