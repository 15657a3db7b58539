#pragma once
// Max-min fair sharing by progressive filling (Bertsekas & Gallager, "Data Networks", §6.5.2):
// raise every unfixed flow's rate together; the first resource to saturate (or flow to reach its
// own cap) fixes the rates of the flows crossing it; repeat with the remaining capacity. A flow
// using resource j with weight w consumes w·rate of j's capacity. The result is the unique
// allocation in which no flow can grow without shrinking one that is no larger.
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace trainsim::sim::engine {

struct FlowUse {
  std::uint32_t resource = 0;  ///< index into the capacities vector
  double weight = 1.0;         ///< > 0: capacity consumed per unit of rate
};

struct FairShareFlow {
  std::vector<FlowUse> uses;
  double cap = std::numeric_limits<double>::infinity();  ///< the flow's own rate limit
};

/// Flows in compressed form: flow f uses `uses[offsets[f] .. offsets[f+1])` and is capped at
/// `caps[f]`; offsets has one more entry than caps.
struct FlowTable {
  std::span<const double> caps;
  std::span<const std::uint32_t> offsets;
  std::span<const FlowUse> uses;
};

/// The progressive-filling solver with its scratch buffers kept between calls, so the event
/// engine's many small re-solves allocate nothing once warmed up.
class MaxMinSolver {
 public:
  /// Writes one rate per flow into `rates` (resized). Same rules and errors as max_min_rates.
  void solve(std::span<const double> capacities, const FlowTable& flows,
             std::vector<double>& rates);
  /// solve() for inputs known to be valid (the event engine checks every capacity, weight and
  /// cap once, when a resource or an activity is created): the same rates, without the checks.
  /// Still throws ModelError if filling makes no progress.
  void solve_valid(std::span<const double> capacities, const FlowTable& flows,
                   std::vector<double>& rates);

 private:
  std::vector<double> remaining_, weight_sum_, share_;
  std::vector<std::uint32_t> unfixed_on_;
  std::vector<char> fixed_, saturated_;
};

/// Rates of `flows` sharing `capacities` (all ≥ 0). A flow with no uses gets its cap (which must
/// then be finite). Throws ModelError on negative or NaN inputs or an unbounded flow.
std::vector<double> max_min_rates(const std::vector<double>& capacities,
                                  const std::vector<FairShareFlow>& flows);

}  // namespace trainsim::sim::engine
