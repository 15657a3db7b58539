#include "cli/pipeline_trace.hpp"

#include "reports/run_charts.hpp"

namespace trainsim::cli {

sim::StepResult trace_costliest_step(const scenarios::Scenario& scenario, const sim::RunResult& run,
                                     sim::SimOptions options) {
  const sim::PhaseResult* p = reports::costliest_phase(run);
  if (p == nullptr) return {};
  const auto main = static_cast<std::size_t>(p - run.phases.data());
  options.symmetric = true;
  const auto& ph = scenario.phases[main];
  const auto& plan = ph.plan ? *ph.plan : scenario.plan;
  for (int q = 0; q < plan.pp; ++q) options.trace_ranks.push_back(q * plan.dp * plan.cp * plan.tp);
  return sim::simulate_step(scenario, main, 0, options);
}

}  // namespace trainsim::cli
