// Where a scenario argument comes from (scenarios/scenario_source.hpp): a path as given, `-`, or
// a bundled scenario by name under data_path("scenarios").
#include "scenarios/scenario_source.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "core/data_paths.hpp"
#include "core/error.hpp"

namespace trainsim::scenarios {
namespace {

namespace fs = std::filesystem;

TEST(ScenarioSource, BundledScenariosAreNamedByTheirPathWithoutYaml) {
  const auto all = bundled_scenarios();
  const auto find = [&](const std::string& name) {
    return std::find_if(all.begin(), all.end(), [&](const auto& b) { return b.name == name; });
  };
  ASSERT_NE(find("deepseek-v3"), all.end());
  EXPECT_EQ(fs::path(find("deepseek-v3")->path), fs::path(data_path("scenarios/deepseek-v3.yaml")));
  ASSERT_NE(find("what-if/deepseek-v3-h100"), all.end());
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(),
                             [](const auto& a, const auto& b) { return a.name < b.name; }));
}

TEST(ScenarioSource, PathsAndStdinAreKeptAndNamesResolve) {
  const std::string file = std::string(TRAINSIM_TEST_DATA_DIR) + "/scenarios/small-moe.yaml";
  EXPECT_EQ(resolve_scenario_path(file), file);
  EXPECT_EQ(resolve_scenario_path("-"), "-");
  EXPECT_EQ(fs::path(resolve_scenario_path("llama-3.1-405b")),
            fs::path(data_path("scenarios/llama-3.1-405b.yaml")));
  EXPECT_EQ(fs::path(resolve_scenario_path("what-if/deepseek-v3-bf16.yaml")),
            fs::path(data_path("scenarios/what-if/deepseek-v3-bf16.yaml")));
}

TEST(ScenarioSource, NeitherFileNorNameIsAnIoErrorWithTheNames) {
  try {
    (void)resolve_scenario_path("lama-3.1-405b");
    FAIL() << "expected an IoError";
  } catch (const IoError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("lama-3.1-405b: cannot open file for reading: No such file or directory; "
                     "nor is it a bundled scenario (did you mean 'llama-3.1-405b'?): valid: "
                     "deepseek-v3, llama-3.1-405b"),
              std::string::npos)
        << m;
  }
}

}  // namespace
}  // namespace trainsim::scenarios
