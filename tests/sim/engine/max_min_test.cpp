#include "sim/engine/max_min.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"

namespace trainsim::sim::engine {
namespace {

constexpr double kTol = 1e-12;

TEST(MaxMin, TwoFlowsShareOneLinkEqually) {
  // C = 10 shared by two flows: each gets C/2.
  const auto r = max_min_rates({10.0}, {{{{0, 1.0}}}, {{{0, 1.0}}}});
  EXPECT_NEAR(r[0], 5.0, kTol);
  EXPECT_NEAR(r[1], 5.0, kTol);
}

TEST(MaxMin, CappedFlowLeavesTheRestToTheOther) {
  // Flow 0 capped at 2: flow 1 gets 10 − 2 = 8.
  FairShareFlow a{{{0, 1.0}}, 2.0};
  FairShareFlow b{{{0, 1.0}}};
  const auto r = max_min_rates({10.0}, {a, b});
  EXPECT_NEAR(r[0], 2.0, kTol);
  EXPECT_NEAR(r[1], 8.0, kTol);
}

TEST(MaxMin, ParkingLot) {
  // Links L0, L1, L2 of capacity 1; flow A crosses all three, flows B, C, D one link each.
  // Every link is shared by two flows → each gets 1/2 (the classic parking-lot allocation).
  const std::vector<FairShareFlow> flows = {
      {{{0, 1.0}, {1, 1.0}, {2, 1.0}}}, {{{0, 1.0}}}, {{{1, 1.0}}}, {{{2, 1.0}}}};
  const auto r = max_min_rates({1.0, 1.0, 1.0}, flows);
  for (double x : r) EXPECT_NEAR(x, 0.5, kTol);
}

TEST(MaxMin, BottleneckElsewhereFreesCapacity) {
  // A uses L0 (cap 1) and L1 (cap 10); B uses only L1. A is limited to 1 by L0, B gets 9.
  const auto r = max_min_rates({1.0, 10.0}, {{{{0, 1.0}, {1, 1.0}}}, {{{1, 1.0}}}});
  EXPECT_NEAR(r[0], 1.0, kTol);
  EXPECT_NEAR(r[1], 9.0, kTol);
}

TEST(MaxMin, WeightsScaleConsumption) {
  // A consumes 3 units of L0 per unit of rate, B one: equal rates x with 3x + x = 8 → x = 2.
  const auto r = max_min_rates({8.0}, {{{{0, 3.0}}}, {{{0, 1.0}}}});
  EXPECT_NEAR(r[0], 2.0, kTol);
  EXPECT_NEAR(r[1], 2.0, kTol);
}

TEST(MaxMin, AFlowTableWhoseOffsetsRunPastItsUsesIsRejected) {
  // One flow whose uses are said to be uses[0 .. 2) of a table holding one: solve() must name
  // the mismatch instead of reading past the table.
  const std::vector<double> caps{1.0};
  const std::vector<std::uint32_t> offsets{0, 2};
  const std::vector<FlowUse> uses{{0, 1.0}};
  std::vector<double> rates;
  try {
    MaxMinSolver().solve(std::vector<double>{1.0}, FlowTable{caps, offsets, uses}, rates);
    FAIL() << "no error";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("offsets do not match its uses"), std::string::npos)
        << e.what();
  }
}

TEST(MaxMin, BadInputsAreRejected) {
  EXPECT_THROW(max_min_rates({-1.0}, {{{{0, 1.0}}}}), ModelError);
  EXPECT_THROW(max_min_rates({1.0}, {{{{1, 1.0}}}}), ModelError);
  EXPECT_THROW(max_min_rates({1.0}, {{{{0, 0.0}}}}), ModelError);
  try {
    max_min_rates({1.0}, {FairShareFlow{}});
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("needs a finite rate cap"), std::string::npos);
  }
}

}  // namespace
}  // namespace trainsim::sim::engine
