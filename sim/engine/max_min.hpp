#pragma once
// Max-min fair sharing by progressive filling (Bertsekas & Gallager, "Data Networks", §6.5.2):
// raise every unfixed flow's rate together; the first resource to saturate (or flow to reach its
// own cap) fixes the rates of the flows crossing it; repeat with the remaining capacity. A flow
// using resource j with weight w consumes w·rate of j's capacity. The result is the unique
// allocation in which no flow can grow without shrinking one that is no larger.
#include <cstdint>
#include <limits>
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

/// Rates of `flows` sharing `capacities` (all ≥ 0). A flow with no uses gets its cap (which must
/// then be finite). Throws ModelError on negative or NaN inputs or an unbounded flow.
std::vector<double> max_min_rates(const std::vector<double>& capacities,
                                  const std::vector<FairShareFlow>& flows);

}  // namespace trainsim::sim::engine
