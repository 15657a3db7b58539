#pragma once
// The files `trainsim run --out DIR` leaves: result.json (result_json.hpp), report.md (the same
// tables as the terminal, in Markdown) and one CSV per table (phases, groups, batches). Every
// file is written to a temporary name and renamed, so a failed run leaves no partial file.
#include <string>
#include <utility>
#include <vector>

#include "sim/replay/run_result.hpp"

namespace trainsim::reports {

/// Markdown report of a run: headline beside the published figures, phases, groups, where the
/// time of each phase's representative step goes, memory, notes and stated assumptions.
std::string run_markdown(const sim::RunResult& run);

/// CSV tables (RFC 4180 quoting).
std::string phases_csv(const sim::RunResult& run);
std::string groups_csv(const sim::RunResult& run);
std::string batches_csv(const sim::RunResult& run);

/// Writes result.json, report.md, phases.csv, groups.csv and batches.csv, and `extra` (file
/// name in `dir`, contents) into `dir` (created if missing), all or none (core/atomic_file.hpp:
/// write_files_atomically); returns the paths written. Throws IoError naming the path if it
/// cannot, and then leaves none of the new files behind.
std::vector<std::string> write_run_outputs(
    const sim::RunResult& run, const std::string& dir,
    const std::vector<std::pair<std::string, std::string>>& extra = {});

/// RFC 4180 field quoting, formulas neutralised (reports/escape.hpp: csv_cell).
std::string csv_field(const std::string& text);

}  // namespace trainsim::reports
