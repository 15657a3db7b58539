#include "cli/commands.hpp"

namespace trainsim::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      {"run", "simulate a whole training run: GPU-hours, cost, days, MFU per phase", cmd_run},
      {"step", "simulate one training step on every rank and show where the time goes", cmd_step},
      {"validate", "check a scenario and print the resolved plan", cmd_validate},
      {"list", "list catalog entries: models, gpus, fabrics, schedules, profiles, scenarios", cmd_list},
  };
  return all;
}

}  // namespace trainsim::cli
