#pragma once
// Turns a stage's per-layer op lists into segment lists (stage_work.hpp), timing every compute op
// with the cost model. Communication ops end the current compute segment and become collective
// segments whose per-rank payload is supplied by the caller (`payload_bytes` per kind), because
// the routing of those bytes over links is the step simulator's business, not the op list's.
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "calibration/cost_model.hpp"
#include "models/op.hpp"
#include "sim/step/stage_work.hpp"

namespace trainsim::sim {

struct StageBuildContext {
  const calibration::CostModel* cost = nullptr;
  calibration::ComputeContext compute;
  Granularity granularity = Granularity::Chunk;
  /// Expert weight-gradient GEMMs become SideCompute segments (ParallelPlan::
  /// expert_wgrad_side_stream).
  bool expert_wgrad_side_stream = false;
  /// Per-rank bytes a communication op moves, given the op (e.g. tokens × hidden × payload).
  std::function<double(const models::Op&)> payload_bytes;
};

/// Timing sources seen while building (to report which op kinds fell back to the roofline).
struct StageBuildStats {
  std::set<std::string> roofline_kinds;
  std::set<std::string> fallbacks;  ///< OpTiming::fallback of every op that had one
};

/// Builds the three pass lists of a stage from its layers' ops (in layer order). Extra ops of the
/// stage (embedding on the first, head and loss on the last) are passed as pseudo-layers.
void build_stage_segments(const std::vector<models::LayerOps>& layers, const StageBuildContext& ctx,
                          StageWork& out, StageBuildStats& stats);

}  // namespace trainsim::sim
