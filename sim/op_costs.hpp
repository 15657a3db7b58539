#pragma once
// What one layer's ops cost on one rank for one micro-batch, op by op, as the step simulator
// prices them (same op lists, plan, precision and cost model): `trainsim step --ops`.
#include <cstdint>
#include <string>
#include <vector>

#include "models/op.hpp"
#include "scenarios/scenario.hpp"

namespace trainsim::sim {

/// One op of the layer and its price.
struct OpCost {
  models::Op op;
  /// Seconds on one GPU (0 for communication ops: they are flows on the network, priced by the
  /// step simulation, not by the cost model).
  double seconds = 0;
  /// Achieved fraction of the dense peak of the op's dtype: flops / seconds / peak (0 when the
  /// op has no FLOPs or no time).
  double peak_fraction = 0;
  /// "profile", "roofline", or the fallback the cost model used (its own words).
  std::string timed_by;
};

/// The ops of one layer (a transformer layer index, models::kEmbeddingLayer or
/// models::kHeadLayer) for the phase's plan and precision, in pass and dependency order.
struct LayerOpCosts {
  std::int64_t layer = 0;
  std::string profile;      ///< the cost model's name
  std::int64_t tokens = 0;  ///< tokens of one micro-batch on one rank
  std::vector<OpCost> ops;
};

/// Throws ModelError for a phase or layer that does not exist, or a plan the op lists reject.
LayerOpCosts layer_op_costs(const scenarios::Scenario& scenario, std::size_t phase_index,
                            std::int64_t layer, const std::string& calibration = "");

}  // namespace trainsim::sim
