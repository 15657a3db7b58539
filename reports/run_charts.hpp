#pragma once
// Vega-Lite specs (JSON text) of the charts of the run and compare reports. Every axis carries a
// human title with its unit, every bar its value (so a bar too short to see still reads), and
// every legend entry says what the interval is, not the simulator's internal name.
#include <string>
#include <utility>
#include <vector>

#include "sim/replay/run_result.hpp"
#include "sim/step/step_result.hpp"

namespace trainsim::reports {

/// The feasible phase with the most GPU-hours (the one the step charts show); null if none.
const sim::PhaseResult* costliest_phase(const sim::RunResult& run);

/// "pre-training, one step at 15,360 sequences": which step a phase's representative is.
std::string step_label(const sim::PhaseResult& phase);

/// GPU-hours by phase group, simulated beside published, each bar labelled with its value.
std::string groups_chart(const sim::RunResult& run, const std::string& title);

/// From the ideal (model FLOPs at the dense peak) to the simulated step of `phase`'s
/// representative step, each bar labelled with its seconds.
std::string waterfall_chart(const sim::PhaseResult& phase, const std::string& title);

/// Memory per GPU by component, one row per (label, step), each against its HBM capacity (a
/// labelled tick).
std::string memory_chart(const std::vector<std::pair<std::string, const sim::StepResult*>>& rows,
                         const std::string& title);

/// Several runs' total GPU-hours, simulated beside published, labelled.
std::string totals_chart(const std::vector<sim::RunResult>& runs);

/// Several runs' costliest-phase step split into the waterfall's parts, as shares of the step.
std::string step_shares_chart(const std::vector<sim::RunResult>& runs);

/// One step's timeline (ranks × milliseconds, one lane per stream), coloured by what each
/// interval is (timeline_kind_label).
std::string timeline_chart(const sim::StepResult& step, const std::string& title);

/// The legend label of a timeline interval from its stream and name: "F: forward", "EP
/// all-to-all: dispatch", "TP collective", "DP: reduce-scatter"; unknown ones "stream: name".
std::string timeline_kind_label(const std::string& stream, const std::string& name);

}  // namespace trainsim::reports
