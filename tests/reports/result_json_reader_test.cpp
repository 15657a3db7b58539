#include "reports/result_json_reader.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>

#include "core/error.hpp"
#include "reports/result_json.hpp"

namespace trainsim::reports {
namespace {

/// A run with every field the JSON carries set, including awkward doubles (thirds, tiny and huge
/// values, wall-clock seconds that are not whole days) and every optional part.
sim::RunResult full_run() {
  sim::RunResult r;
  r.scenario = "round-trip \"quoted\" </script> é";
  r.description = "every field set";
  r.gpu = "h800";
  r.gpus = 2048;
  r.price_per_gpu_hour = 2.0;
  r.cost_model = "h800-published";
  r.total_gpu_hours = 2438424.123456789;
  r.total_cost_usd = 2 * r.total_gpu_hours;
  r.total_wall_s = 49.6 * 86400.0 + 1.0 / 3.0;
  r.total_tokens = 14.8e12 + 12.288e9;
  r.mfu = 0.43912345678901234;
  r.published_gpu_hours = 2.788e6;
  r.published_cost_usd = 5.576e6;
  r.published_source = "DeepSeek-V3 technical report";
  for (int i = 0; i < 2; ++i) {
    sim::PhaseResult p;
    p.name = i == 0 ? "pre-training" : "context-extension-32k";
    p.group = i == 0 ? "pre-training" : "context-extension";
    p.gpus = 2048;
    p.seq_len = i == 0 ? 4096 : 32768;
    p.tokens = i == 0 ? 14.8e12 : 1000.0 * 1920 * 32768;
    p.steps = i == 0 ? 242788 : 1000;
    p.step_time_s = 16.08 + i / 7.0;
    p.wall_s = 3905432.1 + i * 0.7;
    p.gpu_hours = 2221506.2 / (i + 1);
    p.cost_usd = 2 * p.gpu_hours;
    p.mfu = 0.469 - i / 10.0;
    p.tokens_per_gpu_s = 1851.3;
    p.feasible = i == 0;
    p.infeasible_reason = i == 0 ? "" : "memory: 91.2 GB of 80 GB";
    p.note = i == 0 ? "" : "a note, with \"quotes\"\nand a newline";
    p.batches.push_back({3072, 1234.5, 4.1, true, false});
    p.batches.push_back({15360, 241553.5, 16.08, false, i == 1});
    sim::StepResult& s = p.representative;
    s.step_time_s = 16.08;
    s.micro_batches = 120;
    s.global_batch = 15360;
    s.seq_len = p.seq_len;
    s.tokens = 15360.0 * 4096;
    s.model_flops = 1.5e19 / 3;
    s.mfu = 0.469;
    s.hfu = 0.51;
    s.peak_flops = 989e12;
    s.peak_basis = "dense BF16 peak (989 TFLOP/s)";
    s.mfu_vs_gemm_dtype = 0.2345;
    s.compute_s = {12.1, 12.2, 12.3};
    s.exposed_comm_s = {0.5, 0.6, 0.7};
    s.bubble_s = {1e-9, 2.5, 3.25};
    s.comm_s = {4, 5, 6};
    s.compute_by_kind_s = {{"gemm", 9.0}, {"attention", 1.2}, {"norm", 0.1}};
    s.memory = {10.5e9, 21e9, 5e9 / 3, 30e9, 1e9};
    s.memory_capacity = 80e9;
    s.fits_in_memory = i == 0;
    s.infeasible_reason = p.infeasible_reason;
    s.cost_model = "h800-published";
    s.roofline_ops = {"norm", "swiglu"};
    s.fallbacks = {"gemm fp8 wgrad: the forward fit (no wgrad points)"};
    s.calibration = {"auto", "h100-published", "h100", "h100 -> b200: ...", "warning text"};
    s.ranks_simulated = 2048;
    s.events = 4400000;
    r.phases.push_back(p);
  }
  r.groups.push_back({"pre-training", 2221506.2, 4443012.4, 3905432.1, 2.664e6});
  r.groups.push_back({"context-extension", 1e-3, 2e-3, 86400.0 / 7, std::nullopt});
  r.assumptions = {"one", "two, with a comma"};
  r.goodput.enabled = true;
  r.goodput.interruptions = 41.7;
  r.goodput.lost_s = 12345.678;
  r.goodput.checkpoint_s = 86400.0 * 0.83;
  r.goodput.goodput = 0.97;
  r.goodput.gpu_hours_with_failures = 2.5e6;
  r.goodput.basis = "Llama 3 §3.3.4";
  r.calibration = {"h800-published", "h800-published", "h800", "none", ""};
  return r;
}

/// The JSON of full_run() with `edit` applied to the parsed document, as text.
std::string edited(const std::function<void(nlohmann::ordered_json&)>& edit) {
  auto j = nlohmann::ordered_json::parse(run_to_json(full_run()));
  edit(j);
  return j.dump(2);
}

/// The message of the ConfigError that reading `text` (as "r.json") throws; "" if none.
std::string error_of(const std::string& text) {
  try {
    read_run_json_text(text, "r.json");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ResultJsonReader, ResultsWithoutCalibrationStillRead) {
  // Results written before the `calibration` object and `fallbacks` existed read with defaults.
  const std::string old = edited([](nlohmann::ordered_json& j) {
    j.erase("calibration");
    for (auto& ph : j["phases"]) {
      ph["step"].erase("calibration");
      ph["step"].erase("fallbacks");
    }
  });
  const sim::RunResult r = read_run_json_text(old, "old.json");
  EXPECT_EQ(r.calibration.requested, "auto");
  EXPECT_EQ(r.calibration.transfer, "none");
  EXPECT_TRUE(r.phases.at(0).representative.fallbacks.empty());
}

TEST(ResultJsonReader, RoundTripIsByteIdentical) {
  // write → read → write gives the same bytes, for every field the schema carries.
  const std::string first = run_to_json(full_run());
  const std::string second = run_to_json(read_run_json_text(first, "r.json"));
  EXPECT_EQ(second, first);
  // Optional parts absent (no published figures, no goodput) round-trip too.
  sim::RunResult bare;
  const std::string a = run_to_json(bare);
  EXPECT_EQ(run_to_json(read_run_json_text(a, "bare.json")), a);
}

TEST(ResultJsonReader, ReadsTheValuesBack) {
  const auto r = read_run_json_text(run_to_json(full_run()), "r.json");
  // 2 phases, 2 groups, goodput on, the second group without a published figure.
  ASSERT_EQ(r.phases.size(), 2u);
  EXPECT_EQ(r.phases[1].name, "context-extension-32k");
  EXPECT_FALSE(r.phases[1].feasible);
  EXPECT_EQ(r.phases[0].representative.micro_batches, 120);
  EXPECT_DOUBLE_EQ(r.phases[0].representative.compute_by_kind_s.at("gemm"), 9.0);
  EXPECT_EQ(r.phases[0].representative.events, 4400000u);
  ASSERT_EQ(r.groups.size(), 2u);
  EXPECT_FALSE(r.groups[1].published_gpu_hours.has_value());
  EXPECT_TRUE(r.goodput.enabled);
  ASSERT_TRUE(r.published_gpu_hours.has_value());
  EXPECT_DOUBLE_EQ(*r.published_gpu_hours, 2.788e6);
  // Days are converted back to seconds exactly (49.6 days + 1/3 s).
  EXPECT_DOUBLE_EQ(r.total_wall_s, 49.6 * 86400.0 + 1.0 / 3.0);
}

TEST(ResultJsonReader, SecondsFromDaysInvertsTheWriter) {
  // For any seconds s the writer prints d = s / 86400; seconds_from_days(d) / 86400 == d exactly.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> exponent(-6, 9);
  for (int i = 0; i < 20000; ++i) {
    const double s = std::pow(10.0, exponent(rng));
    const double d = s / 86400.0;
    ASSERT_EQ(seconds_from_days(d) / 86400.0, d) << s;
  }
}

TEST(ResultJsonReader, ReadsAFile) {
  const auto path = std::filesystem::temp_directory_path() / "trainsim_reader_test.json";
  {
    std::ofstream f(path);
    f << run_to_json(full_run());
  }
  EXPECT_EQ(read_run_json(path.string()).scenario, full_run().scenario);
  std::filesystem::remove(path);
  EXPECT_THROW(read_run_json("/nonexistent/result.json"), IoError);
}

TEST(ResultJsonReader, NotJsonNamesTheFileLineAndColumn) {
  // The bad byte 'x' is on line 2, column 3.
  const std::string e = error_of("{\n  x: 1}");
  EXPECT_NE(e.find("r.json:2:3: not a valid JSON document"), std::string::npos) << e;
  EXPECT_NE(e.find("trainsim run --json"), std::string::npos) << e;
  EXPECT_NE(error_of("").find("r.json:1:1: not a valid JSON document"), std::string::npos);
}

TEST(ResultJsonReader, MissingKeyNamesThePath) {
  const std::string e = error_of(edited([](auto& j) { j["total"].erase("gpu_hours"); }));
  EXPECT_EQ(e,
            "r.json: total.gpu_hours: missing required key 'gpu_hours' (expected a "
            "non-negative number)");
  const std::string deep =
      error_of(edited([](auto& j) { j["phases"][1]["step"]["memory"].erase("fits"); }));
  EXPECT_EQ(deep,
            "r.json: phases[1].step.memory.fits: missing required key 'fits' (expected true "
            "or false)");
}

TEST(ResultJsonReader, WrongTypeSaysWhatWasExpected) {
  EXPECT_EQ(error_of(edited([](auto& j) { j["phases"][0]["steps"] = "many"; })),
            "r.json: phases[0].steps: expected a non-negative number, got the string \"many\"");
  EXPECT_EQ(error_of(edited([](auto& j) { j["gpus"] = 2048.5; })),
            "r.json: gpus: expected an integer from 0 to 2147483647, got the number 2048.5");
  EXPECT_EQ(error_of(edited([](auto& j) { j["phases"] = nlohmann::ordered_json::object(); })),
            "r.json: phases: expected an array of phase objects, got an object");
  EXPECT_EQ(error_of(edited([](auto& j) { j["phases"][0]["feasible"] = 1; })),
            "r.json: phases[0].feasible: expected true or false, got the number 1");
  EXPECT_EQ(error_of(edited([](auto& j) { j["assumptions"][1] = 5; })),
            "r.json: assumptions[1]: expected a string, got the number 5");
}

TEST(ResultJsonReader, NegativeInfiniteAndNullNumbersAreRejected) {
  EXPECT_EQ(
      error_of(edited([](auto& j) { j["phases"][0]["step"]["memory"]["weights"] = -1.0; })),
      "r.json: phases[0].step.memory.weights: expected a finite, non-negative number, got the "
      "number -1.0");
  // A NaN is written as null: it cannot be a quantity.
  const std::string nan = error_of(edited([](auto& j) { j["total"]["mfu"] = nullptr; }));
  EXPECT_NE(nan.find("r.json: total.mfu: expected a non-negative number, got null"),
            std::string::npos)
      << nan;
  // 1e400 overflows a double: the parser refuses it.
  std::string text = run_to_json(full_run());
  const std::string key = "\"price_per_gpu_hour\": 2.0";
  ASSERT_NE(text.find(key), std::string::npos);
  text.replace(text.find(key), key.size(), "\"price_per_gpu_hour\": 1e400");
  const std::string inf = error_of(text);
  EXPECT_NE(inf.find("r.json: not a valid JSON document (number overflow parsing '1e400')"),
            std::string::npos)
      << inf;
}

TEST(ResultJsonReader, WrongDocumentKindIsExplained) {
  const std::string step = error_of(step_to_json(sim::StepResult{}));
  EXPECT_NE(step.find("r.json: schema: this is a 'trainsim.step/1' document, not a run result"),
            std::string::npos)
      << step;
  EXPECT_NE(step.find("holds one step only"), std::string::npos) << step;
  EXPECT_EQ(error_of("[1, 2]"),
            "r.json: expected a JSON object (a run result, \"schema\": \"trainsim.run/1\"), got "
            "an array");
  EXPECT_EQ(error_of(edited([](auto& j) { j.erase("schema"); })),
            "r.json: schema: missing required key 'schema' (expected \"trainsim.run/1\")");
}

TEST(ResultJsonReader, DeeplyNestedInputIsAnErrorNotACrash) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_NE(error_of(deep).find("expected a JSON object"), std::string::npos);
}

TEST(ResultJsonReader, UnknownKeysAreIgnored) {
  // The schema may grow: a newer writer's extra keys do not stop an older reader.
  const std::string text = edited([](auto& j) {
    j["future_key"] = 1;
    j["phases"][0]["step"]["new_metric"] = "x";
  });
  EXPECT_EQ(run_to_json(read_run_json_text(text, "r.json")), run_to_json(full_run()));
}

}  // namespace
}  // namespace trainsim::reports
