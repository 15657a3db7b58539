#pragma once
// What would make a phase that does not fit in memory fit: each single change of its plan that
// a performance engineer would try first — recompute selective or full, ZeRO-2, twice the
// pipeline or tensor parallelism (data parallelism halved to keep the GPU count, unless it is
// `dp: auto`), twice the expert parallelism — is simulated as one step of that phase at its
// final batch (--symmetric), and the fastest of those that fit is named with the overrides that
// give it. Used by `trainsim run` and `trainsim step` under an infeasible phase.
#include <cstddef>
#include <string>

#include "scenarios/scenario.hpp"

namespace trainsim::sim::plan {

struct FitSuggestion {
  std::string sets;  ///< "--set parallelism.recompute=full", or "" when no single change fits
  double step_time_s = 0;
  double memory_bytes = 0;  ///< per GPU, of the changed plan's step
  int tried = 0;            ///< changes that were valid plans and were simulated
};

/// The fastest single change that fits (see above), or an empty `sets`.
FitSuggestion fit_suggestion(const scenarios::Scenario& scenario, std::size_t phase_index);

/// "fits with --set ... (71.2 of 80.0 GB per GPU, one step 21.3 s)", or "no single change of
/// recompute, ZeRO, PP, TP or EP fits (N tried)".
std::string fit_suggestion_text(const FitSuggestion& s, double hbm_bytes);

}  // namespace trainsim::sim::plan
