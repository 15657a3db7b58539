#pragma once
// The op-by-op price table of `trainsim step --ops`.
#include <cstdint>
#include <string>

#include "sim/op_costs.hpp"

namespace trainsim::cli {

/// The layer's ops in pass order: shape, GFLOP, HBM MB (bytes sent for communication), time,
/// achieved TFLOP/s and fraction of the dtype's peak, what timed each; then each pass's total.
std::string describe_op_costs(const sim::LayerOpCosts& costs);

/// "0", "12", "embedding" or "head" as a layer index for sim::layer_op_costs; anything else
/// throws boost::program_options::error naming the valid forms (exit 2).
std::int64_t parse_ops_layer(const std::string& text);

}  // namespace trainsim::cli
