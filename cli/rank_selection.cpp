#include "cli/rank_selection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "cli/options.hpp"
#include "sim/simulate.hpp"
#include "sim/step/rank_layout.hpp"

namespace trainsim::cli {

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

std::string describe_ranks(const std::vector<int>& ranks, std::size_t max_runs) {
  std::string out;
  std::size_t runs = 0;
  for (std::size_t i = 0; i < ranks.size();) {
    std::size_t j = i;
    while (j + 1 < ranks.size() && ranks[j + 1] == ranks[j] + 1) ++j;
    if (runs == max_runs) {
      out += fmt::format(", … ({} ranks in all)", ranks.size());
      break;
    }
    out += runs ? ", " : "";
    out += j == i ? fmt::format("{}", ranks[i]) : fmt::format("{}-{}", ranks[i], ranks[j]);
    ++runs;
    i = j + 1;
  }
  return out;
}

std::vector<int> simulated_ranks(const scenarios::Scenario& sc, std::size_t phase, bool symmetric) {
  const auto& ph = sc.phases.at(phase);
  const models::ParallelPlan& plan = ph.plan ? *ph.plan : sc.plan;
  const sim::RankLayout layout(plan, sc.cluster.node.gpus_per_node);
  const bool replica0 = symmetric && sim::symmetric_shortcut_problem(sc).empty();
  std::vector<int> out;
  for (int r = 0; r < layout.ranks(); ++r) {
    if (!replica0 || layout.coords(r).dp == 0) out.push_back(r);
  }
  return out;
}

std::vector<int> tensor_parallel_leaders(const scenarios::Scenario& sc, std::size_t phase,
                                         const std::vector<int>& ranks) {
  const auto& ph = sc.phases.at(phase);
  const sim::RankLayout layout(ph.plan ? *ph.plan : sc.plan, sc.cluster.node.gpus_per_node);
  std::vector<int> out;
  for (int r : ranks) {
    if (layout.coords(r).tp == 0) out.push_back(r);
  }
  return out;
}

void check_ranks(std::string_view option, const std::vector<int>& requested,
                 const std::vector<int>& valid, int all_ranks, std::string_view shortcut) {
  std::vector<int> absent, left_out;  // beyond the step's ranks; existing but not simulated
  for (int r : requested) {
    if (r >= all_ranks) {
      absent.push_back(r);
    } else if (!std::binary_search(valid.begin(), valid.end(), r)) {
      left_out.push_back(r);
    }
  }
  const auto named = [](std::vector<int> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v.size() == 1 ? fmt::format("rank {}", v.front())
                         : fmt::format("ranks {}", describe_ranks(v, 4));
  };
  const bool all_simulated = static_cast<int>(valid.size()) == all_ranks;
  if (!absent.empty()) {
    throw po::error(fmt::format(
        "{}: {} {} not exist: the step has {} ranks (0-{}){}", option, named(absent),
        absent.size() == 1 ? "does" : "do", all_ranks, all_ranks - 1,
        all_simulated ? std::string()
                      : fmt::format("; simulated ({}): {}", shortcut, describe_ranks(valid))));
  }
  if (!left_out.empty()) {
    throw po::error(fmt::format("{}: {} {} not simulated ({}); simulated ranks: {}", option,
                                named(left_out), left_out.size() == 1 ? "is" : "are", shortcut,
                                describe_ranks(valid)));
  }
}

}  // namespace trainsim::cli
