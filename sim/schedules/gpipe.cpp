#include "sim/schedules/gpipe.hpp"

namespace trainsim::sim::schedules {

void GPipe::validate(const ScheduleShape& shape) const {
  detail::check_positive(name(), shape);
  detail::check_no_virtual_stages(name(), shape);
}

RankLists GPipe::build(const ScheduleShape& shape) const {
  validate(shape);
  RankLists lists(static_cast<std::size_t>(shape.ranks));
  for (auto& list : lists) {
    for (int mb = 0; mb < shape.micro_batches; ++mb) list.push_back({WorkKind::F, mb, 0});
    for (int mb = 0; mb < shape.micro_batches; ++mb) list.push_back({WorkKind::BW, mb, 0});
  }
  return lists;
}

}  // namespace trainsim::sim::schedules
