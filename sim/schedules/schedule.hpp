#pragma once
// Pipeline schedules: the per-rank order of forward and backward work for one training step.
//
// A schedule knows nothing of durations or hardware. It maps (rank, chunk) to a model stage,
// (micro-batch, stage) back to (rank, chunk), and lists each rank's work items in the order the
// real implementation runs them. Data flows between stages by the rules in dependencies.hpp:
//   F(mb, s) after F(mb, s−1);  B(mb, S−1) after F(mb, S−1);  B(mb, s) after B(mb, s+1);
//   W(mb, s) after B(mb, s).
// Implementations: gpipe, 1f1b, interleaved-1f1b, zb1p, dualpipe, dualpipev (see the registry).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/registry.hpp"

namespace trainsim::sim::schedules {

/// What one work item computes on a rank.
enum class WorkKind {
  F,   ///< forward of one chunk for one micro-batch
  B,   ///< backward for inputs only (activation gradients); its W comes later
  W,   ///< backward for weights of a micro-batch whose B already ran on this rank
  BW,  ///< full backward: B then W fused, the input gradient is available only at the end
  FB,  ///< DualPipe "F&B": a forward (micro_batch, chunk) and a full backward (micro_batch2,
       ///< chunk2) of different micro-batches run mutually overlapped on the rank
};

/// Short name of a kind: "F", "B", "W", "BW", "FB".
std::string_view to_string(WorkKind kind);

/// One entry of a rank's ordered work list. Micro-batches and chunks are 0-based.
struct WorkItem {
  WorkKind kind = WorkKind::F;
  int micro_batch = -1;   ///< the micro-batch (for FB: the forward's)
  int chunk = -1;         ///< the rank's model chunk, 0 ≤ chunk < chunks_per_rank (FB: forward's)
  int micro_batch2 = -1;  ///< FB only: the micro-batch of the full backward; −1 otherwise
  int chunk2 = -1;        ///< FB only: the chunk of the full backward; −1 otherwise

  friend bool operator==(const WorkItem&, const WorkItem&) = default;
};

/// Readable form of an item: "F3c0", "BW2c1", "FB(F5c0,B1c1)".
std::string to_string(const WorkItem& item);

/// Per-rank work lists: lists[rank] in execution order.
using RankLists = std::vector<std::vector<WorkItem>>;

/// The size of one pipeline: ranks (devices in the pipeline group), micro-batches per step per
/// pipeline, and model chunks per rank for interleaved schedules (1 for the others).
struct ScheduleShape {
  int ranks = 1;
  int micro_batches = 1;
  int virtual_stages = 1;
};

/// Where a micro-batch meets a model stage: the rank and that rank's chunk.
struct StageSlot {
  int rank = 0;
  int chunk = 0;
  friend bool operator==(const StageSlot&, const StageSlot&) = default;
};

/// One pipeline schedule. Implementations are stateless; every method is const and cheap except
/// build(), which is O(ranks · micro_batches · chunks).
class PipelineSchedule {
 public:
  virtual ~PipelineSchedule() = default;

  /// Registry name, e.g. "dualpipe".
  virtual std::string_view name() const = 0;

  /// Throws ModelError with the reason and what would be valid when `shape` cannot be run.
  virtual void validate(const ScheduleShape& shape) const = 0;

  /// Calls validate(), then returns lists[rank] for rank in [0, shape.ranks) in execution order.
  /// Every (micro-batch, stage) gets exactly one F, one B and one W (an FB or BW carries B and W).
  virtual RankLists build(const ScheduleShape& shape) const = 0;

  /// Model chunks each rank holds (interleaved: virtual_stages; DualPipe, DualPipeV: 2).
  virtual int chunks_per_rank(const ScheduleShape& shape) const = 0;

  /// Model stages a micro-batch traverses, S. Stage s holds layers [s·L/S, (s+1)·L/S).
  /// ranks · chunks_per_rank for all but DualPipe, whose two chunks are two copies (S = ranks).
  virtual int stage_count(const ScheduleShape& shape) const = 0;

  /// The model stage chunk `chunk` of `rank` runs (DualPipe: rank r holds r and PP−1−r;
  /// DualPipeV: r and 2·ranks−1−r; interleaved: chunk·ranks + r).
  virtual int stage_of(const ScheduleShape& shape, int rank, int chunk) const = 0;

  /// The rank and chunk that run `stage` for `micro_batch` (DualPipe: depends on the direction
  /// the micro-batch is fed from; the first half of the micro-batches enter at rank 0).
  virtual StageSlot slot_of(const ScheduleShape& shape, int micro_batch, int stage) const = 0;

  /// Copies of the full model's parameters held by one pipeline group (DualPipe: 2, others 1).
  /// Per-rank parameters are parameter_copies / ranks of the model (for even stages).
  virtual double parameter_copies() const = 0;

  /// True when the schedule runs B and W as separate items (zero-bubble family).
  virtual bool splits_weight_grad() const = 0;
};

/// The registry of schedules by name, in listing order gpipe, 1f1b, interleaved-1f1b, zb1p,
/// dualpipe, dualpipev; each entry has a one-line description and a citation.
const Registry<std::unique_ptr<PipelineSchedule>>& schedule_registry();

/// A new schedule by registry name; throws ModelError listing the valid names.
std::unique_ptr<PipelineSchedule> make_schedule(const std::string& name);

}  // namespace trainsim::sim::schedules
