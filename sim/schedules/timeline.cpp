#include "sim/schedules/timeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <string>

#include "core/error.hpp"
#include "sim/schedules/dependencies.hpp"

namespace trainsim::sim::schedules {

namespace {

std::string_view pass_name(PassType t) {
  switch (t) {
    case PassType::F:
      return "F";
    case PassType::B:
      return "B";
    case PassType::W:
      return "W";
  }
  return "?";
}

std::string describe(const Pass& p) {
  return fmt::format("{} of micro-batch {} stage {}", pass_name(p.type), p.micro_batch, p.stage);
}

/// Finish times of every pass, indexed by (type, micro-batch, stage); negative = not run yet.
class PassTable {
 public:
  PassTable(int micro_batches, int stages)
      : micro_batches_(micro_batches),
        stages_(stages),
        end_(3 * static_cast<std::size_t>(micro_batches) * static_cast<std::size_t>(stages), -1.0),
        rank_(end_.size(), -1) {}

  bool done(const Pass& p) const { return end_[index(p)] >= 0.0; }
  double end(const Pass& p) const { return end_[index(p)]; }
  int rank(const Pass& p) const { return rank_[index(p)]; }
  void set(const Pass& p, double end, int rank) {
    end_[index(p)] = end;
    rank_[index(p)] = rank;
  }
  int micro_batches() const { return micro_batches_; }
  int stages() const { return stages_; }

 private:
  std::size_t index(const Pass& p) const {
    return (static_cast<std::size_t>(p.type) * static_cast<std::size_t>(micro_batches_) +
            static_cast<std::size_t>(p.micro_batch)) *
               static_cast<std::size_t>(stages_) +
           static_cast<std::size_t>(p.stage);
  }
  int micro_batches_;
  int stages_;
  std::vector<double> end_;
  std::vector<int> rank_;
};

void check_item_fields(const PipelineSchedule& schedule, const ScheduleShape& shape, int rank,
                       std::size_t index, const WorkItem& item) {
  const int chunks = schedule.chunks_per_rank(shape);
  auto bad = [&](int mb, int chunk) {
    return mb < 0 || mb >= shape.micro_batches || chunk < 0 || chunk >= chunks;
  };
  if (bad(item.micro_batch, item.chunk) ||
      (item.kind == WorkKind::FB && bad(item.micro_batch2, item.chunk2))) {
    throw ModelError(fmt::format(
        "{} schedule: rank {} item {} ({}) names a micro-batch outside 0..{} or a chunk outside "
        "0..{}",
        schedule.name(), rank, index, to_string(item), shape.micro_batches - 1, chunks - 1));
  }
}

}  // namespace

double Timeline::max_bubble() const {
  return bubble.empty() ? 0.0 : *std::max_element(bubble.begin(), bubble.end());
}

int Timeline::max_peak_activations() const {
  return peak_activations.empty()
             ? 0
             : *std::max_element(peak_activations.begin(), peak_activations.end());
}

double duration_of(const WorkItem& item, const PassDurations& d) {
  switch (item.kind) {
    case WorkKind::F:
      return d.f;
    case WorkKind::B:
      return d.b;
    case WorkKind::W:
      return d.w;
    case WorkKind::BW:
      return d.b + d.w;
    case WorkKind::FB:
      return d.fb;
  }
  return 0.0;
}

Timeline run_timeline(const PipelineSchedule& schedule, const ScheduleShape& shape,
                      const RankLists& lists, const PassDurations& durations) {
  schedule.validate(shape);
  const auto ranks = static_cast<std::size_t>(shape.ranks);
  if (lists.size() != ranks) {
    throw ModelError(fmt::format("{} schedule: {} rank lists for {} ranks", schedule.name(),
                                 lists.size(), shape.ranks));
  }
  const int stages = schedule.stage_count(shape);
  PassTable table(shape.micro_batches, stages);

  Timeline out;
  out.spans.resize(ranks);
  out.busy.assign(ranks, 0.0);
  out.peak_activations.assign(ranks, 0);
  std::vector<std::size_t> next(ranks, 0);
  std::vector<double> free_at(ranks, 0.0);
  std::vector<int> live(ranks, 0);

  // Each sweep advances every rank as far as its upstream passes allow. Start times depend only
  // on finish times already fixed, so the order of the sweep does not change the result.
  bool progress = true;
  while (progress) {
    progress = false;
    for (std::size_t r = 0; r < ranks; ++r) {
      const int rank = static_cast<int>(r);
      const auto& list = lists[r];
      while (next[r] < list.size()) {
        const WorkItem& item = list[next[r]];
        check_item_fields(schedule, shape, rank, next[r], item);
        const std::vector<Pass> passes = passes_of(schedule, shape, rank, item);
        for (const Pass& p : passes) {
          const StageSlot slot = schedule.slot_of(shape, p.micro_batch, p.stage);
          if (slot.rank != rank) {
            throw ModelError(fmt::format(
                "{} schedule: rank {} item {} ({}) runs {}, which the schedule places on rank {}",
                schedule.name(), rank, next[r], to_string(item), describe(p), slot.rank));
          }
        }
        double start = free_at[r];
        bool ready = true;
        for (const Pass& p : passes) {
          const auto up = upstream(schedule, shape, p);
          if (!up || std::find(passes.begin(), passes.end(), *up) != passes.end()) continue;
          if (!table.done(*up)) {
            ready = false;
            break;
          }
          const double delay = table.rank(*up) == rank ? 0.0 : durations.p2p;
          start = std::max(start, table.end(*up) + delay);
        }
        if (!ready) break;

        const double end = start + duration_of(item, durations);
        for (const Pass& p : passes) {
          if (table.done(p)) {
            throw ModelError(fmt::format("{} schedule: rank {} item {} ({}) runs {} a second time",
                                         schedule.name(), rank, next[r], to_string(item),
                                         describe(p)));
          }
          table.set(p, end, rank);
          // Activations: a forward holds them from its start, a B frees them at its end.
          if (p.type == PassType::F) {
            out.peak_activations[r] = std::max(out.peak_activations[r], ++live[r]);
          }
        }
        for (const Pass& p : passes) {
          if (p.type == PassType::B) --live[r];
        }
        out.spans[r].push_back({start, end});
        out.busy[r] += end - start;
        out.makespan = std::max(out.makespan, end);
        free_at[r] = end;
        ++next[r];
        progress = true;
      }
    }
  }

  std::string stuck;
  for (std::size_t r = 0; r < ranks; ++r) {
    if (next[r] >= lists[r].size()) continue;
    const WorkItem& item = lists[r][next[r]];
    std::string waits;
    for (const Pass& p : passes_of(schedule, shape, static_cast<int>(r), item)) {
      const auto up = upstream(schedule, shape, p);
      if (up && !table.done(*up)) {
        waits = fmt::format("{} on rank {}", describe(*up),
                            schedule.slot_of(shape, up->micro_batch, up->stage).rank);
        break;
      }
    }
    stuck += fmt::format("{}rank {} at item {} ({}) waits for {}", stuck.empty() ? "" : "; ", r,
                         next[r], to_string(item), waits);
  }
  if (!stuck.empty()) {
    throw ModelError(
        fmt::format("{} schedule deadlocks: no rank can progress; {}", schedule.name(), stuck));
  }

  for (int mb = 0; mb < shape.micro_batches; ++mb) {
    for (int s = 0; s < stages; ++s) {
      for (PassType t : {PassType::F, PassType::B, PassType::W}) {
        const Pass p{t, mb, s};
        if (!table.done(p)) {
          throw ModelError(fmt::format("{} schedule: no rank runs {} (expected on rank {})",
                                       schedule.name(), describe(p),
                                       schedule.slot_of(shape, mb, s).rank));
        }
      }
    }
  }

  out.bubble.resize(ranks);
  for (std::size_t r = 0; r < ranks; ++r) out.bubble[r] = out.makespan - out.busy[r];
  return out;
}

Timeline run_timeline(const PipelineSchedule& schedule, const ScheduleShape& shape,
                      const PassDurations& durations) {
  return run_timeline(schedule, shape, schedule.build(shape), durations);
}

}  // namespace trainsim::sim::schedules
