// Every finding of the fuzzers, kept under tests/fuzz/regressions/<target>/ (one input per file,
// named for what it found), replayed through the same code as the fuzz target: each must now be
// handled (loaded and simulated, or refused with trainsim::Error). Runs in the ordinary suite, so
// the dev preset replays them under ASan + UBSan too; the seed corpora run as well.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "scenarios/scenario_loader.hpp"
#include "tests/fuzz/fuzz_targets.hpp"

namespace trainsim::fuzz {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs_under(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().filename() != "README.md") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::size_t replay(const std::string& target, const std::function<void(std::string_view)>& body) {
  std::size_t n = 0;
  for (const char* kind : {"regressions", "corpus"}) {
    for (const auto& p : inputs_under(fs::path(TRAINSIM_FUZZ_DIR) / kind / target)) {
      SCOPED_TRACE(p.string());
      EXPECT_NO_THROW(body(read_all(p)));
      ++n;
    }
  }
  return n;
}

TEST(FuzzRegressions, ScenarioLoaderHandlesEveryKeptInput) {
  replay("scenario", [](std::string_view text) {
    try {
      scenarios::load_scenario_text(std::string(text), "fuzz.yaml");
    } catch (const Error&) {
    }
  });
}

TEST(FuzzRegressions, SimulatorHandlesEveryKeptInput) {
  EXPECT_GT(replay("simulate", simulate_one), 0u);
}

TEST(FuzzRegressions, ReportsHandleEveryKeptInput) {
  EXPECT_GT(replay("report", report_one), 0u);
}

}  // namespace
}  // namespace trainsim::fuzz
