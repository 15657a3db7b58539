#pragma once
// The examples that end each command's --help: two or three command lines that run as printed
// from any directory (bundled scenarios by name), tested by tests/cli/output_trust_test.cpp.
#include <string>
#include <string_view>
#include <vector>

namespace trainsim::cli {

/// The example command lines of `command` (each starts "trainsim <command>"); empty if none.
const std::vector<std::string>& help_examples(std::string_view command);

/// "\nexamples:\n  trainsim ...\n" for --help, or "" when the command has none.
std::string help_examples_text(std::string_view command);

}  // namespace trainsim::cli
