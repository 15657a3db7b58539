#include "tests/fuzz/fuzz_targets.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "reports/html_report.hpp"
#include "reports/result_json.hpp"
#include "reports/result_json_reader.hpp"
#include "reports/run_report.hpp"
#include "scenarios/batch_schedule.hpp"
#include "scenarios/scenario_loader.hpp"
#include "sim/simulate.hpp"

namespace trainsim::fuzz {
namespace {

/// The largest step the fuzzer simulates: simulated ranks (pp · tp · cp of one replica, or every
/// GPU where the symmetry shortcut does not apply) × micro-batches per DP rank × layers per stage.
/// DeepSeek-V3's bundled step is 16 × 120 × 4 = 7,680 and takes 0.13 s in a release build; under
/// ASan + UBSan about ten times that, so the budget keeps an input near a second, well inside
/// scripts/fuzz's -timeout=10.
constexpr double kStepBudget = 2e4;

[[noreturn]] void finding(const std::string& what) {
  fmt::print(stderr, "fuzz finding: {}\n", what);
  std::abort();
}

}  // namespace

void simulate_one(std::string_view text) {
  scenarios::Scenario s;
  try {
    s = scenarios::load_scenario_text(std::string(text), "fuzz.yaml");
  } catch (const Error&) {
    return;  // refused with a message: the loader's fuzzer (scenario_fuzzer) checks those
  }
  // The ramp walk of every phase (closed form; bounded by phase_size_problem at load).
  for (const auto& ph : s.phases) {
    const auto& plan = ph.plan ? *ph.plan : s.plan;
    try {
      const auto segments =
          scenarios::batch_segments(ph, static_cast<std::int64_t>(plan.dp) * plan.micro_batch);
      if (segments.empty() && ph.tokens > 0) finding("a phase with tokens has no batch segment");
    } catch (const Error&) {
    }
  }
  const auto& ph = s.phases.front();
  const auto& plan = ph.plan ? *ph.plan : s.plan;
  const double micro_batches =
      static_cast<double>(ph.batch.end) / (static_cast<double>(plan.dp) * plan.micro_batch);
  // An imbalanced MoE simulates every rank (sim::symmetric_shortcut_problem): a V3 step on
  // 2,048 GPUs, 128 times the budget's one replica, ran past the fuzzer's -timeout under ASan.
  const double ranks = sim::symmetric_shortcut_problem(s).empty()
                           ? static_cast<double>(plan.pp) * plan.tp * plan.cp
                           : static_cast<double>(plan.pp) * plan.tp * plan.cp * plan.dp;
  const double layers_per_stage =
      std::max(1.0, static_cast<double>(s.model.layers) / std::max(1, plan.pp));
  if (ranks * micro_batches * layers_per_stage > kStepBudget) return;
  sim::SimOptions options;
  options.symmetric = true;
  try {
    const sim::StepResult step = sim::simulate_step(s, 0, 0, options);
    if (!(step.step_time_s >= 0) || !std::isfinite(step.step_time_s))
      finding(fmt::format("step time {} s", step.step_time_s));
  } catch (const Error&) {
  }
}

void report_one(std::string_view text) {
  sim::RunResult run;
  try {
    run = reports::read_run_json_text(std::string(text), "fuzz.json");
  } catch (const Error&) {
    return;
  }
  const std::string json = reports::run_to_json(run);
  try {
    const std::string again = reports::run_to_json(reports::read_run_json_text(json, "again.json"));
    if (again != json) finding("result JSON does not survive a round trip");
  } catch (const Error& e) {
    finding(std::string("the writer's own JSON does not read back: ") + e.what());
  }
  (void)reports::run_markdown(run);
  (void)reports::phases_csv(run);
  (void)reports::groups_csv(run);
  (void)reports::batches_csv(run);
  const std::string html = reports::run_html({run});
  const std::string open = "<script type=\"application/json\"";
  for (std::size_t at = html.find(open); at != std::string::npos; at = html.find(open, at + 1)) {
    const std::size_t body = html.find('>', at) + 1;
    const std::size_t close = html.find("</script>", body);
    if (close == std::string::npos) finding("a chart spec's <script> is not closed");
    if (html.find('<', body) < close) finding("a chart spec holds a raw '<'");
  }
}

}  // namespace trainsim::fuzz
