// trainsim compare A.yaml B.yaml ...: whole runs side by side, with ratios to the first.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/help_examples.hpp"
#include "cli/json_output.hpp"
#include "cli/pipeline_trace.hpp"
#include "cli/progress.hpp"
#include "cli/result_printer.hpp"
#include "cli/sim_options.hpp"
#include "core/atomic_file.hpp"
#include "reports/compare_report.hpp"
#include "reports/result_json.hpp"
#include "scenarios/scenario_loader.hpp"

namespace trainsim::cli {
namespace {

/// {"schema": "trainsim.compare/1", "baseline", "runs": [run results], "ratios": [...]}.
std::string comparison_json(const std::vector<sim::RunResult>& runs) {
  using Json = nlohmann::ordered_json;
  Json list = Json::array(), ratios = Json::array();
  const auto ratio = [](double v, double base) {
    return base > 0 ? Json(v / base) : Json(nullptr);
  };
  for (const auto& r : runs) {
    list.push_back(Json::parse(reports::run_to_json(r)));
    ratios.push_back({{"scenario", r.scenario},
                      {"gpu_hours", ratio(r.total_gpu_hours, runs[0].total_gpu_hours)},
                      {"cost_usd", ratio(r.total_cost_usd, runs[0].total_cost_usd)},
                      {"wall_days", ratio(r.total_wall_s, runs[0].total_wall_s)},
                      {"mfu", ratio(r.mfu, runs[0].mfu)}});
  }
  const Json j{{"schema", "trainsim.compare/1"},
               {"baseline", runs[0].scenario},
               {"runs", list},
               {"ratios", ratios}};
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

int cmd_compare(const Args& args, std::ostream& out) {
  po::options_description desc("compare options");
  SimCommandOptions so;
  add_sim_options(desc, so);
  std::vector<std::string> files;
  std::string out_dir, json_file;
  desc.add_options()("scenarios", po::value(&files)->multitoken(),
                     "scenario files or bundled names (two or more)")(
      "out", po::value(&out_dir),
      "write report.html (side by side) and one result JSON per scenario to DIR");
  add_json_option(desc, json_file, "every run and its ratios to the first");
  po::positional_options_description pos;
  pos.add("scenarios", -1);
  po::variables_map vm;
  add_wide_option(desc);
  desc.add_options()("help,h", "show this help");
  po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
  if (vm.count("help")) {
    out << "usage: trainsim compare A.yaml B.yaml [...] [--json FILE|-] [options]\n\n"
        << desc << "\n"
        << help_examples_text("compare");
    return kExitOk;
  }
  po::notify(vm);
  apply_wide_option(vm);
  if (files.size() < 2) throw po::error("compare needs at least two scenario files");
  std::vector<scenarios::Scenario> loaded;
  for (const auto& f : files) loaded.push_back(scenarios::load_scenario(f, {so.sets}));
  if (!out_dir.empty()) ensure_writable_directory(out_dir);
  const auto opt = to_sim_options(so);
  std::vector<sim::RunResult> runs;
  for (std::size_t i = 0; i < loaded.size(); ++i) {
    const auto& s = loaded[i];
    notice_symmetric_fallback(so, s, std::cerr);
    ProgressLine progress(fmt::format("compare {} of {}, {}", i + 1, loaded.size(), s.name),
                          "steps simulated", ProgressLine::stderr_enabled());
    sim::SimOptions each = opt;
    each.progress = [&](std::size_t done, std::size_t total) { progress.update(done, total); };
    runs.push_back(sim::simulate_run(s, each));
  }
  const bool json_only = json_to_stdout(json_file);
  if (!json_only) out << describe_comparison(runs);
  std::ostream& note = json_only ? std::cerr : out;
  if (!out_dir.empty()) {
    std::vector<std::pair<std::string, std::string>> outputs;  // all or none
    for (const auto& r : runs) {
      outputs.emplace_back(out_dir + "/" + r.scenario + ".json", reports::run_to_json(r));
    }
    // Each run's pipeline timeline: one more step per run, with its first ranks recorded.
    std::vector<sim::StepResult> traced;
    traced.reserve(runs.size());
    for (std::size_t i = 0; i < runs.size(); ++i)
      traced.push_back(trace_costliest_step(loaded[i], runs[i], opt));
    std::vector<const sim::StepResult*> timelines;
    for (const auto& t : traced) timelines.push_back(&t);
    outputs.emplace_back(out_dir + "/report.html", reports::compare_html(runs, timelines));
    write_files_atomically(outputs);
    note << fmt::format("\nwrote {}/report.html and {} result files\n", out_dir, runs.size());
  }
  if (!json_file.empty()) write_json_output(json_file, comparison_json(runs), out, note);
  return kExitOk;
}

}  // namespace trainsim::cli
