#pragma once
// Boost.Program_options plumbing shared by the subcommands (kept out of the other headers).
#include <boost/program_options.hpp>
#include <iosfwd>
#include <string>

#include "cli/commands.hpp"

namespace trainsim::cli {

namespace po = boost::program_options;

/// Parses `args` against `desc` with the named positional arguments (each taken once, in order).
/// Returns false (after printing help to `out`) when --help was given.
bool parse_command_line(const Args& args, const std::string& command, const std::string& usage,
                        po::options_description& desc, const std::vector<std::string>& positional,
                        po::variables_map& vm, std::ostream& out);

}  // namespace trainsim::cli
