#pragma once
// Ranks named on the command line (`step --trace-ranks 0,1,128-135`, `--show-rank 3`): parsed,
// and checked against the ranks the step simulates, so that a rank that does not exist, or that
// the symmetry shortcut leaves out, is an error that lists the valid ones instead of an empty
// trace.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/scenario.hpp"

namespace trainsim::cli {

/// Most ranks a trace may record (the file must stay readable).
inline constexpr long long kMaxTraceRanks = 4096;

/// "0,1,128-135" → {0, 1, 128, …, 135}; at most kMaxTraceRanks ranks. Throws po::error.
std::vector<int> parse_rank_list(const std::string& text);

/// Ascending ranks as runs: "0-7, 128-135"; past `max_runs` runs, "…" and the count.
std::string describe_ranks(const std::vector<int>& ranks, std::size_t max_runs = 12);

/// The ranks one step of `phase` simulates, ascending: all of the phase's GPUs, or with the
/// symmetry shortcut (where it applies, sim::symmetric_shortcut_problem) data-parallel replica 0.
std::vector<int> simulated_ranks(const scenarios::Scenario& scenario, std::size_t phase,
                                 bool symmetric);

/// The ranks of `ranks` at tensor-parallel index 0: what --fold-tp simulates when it folds.
std::vector<int> tensor_parallel_leaders(const scenarios::Scenario& scenario, std::size_t phase,
                                         const std::vector<int>& ranks);

/// Throws po::error naming `option` when a rank of `requested` is not in `valid` (ascending):
/// "--show-rank: rank 99 does not exist: the step has 16 ranks (0-15)", or, when it exists but is
/// not simulated, why (`shortcut`, e.g. "--symmetric simulates data-parallel replica 0 only") and
/// the simulated ranks.
void check_ranks(std::string_view option, const std::vector<int>& requested,
                 const std::vector<int>& valid, int all_ranks, std::string_view shortcut);

}  // namespace trainsim::cli
