#include "reports/run_report.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "core/atomic_file.hpp"
#include "reports/escape.hpp"
#include "reports/result_json.hpp"
#include "reports/text_table.hpp"

namespace trainsim::reports {
namespace {

std::string pct(double f) {
  return fmt::format("{:.1f}%", 100.0 * f);
}
/// A CSV number at full precision: the shortest text that reads back as the same double
/// ({fmt}'s "{}"), never rounded to a few digits (2399812.5, not 2.39981e+06).
std::string num(double v) {
  return fmt::format("{}", v);
}
/// A count held in a double (steps), as an integer.
std::string count(double v) {
  return fmt::format("{:.0f}", v);
}

std::string csv_line(const std::vector<std::string>& cells) {
  std::string out;
  for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + csv_field(cells[i]);
  return out + "\n";
}

/// Markdown-safe inline text: no HTML, links, emphasis or code from scenario-provided strings
/// (reports/escape.hpp).
std::string md_text(const std::string& s) {
  return markdown_inline(s);
}

}  // namespace

std::string csv_field(const std::string& text) {
  return csv_cell(text);
}

std::string run_markdown(const sim::RunResult& run) {
  std::string out = fmt::format("# trainsim: {}\n\n{}\n\n", md_text(run.scenario),
                                markdown_inline(run.description, /*line_start=*/true));
  const std::string timing =
      run.cost_model.empty() ? std::string("no phase could be simulated")
                             : fmt::format("compute times from {}", markdown_code(run.cost_model));
  out += fmt::format("{} × {}, ${:.2f} per GPU-hour, {}.\n\n", run.gpus, md_text(run.gpu),
                     run.price_per_gpu_hour, timing);
  out += "## Headline\n\n";
  TextTable h({"", "simulated", "published", "simulated / published"});
  h.add_row({"GPU-hours", with_commas(run.total_gpu_hours),
             run.published_gpu_hours ? with_commas(*run.published_gpu_hours) : "—",
             run.published_gpu_hours && *run.published_gpu_hours > 0
                 ? fmt::format("{:.2f}×", run.total_gpu_hours / *run.published_gpu_hours)
                 : ""});
  h.add_row({"cost (USD)", with_commas(run.total_cost_usd),
             run.published_cost_usd ? with_commas(*run.published_cost_usd) : "—",
             run.published_cost_usd && *run.published_cost_usd > 0
                 ? fmt::format("{:.2f}×", run.total_cost_usd / *run.published_cost_usd)
                 : ""});
  h.add_row({"wall-clock days", fmt::format("{:.1f}", run.total_wall_s / 86400.0), "", ""});
  h.add_row({"MFU (dense BF16 peak)", pct(run.mfu), "", ""});
  out += h.render_markdown();
  if (!run.published_source.empty())
    out += fmt::format("\nPublished figures: {}.\n", md_text(run.published_source));
  if (!run.overrides.empty()) {
    std::string changed;
    for (const auto& o : run.overrides) changed += (changed.empty() ? "" : ", ") + markdown_code(o);
    out += fmt::format(
        "\nNot the published plan: `--set` changed {}; the published figures are for the plan "
        "as published.\n",
        changed);
  }

  out += "\n## Phases\n\n";
  TextTable p({"phase", "GPUs", "seq len", "steps", "mean step (s)", "days", "GPU-hours",
               "cost (USD)", "MFU", "tokens/GPU/s"});
  for (const auto& ph : run.phases) {
    if (!ph.feasible) {
      p.add_row({ph.name, std::to_string(ph.gpus), std::to_string(ph.seq_len), "", "", "",
                 "infeasible", "", "", ""});
      continue;
    }
    p.add_row({ph.name, std::to_string(ph.gpus), std::to_string(ph.seq_len), with_commas(ph.steps),
               fmt::format("{:.2f}", ph.step_time_s), fmt::format("{:.1f}", ph.wall_s / 86400.0),
               with_commas(ph.gpu_hours), with_commas(ph.cost_usd), pct(ph.mfu),
               with_commas(ph.tokens_per_gpu_s)});
  }
  out += p.render_markdown();
  out +=
      "\nMean step: a phase's wall-clock divided by its steps, over its batch ramp (one step at "
      "a given batch is below).\n";

  out += "\n## Groups beside the published figures\n\n";
  TextTable g({"group", "simulated GPU-hours", "published GPU-hours", "ratio"});
  for (const auto& gr : run.groups) {
    g.add_row({gr.group, with_commas(gr.gpu_hours),
               gr.published_gpu_hours ? with_commas(*gr.published_gpu_hours) : "—",
               gr.published_gpu_hours && *gr.published_gpu_hours > 0
                   ? fmt::format("{:.2f}×", gr.gpu_hours / *gr.published_gpu_hours)
                   : ""});
  }
  out += g.render_markdown();

  out +=
      "\n## Where the time of one step goes\n\nPer phase, the step at its final batch; seconds per "
      "rank "
      "(mean over ranks, max in parentheses).\n\n";
  TextTable w({"phase", "batch (seqs)", "step at batch (s)", "compute", "exposed comm", "bubble",
               "MFU", "memory (GB)", "fits"});
  for (const auto& ph : run.phases) {
    const auto& s = ph.representative;
    w.add_row({ph.name, with_commas(static_cast<double>(s.global_batch)),
               fmt::format("{:.2f}", s.step_time_s),
               fmt::format("{:.2f} ({:.2f})", s.compute_s.mean, s.compute_s.max),
               fmt::format("{:.2f} ({:.2f})", s.exposed_comm_s.mean, s.exposed_comm_s.max),
               fmt::format("{:.2f} ({:.2f})", s.bubble_s.mean, s.bubble_s.max), pct(s.mfu),
               fmt::format("{:.1f} of {:.0f}", s.memory.total() / 1e9, s.memory_capacity / 1e9),
               s.fits_in_memory ? "yes" : "no"});
  }
  out += w.render_markdown();

  std::string notes;
  for (const auto& ph : run.phases) {
    if (!ph.feasible)
      notes += fmt::format("- **{}** is infeasible: {}\n", md_text(ph.name),
                           md_text(ph.infeasible_reason));
    if (!ph.note.empty())
      notes += fmt::format("- **{}**: {}\n", md_text(ph.name), md_text(ph.note));
  }
  if (!notes.empty()) out += "\n## Notes\n\n" + notes;
  if (!run.assumptions.empty()) {
    out += "\n## Stated assumptions (inputs that were never published)\n\n";
    for (const auto& a : run.assumptions) out += fmt::format("- {}\n", md_text(a));
  }
  if (run.goodput.enabled) {
    out += fmt::format(
        "\n## Goodput (not in the totals)\n\n{:.1f} expected interruptions; goodput {}; {} "
        "GPU-hours "
        "with failures and checkpoints ({}).\n",
        run.goodput.interruptions, pct(run.goodput.goodput),
        with_commas(run.goodput.gpu_hours_with_failures), md_text(run.goodput.basis));
  }
  return out;
}

std::string phases_csv(const sim::RunResult& run) {
  std::string out = csv_line({"phase", "group", "gpus", "seq_len_tokens", "tokens", "steps",
                              "mean_step_time_s", "wall_days", "gpu_hours", "cost_usd", "mfu",
                              "tokens_per_gpu_s", "feasible", "reason"});
  for (const auto& p : run.phases) {
    out += csv_line({p.name, p.group, std::to_string(p.gpus), std::to_string(p.seq_len),
                     num(p.tokens), count(p.steps), num(p.step_time_s), num(p.wall_s / 86400.0),
                     num(p.gpu_hours), num(p.cost_usd), num(p.mfu), num(p.tokens_per_gpu_s),
                     p.feasible ? "true" : "false", p.infeasible_reason});
  }
  return out;
}

std::string groups_csv(const sim::RunResult& run) {
  std::string out =
      csv_line({"group", "gpu_hours", "cost_usd", "wall_days", "published_gpu_hours"});
  for (const auto& g : run.groups) {
    out += csv_line({g.group, num(g.gpu_hours), num(g.cost_usd), num(g.wall_s / 86400.0),
                     g.published_gpu_hours ? num(*g.published_gpu_hours) : ""});
  }
  return out;
}

std::string batches_csv(const sim::RunResult& run) {
  std::string out =
      csv_line({"phase", "batch_sequences", "steps", "step_time_s", "simulated", "extrapolated"});
  for (const auto& p : run.phases) {
    for (const auto& b : p.batches) {
      out += csv_line({p.name, std::to_string(b.batch), count(b.steps), num(b.step_time_s),
                       b.simulated ? "true" : "false", b.extrapolated ? "true" : "false"});
    }
  }
  return out;
}

std::vector<std::string> write_run_outputs(
    const sim::RunResult& run, const std::string& dir,
    const std::vector<std::pair<std::string, std::string>>& extra) {
  ensure_writable_directory(dir);
  std::vector<std::pair<std::string, std::string>> files = {{"result.json", run_to_json(run)},
                                                            {"report.md", run_markdown(run)},
                                                            {"phases.csv", phases_csv(run)},
                                                            {"groups.csv", groups_csv(run)},
                                                            {"batches.csv", batches_csv(run)}};
  files.insert(files.end(), extra.begin(), extra.end());
  std::vector<std::string> written;
  for (auto& [name, text] : files) {
    name = (std::filesystem::path(dir) / name).string();
    written.push_back(name);
  }
  write_files_atomically(files);
  return written;
}

}  // namespace trainsim::reports
