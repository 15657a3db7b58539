#pragma once
// The step the report's pipeline-timeline chart draws: one step of a run's costliest feasible
// phase, recording the first rank of every pipeline stage (as the DualPipe paper's figure does).
#include "scenarios/scenario.hpp"
#include "sim/replay/run_result.hpp"
#include "sim/simulate.hpp"

namespace trainsim::cli {

/// That step, simulated with `options` plus the symmetry shortcut (the recorded ranks are the
/// first replica's; the step is the same). An empty StepResult when no phase is feasible.
sim::StepResult trace_costliest_step(const scenarios::Scenario& scenario, const sim::RunResult& run,
                                     sim::SimOptions options);

}  // namespace trainsim::cli
