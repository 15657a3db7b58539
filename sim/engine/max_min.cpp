#include "sim/engine/max_min.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace trainsim::sim::engine {

void MaxMinSolver::solve(std::span<const double> capacities, const FlowTable& flows,
                         std::vector<double>& rates) {
  const std::size_t nr = capacities.size();
  const std::size_t nf = flows.caps.size();
  if (flows.offsets.size() != nf + 1) throw ModelError("flow table offsets do not match its flows");
  for (double c : capacities) {
    if (!(c >= 0) || std::isnan(c))
      throw ModelError("resource capacity must be a non-negative number");
  }
  for (std::size_t f = 0; f < nf; ++f) {
    const double cap = flows.caps[f];
    if (std::isnan(cap) || cap < 0) throw ModelError("flow rate cap must be a non-negative number");
    if (flows.offsets[f + 1] < flows.offsets[f] || flows.offsets[f + 1] > flows.uses.size())
      throw ModelError("flow table offsets do not match its uses");
    if (flows.offsets[f + 1] == flows.offsets[f] && std::isinf(cap))
      throw ModelError("a flow with no resources needs a finite rate cap");
    for (std::uint32_t i = flows.offsets[f]; i < flows.offsets[f + 1]; ++i) {
      const FlowUse& u = flows.uses[i];
      if (u.resource >= nr) throw ModelError("flow uses an unknown resource");
      if (!(u.weight > 0) || std::isinf(u.weight))
        throw ModelError("flow weight must be positive and finite");
    }
  }
  solve_valid(capacities, flows, rates);
}

void MaxMinSolver::solve_valid(std::span<const double> capacities, const FlowTable& flows,
                               std::vector<double>& rates) {
  const std::size_t nr = capacities.size();
  const std::size_t nf = flows.caps.size();
  remaining_.assign(capacities.begin(), capacities.end());
  rates.assign(nf, 0.0);
  fixed_.assign(nf, 0);
  weight_sum_.assign(nr, 0.0);
  unfixed_on_.assign(nr, 0);
  saturated_.resize(nr);
  share_.resize(nr);
  const FlowUse* const uses = flows.uses.data();
  const std::uint32_t* const offsets = flows.offsets.data();
  for (std::uint32_t i = 0; i < offsets[nf]; ++i) {
    weight_sum_[uses[i].resource] += uses[i].weight;
    ++unfixed_on_[uses[i].resource];
  }
  std::size_t unfixed = nf;
  while (unfixed > 0) {
    // The level at which the next constraint binds: a resource's fair share or a flow's cap.
    double level = std::numeric_limits<double>::infinity();
    for (std::size_t r = 0; r < nr; ++r) {
      if (unfixed_on_[r] == 0) continue;
      share_[r] = remaining_[r] / weight_sum_[r];
      level = std::min(level, share_[r]);
    }
    for (std::size_t f = 0; f < nf; ++f) {
      if (!fixed_[f]) level = std::min(level, flows.caps[f]);
    }
    level = std::max(level, 0.0);
    // Fix every flow that crosses a saturated resource or reaches its cap at this level.
    const double binding = level * (1 + 1e-12);
    for (std::size_t r = 0; r < nr; ++r)
      saturated_[r] = unfixed_on_[r] > 0 && share_[r] <= binding ? 1 : 0;
    bool progress = false;
    for (std::size_t f = 0; f < nf; ++f) {
      if (fixed_[f]) continue;
      bool bind = flows.caps[f] <= binding;
      for (std::uint32_t i = offsets[f]; i < offsets[f + 1] && !bind; ++i)
        bind = saturated_[uses[i].resource] != 0;
      if (!bind) continue;
      fixed_[f] = 1;
      --unfixed;
      progress = true;
      rates[f] = std::min(level, flows.caps[f]);
      for (std::uint32_t i = offsets[f]; i < offsets[f + 1]; ++i) {
        const FlowUse& u = uses[i];
        remaining_[u.resource] = std::max(0.0, remaining_[u.resource] - u.weight * rates[f]);
        weight_sum_[u.resource] -= u.weight;
        if (--unfixed_on_[u.resource] == 0) weight_sum_[u.resource] = 0;
      }
    }
    if (!progress) throw ModelError("max-min fair sharing made no progress (inconsistent inputs)");
  }
}

std::vector<double> max_min_rates(const std::vector<double>& capacities,
                                  const std::vector<FairShareFlow>& flows) {
  std::vector<double> caps;
  std::vector<std::uint32_t> offsets{0};
  std::vector<FlowUse> uses;
  for (const auto& f : flows) {
    caps.push_back(f.cap);
    uses.insert(uses.end(), f.uses.begin(), f.uses.end());
    offsets.push_back(static_cast<std::uint32_t>(uses.size()));
  }
  std::vector<double> rates;
  MaxMinSolver().solve(capacities, FlowTable{caps, offsets, uses}, rates);
  return rates;
}

}  // namespace trainsim::sim::engine
