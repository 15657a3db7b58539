#pragma once
// Boost.Program_options plumbing shared by the subcommands (kept out of the other headers).
#include <boost/program_options.hpp>
#include <iosfwd>
#include <string>

#include "cli/commands.hpp"

namespace trainsim::cli {

namespace po = boost::program_options;

/// Adds --wide (tables at full width) to `desc`; parse_command_line does for most commands.
void add_wide_option(po::options_description& desc);
/// Fits the text tables to the terminal, or full width when --wide was given (cli/terminal.hpp).
void apply_wide_option(const po::variables_map& vm);

/// Parses `args` against `desc` with the named positional arguments (each taken once, in order).
/// Returns false (after printing help to `out`) when --help was given.
bool parse_command_line(const Args& args, const std::string& command, const std::string& usage,
                        po::options_description& desc, const std::vector<std::string>& positional,
                        po::variables_map& vm, std::ostream& out);

}  // namespace trainsim::cli
