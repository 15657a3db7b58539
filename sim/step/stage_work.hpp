#pragma once
// The work of one pipeline stage for one micro-batch, as sequences of segments per pass. A
// segment is either compute (seconds on the rank's SMs, from the cost model) or a collective
// (bytes per rank on the links it uses). Consecutive compute ops merge into one segment; a
// communication op ends it. With Granularity::Chunk the layers of a stage are folded into one
// pattern (attention side, dispatch, expert side, combine) so that a 2,048-rank step stays
// within its time budget; Granularity::Layer keeps every layer's segments.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "calibration/cost_model.hpp"
#include "models/model_spec.hpp"
#include "models/op.hpp"
#include "models/training_plan.hpp"

namespace trainsim::sim {

/// Auto: Layer where an F&B pair overlaps expert all-to-alls (DualPipe/DualPipeV with EP > 1):
/// its single all-to-all stream alternates the two passes layer by layer, which a folded chunk
/// cannot show; Chunk elsewhere.
enum class Granularity { Chunk, Layer, Auto };

/// Number of models::OpKind values (the breakdown array size).
inline constexpr std::size_t kOpKinds = 14;

/// CpAllToAll: a Ulysses all-to-all over the CP group ((p−1)/p of the bytes leave each rank).
/// EtpCollective: an expert-TP all-gather or reduce-scatter over the expert_tp consecutive ranks
/// holding one expert's column shards (the TP group when expert_tp = tp).
/// SideCompute: compute issued to the rank's second compute stream (expert weight-gradient GEMMs
/// with ParallelPlan::expert_wgrad_side_stream); the pass goes on without waiting for it and ends
/// only when all of its side work has.
enum class SegmentKind {
  Compute,
  EpDispatch,
  EpCombine,
  TpCollective,
  CpCollective,
  CpAllToAll,
  EtpCollective,
  SideCompute
};
/// Number of SegmentKind values.
inline constexpr std::size_t kSegmentKinds = 8;

/// Whether a segment is compute (on either stream) rather than communication.
inline bool is_compute(SegmentKind k) {
  return k == SegmentKind::Compute || k == SegmentKind::SideCompute;
}

struct Segment {
  SegmentKind kind = SegmentKind::Compute;
  double compute_s = 0;        ///< compute: seconds at full speed on the available SMs
  double expert_fraction = 0;  ///< compute: share of compute_s that scales with expert load
  double bytes = 0;            ///< collectives: payload bytes per rank (before routing)
  bool all_reduce = false;     ///< TpCollective: an all-reduce (2(p−1)/p of the bytes moves)
  /// Collective: runs beside the pass's next compute segments (models::Op::overlapped).
  bool overlapped = false;
  /// Compute: starts only once the pass's overlapped collective has ended.
  bool waits = false;
  double flops = 0;  ///< compute: FLOP executed (for HFU)
  /// Compute seconds per op kind inside this segment (for the breakdown), indexed by
  /// static_cast<int>(models::OpKind).
  std::array<double, kOpKinds> by_kind_s{};
};

/// Segments of one pass (forward, backward-input, backward-weight) of one stage, one micro-batch.
using SegmentList = std::vector<Segment>;

struct StageWork {
  int stage = 0;
  std::int64_t first_layer = 0;  ///< [first_layer, last_layer)
  std::int64_t last_layer = 0;
  bool has_embedding = false;
  bool has_head = false;
  SegmentList forward, backward_input, backward_weight;
  /// A full backward (B then W) with each layer's weight gradients right after its input
  /// gradients, as DualPipe runs the backward chunk of an F&B pair and 1F1B runs its backward.
  SegmentList backward_full;
  double activation_bytes = 0;  ///< cached per micro-batch until its backward (for memory)
  double p2p_bytes = 0;         ///< activation (or gradient) sent to the next (previous) stage
  /// Parameters of the stage held by one rank (after TP/EP sharding): its share of the rank's
  /// gradient and parameter synchronisation when that runs per chunk (0 on both: equal shares).
  double dense_params = 0;
  double expert_params = 0;
};

}  // namespace trainsim::sim
