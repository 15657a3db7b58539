#include "sim/schedules/zb1p.hpp"

#include <algorithm>

namespace trainsim::sim::schedules {

void ZeroBubbleH1::validate(const ScheduleShape& shape) const {
  detail::check_positive(name(), shape);
  detail::check_no_virtual_stages(name(), shape);
}

RankLists ZeroBubbleH1::build(const ScheduleShape& shape) const {
  validate(shape);
  const int m = shape.micro_batches;
  RankLists lists(static_cast<std::size_t>(shape.ranks));
  for (int r = 0; r < shape.ranks; ++r) {
    auto& list = lists[static_cast<std::size_t>(r)];
    const int warmup = std::min(shape.ranks - r - 1, m);
    const int lag = r;  // W(i − lag) follows B(i)
    int next_w = 0;
    auto backward = [&](int i) {
      list.push_back({WorkKind::B, i, 0});
      if (i - lag >= 0) list.push_back({WorkKind::W, next_w++, 0});
    };
    for (int i = 0; i < warmup; ++i) list.push_back({WorkKind::F, i, 0});
    for (int i = 0; i < m - warmup; ++i) {
      list.push_back({WorkKind::F, warmup + i, 0});
      backward(i);
    }
    for (int i = m - warmup; i < m; ++i) backward(i);
    while (next_w < m) list.push_back({WorkKind::W, next_w++, 0});
  }
  return lists;
}

}  // namespace trainsim::sim::schedules
