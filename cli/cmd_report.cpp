// trainsim report RESULT.json --out DIR: the report set of `run --out` (report.html, report.md,
// result.json, phases.csv, groups.csv, batches.csv), written from a saved result without
// simulating again.
#include <fmt/format.h>

#include <ostream>

#include "cli/options.hpp"
#include "cli/result_printer.hpp"
#include "core/atomic_file.hpp"
#include "reports/html_report.hpp"
#include "reports/result_json_reader.hpp"
#include "reports/run_report.hpp"

namespace trainsim::cli {

int cmd_report(const Args& args, std::ostream& out) {
  po::options_description desc("report options");
  std::string out_dir;
  desc.add_options()("out", po::value(&out_dir),
                     "write report.html, report.md, result.json and CSV tables to DIR (required)");
  po::variables_map vm;
  if (!parse_command_line(args, "report", "RESULT.json --out DIR", desc, {"result"}, vm, out))
    return kExitOk;
  if (out_dir.empty()) throw po::error("report needs --out DIR (where to write the reports)");
  const std::string file = vm["result"].as<std::string>();
  const sim::RunResult run = reports::read_run_json(file);  // before touching DIR
  ensure_writable_directory(out_dir);
  out << describe_run(run);
  // The result file holds no per-rank timeline, so the page has no pipeline-timeline chart;
  // `trainsim run --out DIR` simulates the step that draws it. All six files or none.
  const auto written =
      reports::write_run_outputs(run, out_dir, {{"report.html", reports::run_html({run})}});
  out << fmt::format(
      "\nwrote {} files to {} from {}: report.html, report.md, result.json, phases.csv, "
      "groups.csv, batches.csv (no pipeline-timeline chart: the result file has no timeline; "
      "`trainsim run --out` draws it)\n",
      written.size(), out_dir, file);
  return kExitOk;
}

}  // namespace trainsim::cli
