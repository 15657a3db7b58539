#include "cli/result_printer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "calibration/cost_models.hpp"
#include "core/units.hpp"
#include "reports/comparison_table.hpp"
#include "reports/text_table.hpp"

namespace trainsim::cli {

using reports::with_commas;
using units::Quantity;

namespace {

std::string hours(double h) {
  return with_commas(h, 0);
}
std::string days(double s) {
  return fmt::format("{:.1f}", s / 86400.0);
}
std::string pct(double f) {
  return fmt::format("{:.1f}%", 100.0 * f);
}
std::string money(double usd) {
  if (usd >= 1e6) return fmt::format("${:.3f}M", usd / 1e6);
  return "$" + with_commas(usd, 0);
}
std::string ratio(double sim, double published) {
  return published > 0 ? fmt::format("{:.2f}×", sim / published) : "";
}

}  // namespace

std::string describe_run(const sim::RunResult& run) {
  const std::string timing = run.cost_model.empty()
                                 ? std::string("no phase could be simulated")
                                 : fmt::format("compute times from '{}'", run.cost_model);
  std::string out = fmt::format("{} — {} × {}, ${:.2f}/GPU-hour, {}\n\n", run.scenario, run.gpus,
                                run.gpu, run.price_per_gpu_hour, timing);
  reports::TextTable t({"phase", "GPUs", "seq", "steps", "mean step", "days", "GPU-hours", "cost",
                        "MFU", "tok/GPU/s"});
  for (const auto& p : run.phases) {
    if (!p.feasible) {
      t.add_row({p.name, fmt::format("{}", p.gpus), fmt::format("{}", p.seq_len), "", "", "",
                 "infeasible", "", "", ""});
      continue;
    }
    t.add_row({p.name, fmt::format("{}", p.gpus),
               units::format(static_cast<double>(p.seq_len), Quantity::SequenceLength, 3),
               with_commas(p.steps, 0), fmt::format("{:.2f} s", p.step_time_s), days(p.wall_s),
               hours(p.gpu_hours), money(p.cost_usd), pct(p.mfu),
               with_commas(p.tokens_per_gpu_s, 0)});
  }
  // A phase that cannot run has no GPU-hours: a total over the others would read as the whole
  // run's, so it is shown as incomplete and never compared with a published figure.
  std::set<std::string> infeasible_groups;
  for (const auto& p : run.phases) {
    if (!p.feasible) infeasible_groups.insert(p.group.empty() ? p.name : p.group);
  }
  const bool complete = infeasible_groups.empty();
  t.add_rule();
  if (complete) {
    t.add_row({"total", "", "", "", "", days(run.total_wall_s), hours(run.total_gpu_hours),
               money(run.total_cost_usd), pct(run.mfu), ""});
  } else {
    t.add_row({"total", "", "", "", "", "", "incomplete", "", "", ""});
  }
  out += t.render();
  out +=
      "mean step: a phase's wall-clock / its steps, over its batch ramp (trainsim step times one "
      "step at a batch)\n";
  if (!complete) {
    out += fmt::format("no total: {} of {} phases cannot run (reasons below)\n",
                       std::count_if(run.phases.begin(), run.phases.end(),
                                     [](const auto& p) { return !p.feasible; }),
                       run.phases.size());
  }

  const bool any_published = run.published_gpu_hours.has_value() ||
                             std::any_of(run.groups.begin(), run.groups.end(), [](const auto& g) {
                               return g.published_gpu_hours.has_value();
                             });
  if (any_published) {
    out += "\nbeside the published figures";
    if (!run.published_source.empty()) out += fmt::format(" ({})", run.published_source);
    out += ":\n";
    if (!run.overrides.empty()) {
      // The published figures are for the plan as published; say what this run changed.
      std::string changed;
      for (const auto& o : run.overrides) changed += (changed.empty() ? "" : ", ") + o;
      out += fmt::format(
          "not the published plan: --set changed {} (the published figures are for "
          "the plan as published)\n",
          changed);
    }
    reports::TextTable c({"", "simulated GPU-hours", "published", "simulated / published"});
    for (const auto& g : run.groups) {
      const bool ok = infeasible_groups.count(g.group) == 0;
      c.add_row({g.group, ok ? hours(g.gpu_hours) : "infeasible",
                 g.published_gpu_hours ? hours(*g.published_gpu_hours) : "—",
                 ok && g.published_gpu_hours ? ratio(g.gpu_hours, *g.published_gpu_hours) : ""});
    }
    c.add_rule();
    c.add_row({"total", complete ? hours(run.total_gpu_hours) : "incomplete",
               run.published_gpu_hours ? hours(*run.published_gpu_hours) : "—",
               complete && run.published_gpu_hours
                   ? ratio(run.total_gpu_hours, *run.published_gpu_hours)
                   : ""});
    if (run.published_cost_usd && complete) {
      c.add_row({"cost", money(run.total_cost_usd), money(*run.published_cost_usd),
                 ratio(run.total_cost_usd, *run.published_cost_usd)});
    }
    out += c.render();
  }
  for (const auto& p : run.phases) {
    if (!p.feasible) out += fmt::format("\n{}: infeasible: {}", p.name, p.infeasible_reason);
    if (!p.note.empty()) out += fmt::format("\nnote ({}): {}", p.name, p.note);
  }
  if (run.goodput.enabled) {
    out += fmt::format(
        "\n\ngoodput (not in the totals above): {:.1f} expected interruptions, {:.1f} days lost to "
        "restarts "
        "and redone work, {:.1f} days writing checkpoints → goodput {:.1f}%, {} GPU-hours with "
        "failures ({})",
        run.goodput.interruptions, run.goodput.lost_s / 86400.0, run.goodput.checkpoint_s / 86400.0,
        100.0 * run.goodput.goodput, hours(run.goodput.gpu_hours_with_failures), run.goodput.basis);
  }
  out += "\n";
  return out;
}

std::string describe_step(const sim::StepResult& s) {
  std::string out;
  if (!s.infeasible_reason.empty()) {
    out += fmt::format("infeasible: {}\n", s.infeasible_reason);
  }
  out += fmt::format(
      "step time        {:.3f} s, one step at batch {} (sequences of {} tokens; {} micro-batches "
      "per DP rank{})\n",
      s.step_time_s, with_commas(static_cast<double>(s.global_batch)), s.seq_len, s.micro_batches,
      s.pipeline_passes > 1 ? fmt::format(" in {} pipeline passes", s.pipeline_passes) : "");
  out += fmt::format("MFU              {} of the {} (HFU {}); {} of the GEMM dtype's dense peak\n",
                     pct(s.mfu), s.peak_basis, pct(s.hfu), pct(s.mfu_vs_gemm_dtype));
  const std::string fit = calibration::bundled_fit_summary(s.cost_model);
  out += fmt::format("compute times    {}{}\n", s.cost_model, fit.empty() ? "" : " (" + fit + ")");
  if (s.slowest_gpu_factor > 1.0) {
    out += fmt::format(
        "slowest GPU      compute-bound kernels x{:.3f}: the pace of the slowest of the job's GPUs "
        "(their spread: the GPU's perf_variation)\n",
        s.slowest_gpu_factor);
  }
  if (!s.calibration.gpu.empty()) {
    out += fmt::format("calibration      '{}' ({}; measured on {}), transfer rule: {}\n",
                       s.calibration.profile, s.calibration.requested, s.calibration.gpu,
                       s.calibration.transfer);
  }
  if (!s.roofline_ops.empty()) {
    std::string ops;
    for (const auto& o : s.roofline_ops) ops += (ops.empty() ? "" : ", ") + o;
    out += fmt::format("roofline fallback for: {}\n", ops);
  }
  for (const auto& f : s.fallbacks) out += fmt::format("  fallback: {}\n", f);
  out += "\nwhere the time goes (seconds per rank over the step):\n";
  reports::TextTable t({"", "min", "mean", "max"});
  auto row = [&](const char* name, const sim::Spread& sp) {
    t.add_row({name, fmt::format("{:.3f}", sp.min), fmt::format("{:.3f}", sp.mean),
               fmt::format("{:.3f}", sp.max)});
  };
  row("compute", s.compute_s);
  row("exposed communication", s.exposed_comm_s);
  row("pipeline bubble / waiting", s.bubble_s);
  row("communication (overlapped or not)", s.comm_s);
  out += t.render();
  if (s.step_time_s > 0) {
    // The DualPipe paper's terms, on the rank that ends the step; they sum to the step time.
    const sim::StepPhases& p = s.critical_phases;
    out += fmt::format("\nstep on the critical rank {} (pipeline position {}):\n", s.critical_rank,
                       s.critical_stage);
    reports::TextTable c({"phase", "seconds", "share"});
    auto phase = [&](const char* name, double v) {
      c.add_row({name, fmt::format("{:.3f}", v), pct(v / s.step_time_s)});
    };
    phase("unpaired forward (F)", p.forward_s);
    phase("unpaired backward for inputs (B)", p.backward_input_s);
    phase("unpaired backward for weights (W)", p.backward_weight_s);
    phase("overlapped forward & backward", p.overlapped_fb_s);
    phase("pipeline bubble / waiting", p.bubble_s);
    phase("data-parallel sync (exposed)", p.dp_sync_s);
    phase("optimizer", p.optimizer_s);
    c.add_rule();
    phase("step", p.total());
    out += c.render();
  }
  if (!s.stage_layers.empty()) {
    out += "layers per stage:";
    for (const auto& l : s.stage_layers) {
      out += fmt::format(" {}{}{}", l.embedding ? "E+" : "", l.last_layer - l.first_layer,
                         l.head ? "+H" : "");
    }
    out += "  (E embedding, H output head; MTP modules count as layers of the last stage)\n";
  }
  if (!s.compute_by_kind_s.empty()) {
    out += "\ncompute by op kind on the busiest rank:\n";
    reports::TextTable k({"kind", "seconds", "share"});
    double total = 0;
    for (const auto& [kind, secs] : s.compute_by_kind_s) total += secs;
    std::vector<std::pair<std::string, double>> rows(s.compute_by_kind_s.begin(),
                                                     s.compute_by_kind_s.end());
    std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.second > b.second; });
    for (const auto& [kind, secs] : rows) {
      k.add_row({kind, fmt::format("{:.3f}", secs), pct(total > 0 ? secs / total : 0)});
    }
    out += k.render();
  }
  out += "\nmemory per GPU (largest rank):\n";
  reports::TextTable m({"component", "GB"});
  auto gb = [](double b) { return fmt::format("{:.1f}", b / 1e9); };
  m.add_row({"weights", gb(s.memory.weights)});
  m.add_row({"gradients", gb(s.memory.gradients)});
  m.add_row({"optimizer states", gb(s.memory.optimizer)});
  m.add_row({"activations (peak in flight)", gb(s.memory.activations)});
  m.add_row({"other", gb(s.memory.other)});
  m.add_rule();
  m.add_row({"total", gb(s.memory.total())});
  m.add_row({"capacity", gb(s.memory_capacity)});
  out += m.render();
  out += fmt::format("\nsimulated {} ranks, {} events in {:.2f} s\n", s.ranks_simulated,
                     with_commas(static_cast<double>(s.events)), s.wall_s);
  return out;
}

std::string describe_comparison(const std::vector<sim::RunResult>& runs) {
  const reports::ComparisonTable table = reports::comparison_table(runs);  // as report.html
  reports::TextTable t(table.headers);
  for (const auto& row : table.rows) t.add_row(row);
  std::string out = t.render();
  out += "\nratios in parentheses are to the first scenario\n";
  return out;
}

}  // namespace trainsim::cli
