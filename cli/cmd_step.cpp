// trainsim step SCENARIO [--phase N] [--batch B] [--json]: one simulated training step.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <ostream>

#include "cli/result_printer.hpp"
#include "cli/sim_options.hpp"
#include "core/atomic_file.hpp"
#include "reports/result_json.hpp"
#include "reports/trace.hpp"
#include "scenarios/scenario_loader.hpp"

namespace trainsim::cli {
namespace {

/// Most ranks a trace may record (the file must stay readable).
constexpr long long kMaxTraceRanks = 4096;

/// "0,1,128-135" → {0, 1, 128, …, 135}; at most kMaxTraceRanks ranks.
std::vector<int> parse_rank_list(const std::string& text) {
  std::vector<int> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string item = text.substr(start, comma - start);
    const auto dash = item.find('-');
    try {
      std::size_t used = 0;
      const int a = std::stoi(item.substr(0, dash), &used);
      const int b = dash == std::string::npos ? a : std::stoi(item.substr(dash + 1));
      if (a < 0 || b < a) throw std::invalid_argument("range");
      // The size is checked before any rank is stored (0-999999999 must not allocate first).
      const long long count = static_cast<long long>(b) - a + 1;
      if (static_cast<long long>(out.size()) + count > kMaxTraceRanks) {
        throw po::error(fmt::format(
            "--trace-ranks: '{}' is {} ranks; at most 4,096 ranks in all (a list and ranges, "
            "e.g. 0,1,128-135)",
            item, count));
      }
      for (long long r = a; r <= b; ++r) out.push_back(static_cast<int>(r));
    } catch (const std::invalid_argument&) {
      throw po::error(
          fmt::format("--trace-ranks: '{}' is not a rank or a range like 128-135", item));
    } catch (const std::out_of_range&) {
      throw po::error(
          fmt::format("--trace-ranks: '{}' is not a rank or a range like 128-135", item));
    }
    start = comma + 1;
  }
  return out;
}

}  // namespace

int cmd_step(const Args& args, std::ostream& out) {
  po::options_description desc("step options");
  SimCommandOptions so;
  add_sim_options(desc, so);
  int phase = 0;
  long long batch = 0;
  desc.add_options()("phase", po::value(&phase)->default_value(0), "phase index (0-based)")(
      "batch", po::value(&batch)->default_value(0),
      "global batch in sequences (default: the phase's final batch)");
  bool json = false;
  std::string trace_file, trace_ranks_text = "0";
  desc.add_options()("json", po::bool_switch(&json),
                     "print the result as JSON (docs/result-schema.md)")(
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
  po::variables_map vm;
  if (!parse_command_line(args, "step", "SCENARIO [options]", desc, {"scenario"}, vm, out))
    return kExitOk;
  const auto scenario = scenarios::load_scenario(vm["scenario"].as<std::string>(), {so.sets});
  if (phase < 0 || static_cast<std::size_t>(phase) >= scenario.phases.size()) {
    throw po::error(fmt::format("--phase {} does not exist: the scenario has phases 0..{}", phase,
                                scenario.phases.size() - 1));
  }
  if (batch < 0) throw po::error("--batch must be positive");
  const auto& ph = scenario.phases[static_cast<std::size_t>(phase)];
  sim::SimOptions opt = to_sim_options(so);
  if (show_rank >= 0) opt.trace_ranks.push_back(show_rank);
  if (!trace_file.empty()) {
    for (int r : parse_rank_list(trace_ranks_text)) opt.trace_ranks.push_back(r);
  }
  const sim::StepResult r =
      sim::simulate_step(scenario, static_cast<std::size_t>(phase), batch, opt);
  if (!r.calibration.warning.empty()) std::cerr << "warning: " << r.calibration.warning << "\n";
  if (trace_file == kStdoutPath) {  // the trace alone on standard output
    out << reports::step_trace_json(r);
    return r.infeasible_reason.empty() ? kExitOk : kExitInfeasible;
  }
  if (!trace_file.empty()) {
    write_file_atomically(trace_file, reports::step_trace_json(r));
    if (!json) out << fmt::format("wrote {} ({} intervals)\n", trace_file, r.timeline.size());
  }
  if (json) {
    out << reports::step_to_json(r);
    return r.infeasible_reason.empty() ? kExitOk : kExitInfeasible;
  }
  out << fmt::format("{} — phase '{}', one step\n\n", scenario.name, ph.name);
  out << describe_step(r);
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
  return r.infeasible_reason.empty() ? kExitOk : kExitInfeasible;
}

}  // namespace trainsim::cli
