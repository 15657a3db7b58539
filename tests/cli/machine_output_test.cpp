// Machine-readable output and inputs (issue 15): `--json FILE|-` with one meaning on every
// command, a `schema` first in every document, scenarios from standard input (`-`) and by bundled
// name from any directory, `inspect` of scenarios, inline models and Hugging Face configs, and
// the parameter count in `validate`.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/cli_process.hpp"

namespace {

using Output = trainsim::test::CliOutput;
namespace fs = std::filesystem;

const std::string kCli = TRAINSIM_CLI;
const std::string kSmall = std::string(TRAINSIM_TEST_DATA_DIR) + "/scenarios/small-moe.yaml";
const std::string kSmallHf = std::string(TRAINSIM_TEST_DATA_DIR) + "/scenarios/small-moe-hf.yaml";
const std::string kHf = std::string(TRAINSIM_SOURCE_DIR) + "/models/hf-examples/";

Output run(const std::string& args) {
  return trainsim::test::run_cli(args);
}

/// Standard output alone (stderr dropped), for the `--json -` documents.
Output run_stdout(const std::string& args) {
  return trainsim::test::run_shell(kCli + " " + args + " 2>/dev/null");
}

void expect_contains(const Output& o, const std::string& part) {
  EXPECT_NE(o.text.find(part), std::string::npos) << "output:\n"
                                                  << o.text << "\nexpected: " << part;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A fresh temporary directory, removed at the end of the test.
struct TempDir {
  fs::path path =
      fs::temp_directory_path() / ("trainsim-machine-output-" + std::to_string(::getpid()) + "-" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TempDir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

// ---------------------------------------------------------------- --json FILE|-

struct SchemaCase {
  const char* args;
  const char* schema;
};

class JsonEverywhere : public ::testing::TestWithParam<SchemaCase> {};

TEST_P(JsonEverywhere, DashIsTheDocumentAloneWithItsSchemaFirst) {
  // `--json -`: standard output is one JSON object and nothing else; its first key is `schema`.
  const auto& c = GetParam();
  // Run from the source tree, so that the relative paths of the cases resolve.
  const Output o = trainsim::test::run_shell("cd '" + std::string(TRAINSIM_SOURCE_DIR) + "' && " +
                                             kCli + " " + c.args + " --json - 2>/dev/null");
  ASSERT_TRUE(o.status == 0 || o.status == 1) << c.args << "\n" << o.text;
  const auto j = nlohmann::ordered_json::parse(o.text);
  ASSERT_TRUE(j.is_object()) << o.text;
  EXPECT_EQ(j.begin().key(), "schema") << c.args;
  EXPECT_EQ(j.at("schema"), c.schema) << c.args;
}

INSTANTIATE_TEST_SUITE_P(
    Commands, JsonEverywhere,
    ::testing::Values(SchemaCase{"list models", "trainsim.list/1"},
                      SchemaCase{"list scenarios", "trainsim.list/1"},
                      SchemaCase{"inspect model deepseek-v3", "trainsim.model/1"},
                      SchemaCase{"validate deepseek-v3", "trainsim.scenario/1"},
                      SchemaCase{"estimate deepseek-v3", "trainsim.estimate/1"},
                      SchemaCase{"step tests/data/scenarios/small-moe.yaml --symmetric",
                                 "trainsim.step/1"},
                      SchemaCase{"run tests/data/scenarios/small-moe.yaml --jobs 1 --symmetric",
                                 "trainsim.run/1"},
                      SchemaCase{"compare tests/data/scenarios/small-moe.yaml "
                                 "tests/data/scenarios/small-dense-tp.yaml --jobs 1 --symmetric",
                                 "trainsim.compare/1"},
                      SchemaCase{"collective deepseek-v3 --op all-gather --group dp --bytes 1MiB",
                                 "trainsim.collective/1"},
                      SchemaCase{"sweep tests/data/scenarios/small-moe.yaml --vary "
                                 "parallelism.pp=1,2 --jobs 1 --symmetric",
                                 "trainsim.sweep/1"}),
    [](const auto& param_info) {
      std::string name = param_info.param.args;
      name = name.substr(0, name.find(' ', name.find(' ') + 1));
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name + "_" + std::to_string(param_info.index);
    });

TEST(JsonFile, FileGetsTheSameDocumentAndTheTextStays) {
  // `--json FILE`: the table still goes to standard output, then "wrote FILE"; the file holds
  // exactly what `--json -` prints.
  TempDir tmp;
  for (const std::string& cmd :
       std::vector<std::string>{"list models", "inspect model llama-3.1-8b", "validate deepseek-v3",
                                "estimate deepseek-v3", "step " + kSmall + " --symmetric"}) {
    const std::string file = (tmp.path / "out.json").string();
    const Output o = run(cmd + " --json " + file);
    ASSERT_EQ(o.status, 0) << cmd << "\n" << o.text;
    expect_contains(o, "wrote " + file);
    EXPECT_GT(o.text.size(), file.size() + 10) << cmd << ": the text is missing";
    const Output dash = run_stdout(cmd + " --json -");
    EXPECT_EQ(read_text(file), dash.text) << cmd;
  }
}

TEST(JsonFile, StepCannotPutTwoDocumentsOnStandardOutput) {
  const Output o = run("step " + kSmall + " --json - --trace -");
  EXPECT_EQ(o.status, 2) << o.text;
  expect_contains(o, "--json - and --trace - cannot both be standard output");
}

TEST(JsonFile, ValidateJsonCarriesTheModelsParameterCounts) {
  // Mixtral 8x7B: 46,702,792,704 parameters (the catalog's count, models/accounting_test).
  const Output o = run_stdout("validate " + kSmall + " --json -");
  ASSERT_EQ(o.status, 0) << o.text;
  const auto j = nlohmann::json::parse(o.text);
  EXPECT_EQ(j.at("model").at("params").at("total").get<long long>(), 46'702'792'704);
  EXPECT_EQ(j.at("cluster").at("gpus").get<int>(), 16);
  EXPECT_EQ(j.at("phases").size(), 2u);
  EXPECT_TRUE(j.at("valid").get<bool>());
}

TEST(JsonFile, CompareJsonHasEveryRunAndTheRatios) {
  const Output o =
      run_stdout("compare " + kSmall + " " + kSmallHf + " --jobs 1 --symmetric --json -");
  ASSERT_EQ(o.status, 0) << o.text;
  const auto j = nlohmann::json::parse(o.text);
  ASSERT_EQ(j.at("runs").size(), 2u);
  EXPECT_EQ(j.at("runs")[0].at("schema"), "trainsim.run/1");
  EXPECT_EQ(j.at("baseline"), "small-moe");
  // The second run imports the very model of the first from Mixtral's config.json: ratio 1.
  EXPECT_DOUBLE_EQ(j.at("ratios")[1].at("gpu_hours").get<double>(), 1.0);
}

TEST(JsonFile, SweepJsonHasEveryPointWithItsReason) {
  // pp=2 runs; pp=3 is no plan (8 × 3 ≠ 16 GPUs): its figures are null and the reason is given.
  const Output o =
      run_stdout("sweep " + kSmall + " --vary parallelism.pp=2,3 --jobs 1 --symmetric --json -");
  ASSERT_EQ(o.status, 0) << o.text;
  const auto j = nlohmann::json::parse(o.text);
  ASSERT_EQ(j.at("points").size(), 2u);
  EXPECT_EQ(j.at("axes")[0], "parallelism.pp");
  const auto& ok = j.at("points")[0];
  EXPECT_EQ(ok.at("values").at("parallelism.pp"), "2");
  EXPECT_TRUE(ok.at("feasible").get<bool>());
  EXPECT_GT(ok.at("gpu_hours").get<double>(), 0.0);
  const auto& bad = j.at("points")[1];
  EXPECT_FALSE(bad.at("feasible").get<bool>());
  EXPECT_TRUE(bad.at("gpu_hours").is_null());
  EXPECT_EQ(bad.at("failure"), "invalid combination");
  EXPECT_NE(bad.at("reason").get<std::string>().find("does not equal cluster.gpus = 16"),
            std::string::npos);
  const Output both = run("sweep " + kSmall + " --vary parallelism.pp=2 --csv - --json -");
  EXPECT_EQ(both.status, 2) << both.text;
  expect_contains(both, "--csv - and --json - cannot both be standard output");
}

TEST(JsonFile, SensitivityJsonHasBothSidesOfEveryInput) {
  const Output o = run_stdout("sweep " + kSmall + " --sensitivity --jobs 2 --symmetric --json -");
  ASSERT_EQ(o.status, 0) << o.text;
  const auto j = nlohmann::json::parse(o.text);
  EXPECT_EQ(j.at("schema"), "trainsim.sensitivity/1");
  EXPECT_DOUBLE_EQ(j.at("delta").get<double>(), 0.2);
  ASSERT_GE(j.at("inputs").size(), 5u);
  for (const auto& in : j.at("inputs")) {
    EXPECT_TRUE(in.at("low").contains("gpu_hours_change")) << in.dump();
    EXPECT_TRUE(in.at("high").contains("overrides")) << in.dump();
  }
  // The price moves cost, not GPU-hours: its change in GPU-hours is 0 on both sides.
  for (const auto& in : j.at("inputs")) {
    if (in.at("name").get<std::string>().find("price") == std::string::npos) continue;
    EXPECT_DOUBLE_EQ(in.at("low").at("gpu_hours_change").get<double>(), 0.0);
  }
}

// ---------------------------------------------------------------- scenario from standard input

TEST(Stdin, DashReadsTheScenarioFromStandardInput) {
  // The same scenario from a file and from a pipe gives the same result.
  const Output file = run_stdout("run " + kSmall + " --jobs 1 --symmetric --json -");
  const Output pipe = trainsim::test::run_shell("cat " + kSmall + " | " + kCli +
                                                " run - --jobs 1 --symmetric --json - 2>/dev/null");
  ASSERT_EQ(pipe.status, 0) << pipe.text;
  EXPECT_EQ(file.text, pipe.text);
}

TEST(Stdin, ErrorsNameStdinWithLineAndColumn) {
  const Output o =
      trainsim::test::run_shell("printf 'name: x\\nmodel: nope\\n' | " + kCli + " validate - 2>&1");
  EXPECT_EQ(o.status, 2) << o.text;
  expect_contains(o, "error: <stdin>:2:8: model: unknown model 'nope'");
}

TEST(Stdin, IsBoundedAsAFileIs) {
  // More than the 16 MiB a scenario may have (core/yaml_reader.hpp YamlLimits): read only that
  // far, then refused.
  const Output o =
      trainsim::test::run_shell("head -c 17000000 /dev/zero | " + kCli + " validate - 2>&1");
  EXPECT_EQ(o.status, 4) << o.text;
  expect_contains(o,
                  "<stdin>: it is a FIFO (named pipe) and holds more than the limit of "
                  "16777216 bytes");
}

TEST(Stdin, ASweepReadsItOnceForEveryPoint) {
  // A sweep loads its scenario once per point: standard input is read once and kept.
  const Output o =
      trainsim::test::run_shell("cat " + kSmall + " | " + kCli +
                                " sweep - --vary parallelism.pp=1,2 --jobs 1 --symmetric 2>&1");
  EXPECT_EQ(o.status, 0) << o.text;
  expect_contains(o, "pp");
  EXPECT_EQ(o.text.find("error"), std::string::npos) << o.text;
}

// ---------------------------------------------------------------- bundled scenarios by name

TEST(Bundled, ByNameFromAnyDirectory) {
  TempDir tmp;  // holds no scenarios
  const Output o = trainsim::test::run_shell("cd '" + tmp.path.string() + "' && " + kCli +
                                             " validate deepseek-v3 2>&1");
  EXPECT_EQ(o.status, 0) << o.text;
  expect_contains(o, "scenario   deepseek-v3");
  expect_contains(o, "scenarios/deepseek-v3.yaml");
  const Output what_if = trainsim::test::run_shell("cd '" + tmp.path.string() + "' && " + kCli +
                                                   " validate what-if/deepseek-v3-h100.yaml 2>&1");
  EXPECT_EQ(what_if.status, 0) << what_if.text;
}

TEST(Bundled, AFileOfThatNameWins) {
  // A path that exists is the user's file, even when a bundled scenario has the same name.
  TempDir tmp;
  fs::copy_file(kSmall, tmp.path / "deepseek-v3");
  const Output o = trainsim::test::run_shell("cd '" + tmp.path.string() + "' && " + kCli +
                                             " validate deepseek-v3 2>&1");
  EXPECT_EQ(o.status, 0) << o.text;
  expect_contains(o, "scenario   small-moe");
}

TEST(Bundled, UnknownNameSuggestsAndListsThem) {
  const Output o = run("validate deepseek-v4");
  EXPECT_EQ(o.status, 4) << o.text;
  expect_contains(o,
                  "deepseek-v4: cannot open file for reading: No such file or directory; nor "
                  "is it a bundled scenario (did you mean 'deepseek-v3'?): valid: deepseek-v3, "
                  "llama-3.1-405b, what-if/deepseek-v3-1024-gpus");
}

TEST(Bundled, ListScenariosShowsTheNames) {
  const Output o = run("list scenarios");
  EXPECT_EQ(o.status, 0) << o.text;
  expect_contains(o, "\nwhat-if/deepseek-v3-h100 ");
  expect_contains(o, "\ndeepseek-v3 ");
}

// ---------------------------------------------------------------- inspect and validate

TEST(Inspect, ScenarioInlineModelAndHfConfigGiveTheirParameterCounts) {
  // Mixtral 8x7B three ways: the catalog name, the scenario that uses it, its config.json. Each
  // has 46,702,792,704 parameters, 12,879,925,248 activated (2 of 8 experts per token).
  for (const std::string& what :
       std::vector<std::string>{"model mixtral-8x7b", kSmall,
                                "--hf-config " + kHf + "mixtral-8x7b/config.json", kSmallHf}) {
    const Output o = run_stdout("inspect " + what + " --json -");
    ASSERT_EQ(o.status, 0) << what << "\n" << o.text;
    const auto j = nlohmann::json::parse(o.text);
    EXPECT_EQ(j.at("params_total").get<long long>(), 46'702'792'704) << what;
    EXPECT_EQ(j.at("params_active").get<long long>(), 12'879'925'248) << what;
  }
  // An inline model: Llama 3.1 8B with 16 of its 32 layers keeps the embedding and head
  // (2·128,256·4,096 + 4,096 = 1,050,677,248) and half the layers (32 layers are
  // 8,030,261,248 − 1,050,677,248 = 6,979,584,000): 1,050,677,248 + 3,489,792,000.
  const Output o = run_stdout("inspect model '{base: llama-3.1-8b, layers: 16}' --json -");
  ASSERT_EQ(o.status, 0) << o.text;
  EXPECT_EQ(nlohmann::json::parse(o.text).at("params_total").get<long long>(), 4'540'469'248);
}

TEST(Inspect, ScenarioDefaultsToItsFirstPhasesSequenceLength) {
  const Output o = run_stdout("inspect " + kSmall + " --json -");
  EXPECT_EQ(nlohmann::json::parse(o.text).at("seq_len").get<int>(), 4096);
  const Output longer = run_stdout("inspect " + kSmall + " --seq-len 8K --json -");
  EXPECT_EQ(nlohmann::json::parse(longer.text).at("seq_len").get<int>(), 8192);
}

TEST(Inspect, TextNamesTheScenarioAndTheImportedFile) {
  const Output o = run("inspect " + kSmallHf);
  EXPECT_EQ(o.status, 0) << o.text;
  expect_contains(o, "scenario small-moe-hf (");
  expect_contains(o, "imported from the Hugging Face config");
  expect_contains(o, "46,702,792,704");
}

TEST(Inspect, BadArgumentsAreNamed) {
  Output o = run("inspect");
  EXPECT_EQ(o.status, 2) << o.text;
  expect_contains(o, "missing what to inspect");
  o = run("inspect model llama-3.1-8b --hf-config x.json");
  EXPECT_EQ(o.status, 2) << o.text;
  expect_contains(o, "--hf-config takes no other model or scenario (got 'model')");
  o = run("inspect no-such-thing");
  EXPECT_EQ(o.status, 2) << o.text;
  expect_contains(o, "no-such-thing: cannot open file for reading");
  expect_contains(o, "nor is it a catalog model: deepseek-v2, deepseek-v3");
  o = run("inspect model llama-3.1-8b --set parallelism.pp=2");
  EXPECT_EQ(o.status, 2) << o.text;
  expect_contains(o, "--set applies to a scenario, not to 'model NAME'");
  o = run("inspect --hf-config " + kSmall);
  EXPECT_EQ(o.status, 2) << o.text;
  expect_contains(o, "missing required key 'model_type'");
}

TEST(Validate, ShowsTheParameterCount) {
  const Output o = run("validate " + kSmall);
  EXPECT_EQ(o.status, 0) << o.text;
  expect_contains(o, "46.7 B parameters, 12.88 B active per token");
  const Output v3 = run("validate deepseek-v3");
  expect_contains(v3, "671 B parameters, 37.55 B active per token (+ 11.61 B in MTP modules)");
}

}  // namespace
