// trainsim run SCENARIO [--set k=v]... [--json FILE] [--out DIR]: the whole training run.
#include <fmt/format.h>

#include <iostream>
#include <optional>
#include <ostream>

#include "cli/json_output.hpp"
#include "cli/pipeline_trace.hpp"
#include "cli/progress.hpp"
#include "cli/result_printer.hpp"
#include "cli/sim_options.hpp"
#include "core/atomic_file.hpp"
#include "reports/html_report.hpp"
#include "reports/result_json.hpp"
#include "reports/run_report.hpp"
#include "scenarios/scenario_loader.hpp"
#include "sim/plan/fit_suggestion.hpp"

namespace trainsim::cli {

int cmd_run(const Args& args, std::ostream& out) {
  po::options_description desc("run options");
  SimCommandOptions so;
  add_sim_options(desc, so);
  std::string json_file, out_dir;
  add_json_option(desc, json_file, "the run result");
  desc.add_options()("out", po::value(&out_dir),
                     "write report.html, report.md, result.json and CSV tables to DIR");
  po::variables_map vm;
  if (!parse_command_line(args, "run", "SCENARIO [options]", desc, {"scenario"}, vm, out))
    return kExitOk;
  const auto scenario = scenarios::load_scenario(vm["scenario"].as<std::string>(), {so.sets});
  if (!out_dir.empty()) ensure_writable_directory(out_dir);  // fail before simulating, not after
  notice_symmetric_fallback(so, scenario, std::cerr);
  sim::SimOptions opt = to_sim_options(so);
  std::optional<sim::RunResult> simulated;
  {
    ProgressLine progress("run " + scenario.name, "steps simulated",
                          ProgressLine::stderr_enabled());
    opt.progress = [&](std::size_t done, std::size_t total) { progress.update(done, total); };
    simulated = sim::simulate_run(scenario, opt);
  }
  const sim::RunResult& run = *simulated;
  if (!run.calibration.warning.empty()) std::cerr << "warning: " << run.calibration.warning << "\n";
  // `--json -`: the JSON alone on standard output; the notes about files go to standard error.
  const bool json_to_stdout = json_file == kStdoutPath;
  std::ostream& info = json_to_stdout ? std::cerr : out;
  if (json_to_stdout) {
    out << reports::run_to_json(run);
  } else {
    out << describe_run(run);
    // A phase that does not fit in memory: the fastest single change of its plan that does.
    for (std::size_t i = 0; i < run.phases.size(); ++i) {
      const auto& p = run.phases[i];
      if (p.feasible || p.representative.fits_in_memory) continue;
      const auto fit = sim::plan::fit_suggestion(scenario, i);
      out << fmt::format("{}{}: {}\n", i == 0 ? "\n" : "", p.name,
                         sim::plan::fit_suggestion_text(fit, scenario.cluster.gpu.hbm_bytes));
    }
  }
  if (!json_file.empty() && !json_to_stdout) {
    write_file_atomically(json_file, reports::run_to_json(run));
    out << fmt::format("\nwrote {}\n", json_file);
  }
  if (!out_dir.empty()) {
    // The pipeline chart: one step of the costliest phase, recording the first rank of every
    // pipeline stage.
    const sim::StepResult traced = trace_costliest_step(scenario, run, to_sim_options(so));
    reports::HtmlOptions hopt;
    hopt.timeline_step = &traced;
    // All six files or none (a full disk leaves nothing half-written).
    const auto written =
        reports::write_run_outputs(run, out_dir, {{"report.html", reports::run_html({run}, hopt)}});
    info << fmt::format(
        "\nwrote {} files to {}: report.html, report.md, result.json, phases.csv, groups.csv, "
        "batches.csv\n",
        written.size(), out_dir);
  }
  bool feasible = true;
  for (const auto& p : run.phases) feasible = feasible && p.feasible;
  return feasible ? kExitOk : kExitInfeasible;
}

}  // namespace trainsim::cli
