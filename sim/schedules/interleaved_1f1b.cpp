#include "sim/schedules/interleaved_1f1b.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "sim/schedules/detail.hpp"

namespace trainsim::sim::schedules {

void Interleaved1F1B::validate(const ScheduleShape& shape) const {
  detail::check_positive(name(), shape);
  if (shape.virtual_stages < 2) {
    throw ModelError(fmt::format(
        "interleaved-1f1b schedule needs virtual_stages >= 2, got {} (use 1f1b for one chunk "
        "per rank)",
        shape.virtual_stages));
  }
  if (shape.micro_batches % shape.ranks != 0) {
    throw ModelError(fmt::format(
        "interleaved-1f1b schedule needs micro_batches to be a multiple of ranks (micro-batches "
        "advance in groups of PP), got {} micro-batches for {} ranks; valid: {}, {}, ...",
        shape.micro_batches, shape.ranks, shape.ranks, 2 * shape.ranks));
  }
}

int Interleaved1F1B::stage_of(const ScheduleShape& shape, int rank, int chunk) const {
  detail::check_rank_chunk(name(), shape, shape.virtual_stages, rank, chunk);
  return chunk * shape.ranks + rank;
}

StageSlot Interleaved1F1B::slot_of(const ScheduleShape& shape, int micro_batch, int stage) const {
  detail::check_mb_stage(name(), shape, stage_count(shape), micro_batch, stage);
  return {stage % shape.ranks, stage / shape.ranks};
}

RankLists Interleaved1F1B::build(const ScheduleShape& shape) const {
  validate(shape);
  const int pp = shape.ranks;
  const int v = shape.virtual_stages;
  const int total = shape.micro_batches * v;
  const int group = pp * v;
  auto chunk_of = [&](int k, bool forward) {
    const int c = (k % group) / pp;
    return forward ? c : v - 1 - c;
  };
  auto mb_of = [&](int k) { return (k / group) * pp + k % pp; };
  auto fwd = [&](int k) { return WorkItem{WorkKind::F, mb_of(k), chunk_of(k, true)}; };
  auto bwd = [&](int k) { return WorkItem{WorkKind::BW, mb_of(k), chunk_of(k, false)}; };

  RankLists lists(static_cast<std::size_t>(pp));
  for (int r = 0; r < pp; ++r) {
    auto& list = lists[static_cast<std::size_t>(r)];
    const int warmup = std::min(2 * (pp - r - 1) + (v - 1) * pp, total);
    for (int k = 0; k < warmup; ++k) list.push_back(fwd(k));
    for (int k = 0; k < total - warmup; ++k) {
      list.push_back(fwd(warmup + k));
      list.push_back(bwd(k));
    }
    for (int k = total - warmup; k < total; ++k) list.push_back(bwd(k));
  }
  return lists;
}

}  // namespace trainsim::sim::schedules
