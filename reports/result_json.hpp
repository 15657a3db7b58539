#pragma once
// Machine-readable results. The schema is documented in docs/result-schema.md; its keys are
// stable. Output is deterministic: the same result gives byte-identical text (fixed key order,
// shortest round-trip number formatting, host timings left out unless asked for).
#include <string>

#include "sim/replay/run_result.hpp"
#include "sim/step/step_result.hpp"

namespace trainsim::reports {

struct JsonOptions {
  bool include_timing = false;  ///< add host wall-clock fields (not reproducible)
  bool include_ranks = false;   ///< add every rank's time breakdown to step objects
};

/// A whole run: scenario, total, published, phases[], groups[], assumptions, goodput.
std::string run_to_json(const sim::RunResult& run, const JsonOptions& options = {});

/// One step (what `trainsim step --json` prints).
std::string step_to_json(const sim::StepResult& step, const JsonOptions& options = {});

}  // namespace trainsim::reports
