#pragma once
// The steps of a phase, grouped into runs of equal global batch. A ramp is linear in tokens
// consumed: b(T) = b0 + (b1 − b0)·T/R for T < R (rounded to the nearest multiple of the plan's
// granularity dp × micro_batch, never below one granule), then b1. A step consumes b·S tokens.
// The last step may be partial (the phase ends at exactly `tokens`), counted as a fraction.
#include <cstdint>
#include <vector>

#include "scenarios/scenario.hpp"

namespace trainsim::scenarios {

struct BatchSegment {
  std::int64_t batch = 0;  ///< sequences per step
  double steps = 0;        ///< steps at this batch (fractional only for the phase's last step)
  double tokens = 0;       ///< tokens consumed by these steps
};

/// Segments in training order. `granularity` = dp × micro_batch (≥ 1). Exhaustive: walks every
/// step of a ramp (a few hundred thousand at most per phase; microseconds each).
std::vector<BatchSegment> batch_segments(const Phase& phase, std::int64_t granularity);

/// Total steps of a phase (sum over its segments).
double total_steps(const std::vector<BatchSegment>& segments);

}  // namespace trainsim::scenarios
