#include "sim/engine/max_min.hpp"

#include <cmath>

#include "core/error.hpp"

namespace trainsim::sim::engine {

std::vector<double> max_min_rates(const std::vector<double>& capacities,
                                  const std::vector<FairShareFlow>& flows) {
  const std::size_t nr = capacities.size();
  const std::size_t nf = flows.size();
  std::vector<double> remaining = capacities;
  for (double c : remaining) {
    if (!(c >= 0) || std::isnan(c))
      throw ModelError("resource capacity must be a non-negative number");
  }
  std::vector<double> rate(nf, 0.0);
  std::vector<char> fixed(nf, 0);
  std::vector<double> weight_sum(nr, 0.0);
  std::vector<std::size_t> unfixed_on(nr, 0);
  std::size_t unfixed = nf;
  for (std::size_t f = 0; f < nf; ++f) {
    const auto& fl = flows[f];
    if (std::isnan(fl.cap) || fl.cap < 0)
      throw ModelError("flow rate cap must be a non-negative number");
    if (fl.uses.empty() && std::isinf(fl.cap))
      throw ModelError("a flow with no resources needs a finite rate cap");
    for (const auto& u : fl.uses) {
      if (u.resource >= nr) throw ModelError("flow uses an unknown resource");
      if (!(u.weight > 0) || std::isinf(u.weight))
        throw ModelError("flow weight must be positive and finite");
      weight_sum[u.resource] += u.weight;
      ++unfixed_on[u.resource];
    }
  }
  while (unfixed > 0) {
    // The level at which the next constraint binds: a resource's fair share or a flow's cap.
    double level = std::numeric_limits<double>::infinity();
    for (std::size_t r = 0; r < nr; ++r) {
      if (unfixed_on[r] > 0) level = std::min(level, remaining[r] / weight_sum[r]);
    }
    for (std::size_t f = 0; f < nf; ++f) {
      if (!fixed[f]) level = std::min(level, flows[f].cap);
    }
    level = std::max(level, 0.0);
    // Fix every flow that crosses a saturated resource or reaches its cap at this level.
    std::vector<char> saturated(nr, 0);
    for (std::size_t r = 0; r < nr; ++r) {
      if (unfixed_on[r] > 0 && remaining[r] / weight_sum[r] <= level * (1 + 1e-12))
        saturated[r] = 1;
    }
    bool progress = false;
    for (std::size_t f = 0; f < nf; ++f) {
      if (fixed[f]) continue;
      bool bind = flows[f].cap <= level * (1 + 1e-12);
      for (const auto& u : flows[f].uses) bind = bind || saturated[u.resource];
      if (!bind) continue;
      fixed[f] = 1;
      --unfixed;
      progress = true;
      rate[f] = std::min(level, flows[f].cap);
      for (const auto& u : flows[f].uses) {
        remaining[u.resource] = std::max(0.0, remaining[u.resource] - u.weight * rate[f]);
        weight_sum[u.resource] -= u.weight;
        if (--unfixed_on[u.resource] == 0) weight_sum[u.resource] = 0;
      }
    }
    if (!progress) throw ModelError("max-min fair sharing made no progress (inconsistent inputs)");
  }
  return rate;
}

}  // namespace trainsim::sim::engine
