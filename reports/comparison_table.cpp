#include "reports/comparison_table.hpp"

#include <fmt/format.h>

#include <functional>

#include "core/units.hpp"
#include "reports/text_table.hpp"

namespace trainsim::reports {

ComparisonTable comparison_table(const std::vector<sim::RunResult>& runs) {
  using units::Quantity;
  ComparisonTable t;
  t.headers.emplace_back("");
  for (const auto& r : runs) t.headers.push_back(r.scenario);
  const auto add = [&](const std::string& name,
                       const std::function<double(const sim::RunResult&)>& value,
                       const std::function<std::string(double)>& show) {
    std::vector<std::string> row{name};
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const double v = value(runs[i]);
      std::string cell = show(v);
      if (i > 0 && value(runs[0]) > 0) cell += fmt::format(" ({:.2f}×)", v / value(runs[0]));
      row.push_back(cell);
    }
    t.rows.push_back(row);
  };
  const auto hours = [](double h) { return with_commas(h, 0); };
  add(
      "GPUs", [](const sim::RunResult& r) { return static_cast<double>(r.gpus); },
      [](double v) { return with_commas(v); });
  add(
      "tokens", [](const sim::RunResult& r) { return r.total_tokens; },
      [](double v) { return units::format(v, Quantity::Count); });
  add(
      "GPU-hours", [](const sim::RunResult& r) { return r.total_gpu_hours; }, hours);
  add(
      "cost", [](const sim::RunResult& r) { return r.total_cost_usd; },
      [](double usd) {
        return usd >= 1e6 ? fmt::format("${:.3f}M", usd / 1e6) : "$" + with_commas(usd, 0);
      });
  add(
      "wall days", [](const sim::RunResult& r) { return r.total_wall_s / 86400.0; },
      [](double v) { return fmt::format("{:.1f}", v); });
  add(
      "MFU", [](const sim::RunResult& r) { return r.mfu; },
      [](double f) { return fmt::format("{:.1f}%", 100.0 * f); });
  add(
      "GPU-hours per T tokens",
      [](const sim::RunResult& r) {
        return r.total_tokens > 0 ? r.total_gpu_hours / (r.total_tokens / 1e12) : 0;
      },
      hours);
  return t;
}

}  // namespace trainsim::reports
