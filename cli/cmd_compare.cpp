// trainsim compare A.yaml B.yaml ...: whole runs side by side, with ratios to the first.
#include <fmt/format.h>

#include <ostream>

#include "cli/result_printer.hpp"
#include "cli/sim_options.hpp"
#include "core/atomic_file.hpp"
#include "reports/html_report.hpp"
#include "reports/result_json.hpp"
#include "scenarios/scenario_loader.hpp"

namespace trainsim::cli {

int cmd_compare(const Args& args, std::ostream& out) {
  po::options_description desc("compare options");
  SimCommandOptions so;
  add_sim_options(desc, so);
  std::vector<std::string> files;
  std::string out_dir;
  desc.add_options()("scenarios", po::value(&files)->multitoken(), "scenario files (two or more)")(
      "out", po::value(&out_dir),
      "write report.html (side by side) and one result JSON per scenario to DIR");
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
  if (!out_dir.empty()) ensure_writable_directory(out_dir);
  const auto opt = to_sim_options(so);
  std::vector<sim::RunResult> runs;
  for (const auto& s : loaded) runs.push_back(sim::simulate_run(s, opt));
  out << describe_comparison(runs);
  if (!out_dir.empty()) {
    std::vector<std::pair<std::string, std::string>> outputs;  // all or none
    for (const auto& r : runs) {
      outputs.emplace_back(out_dir + "/" + r.scenario + ".json", reports::run_to_json(r));
    }
    outputs.emplace_back(out_dir + "/report.html", reports::run_html(runs));
    write_files_atomically(outputs);
    out << fmt::format("\nwrote {}/report.html and {} result files\n", out_dir, runs.size());
  }
  return kExitOk;
}

}  // namespace trainsim::cli
