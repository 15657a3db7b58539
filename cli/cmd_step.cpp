// trainsim step SCENARIO [--phase N] [--batch B] [--json]: one simulated training step.
#include <fmt/format.h>

#include <ostream>

#include "cli/result_printer.hpp"
#include "cli/sim_options.hpp"
#include "scenarios/scenario_loader.hpp"

namespace trainsim::cli {

int cmd_step(const Args& args, std::ostream& out) {
  po::options_description desc("step options");
  SimCommandOptions so;
  add_sim_options(desc, so);
  int phase = 0;
  long long batch = 0;
  desc.add_options()("phase", po::value(&phase)->default_value(0), "phase index (0-based)")(
      "batch", po::value(&batch)->default_value(0), "global batch in sequences (default: the phase's final batch)");
  po::variables_map vm;
  if (!parse_command_line(args, "step", "SCENARIO [options]", desc, {"scenario"}, vm, out)) return kExitOk;
  const auto scenario = scenarios::load_scenario(vm["scenario"].as<std::string>(), {so.sets});
  if (phase < 0 || static_cast<std::size_t>(phase) >= scenario.phases.size()) {
    throw po::error(fmt::format("--phase {} does not exist: the scenario has phases 0..{}", phase,
                                scenario.phases.size() - 1));
  }
  if (batch < 0) throw po::error("--batch must be positive");
  const auto& ph = scenario.phases[static_cast<std::size_t>(phase)];
  const sim::StepResult r = sim::simulate_step(scenario, static_cast<std::size_t>(phase), batch, to_sim_options(so));
  out << fmt::format("{} — phase '{}', one step\n\n", scenario.name, ph.name);
  out << describe_step(r);
  return r.infeasible_reason.empty() ? kExitOk : kExitInfeasible;
}

}  // namespace trainsim::cli
