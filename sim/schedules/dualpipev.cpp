#include "sim/schedules/dualpipev.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "sim/schedules/detail.hpp"

namespace trainsim::sim::schedules {

void DualPipeV::validate(const ScheduleShape& shape) const {
  detail::check_positive(name(), shape);
  detail::check_no_virtual_stages(name(), shape);
  if (shape.micro_batches < 2 * shape.ranks) {
    throw ModelError(fmt::format("dualpipev schedule needs micro_batches >= 2*ranks = {}, got {}",
                                 2 * shape.ranks, shape.micro_batches));
  }
}

int DualPipeV::stage_of(const ScheduleShape& shape, int rank, int chunk) const {
  detail::check_rank_chunk(name(), shape, 2, rank, chunk);
  return chunk == 0 ? rank : 2 * shape.ranks - 1 - rank;
}

StageSlot DualPipeV::slot_of(const ScheduleShape& shape, int micro_batch, int stage) const {
  detail::check_mb_stage(name(), shape, 2 * shape.ranks, micro_batch, stage);
  if (stage < shape.ranks) return {stage, 0};
  return {2 * shape.ranks - 1 - stage, 1};
}

RankLists DualPipeV::build(const ScheduleShape& shape) const {
  validate(shape);
  const int ranks = shape.ranks;
  RankLists lists(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) {
    detail::DualRankParams p;
    p.half = ranks;
    p.h = r;
    p.flip = false;
    p.unpaired_first = r == ranks - 1;
    p.per_chunk = shape.micro_batches;
    lists[static_cast<std::size_t>(r)] = detail::dual_rank_list(p);
  }
  return lists;
}

}  // namespace trainsim::sim::schedules
