#include "cli/scenario_printer.hpp"

#include <fmt/format.h>

#include "cli/model_json.hpp"
#include "core/units.hpp"
#include "reports/text_table.hpp"
#include "scenarios/batch_schedule.hpp"
#include "sim/simulate.hpp"

namespace trainsim::cli {

using units::Quantity;

namespace {

std::string describe_plan(const models::ParallelPlan& p) {
  std::string s =
      fmt::format("DP{} TP{} PP{} EP{} CP{}, {}", p.dp, p.tp, p.pp, p.ep, p.cp, p.schedule);
  if (p.virtual_stages > 1) s += fmt::format(" (v={})", p.virtual_stages);
  if (p.expert_tp > 1) s += fmt::format(", expert TP{}", p.expert_tp);
  if (p.cp > 1 && p.cp_kind == models::CpKind::Ulysses) s += ", Ulysses CP";
  s += fmt::format(", ZeRO-{}, micro-batch {}, recompute {}", p.zero, p.micro_batch,
                   models::recompute_name(p.recompute));
  if (p.grad_accum_passes > 1)
    s += fmt::format(", {} pipeline passes per step", p.grad_accum_passes);
  if (p.sequence_parallel) s += ", sequence parallel";
  if (p.comm_sms > 0) s += fmt::format(", {} SMs for communication", p.comm_sms);
  return s;
}

std::string describe_precision(const models::PrecisionPolicy& p) {
  using hardware::dtype_name;
  return fmt::format(
      "{} (GEMM {}, attention {}, dispatch {}, combine {}, activations {}, "
      "Adam moments {}, master weights {})",
      p.name, dtype_name(p.gemm), dtype_name(p.attention), dtype_name(p.dispatch),
      dtype_name(p.combine), dtype_name(p.activations), dtype_name(p.optimizer_moments),
      dtype_name(p.master_weights));
}

}  // namespace

std::string describe_scenario(const scenarios::Scenario& s) {
  std::string out;
  out +=
      fmt::format("scenario   {}{}\n", s.name, s.file.empty() ? "" : fmt::format("  ({})", s.file));
  if (!s.description.empty()) out += fmt::format("           {}\n", s.description);
  out += fmt::format("model      {}: {}\n", s.model.name, s.model.description);
  out += fmt::format("           {}\n", parameter_summary(s.model));
  const auto& g = s.cluster.gpu;
  out += fmt::format("cluster    {} × {} ({} nodes of {}), fabric {}\n", s.cluster.gpus, g.name,
                     s.cluster.nodes(), s.cluster.node.gpus_per_node, s.cluster.fabric.name);
  out +=
      fmt::format("           {}: BF16 {} / FP8 {} dense, HBM {}, NVLink {} per direction\n",
                  g.description, units::format(g.peak(hardware::Dtype::BF16), Quantity::FlopRate),
                  units::format(g.peak(hardware::Dtype::FP8), Quantity::FlopRate),
                  units::format(g.hbm_bytes, Quantity::Bytes),
                  units::format(g.nvlink_bw_Bps, Quantity::Bandwidth));
  out += fmt::format("plan       {}\n", describe_plan(s.plan));
  out += fmt::format("precision  {}\n", describe_precision(s.precision));
  out += fmt::format("price      ${:.2f} per GPU-hour\n", s.price_per_gpu_hour);
  out += fmt::format("calibration {}\n\n", s.calibration);

  using reports::Align;
  reports::TextTable t({"phase", "group", "tokens", "seq len", "batch (seqs)", "steps", "plan"},
                       {Align::Left, Align::Left, Align::Right, Align::Right, Align::Right,
                        Align::Right, Align::Left});
  t.notes_when_narrow({6});  // on a narrow terminal each phase's plan goes under the table
  for (std::size_t i = 0; i < s.phases.size(); ++i) {
    const auto& ph = s.phases[i];
    const auto& plan = ph.plan ? *ph.plan : s.plan;
    const std::string batch = ph.batch.ramped()
                                  ? fmt::format("{} → {}", ph.batch.start, ph.batch.end)
                                  : fmt::format("{}", ph.batch.end);
    std::string plan_text = ph.plan ? describe_plan(plan) : "scenario plan";
    if (ph.gpus) plan_text = fmt::format("{} GPUs: {}", *ph.gpus, plan_text);
    t.add_row({ph.name, ph.group, units::format(ph.tokens, Quantity::Count),
               fmt::format("{}", ph.seq_len), batch,
               reports::with_commas(static_cast<double>(sim::phase_step_count(s, i)), 0),
               plan_text});
  }
  out += t.render();
  for (const auto& ph : s.phases) {
    if (!ph.note.empty()) out += fmt::format("note ({}): {}\n", ph.name, ph.note);
  }
  if (!s.assumptions.empty()) {
    out += "\nassumptions (not published; override with --set):\n";
    for (const auto& a : s.assumptions) out += fmt::format("  - {}\n", a);
  }
  return out;
}

}  // namespace trainsim::cli
