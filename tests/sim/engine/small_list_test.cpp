#include "sim/engine/small_list.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace trainsim::sim::engine {
namespace {

struct Ref {
  std::uint32_t id = 0;
  std::uint32_t use = 0;
};

using List = SmallList<Ref, 2>;

std::vector<std::uint32_t> ids(const List& l) {
  std::vector<std::uint32_t> out;
  for (const Ref& r : l) out.push_back(r.id);
  return out;
}

List filled(std::uint32_t n) {
  List l;
  for (std::uint32_t i = 0; i < n; ++i) l.push_back({i, 10 * i});
  return l;
}

TEST(SmallList, KeepsInsertionOrderInPlaceAndPastItsInlineCapacity) {
  // 2 values in place, then the heap (capacity 4, 8, ...): the order never changes.
  for (std::uint32_t n : {0u, 1u, 2u, 3u, 5u, 100u}) {
    const List l = filled(n);
    ASSERT_EQ(l.size(), n);
    EXPECT_EQ(l.empty(), n == 0);
    std::vector<std::uint32_t> want;
    for (std::uint32_t i = 0; i < n; ++i) want.push_back(i);
    EXPECT_EQ(ids(l), want) << n << " values";
    for (std::uint32_t i = 0; i < n; ++i) EXPECT_EQ(l[i].use, 10 * i);
  }
}

TEST(SmallList, SwapWithLastRemovalAsTheEngineDoesIt) {
  // Removing position p: the last value moves into p, then pop_back.
  List l = filled(4);  // 0 1 2 3
  l[1] = l.back();
  l.pop_back();  // 0 3 2
  EXPECT_EQ(ids(l), (std::vector<std::uint32_t>{0, 3, 2}));
  l.pop_back();
  l.pop_back();
  l.pop_back();
  EXPECT_TRUE(l.empty());
  l.push_back({7, 0});  // the kept heap block is reused
  EXPECT_EQ(ids(l), (std::vector<std::uint32_t>{7}));
}

TEST(SmallList, CopiesAndMovesOwnTheirValues) {
  for (std::uint32_t n : {1u, 2u, 6u}) {  // inline and on the heap
    List a = filled(n);
    List b = a;  // copy: independent storage
    b[0].id = 99;
    EXPECT_EQ(a[0].id, 0u);
    List c = std::move(a);  // move: c takes the values, a is left empty
    EXPECT_EQ(c.size(), n);
    EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): a moved-from list is empty
    EXPECT_EQ(ids(c), ids(filled(n)));
    List d;
    d = c;             // copy-assign
    c = std::move(b);  // move-assign over a list that had values
    EXPECT_EQ(c[0].id, 99u);
    EXPECT_EQ(ids(d), ids(filled(n)));
    d = d;  // self-assignment keeps the values
    EXPECT_EQ(ids(d), ids(filled(n)));
  }
}

TEST(SmallList, AVectorOfListsSurvivesReallocation) {
  // Engine::Resource lives in a std::vector that grows as links are created.
  std::vector<List> v;
  for (std::uint32_t i = 0; i < 50; ++i) v.push_back(filled(i % 5));
  for (std::uint32_t i = 0; i < 50; ++i) EXPECT_EQ(ids(v[i]), ids(filled(i % 5)));
}

}  // namespace
}  // namespace trainsim::sim::engine
