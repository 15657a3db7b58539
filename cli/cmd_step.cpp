// trainsim step SCENARIO [--phase N] [--batch B] [--json FILE|-]: one simulated training step.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <optional>
#include <ostream>

#include "cli/json_output.hpp"
#include "cli/op_cost_printer.hpp"
#include "cli/progress.hpp"
#include "cli/rank_selection.hpp"
#include "cli/result_printer.hpp"
#include "cli/sim_options.hpp"
#include "core/atomic_file.hpp"
#include "reports/result_json.hpp"
#include "reports/trace.hpp"
#include "scenarios/scenario_loader.hpp"
#include "sim/op_costs.hpp"
#include "sim/plan/fit_suggestion.hpp"

namespace trainsim::cli {

int cmd_step(const Args& args, std::ostream& out) {
  po::options_description desc("step options");
  SimCommandOptions so;
  add_sim_options(desc, so, kStepSimOptions);
  int phase = 0;
  long long batch = 0;
  desc.add_options()("phase", po::value(&phase)->default_value(0), "phase index (0-based)")(
      "batch", po::value(&batch)->default_value(0),
      "global batch in sequences (default: the phase's final batch)");
  std::string json_file;
  add_json_option(desc, json_file, "the step result");
  std::string trace_file, trace_ranks_text = "0";
  desc.add_options()(
      "trace", po::value(&trace_file),
      "write the step as Chrome/Perfetto trace JSON to FILE ('-': standard output only; open "
      "in ui.perfetto.dev)")("trace-ranks", po::value(&trace_ranks_text)->default_value("0"),
                             "ranks in the trace: a list and ranges, e.g. 0,1,128-135 (default 0)");
  int show_rank = -1;
  int show_events = 40;
  desc.add_options()("show-rank", po::value(&show_rank)->default_value(-1),
                     "print the timeline of this rank (its first --show-events intervals)")(
      "show-events", po::value(&show_events)->default_value(40),
      "intervals printed by --show-rank");
  std::string ops_layer;
  desc.add_options()("ops", po::value(&ops_layer),
                     "also print the op-by-op price of one layer for one micro-batch on one rank: "
                     "shape, time, TFLOP/s, fraction of peak and what timed it (LAYER: an index, "
                     "'embedding' or 'head')");
  po::variables_map vm;
  if (!parse_command_line(args, "step", "SCENARIO [options]", desc, {"scenario"}, vm, out))
    return kExitOk;
  if (json_to_stdout(json_file) && trace_file == kStdoutPath) {
    throw po::error("--json - and --trace - cannot both be standard output; write one to a file");
  }
  const auto scenario = scenarios::load_scenario(vm["scenario"].as<std::string>(), {so.sets});
  if (phase < 0 || static_cast<std::size_t>(phase) >= scenario.phases.size()) {
    throw po::error(fmt::format("--phase {} does not exist: the scenario has phases 0..{}", phase,
                                scenario.phases.size() - 1));
  }
  if (batch < 0) throw po::error("--batch must be positive");
  // Priced before the step, so that a layer that does not exist fails at once.
  std::optional<sim::LayerOpCosts> op_costs;
  if (vm.count("ops")) {
    op_costs = sim::layer_op_costs(scenario, static_cast<std::size_t>(phase),
                                   parse_ops_layer(ops_layer), so.calibration);
  }
  const auto& ph = scenario.phases[static_cast<std::size_t>(phase)];
  sim::SimOptions opt = to_sim_options(so);
  notice_symmetric_fallback(so, scenario, std::cerr);
  // Named ranks must exist and be simulated (an empty trace or timeline says nothing).
  const std::vector<int> simulated =
      simulated_ranks(scenario, static_cast<std::size_t>(phase), so.symmetric);
  const int all_ranks =
      static_cast<int>(simulated_ranks(scenario, static_cast<std::size_t>(phase), false).size());
  constexpr std::string_view kSymmetric = "--symmetric simulates data-parallel replica 0 only";
  if (show_rank >= 0) {
    check_ranks("--show-rank", {show_rank}, simulated, all_ranks, kSymmetric);
    opt.trace_ranks.push_back(show_rank);
  } else if (show_rank != -1) {
    throw po::error(fmt::format("--show-rank {} is not a rank (0-{})", show_rank, all_ranks - 1));
  }
  if (!trace_file.empty()) {
    const std::vector<int> ranks = parse_rank_list(trace_ranks_text);
    check_ranks("--trace-ranks", ranks, simulated, all_ranks, kSymmetric);
    for (int r : ranks) opt.trace_ranks.push_back(r);
  }
  std::optional<sim::StepResult> result;
  {
    ProgressLine progress(fmt::format("step of '{}', phase {}", scenario.name, ph.name), "",
                          ProgressLine::stderr_enabled());
    result = sim::simulate_step(scenario, static_cast<std::size_t>(phase), batch, opt);
  }
  const sim::StepResult& r = *result;
  if (!r.calibration.warning.empty()) std::cerr << "warning: " << r.calibration.warning << "\n";
  // --fold-tp simulates TP index 0 of a group when the group is identical: its other members
  // record nothing, which only the step knows.
  std::vector<int> recorded;
  for (const auto& e : r.timeline) recorded.push_back(e.rank);
  std::sort(recorded.begin(), recorded.end());
  recorded.erase(std::unique(recorded.begin(), recorded.end()), recorded.end());
  if (r.infeasible_reason.empty() && so.fold_tp &&
      std::any_of(opt.trace_ranks.begin(), opt.trace_ranks.end(), [&](int q) {
        return !std::binary_search(recorded.begin(), recorded.end(), q);
      })) {
    check_ranks(show_rank >= 0 && trace_file.empty() ? "--show-rank" : "--trace-ranks",
                opt.trace_ranks,
                tensor_parallel_leaders(scenario, static_cast<std::size_t>(phase), simulated),
                all_ranks, "--fold-tp simulates tensor-parallel index 0 of each group");
  }
  if (trace_file == kStdoutPath) {  // the trace alone on standard output
    write_json_output(json_file, reports::step_to_json(r), out, std::cerr);
    out << reports::step_trace_json(r);
    return r.infeasible_reason.empty() ? kExitOk : kExitInfeasible;
  }
  const bool json_only = json_to_stdout(json_file);  // the JSON alone on standard output
  std::ostream& note = json_only ? std::cerr : out;
  if (!trace_file.empty()) {
    write_file_atomically(trace_file, reports::step_trace_json(r));
    note << fmt::format("wrote {} ({} intervals)\n", trace_file, r.timeline.size());
  }
  if (json_only) {
    write_json_output(json_file, reports::step_to_json(r), out, note);
    return r.infeasible_reason.empty() ? kExitOk : kExitInfeasible;
  }
  out << fmt::format("{} — phase '{}', one step\n\n", scenario.name, ph.name);
  out << describe_step(r);
  if (!r.fits_in_memory) {  // the fastest single change of the plan that fits
    out << sim::plan::fit_suggestion_text(
               sim::plan::fit_suggestion(scenario, static_cast<std::size_t>(phase)),
               scenario.cluster.gpu.hbm_bytes)
        << "\n";
  }
  if (op_costs) out << describe_op_costs(*op_costs);
  if (show_rank >= 0) {
    auto events = r.timeline;
    std::stable_sort(events.begin(), events.end(),
                     [](const auto& a, const auto& b) { return a.start_s < b.start_s; });
    out << fmt::format("\ntimeline of rank {} (first {} of {} intervals):\n", show_rank,
                       show_events, events.size());
    for (std::size_t i = 0; i < events.size() && static_cast<int>(i) < show_events; ++i) {
      const auto& e = events[i];
      out << fmt::format("  {:>10.3f} ms {:>10.3f} ms  {:<8} {:<14} mb {:>3} chunk {:>2}\n",
                         e.start_s * 1e3, e.end_s * 1e3, e.stream, e.name, e.micro_batch, e.chunk);
    }
  }
  write_json_output(json_file, reports::step_to_json(r), out, out);
  return r.infeasible_reason.empty() ? kExitOk : kExitInfeasible;
}

}  // namespace trainsim::cli
