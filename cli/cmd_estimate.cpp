// trainsim estimate SCENARIO [--mfu U] [--json FILE|-]: the closed-form first-order estimate.
// FLOPs per phase = tokens × (6·N_matmul + causal attention at the phase's sequence length);
// ideal GPU-seconds = matmul FLOPs / dense peak of the GEMM dtype + attention FLOPs / dense peak
// of the attention dtype; at a utilisation u, GPU-seconds = ideal / u.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/json_output.hpp"
#include "cli/options.hpp"
#include "core/units.hpp"
#include "models/accounting.hpp"
#include "reports/text_table.hpp"
#include "scenarios/scenario_loader.hpp"

namespace trainsim::cli {

int cmd_estimate(const Args& args, std::ostream& out) {
  po::options_description desc("estimate options");
  std::vector<std::string> sets;
  double mfu = 0.4;
  std::string json_file;
  desc.add_options()("set", po::value(&sets)->composing(),
                     "override a scenario field: key.path=value")(
      "mfu", po::value(&mfu)->default_value(0.4, "0.4"),
      "utilisation of the ideal rate to price at (0 < u <= 1)");
  add_json_option(desc, json_file, "the estimate");
  po::variables_map vm;
  if (!parse_command_line(args, "estimate", "SCENARIO [--mfu U] [--json FILE|-]", desc,
                          {"scenario"}, vm, out))
    return kExitOk;
  if (!(mfu > 0 && mfu <= 1)) throw po::error(fmt::format("--mfu must be in (0, 1], not {}", mfu));
  const auto s = scenarios::load_scenario(vm["scenario"].as<std::string>(), {sets});
  const auto& g = s.cluster.gpu;
  nlohmann::ordered_json j{{"schema", "trainsim.estimate/1"}};
  j["scenario"] = s.name;
  j["mfu"] = mfu;
  double total_flops = 0, total_ideal_gpu_s = 0;
  reports::TextTable t({"phase", "tokens", "seq", "FLOP/token", "FLOP", "ideal GPU-h",
                        fmt::format("GPU-h at {:.0f}%", mfu * 100)});
  for (const auto& ph : s.phases) {
    const auto& prec = ph.precision ? *ph.precision : s.precision;
    const auto f = models::flops_per_token(s.model, ph.seq_len);
    const double flops = ph.tokens * f.total;
    const double gpu_s =
        ph.tokens * (f.matmul / g.peak(prec.gemm) + f.attention / g.peak(prec.attention));
    total_flops += flops;
    total_ideal_gpu_s += gpu_s;
    t.add_row({ph.name, units::format(ph.tokens, units::Quantity::Count),
               fmt::format("{}", ph.seq_len), units::format(f.total, units::Quantity::Flops),
               fmt::format("{:.3g}", flops), reports::with_commas(gpu_s / 3600.0),
               reports::with_commas(gpu_s / 3600.0 / mfu)});
    j["phases"].push_back({{"name", ph.name},
                           {"tokens", ph.tokens},
                           {"flops_per_token", f.total},
                           {"flops", flops},
                           {"ideal_gpu_hours", gpu_s / 3600.0},
                           {"gpu_hours_at_mfu", gpu_s / 3600.0 / mfu}});
  }
  const double ideal_h = total_ideal_gpu_s / 3600.0;
  j["total"] = {{"flops", total_flops},
                {"ideal_gpu_hours", ideal_h},
                {"gpu_hours_at_mfu", ideal_h / mfu},
                {"cost_usd_at_mfu", ideal_h / mfu * s.price_per_gpu_hour},
                {"wall_days_at_mfu", ideal_h / mfu / s.cluster.gpus / 24.0}};
  const std::string json_text = j.dump(2) + "\n";
  if (json_to_stdout(json_file)) {
    write_json_output(json_file, json_text, out, std::cerr);
    return kExitOk;
  }
  t.add_rule();
  t.add_row({"total", "", "", "", fmt::format("{:.3g}", total_flops), reports::with_commas(ideal_h),
             reports::with_commas(ideal_h / mfu)});
  out << fmt::format(
      "{}: closed-form estimate on {} × {} (dense peaks: {} {} for GEMMs, {} for attention)\n\n",
      s.name, s.cluster.gpus, g.name, hardware::dtype_name(s.precision.gemm),
      units::format(g.peak(s.precision.gemm), units::Quantity::FlopRate),
      units::format(g.peak(s.precision.attention), units::Quantity::FlopRate));
  out << t.render();
  out << fmt::format("\nat {:.0f}% utilisation: {} GPU-hours, ${}, {:.1f} days on {} GPUs\n",
                     mfu * 100, reports::with_commas(ideal_h / mfu),
                     reports::with_commas(ideal_h / mfu * s.price_per_gpu_hour),
                     ideal_h / mfu / s.cluster.gpus / 24.0, s.cluster.gpus);
  out << "this is arithmetic, not a simulation: `trainsim run` replays every step with pipeline "
         "bubbles, "
         "communication and kernel efficiency.\n";
  write_json_output(json_file, json_text, out, out);
  return kExitOk;
}

}  // namespace trainsim::cli
