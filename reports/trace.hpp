#pragma once
// One simulated step as Chrome / Perfetto trace-event JSON (ui.perfetto.dev, chrome://tracing):
// a process per rank, a thread per stream (compute, comm, dp), "X" complete events in
// microseconds, with metadata names. Only the ranks the step recorded appear (trace_ranks), and
// at most `max_events` events are written (the file says when it was cut).
#include <cstddef>
#include <string>

#include "sim/step/step_result.hpp"

namespace trainsim::reports {

struct TraceOptions {
  std::size_t max_events = 200000;  ///< keeps files to tens of MB
};

std::string step_trace_json(const sim::StepResult& step, const TraceOptions& options = {});

}  // namespace trainsim::reports
