#pragma once
// The compute a stage split balances: seconds per micro-batch of every layer (forward,
// backward-input and backward-weight at full speed, priced by the cost model), and the layer
// ranges of the model stages. One source for the step (sim/simulate.cpp) and for the capacity
// planner's kernel floor (sim/plan/compute_floor.hpp), so both see the same split.
#include <string>
#include <vector>

#include "calibration/cost_model.hpp"
#include "models/layer_split.hpp"
#include "models/model_spec.hpp"
#include "models/op_list.hpp"
#include "models/training_plan.hpp"

namespace trainsim::sim {

struct LayerCompute {
  std::vector<double> layer_s;  ///< per model layer [0, layers), seconds per micro-batch
  double embedding_s = 0;       ///< the first stage's input embedding
  double last_extra_s = 0;      ///< the last stage's head and loss, and the MTP modules
};

/// Seconds per micro-batch of every compute op (communication ops excluded) of each layer.
LayerCompute layer_compute(const models::ModelSpec& model, const models::OpListContext& ctx,
                           const calibration::CostModel& cost,
                           const calibration::ComputeContext& compute);

/// The layer ranges of `stages` model stages: the plan's explicit layers_per_stage, else balanced
/// by `lc` (models::split_layers_by_cost); the last range ends after the MTP modules. Sets
/// `problem` (and returns nothing) when an explicit split has the wrong number of entries.
std::vector<models::LayerRange> stage_ranges(const models::ModelSpec& model,
                                             const models::ParallelPlan& plan, int stages,
                                             const LayerCompute& lc, std::string& problem);

/// Seconds per micro-batch of each stage of `ranges` (its layers, the embedding on the first,
/// the head and MTP on the last).
std::vector<double> stage_compute_s(const models::ModelSpec& model, const LayerCompute& lc,
                                    const std::vector<models::LayerRange>& ranges);

}  // namespace trainsim::sim
