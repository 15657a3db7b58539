#pragma once
// `--json FILE|-`, one option with one meaning on every command that computes something: FILE
// gets the machine-readable document (written atomically, core/atomic_file.hpp) and the usual
// text still goes to standard output; `-` puts the document alone on standard output (the text
// is left out; notes about other files go to standard error). Every document is a JSON object
// whose first key is `schema` ("trainsim.<kind>/<version>", docs/result-schema.md).
#include <iosfwd>
#include <string>

#include "cli/options.hpp"

namespace trainsim::cli {

/// Adds --json FILE|- to `desc`; `what` says what the document holds ("the run result").
void add_json_option(po::options_description& desc, std::string& path, const std::string& what);

/// Whether --json sends the document to standard output ('-').
bool json_to_stdout(const std::string& path);

/// Writes `document` for --json `path`: nothing when empty, to `out` for '-', else to the file
/// (then "wrote FILE" on `note`).
void write_json_output(const std::string& path, const std::string& document, std::ostream& out,
                       std::ostream& note);

}  // namespace trainsim::cli
