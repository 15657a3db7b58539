// trainsim validation [DIR] [--only REGEX] [--json FILE|-]: every measured case of DIR (default:
// the bundled validation/) simulated and set beside its published figure, then the summary line
// `validation: median |error| X%, worst Y% over N cases`. The figures are checks, never inputs.
#include <fmt/format.h>

#include <iostream>
#include <ostream>
#include <regex>

#include "cli/json_output.hpp"
#include "cli/options.hpp"
#include "core/atomic_file.hpp"
#include "core/data_paths.hpp"
#include "reports/validation_table.hpp"
#include "scenarios/validation_case.hpp"
#include "sim/collective/scenario_collective.hpp"
#include "sim/simulate.hpp"

namespace trainsim::cli {
namespace {

/// One case → one row. The only dispatch on the case kind: a new kind adds its branch here.
reports::ValidationRow evaluate_case(const scenarios::ValidationCase& c,
                                     const sim::SimOptions& opt) {
  reports::ValidationRow row;
  row.name = c.name;
  row.kind = scenarios::case_kind_name(c.kind);
  row.metric = scenarios::metric_name(c.measured.metric);
  row.unit = scenarios::metric_unit(c.measured.metric);
  row.measured = c.measured.value;
  row.source = c.measured.source;
  row.conversion = scenarios::conversion_text(c.measured);
  row.file = c.file;
  row.not_expressible = c.not_expressible;
  row.calibrates = c.calibrates;
  switch (c.kind) {
    case scenarios::CaseKind::Step: {
      const sim::StepResult r = sim::simulate_step(*c.scenario, 0, 0, opt);
      row.calibration = r.cost_model;
      if (!r.infeasible_reason.empty()) {
        row.infeasible = r.infeasible_reason;
      } else {
        row.simulated = scenarios::step_metric(c.measured, *c.scenario, r.step_time_s);
      }
      break;
    }
    case scenarios::CaseKind::Collective: {
      // One collective alone on the case's cluster (trainsim collective).
      namespace col = sim::collective;
      const auto& k = *c.collective;
      col::CollectiveSpec spec =
          col::scenario_collective_spec(*c.scenario, 0, col::parse_op(k.op), k.group, k.tokens);
      spec.bytes = k.bytes;
      const auto r = col::simulate_collective(hardware::Topology::build(c.scenario->cluster), spec);
      row.simulated = col::figure_Bps(r, k.figure) / 1e9;
      break;
    }
  }
  return row;
}

}  // namespace

int cmd_validation(const Args& args, std::ostream& out) {
  po::options_description desc("validation options");
  std::string dir = data_path("validation");
  std::string only, json_file, calibration;
  bool explicit_ranks = false, include_all = false;
  desc.add_options()("dir", po::value(&dir)->default_value(dir), "folder of case files")(
      "only", po::value(&only), "simulate only the cases whose name matches this regex")(
      "calibration", po::value(&calibration),
      "compute-time profile for every case (default: each scenario's)")(
      "explicit", po::bool_switch(&explicit_ranks),
      "simulate every rank (default: one DP replica and one rank per TP group, --symmetric "
      "--fold-tp, exact on the non-blocking fabrics the cases use)")(
      "include-not-expressible", po::bool_switch(&include_all),
      "count the not-expressible cases in the statistics too");
  add_json_option(desc, json_file, "the table");
  po::variables_map vm;
  if (!parse_command_line(args, "validation", "[DIR] [--only REGEX] [--json FILE|-]", desc, {"dir"},
                          vm, out)) {
    return kExitOk;
  }
  std::regex filter;
  if (!only.empty()) {
    try {
      filter = std::regex(only, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      throw po::error(
          fmt::format("--only '{}' is not a valid regular expression: {}", only, e.what()));
    }
  }
  sim::SimOptions opt;
  opt.calibration = calibration;
  opt.symmetric = !explicit_ranks;
  opt.fold_tensor_parallel = !explicit_ranks;

  std::vector<reports::ValidationRow> rows;
  for (const auto& c : scenarios::load_validation_cases(dir)) {
    if (!only.empty() && !std::regex_search(c.name, filter)) continue;
    rows.push_back(evaluate_case(c, opt));
  }
  if (rows.empty()) throw po::error(fmt::format("--only '{}' matches no case in {}", only, dir));
  const reports::ValidationSummary summary = reports::summarize(rows, include_all);
  if (json_to_stdout(json_file)) {
    write_json_output(json_file, reports::validation_json(rows, summary), out, std::cerr);
    return kExitOk;
  }
  out << reports::validation_text(rows, summary);
  write_json_output(json_file, reports::validation_json(rows, summary), out, out);
  return kExitOk;
}

}  // namespace trainsim::cli
