#include "scenarios/validation_case.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "core/error.hpp"

namespace trainsim::scenarios {
namespace {

const std::string kValidationDir = std::string(TRAINSIM_SOURCE_DIR) + "/validation";

/// Relative tolerance of the closed-form conversions (pure arithmetic on doubles).
constexpr double kRelTol = 1e-12;

/// A valid case; the tests replace one line to break it. Line numbers matter (error messages).
const std::string kCase = R"(kind: step
name: tiny
measured:
  value: 137
  metric: tflops-per-gpu
  flops: megatron-2021
  source: "Narayanan et al. 2021 (arXiv 2104.04473), Table 1, 1.7B row"
scenario:
  name: tiny
  model: {layers: 24, hidden: 2304, ffn_dim: 9216, heads: 24, kv_heads: 24, head_dim: 96,
          vocab: 51200, tied_embeddings: true, attention: gqa, activation: gelu, norm: layernorm}
  cluster: {gpu: a100, gpus: 32, gpus_per_node: 8, fabric: selene-ib-hdr-200g}
  parallelism: {dp: 32, micro_batch: 16, zero: 0, recompute: full}
  phases:
    - {name: step, steps: 1, seq_len: 2048, batch: 512}
  price: 2
)";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

std::string error_of(const std::string& text) {
  try {
    load_validation_case_text(text, "case.yaml");
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

void expect_contains(const std::string& msg, const std::string& part) {
  EXPECT_NE(msg.find(part), std::string::npos) << "message: " << msg << "\nexpected: " << part;
}

TEST(ValidationCase, ValidCaseLoads) {
  const ValidationCase c = load_validation_case_text(kCase, "case.yaml");
  EXPECT_EQ(c.name, "tiny");
  EXPECT_EQ(c.kind, CaseKind::Step);
  EXPECT_EQ(c.measured.metric, Metric::TflopsPerGpu);
  EXPECT_EQ(c.measured.flops, FlopConvention::Megatron2021);
  EXPECT_DOUBLE_EQ(c.measured.value, 137);
  ASSERT_TRUE(c.scenario.has_value());
  EXPECT_EQ(c.scenario->cluster.gpus, 32);
  EXPECT_TRUE(c.not_expressible.empty());
}

// Narayanan et al. 2021, Table 1, 1T row: B = 3072, s = 2048, l = 128, h = 25600, V = 51200.
// F = 96·B·s·l·h²·(1 + s/(6h) + V/(16·l·h))
//   = 96·3072·2048·128·25600² · (1 + 2048/153600 + 51200/52428800)
//   = 5.06655e19 · 1.0143099 = 5.13905e19 FLOP.
TEST(ValidationCase, Megatron2021FlopsMatchThePaperFormula) {
  const double base = 96.0 * 3072 * 2048 * 128 * 25600.0 * 25600.0;
  const double expected = base * (1.0 + 2048.0 / (6.0 * 25600) + 51200.0 / (16.0 * 128 * 25600));
  const double f = megatron2021_flops(3072, 2048, 128, 25600, 51200);
  EXPECT_NEAR(f, expected, kRelTol * expected);
  EXPECT_NEAR(f, 5.13905e19, 1e-5 * 5.13905e19);  // the hand computation above, 6 digits
}

// TFLOP/s per GPU = F/(G·t)/1e12. For the tiny case, F = megatron2021_flops(512, 2048, 24, 2304,
// 51200) and G = 32; a step of t = F/(32 · 137e12) s must convert back to exactly 137.
TEST(ValidationCase, TflopsConversionInvertsTheStepTime) {
  const ValidationCase c = load_validation_case_text(kCase, "case.yaml");
  const double F = megatron2021_flops(512, 2048, 24, 2304, 51200);
  EXPECT_NEAR(convention_flops(c.measured.flops, *c.scenario), F, kRelTol * F);
  const double t = F / (32.0 * 137e12);
  EXPECT_NEAR(step_metric(c.measured, *c.scenario, t), 137.0, kRelTol * 137.0);
  // Half the time, twice the rate.
  EXPECT_NEAR(step_metric(c.measured, *c.scenario, t / 2), 274.0, kRelTol * 274.0);
}

// tokens/s per GPU = B·s/(G·t): 512 sequences × 2048 tokens on 32 GPUs in 2 s = 16,384.
TEST(ValidationCase, TokensPerSecondPerGpuConversion) {
  const std::string text = replace(replace(kCase, "  flops: megatron-2021\n", ""),
                                   "metric: tflops-per-gpu", "metric: tokens-per-s-per-gpu");
  const ValidationCase c = load_validation_case_text(text, "case.yaml");
  EXPECT_EQ(c.measured.metric, Metric::TokensPerSecondPerGpu);
  EXPECT_NEAR(step_metric(c.measured, *c.scenario, 2.0), 16384.0, kRelTol * 16384.0);
}

// iteration-s: the simulated step time itself.
TEST(ValidationCase, IterationSecondsIsTheStepTime) {
  const std::string text = replace(replace(kCase, "  flops: megatron-2021\n", ""),
                                   "metric: tflops-per-gpu", "metric: iteration-s");
  const ValidationCase c = load_validation_case_text(text, "case.yaml");
  EXPECT_DOUBLE_EQ(step_metric(c.measured, *c.scenario, 1.42), 1.42);
  EXPECT_THROW(step_metric(c.measured, *c.scenario, 0.0), ModelError);
}

TEST(ValidationCase, BadMetricNamesFileLineKeyAndValidValues) {
  const std::string msg = error_of(replace(kCase, "metric: tflops-per-gpu", "metric: mfu"));
  expect_contains(msg, "case.yaml:5:");
  expect_contains(msg, "measured.metric");
  expect_contains(msg, "'mfu'");
  expect_contains(msg, "iteration-s, tokens-per-s-per-gpu, tflops-per-gpu");
}

TEST(ValidationCase, MissingSourceIsAnError) {
  const std::string msg = error_of(replace(
      kCase, "  source: \"Narayanan et al. 2021 (arXiv 2104.04473), Table 1, 1.7B row\"\n", ""));
  expect_contains(msg, "case.yaml:4:");
  expect_contains(msg, "measured");
  expect_contains(msg, "missing required key 'source'");
}

TEST(ValidationCase, EmptySourceIsAnError) {
  const std::string msg = error_of(
      replace(kCase, "\"Narayanan et al. 2021 (arXiv 2104.04473), Table 1, 1.7B row\"", "\"\""));
  expect_contains(msg, "missing required key 'source'");
}

TEST(ValidationCase, TflopsWithoutFlopConventionIsAnError) {
  const std::string msg = error_of(replace(kCase, "  flops: megatron-2021\n", ""));
  expect_contains(msg, "case.yaml:4:");
  expect_contains(msg, "needs 'flops'");
  expect_contains(msg, "megatron-2021");
}

TEST(ValidationCase, FlopConventionOnAnotherMetricIsAnError) {
  const std::string msg =
      error_of(replace(kCase, "metric: tflops-per-gpu", "metric: tokens-per-s-per-gpu"));
  expect_contains(msg, "case.yaml:6:");
  expect_contains(msg, "measured.flops");
  expect_contains(msg, "applies only to metric tflops-per-gpu");
}

TEST(ValidationCase, UnknownFlopConventionListsValidOnes) {
  const std::string msg = error_of(replace(kCase, "flops: megatron-2021", "flops: 6nd"));
  expect_contains(msg, "case.yaml:6:");
  expect_contains(msg, "'6nd'");
  expect_contains(msg, "megatron-2021");
}

TEST(ValidationCase, Megatron2021ConventionNeedsAGptShapedModel) {
  const std::string msg = error_of(replace(kCase, "ffn_dim: 9216", "ffn_dim: 8192"));
  expect_contains(msg, "measured.flops");
  expect_contains(msg, "ffn_dim 8192");
}

TEST(ValidationCase, UnknownKindListsValidOnes) {
  const std::string msg = error_of(replace(kCase, "kind: step", "kind: stepp"));
  expect_contains(msg, "case.yaml:1:");
  expect_contains(msg, "kind");
  expect_contains(msg, "'stepp'");
  expect_contains(msg, "step");
}

TEST(ValidationCase, MissingKindIsAnError) {
  expect_contains(error_of(replace(kCase, "kind: step\n", "")), "missing required key 'kind'");
}

TEST(ValidationCase, UnknownTopLevelKeyIsAnError) {
  const std::string msg = error_of(replace(kCase, "name: tiny\n", "name: tiny\ncalibrate: x\n"));
  expect_contains(msg, "case.yaml:3:");
  expect_contains(msg, "calibrate");
}

TEST(ValidationCase, ScenarioErrorsCarryTheScenarioKeyPath) {
  const std::string msg = error_of(replace(kCase, "dp: 32,", "dp: 31,"));
  expect_contains(msg, "case.yaml:13:");
  expect_contains(msg, "scenario.parallelism");
  expect_contains(msg, "does not equal cluster.gpus = 32");
}

TEST(ValidationCase, AStepCaseHasExactlyOnePhase) {
  const std::string msg =
      error_of(replace(kCase, "    - {name: step, steps: 1, seq_len: 2048, batch: 512}\n",
                       "    - {name: a, steps: 1, seq_len: 2048, batch: 512}\n"
                       "    - {name: b, steps: 1, seq_len: 2048, batch: 512}\n"));
  expect_contains(msg, "scenario.phases");
  expect_contains(msg, "exactly one phase");
}

TEST(ValidationCase, EmptyNotExpressibleReasonIsAnError) {
  const std::string msg =
      error_of(replace(kCase, "name: tiny\n", "name: tiny\nnot_expressible: \"\"\n"));
  expect_contains(msg, "not_expressible needs a reason");
}

TEST(ValidationCase, CalibratesNamesTheFieldItIsAnInputOf) {
  expect_contains(error_of(replace(kCase, "name: tiny\n", "name: tiny\ncalibrates: \"\"\n")),
                  "calibrates needs the catalog or profile field it is an input of");
  const ValidationCase c = load_validation_case_text(
      replace(kCase, "name: tiny\n", "name: tiny\ncalibrates: \"gpus.yaml h800 x\"\n"),
      "case.yaml");
  EXPECT_EQ(c.calibrates, "gpus.yaml h800 x");
}

TEST(ValidationCase, NameDefaultsToTheFileStem) {
  const ValidationCase c =
      load_validation_case_text(replace(kCase, "name: tiny\n", ""), "dir/megatron-row.yaml");
  EXPECT_EQ(c.name, "megatron-row");
}

TEST(ValidationCase, MissingDirectoryIsAnIoError) {
  EXPECT_THROW(load_validation_cases(kValidationDir + "/no-such-folder"), IoError);
}

// Every bundled case loads, names a source, and has a unique name.
TEST(ValidationCase, BundledCasesLoad) {
  const auto cases = load_validation_cases(kValidationDir);
  EXPECT_GE(cases.size(), 27u);
  std::set<std::string> names;
  for (const auto& c : cases) {
    EXPECT_FALSE(c.measured.source.empty()) << c.file;
    EXPECT_TRUE(names.insert(c.name).second) << "duplicate name " << c.name;
    ASSERT_TRUE(c.scenario.has_value()) << c.file;
    EXPECT_EQ(c.scenario->phases.size(), 1u) << c.file;
  }
}

}  // namespace
}  // namespace trainsim::scenarios
