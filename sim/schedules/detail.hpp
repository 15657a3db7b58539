#pragma once
// Internals shared by the schedule implementations: shape checks with uniform messages and the
// base of the one-chunk-per-rank schedules (gpipe, 1f1b, zb1p).
#include <array>
#include <string_view>
#include <vector>

#include "sim/schedules/schedule.hpp"

namespace trainsim::sim::schedules::detail {

/// Throws ModelError unless ranks ≥ 1, micro_batches ≥ 1 and virtual_stages ≥ 1.
void check_positive(std::string_view schedule, const ScheduleShape& shape);

/// Throws ModelError unless virtual_stages == 1 (schedules whose chunk count is fixed).
void check_no_virtual_stages(std::string_view schedule, const ScheduleShape& shape);

/// Throws ModelError unless 0 ≤ rank < ranks and 0 ≤ chunk < chunks.
void check_rank_chunk(std::string_view schedule, const ScheduleShape& shape, int chunks, int rank,
                      int chunk);

/// Throws ModelError unless 0 ≤ micro_batch < micro_batches and 0 ≤ stage < stages.
void check_mb_stage(std::string_view schedule, const ScheduleShape& shape, int stages,
                    int micro_batch, int stage);

/// Parameters of one rank's DualPipe-family step (dualpipe.py and dualpipev.py share the
/// eight-phase structure and differ only in these).
struct DualRankParams {
  int half = 1;                 ///< DualPipe: PP/2; DualPipeV: ranks
  int h = 0;                    ///< DualPipe: min(r, PP−1−r); DualPipeV: r
  bool flip = false;            ///< phase p runs chunk p XOR flip (DualPipe: r in the second half)
  bool unpaired_first = false;  ///< first main-phase F&B runs as F then BW (middle/last rank)
  int per_chunk = 1;            ///< micro-batches through each chunk
  std::array<int, 2> mb_base{0, 0};  ///< first micro-batch id through chunk 0 and chunk 1
};

/// One rank's list in the eight phases of DeepSeek's DualPipe step(): nF0, nF0F1, nB1W1F1,
/// nF0B1F1B0 (main, overlapped pairs), nB1F1B0, nB1B0, nWB0, nW. W run FIFO on the deferred B.
std::vector<WorkItem> dual_rank_list(const DualRankParams& p);

/// One chunk per rank; rank r runs stage r; one copy of the parameters.
class SingleChunkSchedule : public PipelineSchedule {
 public:
  int chunks_per_rank(const ScheduleShape& shape) const override;
  int stage_count(const ScheduleShape& shape) const override;
  int stage_of(const ScheduleShape& shape, int rank, int chunk) const override;
  StageSlot slot_of(const ScheduleShape& shape, int micro_batch, int stage) const override;
  double parameter_copies() const override { return 1.0; }
};

}  // namespace trainsim::sim::schedules::detail
