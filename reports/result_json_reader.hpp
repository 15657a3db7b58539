#pragma once
// Reads a run result back from the JSON that result_json.hpp writes (`trainsim run --json FILE`,
// `result.json` under `run --out DIR`; schema in docs/result-schema.md), so that reports can be
// written again without simulating (`trainsim report RESULT.json --out DIR`).
//
// Round trip: run_to_json(read_run_json_text(run_to_json(r))) == run_to_json(r), byte for byte.
// Fields the JSON does not carry stay at their defaults (StepResult::hardware_flops,
// comm_by_kind_s, timeline; PhaseResult::model_flops); derived keys (`total` of memory, the
// ratios) are recomputed by the writer, not read. Unknown keys are ignored (the schema may grow).
//
// Every value is checked: a file that is not JSON, a missing key, a value of the wrong type, a
// negative, infinite or null number where a quantity belongs, or a schema other than
// "trainsim.run/1" is a ConfigError naming the file, the key path (e.g.
// "phases[0].step.memory.weights"), the value found and what was expected.
#include <string>

#include "sim/replay/run_result.hpp"

namespace trainsim::reports {

/// Parses result JSON text; `origin` names it in errors (a file name). Throws ConfigError.
sim::RunResult read_run_json_text(const std::string& text, const std::string& origin);

/// Reads a result file. Throws IoError if it cannot be read, ConfigError if it is not a valid
/// run result.
sim::RunResult read_run_json(const std::string& path);

/// Wall-clock seconds whose conversion to days (seconds / 86400) gives exactly `days`, so that a
/// value read back from JSON is written again unchanged; `days` must be finite.
double seconds_from_days(double days);

}  // namespace trainsim::reports
