// Hostile input through the program (issue 14): each ends in a clear error and exit status 2,
// never "internal error (please report)" (exit 70) or a misleading message from deep inside.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/cli_process.hpp"

namespace {

using trainsim::test::run_cli;

const std::string kSmall = std::string(TRAINSIM_TEST_DATA_DIR) + "/scenarios/small-dense-tp.yaml";
const std::string k1f1b =
    std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/what-if/deepseek-v3-1f1b.yaml";

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

void expect_contains(const std::string& msg, const std::string& part) {
  EXPECT_NE(msg.find(part), std::string::npos) << "output: " << msg << "\nexpected: " << part;
}

TEST(CliHostile, NonUtf8NameIsABadInputNotAnInternalError) {
  // Before: validate passed, then `run --json` stopped with nlohmann's type_error.316 (exit 70).
  std::ifstream in(kSmall);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text.replace(text.find("name: small-dense-tp"), 20, "name: small-\xff-tp");
  const std::string path = write_temp("trainsim_cli_hostile_utf8.yaml", text);
  for (const std::string& args : {"validate '" + path + "'", "run '" + path + "' --json -"}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.status, 2) << r.text;
    expect_contains(r.text, "byte 0xFF, which is not valid UTF-8");
    EXPECT_EQ(r.text.find("internal error"), std::string::npos) << r.text;
  }
  std::filesystem::remove(path);
}

TEST(CliHostile, TinyNvlinkBandwidthNamesTheKeyNotADeadlock) {
  // Before: 1 B/s NVLink made transfers end past the int64 clock, left them stalled, and the step
  // said "the 1f1b schedule deadlocked".
  const auto r = run_cli("step '" + k1f1b + "' --symmetric --set 'cluster.gpu={base: h800, " +
                         "nvlink_bw_per_direction: 1B/s, nvlink_achievable_per_direction: 1B/s}'");
  EXPECT_EQ(r.status, 2) << r.text;
  expect_contains(r.text, "cluster.gpu.nvlink_bw_per_direction: '1B/s' is out of range");
  EXPECT_EQ(r.text.find("deadlock"), std::string::npos) << r.text;
}

TEST(CliHostile, HugeLayerCountIsRefusedBeforeTheStep) {
  // Before: validate passed and `step` ran out of memory building 2^31 layers.
  const auto r = run_cli("step '" + kSmall + "' --symmetric --set 'model={base: llama-3.1-70b, " +
                         "layers: 2147483648}'");
  EXPECT_EQ(r.status, 2) << r.text;
  expect_contains(r.text,
                  "model.layers: model 'custom-llama-3.1-70b': layers = 2147483648 is "
                  "more than 10000");
}

TEST(CliHostile, PasswordFileIsNotEchoed) {
  const std::string path = write_temp(
      "trainsim_cli_hostile_shadow",
      "root:$6$saltsalt$hashhashhashhashhash:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n");
  const auto r = run_cli("validate '" + path + "'");
  EXPECT_EQ(r.status, 2) << r.text;
  expect_contains(r.text, "not a scenario: none of its 2 top-level keys is a scenario key");
  EXPECT_EQ(r.text.find("hash"), std::string::npos) << r.text;
  std::filesystem::remove(path);
}

}  // namespace
