// The clock's horizon (issue 14): a duration or an activity that would end past kHorizonNs
// (4·10^18 ns ≈ 127 years) is a ModelError that says so, where before the double-to-int64
// conversion overflowed (undefined behaviour) and the step reported "cannot schedule an event in
// the past", "activity latency must not be negative" or a schedule deadlock.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "core/error.hpp"
#include "sim/engine/engine.hpp"

namespace trainsim::sim::engine {
namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ModelError& e) {
    return e.what();
  }
  return "<no error>";
}

void expect_contains(const std::string& msg, const std::string& part) {
  EXPECT_NE(msg.find(part), std::string::npos) << "message: " << msg << "\nexpected: " << part;
}

TEST(EngineHorizon, SecondsToNsRoundsUpAndRefusesWhatDoesNotFit) {
  // 1.5 ns rounds up to 2 ns; 4·10^9 s is exactly the horizon.
  EXPECT_EQ(seconds_to_ns(1.5e-9), 2);
  EXPECT_EQ(seconds_to_ns(4e9), kHorizonNs);
  // 10^6 days = 8.64·10^13 s: 8.64·10^22 ns, which no int64 holds.
  expect_contains(message_of([] { seconds_to_ns(8.64e13); }),
                  "a simulated duration of 8.64e+13 s is longer than the whole simulation may "
                  "last: the simulator's clock ends at 4e+09 s (about 127 years)");
  expect_contains(message_of([] { seconds_to_ns(NAN); }), "must be finite and not negative");
  expect_contains(message_of([] { seconds_to_ns(-1.0); }), "must be finite and not negative");
}

TEST(EngineHorizon, AnActivityThatWouldEndPastTheHorizonIsReported) {
  // 10^19 units at 1 unit/s take 10^19 s > 4·10^9 s. Before, it was left stalled and the caller
  // saw a deadlock.
  Engine e;
  const auto link = e.add_resource(1.0, "slow link");
  bool done = false;
  e.start({1e19, INFINITY, 0, {{link, 1.0}}}, [&] { done = true; });
  const std::string msg = message_of([&] { e.run(); });
  expect_contains(msg, "1 activities cannot finish before the end of the simulated time");
  expect_contains(msg, "1e+19 units of work left at 1 units/s on 'slow link'");
  EXPECT_FALSE(done);
}

TEST(EngineHorizon, ASlowActivityThatSpeedsUpStillFinishes) {
  // Two flows share a 1 unit/s link. B (work 3·10^9) at its shared rate of 0.5/s would end at
  // 6·10^9 s, past the horizon, so it waits without an event; A (work 1) ends at 2 s, B then has
  // the link alone and ends at 2 + (3·10^9 − 1) s, within the horizon: it must complete.
  Engine e;
  const auto link = e.add_resource(1.0);
  TimeNs b_end = -1;
  e.start({1.0, INFINITY, 0, {{link, 1.0}}}, [] {});
  e.start({3e9, INFINITY, 0, {{link, 1.0}}}, [&] { b_end = e.now(); });
  e.run();
  EXPECT_NEAR(static_cast<double>(b_end), (2.0 + 3e9 - 1.0) * 1e9, 1e3);
}

TEST(EngineHorizon, TimersPastTheHorizonAreRefused) {
  Engine e;
  expect_contains(message_of([&] { e.at(kHorizonNs + 1, [] {}); }),
                  "an event falls 4e+09 s into the simulation, past its end");
}

}  // namespace
}  // namespace trainsim::sim::engine
