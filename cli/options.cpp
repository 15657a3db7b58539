#include "cli/options.hpp"

#include "cli/help_examples.hpp"
#include "cli/terminal.hpp"
#include "reports/text_table.hpp"

#include <fmt/format.h>

#include <ostream>

namespace trainsim::cli {

void add_wide_option(po::options_description& desc) {
  desc.add_options()("wide",
                     "print tables at full width (default: fit them to the terminal, "
                     "wrapping text columns; COLUMNS sets the width)");
}

void apply_wide_option(const po::variables_map& vm) {
  reports::TextTable::set_default_width(table_width(vm.count("wide") > 0));
}

bool parse_command_line(const Args& args, const std::string& command, const std::string& usage,
                        po::options_description& desc, const std::vector<std::string>& positional,
                        po::variables_map& vm, std::ostream& out) {
  // Commands that print no table (report, calibrate) do not take --wide.
  if (command != "report" && command != "calibrate") add_wide_option(desc);
  desc.add_options()("help,h", "show this help");
  po::positional_options_description pos;
  for (const auto& name : positional) pos.add(name.c_str(), 1);
  po::options_description hidden;
  for (const auto& name : positional) {
    if (desc.find_nothrow(name, false) == nullptr) {
      hidden.add_options()(name.c_str(), po::value<std::string>());
    }
  }
  po::options_description all;
  all.add(desc).add(hidden);
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  if (vm.count("help")) {
    out << fmt::format("usage: trainsim {} {}\n\n", command, usage) << desc << "\n"
        << help_examples_text(command);
    return false;
  }
  po::notify(vm);
  apply_wide_option(vm);
  for (const auto& name : positional) {
    if (!vm.count(name)) {
      throw po::error(fmt::format("missing {} (usage: trainsim {} {})", name, command, usage));
    }
  }
  return true;
}

}  // namespace trainsim::cli
