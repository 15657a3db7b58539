// `trainsim validation` as a subprocess on two cheap bundled cases (one expressible, one not):
// the table's columns, one row per case, and the exact form of the last line. The full suite is
// `make validate`, not a test.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include "tests/support/cli_process.hpp"

#include <unistd.h>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

namespace {

using Output = trainsim::test::CliOutput;

Output run(const std::string& args) {
  return trainsim::test::run_cli("" + args);
}

const std::string kDir = std::string(TRAINSIM_SOURCE_DIR) + "/validation";
// The Llama 3 8B FP8 row (one node) and the 1.7B row of Narayanan et al. Table 1 (32 GPUs) both
// simulate in well under a second.

/// A case directory with the two cheap bundled cases, the 1.7B one marked not expressible (so
/// both kinds of row are shown), in a fresh temporary folder.
std::string cheap_cases() {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("trainsim-validation-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::copy_file(kDir + "/megatron2025-llama3-fp8-1-8b.yaml",
                dir / "megatron2025-llama3-fp8-1-8b.yaml", fs::copy_options::overwrite_existing);
  std::ifstream in(kDir + "/megatron2021-t1-01-1.7b.yaml");
  std::ofstream out(dir / "megatron2021-t1-01-1.7b.yaml");
  std::string line;
  while (std::getline(in, line)) {
    out << line << "\n";
    if (line.rfind("kind:", 0) == 0) out << "not_expressible: \"a feature under test\"\n";
  }
  return dir.string();
}

TEST(ValidationCli, PrintsOneRowPerCaseAndTheSummaryLineLast) {
  const Output o = run("validation " + cheap_cases());
  ASSERT_EQ(o.status, 0) << o.text;
  const std::regex header(R"(\ncase\s+metric\s+measured\s+simulated\s+error\s+note\n)");
  EXPECT_TRUE(std::regex_search("\n" + o.text, header)) << o.text;
  EXPECT_TRUE(std::regex_search(
      o.text,
      std::regex(
          R"(megatron2025-llama3-fp8-1-8b\s+tokens/s per GPU\s+13,812\s+[0-9,]+\s+[+-][0-9.]+%)")))
      << o.text;
  EXPECT_TRUE(std::regex_search(
      o.text,
      std::regex(
          R"(megatron2021-t1-01-1\.7b\s+TFLOP/s per GPU\s+137\.0\s+\([0-9.]+\)\s+\([+-][0-9.]+%\)\s+not expressible yet \[1\])")))
      << o.text;
  const std::regex last(
      R"(validation: median \|error\| [0-9]+\.[0-9]%, worst [0-9]+\.[0-9]% over 1 cases\n$)");
  EXPECT_TRUE(std::regex_search(o.text, last)) << o.text;
  EXPECT_NE(o.text.find("excluded: 1 not expressible yet, 0 infeasible in trainsim"),
            std::string::npos)
      << o.text;
}

TEST(ValidationCli, JsonToStdout) {
  const Output o = run("validation " + cheap_cases() + " --json -");
  ASSERT_EQ(o.status, 0) << o.text;
  const auto j = nlohmann::json::parse(o.text);
  EXPECT_EQ(j["schema"], "trainsim.validation/1");
  ASSERT_EQ(j["cases"].size(), 2u);
  EXPECT_EQ(j["summary"]["cases"], 1);
  EXPECT_EQ(j["summary"]["not_expressible"], 1);
  for (const auto& c : j["cases"]) {
    EXPECT_FALSE(c["source"].get<std::string>().empty());
    EXPECT_FALSE(c["conversion"].get<std::string>().empty());
    EXPECT_TRUE(c["simulated"].is_number()) << c.dump();
  }
}

TEST(ValidationCli, OnlyMatchingNothingIsBadInput) {
  const Output o = run("validation " + kDir + " --only no-such-case");
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_NE(o.text.find("matches no case"), std::string::npos) << o.text;
}

TEST(ValidationCli, BadCaseFileNamesFileLineAndKey) {
  const auto dir = std::filesystem::temp_directory_path() / "trainsim-validation-cli-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad.yaml") << "kind: step\nmeasured: {value: 1, metric: mfu, source: x}\n"
                                     "scenario: {}\n";
  const Output o = run("validation " + dir.string());
  std::filesystem::remove_all(dir);
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_NE(o.text.find("bad.yaml:2:"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("measured.metric"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("'mfu'"), std::string::npos) << o.text;
}

}  // namespace
