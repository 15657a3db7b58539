// The 4-ary event heap pops in exactly the order of a reference binary heap on (time, seq).
#include "sim/engine/event_queue.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <queue>
#include <random>
#include <vector>

namespace {

using trainsim::sim::engine::detail::EventQueue;
using trainsim::sim::engine::detail::QueuedEvent;

struct Ev {
  std::int64_t time = 0;
  std::uint32_t seq = 0;
  bool operator>(const Ev& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

/// A payload that does not grow with seq: were the tag to weigh more than seq in the key, ties
/// in time would pop in tag order and the comparison with the reference would fail.
std::uint32_t scrambled_tag(std::uint32_t seq) {
  return (seq * 2654435761u) ^ 0x5bd1e995u;
}

TEST(EventQueue, PopsInTimeThenSequenceOrderLikeAReferenceHeap) {
  // Interleaved pushes and pops with many equal times (ties broken by seq): every pop must
  // return what std::priority_queue<std::greater> returns for the same history.
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> time(0, 50);
  EventQueue q;
  std::priority_queue<Ev, std::vector<Ev>, std::greater<>> ref;
  std::uint32_t seq = 0;
  std::int64_t now = 0;
  for (int i = 0; i < 20000; ++i) {
    const bool push = ref.empty() || rng() % 3 != 0;
    if (push) {
      const Ev ev{now + time(rng), seq++};
      q.push({.tag = scrambled_tag(ev.seq), .seq = ev.seq, .time = ev.time});
      ref.push(ev);
    } else {
      ASSERT_EQ(q.top().time, ref.top().time);
      ASSERT_EQ(q.top().seq, ref.top().seq);
      ASSERT_EQ(q.top().tag, scrambled_tag(ref.top().seq));  // the payload travels with it
      now = q.top().time;
      q.pop();
      ref.pop();
    }
    ASSERT_EQ(q.size(), ref.size());
  }
  while (!ref.empty()) {
    ASSERT_EQ(q.top().seq, ref.top().seq);
    q.pop();
    ref.pop();
  }
  EXPECT_TRUE(q.empty());
}

TEST(EventQueue, TimesBeyond32BitsStillOrderBeforeSequence) {
  // Key = time · 2^64 + seq · 2^32 + tag: a later time with a smaller seq (and a smaller tag)
  // must still come second.
  EventQueue q;
  q.push({.tag = 1, .seq = 0, .time = (std::int64_t{1} << 40) + 1});
  q.push({.tag = 2, .seq = 5, .time = std::int64_t{1} << 40});
  EXPECT_EQ(q.top().tag, 2u);
}

TEST(EventQueue, SingleElementAndDrain) {
  EventQueue q;
  q.push({.tag = 9, .seq = 0, .time = 5});
  EXPECT_EQ(q.top().time, 5);
  EXPECT_EQ(q.top().tag, 9u);
  q.pop();
  EXPECT_TRUE(q.empty());
}

}  // namespace
