#include "cli/commands.hpp"

namespace trainsim::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      {"run", "simulate a whole training run: GPU-hours, cost, days, MFU per phase", cmd_run},
      {"calibrate", "measure the bundled CUDA kernels on this GPU and write a profile",
       cmd_calibrate},
      {"claims", "every published claim beside trainsim's figure, with a verdict and its reason",
       cmd_claims},
      {"validation",
       "every measured run of validation/ simulated beside its published figure, with the error",
       cmd_validation},
      {"plan",
       "search the parallel plans (GPU type and count, TP, PP, EP, schedule, recompute, ZeRO) "
       "for the cheapest or fastest run within a deadline and budget",
       cmd_plan},
      {"compare", "simulate several scenarios and set them side by side", cmd_compare},
      {"sweep",
       "simulate the cross product of --vary overrides (or each input at ±20% with "
       "--sensitivity), as a table, CSV and charts",
       cmd_sweep},
      {"report", "write the report set of `run --out` from a saved result.json, without simulating",
       cmd_report},
      {"step", "simulate one training step on every rank and show where the time goes", cmd_step},
      {"collective",
       "one collective or one MoE dispatch/combine alone on a group: time, algbw and busbw as "
       "nccl-tests prints them",
       cmd_collective},
      {"estimate", "closed-form FLOP estimate: ideal GPU-hours at dense peak and at a given MFU",
       cmd_estimate},
      {"validate", "check a scenario and print the resolved plan", cmd_validate},
      {"inspect",
       "parameter, FLOP and KV-cache accounting of a model (catalog, inline, a scenario's or a "
       "Hugging Face config.json)",
       cmd_inspect},
      {"list", "list catalog entries: models, gpus, fabrics, schedules, profiles, scenarios",
       cmd_list},
  };
  return all;
}

}  // namespace trainsim::cli
