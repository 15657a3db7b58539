#include "cli/json_output.hpp"

#include <fmt/format.h>

#include <ostream>

#include "core/atomic_file.hpp"

namespace trainsim::cli {

void add_json_option(po::options_description& desc, std::string& path, const std::string& what) {
  desc.add_options()(
      "json", po::value(&path)->value_name("FILE|-"),
      fmt::format("write {} as JSON to FILE ('-': the JSON alone on standard output; schema in "
                  "docs/result-schema.md)",
                  what)
          .c_str());
}

bool json_to_stdout(const std::string& path) {
  return path == kStdoutPath;
}

void write_json_output(const std::string& path, const std::string& document, std::ostream& out,
                       std::ostream& note) {
  if (path.empty()) return;
  if (json_to_stdout(path)) {
    out << document;
    return;
  }
  write_file_atomically(path, document);
  note << fmt::format("\nwrote {}\n", path);
}

}  // namespace trainsim::cli
