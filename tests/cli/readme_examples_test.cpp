// Every `trainsim` example in README.md and docs/*.md runs as printed (issue 15: the README's
// first what-if once exited 1 with a total of zeros). Examples are the lines of fenced code blocks
// that start with `trainsim ` (a trailing `\` continues one onto the next line; `&&` chains run
// as one shell command). Each runs in a fresh temporary directory that holds links to the
// repository's `scenarios/`, `validation/`, `tests/` and `models/`, so relative paths resolve as
// in a checkout and written files land in the temporary directory. An example is expected to exit
// 0, unless the comment block right above it says "Infeasible" (exit 1: an infeasible result, by
// design).
// The explicit simulations take minutes under the sanitizers: checked in the release build only.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/cli_process.hpp"

namespace trainsim::test {
namespace {

namespace fs = std::filesystem;

#ifdef __SANITIZE_ADDRESS__
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

struct Example {
  std::string where;    ///< file:line
  std::string command;  ///< shell text after `trainsim ` (continuations joined)
  int expected_status = 0;
};

std::string fmt_where(const fs::path& file, int line) {
  return file.filename().string() + ":" + std::to_string(line);
}

std::vector<Example> examples_in(const fs::path& file) {
  std::vector<Example> out;
  std::ifstream in(file);
  std::string line, comment;
  bool fenced = false;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const auto first = line.find_first_not_of(' ');
    const std::string text = first == std::string::npos ? "" : line.substr(first);
    if (text.rfind("```", 0) == 0) {
      fenced = !fenced;
      comment.clear();
      continue;
    }
    if (!fenced) continue;
    if (text.rfind("#", 0) == 0) {
      comment += text + "\n";  // the whole comment block above the example
      continue;
    }
    if (text.rfind("trainsim ", 0) != 0) {
      comment.clear();
      continue;
    }
    Example e;
    e.where = fmt_where(file, number);
    std::string command = text;
    while (!command.empty() && command.back() == '\\' && std::getline(in, line)) {
      ++number;
      command.pop_back();
      command += line;
    }
    // `trainsim a && trainsim b`: every `trainsim` of the chain is the program under test.
    e.command = std::regex_replace(command, std::regex("(^|&& *)trainsim "),
                                   std::string("$1") + TRAINSIM_CLI + " ");
    e.expected_status = comment.find("Infeasible") != std::string::npos ? 1 : 0;
    out.push_back(std::move(e));
    comment.clear();
  }
  return out;
}

std::vector<Example> all_examples() {
  std::vector<Example> out;
  const fs::path root = TRAINSIM_SOURCE_DIR;
  std::vector<fs::path> files{root / "README.md"};
  for (const auto& entry : fs::directory_iterator(root / "docs"))
    if (entry.path().extension() == ".md") files.push_back(entry.path());
  std::sort(files.begin() + 1, files.end());
  for (const auto& f : files)
    for (auto& e : examples_in(f)) out.push_back(std::move(e));
  return out;
}

}  // namespace

TEST(ReadmeExamples, TheReadmeAndDocsHaveExamples) {
  // A parser that found nothing would make the test below vacuous.
  EXPECT_GE(all_examples().size(), 10U);
}

TEST(ReadmeExamples, EveryExampleRunsAsPrinted) {
  if (kSanitized) GTEST_SKIP() << "the examples' full simulations run in the release build only";
  const fs::path root = TRAINSIM_SOURCE_DIR;
  for (const Example& e : all_examples()) {
    const fs::path dir =
        fs::temp_directory_path() / ("trainsim-readme-" + std::to_string(::getpid()) + "-" +
                                     std::to_string(std::hash<std::string>{}(e.where)));
    fs::remove_all(dir);
    fs::create_directories(dir);
    for (const char* link : {"scenarios", "validation", "tests", "models"})
      fs::create_directory_symlink(root / link, dir / link);
    const CliOutput r = run_shell("cd '" + dir.string() + "' && " + e.command);
    EXPECT_EQ(r.status, e.expected_status) << e.where << ": " << e.command << "\n"
                                           << r.text.substr(0, 4000);
    fs::remove_all(dir);
  }
}

}  // namespace trainsim::test
