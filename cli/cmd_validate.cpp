// trainsim validate SCENARIO [--set k=v]... [--json FILE|-]: check a scenario and print the
// resolved plan. The cluster's topology is built too, so a cluster the fabric cannot hold (e.g.
// 100,000 GPUs on a two-tier multi-plane fat-tree) fails here, not first at run time.
#include <fmt/format.h>

#include <iostream>
#include <ostream>

#include "cli/json_output.hpp"
#include "cli/model_json.hpp"
#include "cli/options.hpp"
#include "cli/scenario_printer.hpp"
#include "core/error.hpp"
#include "hardware/topology.hpp"
#include "scenarios/scenario_loader.hpp"

namespace trainsim::cli {

int cmd_validate(const Args& args, std::ostream& out) {
  po::options_description desc("validate options");
  std::vector<std::string> sets;
  std::string json_file;
  desc.add_options()("set", po::value(&sets)->composing(),
                     "override a scenario field: key.path=value (repeatable)");
  add_json_option(desc, json_file, "the resolved scenario");
  po::variables_map vm;
  if (!parse_command_line(args, "validate",
                          "SCENARIO|NAME|- [--set key.path=value]... [--json FILE|-]", desc,
                          {"scenario"}, vm, out)) {
    return kExitOk;
  }
  const auto scenario =
      scenarios::load_scenario(vm["scenario"].as<std::string>(), {.overrides = sets});
  try {
    (void)hardware::Topology::build(scenario.cluster);
  } catch (const ModelError& e) {
    throw ModelError(fmt::format("{}: cluster (gpus: {}, fabric: {}): {}",
                                 vm["scenario"].as<std::string>(), scenario.cluster.gpus,
                                 scenario.cluster.fabric.name, e.what()));
  }
  if (json_to_stdout(json_file)) {
    write_json_output(json_file, scenario_to_json(scenario), out, std::cerr);
    return kExitOk;
  }
  out << describe_scenario(scenario);
  out << "\nscenario is valid\n";
  write_json_output(json_file, scenario_to_json(scenario), out, out);
  return kExitOk;
}

}  // namespace trainsim::cli
