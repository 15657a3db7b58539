// trainsim compare A.yaml B.yaml ...: whole runs side by side, with ratios to the first.
#include <fmt/format.h>

#include <ostream>

#include "cli/result_printer.hpp"
#include "cli/sim_options.hpp"
#include "scenarios/scenario_loader.hpp"

namespace trainsim::cli {

int cmd_compare(const Args& args, std::ostream& out) {
  po::options_description desc("compare options");
  SimCommandOptions so;
  add_sim_options(desc, so);
  std::vector<std::string> files;
  desc.add_options()("scenarios", po::value(&files)->multitoken(), "scenario files (two or more)");
  po::positional_options_description pos;
  pos.add("scenarios", -1);
  po::variables_map vm;
  desc.add_options()("help,h", "show this help");
  po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
  if (vm.count("help")) {
    out << "usage: trainsim compare A.yaml B.yaml [...] [options]\n\n" << desc << "\n";
    return kExitOk;
  }
  po::notify(vm);
  if (files.size() < 2) throw po::error("compare needs at least two scenario files");
  std::vector<scenarios::Scenario> loaded;
  for (const auto& f : files) loaded.push_back(scenarios::load_scenario(f, {so.sets}));
  const auto opt = to_sim_options(so);
  std::vector<sim::RunResult> runs;
  for (const auto& s : loaded) runs.push_back(sim::simulate_run(s, opt));
  out << describe_comparison(runs);
  return kExitOk;
}

}  // namespace trainsim::cli
