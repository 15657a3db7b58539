#pragma once
// Distribution of a model's layers over pipeline stages. The embedding sits on the first stage;
// the final norm, output head and the MTP modules (DeepSeek-V3 §3.2.3 keeps them with the head)
// on the last, so the last range extends past model.layers to model.layers + mtp_depth.
// DeepSeek did not publish how its 61 layers split over 16 stages; the default here (a balanced
// split by training FLOPs) is an assumption, stated as such wherever it is used.
#include <cstdint>
#include <string_view>
#include <vector>

#include "models/model_spec.hpp"

namespace trainsim::models {

/// Half-open range [first, last) of layer indices; indices >= model.layers are MTP modules.
struct LayerRange {
  std::int64_t first = 0;
  std::int64_t last = 0;
  std::int64_t count() const { return last - first; }
  bool operator==(const LayerRange&) const = default;
};

enum class SplitPolicy {
  BalancedFlops,       ///< minimise the largest stage's training FLOPs (incl. embedding/head/MTP)
  BalancedParameters,  ///< minimise the largest stage's parameters (incl. embedding/head/MTP)
  Uniform,             ///< equal layer counts; the remainder goes to the inner stages first
};

/// YAML spelling: "balanced-flops", "balanced-parameters", "uniform".
std::string_view split_policy_name(SplitPolicy p);
/// Parses a spelling of split_policy_name; returns false if unknown.
bool parse_split_policy(std::string_view name, SplitPolicy& out);

/// Contiguous ranges, one per stage, each with at least one transformer layer; their union is
/// [0, layers + mtp_depth). Balanced policies give the exact min-max partition (dynamic
/// programming; ties broken towards earlier stages holding more layers). `seq_len` sets the
/// attention share of the FLOP cost. Throws ModelError if stages < 1 or stages > layers.
std::vector<LayerRange> split_layers(const ModelSpec& m, int stages,
                                     SplitPolicy policy = SplitPolicy::BalancedFlops,
                                     std::int64_t seq_len = 4096);

/// The exact min-max contiguous split of the m.layers transformer layers with the given costs (any
/// unit, e.g. simulated seconds per micro-batch), `first_extra` added to the first stage (the
/// embedding) and `last_extra` to the last (head, loss and the MTP modules, which it holds). Same
/// ranges and tie rule as split_layers. Throws ModelError for a bad stage count or cost count.
std::vector<LayerRange> split_layers_by_cost(const ModelSpec& m, int stages,
                                             const std::vector<double>& layer_costs,
                                             double first_extra, double last_extra);

/// Cost of a stage under `policy` (training FLOP per token, or parameters; Uniform counts
/// layers), with the embedding when `first` and the head when `last`.
double stage_cost(const ModelSpec& m, LayerRange r, bool first, bool last, SplitPolicy policy,
                  std::int64_t seq_len = 4096);

}  // namespace trainsim::models
