#include "sim/engine/engine.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace trainsim::sim::engine {
namespace {

TEST(Engine, LatencyPlusBandwidth) {
  // A transfer of S = 1e9 bytes on a 50 GB/s link after α = 2 µs ends at α + S/B = 20.002 ms.
  Engine e;
  const auto link = e.add_resource(50e9, "nic");
  TimeNs done = -1;
  e.start({1e9, INFINITY, 2000, {{link, 1.0}}}, [&] { done = e.now(); });
  e.run();
  EXPECT_EQ(done, 2000 + 20'000'000);
}

TEST(Engine, FlowStartingMidwayChangesTheFinishAsComputedByHand) {
  // Link 1 unit/s. A (work 10) starts at 0; B (work 2) at t = 4. From 4 both get 0.5/s: B needs
  // 4 s → ends at 8; A had 6 left at 4, did 2 by 8, then 4 more at full rate → ends at 12.
  Engine e;
  const auto link = e.add_resource(1.0);
  TimeNs a_end = 0, b_end = 0;
  e.start({10.0, INFINITY, 0, {{link, 1.0}}}, [&] { a_end = e.now(); });
  e.at(4'000'000'000, [&] {
    e.start({2.0, INFINITY, 0, {{link, 1.0}}}, [&] { b_end = e.now(); });
  });
  e.run();
  EXPECT_EQ(b_end, 8'000'000'000);
  EXPECT_EQ(a_end, 12'000'000'000);
  EXPECT_NEAR(e.busy_seconds(link), 12.0, 1e-9);
}

TEST(Engine, ZeroWorkCompletesAtOnce) {
  Engine e;
  const auto r = e.add_resource(1.0);
  bool done = false;
  e.start({0.0, INFINITY, 0, {{r, 1.0}}}, [&] { done = true; });
  e.run();
  EXPECT_TRUE(done);
  EXPECT_EQ(e.now(), 0);
}

TEST(Engine, TiesBreakBySequenceNumber) {
  Engine e;
  std::string order;
  e.at(5, [&] { order += 'a'; });
  e.at(5, [&] { order += 'b'; });
  e.at(3, [&] { order += 'c'; });
  e.run();
  EXPECT_EQ(order, "cab");
}

TEST(Engine, NextEventTimeIsOptional) {
  Engine e;
  EXPECT_FALSE(e.next_event_time().has_value());
  e.at(7, [] {});
  ASSERT_TRUE(e.next_event_time().has_value());
  EXPECT_EQ(*e.next_event_time(), 7);
}

TEST(Engine, ChangesAtOneInstantAreSolvedOnce) {
  // Four flows of work 1 start at t = 0 on one link of 4 units/s (three from a timer handler, one
  // before it runs): one re-solve at t = 0 gives each 4/4 = 1/s, so all end at 1 s. When they end
  // together the link is left empty (nothing to re-solve), and a fifth flow started by the first
  // completion handler at t = 1 s runs alone at 4/s: work 2 ends at 1.5 s.
  Engine e;
  const auto link = e.add_resource(4.0);
  std::vector<TimeNs> ends;
  TimeNs fifth = -1;
  auto flow = [&] {
    e.start({1.0, INFINITY, 0, {{link, 1.0}}}, [&] {
      ends.push_back(e.now());
      if (ends.size() == 1) e.start({2.0, INFINITY, 0, {{link, 1.0}}}, [&] { fifth = e.now(); });
    });
  };
  flow();
  e.at(0, [&] {
    for (int i = 0; i < 3; ++i) flow();
  });
  e.run();
  EXPECT_EQ(ends, std::vector<TimeNs>(4, 1'000'000'000));
  // t = 0: one solve of the four; t = 1 s: one for the four ends and the fifth's start.
  EXPECT_EQ(e.resolves(), 2u);
  EXPECT_EQ(fifth, 1'500'000'000);
  EXPECT_NEAR(e.busy_seconds(link), 1.5, 1e-9);
}

TEST(Engine, ALinkOfOneFlowLimitsItAndTheSharedLinkGivesTheRest) {
  // A crosses its own link P (1 unit/s) and the shared link S (10/s); B crosses S alone. Max-min:
  // A is held to 1/s by P, B takes the other 9/s of S. Work 9 each: B ends at 1 s; A has done 1
  // by then, and P still holds it at 1/s, so it ends at 9 s.
  Engine e;
  const auto p = e.add_resource(1.0);
  const auto shared = e.add_resource(10.0);
  TimeNs a_end = 0, b_end = 0;
  e.start({9.0, INFINITY, 0, {{p, 1.0}, {shared, 1.0}}}, [&] { a_end = e.now(); });
  e.start({9.0, INFINITY, 0, {{shared, 1.0}}}, [&] { b_end = e.now(); });
  e.run();
  EXPECT_EQ(b_end, 1'000'000'000);
  EXPECT_EQ(a_end, 9'000'000'000);
  EXPECT_NEAR(e.busy_seconds(shared), 1.0 + 8.0 * 0.1, 1e-9);  // full for 1 s, then 1/10 for 8 s
}

TEST(Engine, AFlowLeftAloneOnItsLinksRunsAtItsOwnLimitAgain) {
  // A crosses its own link P (2 units/s) and S (10/s): alone, min(2, 10) = 2/s. B (work 4)
  // joins S at t = 1 s: P still holds A at 2/s and B takes the other 8/s, ending at 1.5 s; A is
  // then alone again at 2/s. A's work 10 ends at 10 / 2 = 5 s. Busy S at 1.25 s (A and B live):
  // A's 2.5 work units + B's 2 over 10/s = 0.45 s; at the end, (10 + 4) / 10 = 1.4 s.
  Engine e;
  const auto p = e.add_resource(2.0);
  const auto s = e.add_resource(10.0);
  TimeNs a_end = 0, b_end = 0;
  e.start({10.0, INFINITY, 0, {{p, 1.0}, {s, 1.0}}}, [&] { a_end = e.now(); });
  e.at(1'000'000'000, [&] { e.start({4.0, INFINITY, 0, {{s, 1.0}}}, [&] { b_end = e.now(); }); });
  e.run_until(1'250'000'000);
  EXPECT_NEAR(e.busy_seconds(s), 0.45, 1e-9);
  EXPECT_NEAR(e.busy_seconds(p), 2.5 / 2.0, 1e-9);
  e.run();
  EXPECT_EQ(b_end, 1'500'000'000);
  EXPECT_EQ(a_end, 5'000'000'000);
  EXPECT_NEAR(e.busy_seconds(s), 1.4, 1e-9);
}

TEST(Engine, AFlowListingALinkTwiceUsesItTwice) {
  // One flow with uses {L, 1} and {L, 1} on a link of 2 units/s consumes 2 units of L per unit
  // of its rate: 2 / (1 + 1) = 1/s, so work 3 ends at 3 s (not at 1.5 s, the rate of one use).
  Engine e;
  const auto link = e.add_resource(2.0);
  TimeNs done = 0;
  e.start({3.0, INFINITY, 0, {{link, 1.0}, {link, 1.0}}}, [&] { done = e.now(); });
  e.run();
  EXPECT_EQ(done, 3'000'000'000);
  EXPECT_NEAR(e.busy_seconds(link), 3.0, 1e-9);  // 2 × 3 units of work over 2 units/s
}

TEST(Engine, AStartIsSolvedBeforeTheClockMoves) {
  // A flow started outside any handler is solved when the engine is next asked about events:
  // work 3 on a 2 units/s link ends at 1.5 s, which next_event_time() already reports, and
  // run_until past it runs its completion.
  Engine e;
  const auto link = e.add_resource(2.0);
  bool done = false;
  e.start({3.0, INFINITY, 0, {{link, 1.0}}}, [&] { done = true; });
  ASSERT_TRUE(e.next_event_time().has_value());
  EXPECT_EQ(*e.next_event_time(), 1'500'000'000);
  e.run_until(2'000'000'000);
  EXPECT_TRUE(done);
  EXPECT_EQ(e.now(), 2'000'000'000);
}

TEST(Engine, BadInputsAreRejected) {
  Engine e;
  EXPECT_THROW(e.add_resource(0.0), ModelError);
  EXPECT_THROW(e.add_resource(NAN), ModelError);
  const auto r = e.add_resource(1.0);
  EXPECT_THROW(e.start({-1.0, INFINITY, 0, {{r, 1.0}}}, nullptr), ModelError);
  EXPECT_THROW(e.start({NAN, INFINITY, 0, {{r, 1.0}}}, nullptr), ModelError);
  EXPECT_THROW(e.start({1.0, INFINITY, 0, {}}, nullptr), ModelError);
  EXPECT_THROW(e.start({1.0, INFINITY, 0, {{99, 1.0}}}, nullptr), ModelError);
  e.at(10, [] {});
  e.run();
  EXPECT_THROW(e.at(5, [] {}), ModelError);
}

/// A random workload of flows over shared links: every flow completes, and each link's busy
/// integral equals the work that crossed it divided by its capacity (conservation).
std::vector<TimeNs> random_trace(unsigned seed) {
  Engine e;
  std::mt19937 rng(seed);
  std::vector<ResourceId> links;
  for (int i = 0; i < 8; ++i) links.push_back(e.add_resource(1.0 + i));
  std::vector<double> expected_busy(8, 0.0);
  std::vector<TimeNs> ends;
  for (int f = 0; f < 200; ++f) {
    const double work = 0.1 + static_cast<double>(rng() % 100) / 10.0;
    ActivitySpec spec;
    spec.work = work;
    const auto a = links[rng() % 8];
    auto b = links[rng() % 8];
    spec.uses.push_back({a, 1.0});
    if (b != a) spec.uses.push_back({b, 1.0});
    for (const auto& u : spec.uses)
      expected_busy[u.resource] += work / (1.0 + static_cast<double>(u.resource));
    const TimeNs start = static_cast<TimeNs>(rng() % 1000) * 1'000'000;
    e.at(start, [&e, spec, &ends] { e.start(spec, [&e, &ends] { ends.push_back(e.now()); }); });
  }
  e.run();
  EXPECT_EQ(ends.size(), 200u);
  for (int i = 0; i < 8; ++i)
    EXPECT_NEAR(e.busy_seconds(links[static_cast<std::size_t>(i)]),
                expected_busy[static_cast<std::size_t>(i)], 1e-5);
  return ends;
}

TEST(Engine, RandomWorkloadConservesWorkAndIsDeterministic) {
  const auto a = random_trace(42);
  const auto b = random_trace(42);
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace trainsim::sim::engine
