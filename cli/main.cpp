// trainsim: simulate LLM training on GPU clusters and estimate its cost.
// main() is the only place exceptions become exit statuses.
#include <fmt/format.h>

#include <algorithm>
#include <boost/program_options/errors.hpp>
#include <exception>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/terminal.hpp"
#include "core/error.hpp"
#include "reports/text_table.hpp"

namespace {

void print_usage(std::ostream& out) {
  out << "trainsim: simulate LLM training on GPU clusters and estimate its cost\n\n"
         "usage: trainsim COMMAND [options]    (trainsim COMMAND --help for its options)\n\n"
         "commands:\n";
  for (const auto& c : trainsim::cli::commands()) {
    out << fmt::format("  {:<10} {}\n", c.name, c.summary);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace trainsim;
  const cli::Args all(argv + 1, argv + argc);
  if (all.empty() || all[0] == "--help" || all[0] == "-h" || all[0] == "help") {
    print_usage(std::cout);
    return all.empty() ? cli::kExitBadInput : cli::kExitOk;
  }
  if (all[0] == "--version") {
    std::cout << "trainsim 0.1.0\n";
    return cli::kExitOk;
  }
  const auto& cmds = cli::commands();
  const auto it =
      std::find_if(cmds.begin(), cmds.end(), [&](const auto& c) { return c.name == all[0]; });
  if (it == cmds.end()) {
    std::string valid;
    for (const auto& c : cmds) valid += (valid.empty() ? "" : ", ") + c.name;
    std::cerr << fmt::format("trainsim: unknown command '{}'; valid commands: {}\n", all[0], valid);
    return cli::kExitBadInput;
  }
  const cli::Args rest(all.begin() + 1, all.end());
  // Tables fit the terminal unless a command's --wide says otherwise (cli/terminal.hpp).
  reports::TextTable::set_default_width(cli::table_width(false));
  try {
    return it->run(rest, std::cout);
  } catch (const boost::program_options::error& e) {
    std::cerr << fmt::format("trainsim {}: {} (see trainsim {} --help)\n", it->name, e.what(),
                             it->name);
    return cli::kExitBadInput;
  } catch (const ConfigError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return cli::kExitBadInput;
  } catch (const ModelError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return cli::kExitBadInput;
  } catch (const UnavailableError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return cli::kExitUnavailable;
  } catch (const IoError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return cli::kExitIo;
  } catch (const Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return cli::kExitBadInput;
  } catch (const std::bad_alloc&) {
    std::cerr << "error: out of memory\n";
    return cli::kExitIo;
  } catch (const std::exception& e) {
    std::cerr << "internal error (please report): " << e.what() << "\n";
    return cli::kExitInternal;
  }
}
