// Validation cases of kind `collective` (one collective alone, `trainsim collective`): the
// `collective:` block, its checks and their messages.
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "scenarios/validation_case.hpp"

namespace trainsim::scenarios {
namespace {

/// A valid case; the tests replace one line to break it. Line numbers matter (error messages).
const std::string kCase = R"(kind: collective
name: ep16
measured:
  value: 43
  metric: bandwidth-gbps
  source: "deepseek-ai/DeepEP README.md @3b1045d, Internode 16, dispatch"
collective:
  op: ep-dispatch
  group: ep
  tokens: 4096
  figure: rdma
scenario:
  name: ep16
  model: deepseek-v3
  cluster: {gpu: h800, gpus: 16, gpus_per_node: 8, fabric: mpft-ib-400g}
  parallelism: {dp: 16, ep: 16}
  precision: fp8-deepseek-v3
  phases:
    - {name: layer, steps: 1, seq_len: 4K, batch: 16}
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

TEST(ValidationCollectiveCase, ValidCaseLoads) {
  const ValidationCase c = load_validation_case_text(kCase, "case.yaml");
  EXPECT_EQ(c.kind, CaseKind::Collective);
  EXPECT_EQ(case_kind_name(c.kind), "collective");
  EXPECT_EQ(c.measured.metric, Metric::BandwidthGBps);
  EXPECT_EQ(metric_unit(c.measured.metric), "GB/s");
  ASSERT_TRUE(c.collective.has_value());
  EXPECT_EQ(c.collective->op, "ep-dispatch");
  EXPECT_EQ(c.collective->group, "ep");
  EXPECT_EQ(c.collective->tokens, 4096);
  EXPECT_EQ(c.collective->figure, "rdma");
  ASSERT_TRUE(c.scenario.has_value());
  EXPECT_EQ(c.scenario->cluster.gpus, 16);
  // A bandwidth is not a step's metric.
  EXPECT_THROW(step_metric(c.measured, *c.scenario, 1.0), ModelError);
}

TEST(ValidationCollectiveCase, RingOpsTakeBytes) {
  const std::string text = replace(
      replace(replace(kCase, "op: ep-dispatch", "op: all-reduce"), "tokens: 4096", "bytes: 1GiB"),
      "figure: rdma", "figure: busbw");
  const ValidationCase c = load_validation_case_text(text, "case.yaml");
  EXPECT_EQ(c.collective->bytes, 1073741824.0);
  EXPECT_EQ(c.collective->tokens, 0);
}

TEST(ValidationCollectiveCase, UnknownOpListsValidOnes) {
  const std::string msg = error_of(replace(kCase, "op: ep-dispatch", "op: dispatch"));
  expect_contains(msg, "case.yaml:8:");
  expect_contains(msg, "collective.op");
  expect_contains(msg, "all-reduce, reduce-scatter, all-gather, all-to-all, ep-dispatch");
}

TEST(ValidationCollectiveCase, UnknownFigureListsValidOnes) {
  const std::string msg = error_of(replace(kCase, "figure: rdma", "figure: bottleneck"));
  expect_contains(msg, "case.yaml:11:");
  expect_contains(msg, "rdma, nvl, algbw, busbw");
}

TEST(ValidationCollectiveCase, EpOpsTakeTokensNotBytes) {
  const std::string msg = error_of(replace(kCase, "tokens: 4096", "bytes: 1GiB"));
  expect_contains(msg, "case.yaml:10:");
  expect_contains(msg, "ep-dispatch takes tokens:, not bytes:");
  const std::string ring = error_of(replace(kCase, "op: ep-dispatch", "op: all-gather"));
  expect_contains(ring, "all-gather takes bytes:, not tokens:");
}

TEST(ValidationCollectiveCase, MetricMustBeABandwidth) {
  const std::string msg = error_of(replace(kCase, "bandwidth-gbps", "iteration-s"));
  expect_contains(msg, "case.yaml:5:");
  expect_contains(msg, "a collective case states a bandwidth: metric bandwidth-gbps");
}

TEST(ValidationCollectiveCase, GroupIsCheckedAtItsLine) {
  const std::string msg = error_of(replace(kCase, "group: ep", "group: 32"));
  expect_contains(msg, "case.yaml:9:");
  expect_contains(msg, "group 32 is larger than the cluster's 16 GPUs");
}

TEST(ValidationCollectiveCase, UnknownKeyInTheBlockIsAnError) {
  const std::string msg =
      error_of(replace(kCase, "  figure: rdma\n", "  figure: rdma\n  sms: 24\n"));
  expect_contains(msg, "sms");
}

}  // namespace
}  // namespace trainsim::scenarios
