#include "cli/commands.hpp"

namespace trainsim::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      {"validate", "check a scenario and print the resolved plan", cmd_validate},
      {"list", "list catalog entries: models, gpus, fabrics, schedules, profiles, scenarios", cmd_list},
  };
  return all;
}

}  // namespace trainsim::cli
