#include "cli/options.hpp"

#include <fmt/format.h>

#include <ostream>

namespace trainsim::cli {

bool parse_command_line(const Args& args, const std::string& command, const std::string& usage,
                        po::options_description& desc, const std::vector<std::string>& positional,
                        po::variables_map& vm, std::ostream& out) {
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
    out << fmt::format("usage: trainsim {} {}\n\n", command, usage) << desc << "\n";
    return false;
  }
  po::notify(vm);
  for (const auto& name : positional) {
    if (!vm.count(name)) {
      throw po::error(fmt::format("missing {} (usage: trainsim {} {})", name, command, usage));
    }
  }
  return true;
}

}  // namespace trainsim::cli
