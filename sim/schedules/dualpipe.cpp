#include "sim/schedules/dualpipe.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "sim/schedules/detail.hpp"

namespace trainsim::sim::schedules {

void DualPipe::validate(const ScheduleShape& shape) const {
  detail::check_positive(name(), shape);
  detail::check_no_virtual_stages(name(), shape);
  if (shape.ranks % 2 != 0) {
    throw ModelError(fmt::format(
        "dualpipe schedule needs an even number of ranks (rank r holds stages r and PP-1-r), "
        "got {}",
        shape.ranks));
  }
  if (shape.micro_batches % 2 != 0) {
    throw ModelError(fmt::format(
        "dualpipe schedule needs an even number of micro-batches (half are fed from each end), "
        "got {}",
        shape.micro_batches));
  }
  if (shape.micro_batches < 2 * shape.ranks) {
    throw ModelError(fmt::format("dualpipe schedule needs micro_batches >= 2*ranks = {}, got {}",
                                 2 * shape.ranks, shape.micro_batches));
  }
}

int DualPipe::stage_of(const ScheduleShape& shape, int rank, int chunk) const {
  detail::check_rank_chunk(name(), shape, 2, rank, chunk);
  return chunk == 0 ? rank : shape.ranks - 1 - rank;
}

StageSlot DualPipe::slot_of(const ScheduleShape& shape, int micro_batch, int stage) const {
  detail::check_mb_stage(name(), shape, shape.ranks, micro_batch, stage);
  if (micro_batch < shape.micro_batches / 2) return {stage, 0};
  return {shape.ranks - 1 - stage, 1};
}

RankLists DualPipe::build(const ScheduleShape& shape) const {
  validate(shape);
  const int pp = shape.ranks;
  RankLists lists(static_cast<std::size_t>(pp));
  for (int r = 0; r < pp; ++r) {
    detail::DualRankParams p;
    p.half = pp / 2;
    p.h = std::min(r, pp - 1 - r);
    p.flip = r >= pp / 2;
    p.unpaired_first = r == pp / 2 - 1 || r == pp / 2;
    p.per_chunk = shape.micro_batches / 2;
    p.mb_base[0] = 0;
    p.mb_base[1] = shape.micro_batches / 2;
    lists[static_cast<std::size_t>(r)] = detail::dual_rank_list(p);
  }
  return lists;
}

}  // namespace trainsim::sim::schedules
