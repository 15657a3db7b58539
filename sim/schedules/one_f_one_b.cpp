#include "sim/schedules/one_f_one_b.hpp"

#include <algorithm>

namespace trainsim::sim::schedules {

void OneFOneB::validate(const ScheduleShape& shape) const {
  detail::check_positive(name(), shape);
  detail::check_no_virtual_stages(name(), shape);
}

RankLists OneFOneB::build(const ScheduleShape& shape) const {
  validate(shape);
  const int m = shape.micro_batches;
  RankLists lists(static_cast<std::size_t>(shape.ranks));
  for (int r = 0; r < shape.ranks; ++r) {
    auto& list = lists[static_cast<std::size_t>(r)];
    const int warmup = std::min(shape.ranks - r - 1, m);
    for (int i = 0; i < warmup; ++i) list.push_back({WorkKind::F, i, 0});
    for (int i = 0; i < m - warmup; ++i) {
      list.push_back({WorkKind::F, warmup + i, 0});
      list.push_back({WorkKind::BW, i, 0});
    }
    for (int i = m - warmup; i < m; ++i) list.push_back({WorkKind::BW, i, 0});
  }
  return lists;
}

}  // namespace trainsim::sim::schedules
