#pragma once
// Per-GPU memory of one pipeline stage under a parallel plan: weights, gradients, master weights
// and Adam moments (each in the precision policy's dtype, sharded per ZeRO stage over the DP
// group that replicates it), and cached activations per micro-batch (per layer, per recompute
// policy) times the micro-batches in flight. Formulas, derivations and every activation term
// are documented in memory.cpp.
#include <cstdint>
#include <string>
#include <vector>

#include "models/layer_split.hpp"
#include "models/model_spec.hpp"
#include "models/op_list.hpp"
#include "models/training_plan.hpp"

namespace trainsim::models {

/// What one rank holds: its layer range and what the pipeline schedule decides.
struct StageMemoryInput {
  LayerRange layers;            ///< layers of this stage (indices >= model.layers are MTP)
  bool embedding = false;       ///< holds the input embedding (first stage)
  bool head = false;            ///< holds the final norm, output head and loss (last stage)
  std::int64_t seq_len = 4096;  ///< tokens per sequence
  /// Micro-batches whose activations are held at the peak: PP for 1F1B on stage 0, PP+1 for
  /// DualPipe (V3 Table 2); the pipeline schedule decides it.
  int in_flight_micro_batches = 1;
  /// Micro-batches whose logits are held at once (the last stage runs F then B: 1).
  int head_in_flight_micro_batches = 1;
  int parameter_copies = 1;  ///< model chunks of this size per rank (DualPipe: 2)
  int gpus_per_node = 8;     ///< for the dispatch fan-out in the op context
};

/// Bytes per GPU. Invariant: total() is the sum of the listed terms.
struct MemoryBreakdown {
  double weights = 0;                      ///< working weights, precision.weights
  double gradients = 0;                    ///< gradient accumulation buffers, precision.grads
  double master_weights = 0;               ///< precision.master_weights
  double optimizer_moments = 0;            ///< Adam m and v, precision.optimizer_moments each
  double activations = 0;                  ///< cached for backward over all in-flight micro-batches
  double activations_per_micro_batch = 0;  ///< layers of the stage (+ MTP), one micro-batch
  double head_activations = 0;             ///< logits and head inputs, head_in_flight micro-batches
  double recompute_workspace = 0;  ///< one layer's recomputed activations during its backward
  double dense_parameters = 0;     ///< non-expert parameters held per copy (after TP)
  double expert_parameters = 0;    ///< routed-expert parameters held per copy (after EP)
  int dense_dp_group = 1;          ///< ranks replicating a dense shard: dp · cp
  int expert_dp_group = 1;         ///< ranks replicating an expert shard: dp · tp · cp / ep

  double states() const { return weights + gradients + master_weights + optimizer_moments; }
  double total() const { return states() + activations + head_activations + recompute_workspace; }
};

/// One named cached tensor of a layer for one micro-batch on one rank.
struct ActivationTerm {
  std::string name;  ///< e.g. "attn.norm_input"
  double bytes = 0;
};

/// Tensors a layer keeps for its backward under ctx.recompute (Full keeps only the input).
std::vector<ActivationTerm> layer_activation_terms(const ModelSpec& m, std::int64_t layer,
                                                   const OpListContext& ctx);
/// Sum of layer_activation_terms.
double layer_activation_bytes(const ModelSpec& m, std::int64_t layer, const OpListContext& ctx);

/// The op-list context of a plan (tp, ep, cp, SP, recompute, micro-batch) at `seq_len`.
OpListContext op_list_context(const ParallelPlan& plan, const PrecisionPolicy& precision,
                              std::int64_t seq_len, int gpus_per_node = 8);

/// Memory of one rank of the stage described by `in`. Throws ModelError if the plan does not
/// divide the model (see op_list_problem) or the input is inconsistent.
MemoryBreakdown stage_memory(const ModelSpec& m, const ParallelPlan& plan,
                             const PrecisionPolicy& precision, const StageMemoryInput& in);
/// stage_memory without the activations (their fields left 0): the parameter counts and the
/// weights, gradients, master weights and optimizer moments, as stage_memory gives them.
MemoryBreakdown stage_states(const ModelSpec& m, const ParallelPlan& plan,
                             const PrecisionPolicy& precision, const StageMemoryInput& in);

}  // namespace trainsim::models
