#pragma once
// The trainsim subcommands. Each takes its own arguments (after the command name), writes to
// `out`, and returns the process exit status; errors are thrown and turned into exit codes in
// main() only.
#include <iosfwd>
#include <string>
#include <vector>

namespace trainsim::cli {

using Args = std::vector<std::string>;

/// Exit statuses: 0 ok, 1 a run whose plan is infeasible, 2 bad input, 3 unavailable capability,
/// 4 I/O failure or out of memory, 70 internal error (a bug), 130 interrupted.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInfeasible = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitUnavailable = 3;
inline constexpr int kExitIo = 4;
inline constexpr int kExitInternal = 70;

struct Command {
  std::string name;
  std::string summary;
  int (*run)(const Args& args, std::ostream& out);
};

/// All subcommands in help order.
const std::vector<Command>& commands();

int cmd_validate(const Args& args, std::ostream& out);
int cmd_list(const Args& args, std::ostream& out);
int cmd_inspect(const Args& args, std::ostream& out);
int cmd_estimate(const Args& args, std::ostream& out);
int cmd_plan(const Args& args, std::ostream& out);
int cmd_step(const Args& args, std::ostream& out);
int cmd_run(const Args& args, std::ostream& out);
int cmd_compare(const Args& args, std::ostream& out);
int cmd_sweep(const Args& args, std::ostream& out);
int cmd_report(const Args& args, std::ostream& out);
int cmd_claims(const Args& args, std::ostream& out);
int cmd_validation(const Args& args, std::ostream& out);
int cmd_calibrate(const Args& args, std::ostream& out);
int cmd_collective(const Args& args, std::ostream& out);

}  // namespace trainsim::cli
