#pragma once
// Per-layer op lists: what one rank executes for one micro-batch of one layer, in dependency
// order, for the forward pass, the backward-for-input pass (with recomputed forward ops first,
// flagged `recomputed`) and the backward-for-weight pass. Shapes are per rank after TP/EP/CP
// sharding; every op carries FLOPs, ideal HBM bytes (or bytes sent, for communication) and the
// dtype the precision policy gives it. Formulas and conventions are in op_list.cpp.
// Cheap to build (tens of ops per layer): the simulator builds it per stage and phase.
#include <cstdint>
#include <string>
#include <vector>

#include "models/model_spec.hpp"
#include "models/op.hpp"
#include "models/training_plan.hpp"

namespace trainsim::models {

/// Pseudo-layer index of embedding_ops() (the input embedding of the first stage).
inline constexpr std::int64_t kEmbeddingLayer = -1;
/// Pseudo-layer index of head_ops() (final norm, output head and loss of the last stage).
inline constexpr std::int64_t kHeadLayer = -2;

/// What the op list of one rank and one micro-batch depends on.
struct OpListContext {
  std::int64_t sequences = 1;     ///< sequences per micro-batch
  std::int64_t seq_len = 4096;    ///< tokens per sequence (before CP splitting)
  int tp = 1;                     ///< tensor parallel: heads and FFN columns split tp ways
  int ep = 1;                     ///< expert parallel: routed experts split ep ways
  int cp = 1;                     ///< context parallel: each rank holds seq_len / cp tokens
  CpKind cp_kind = CpKind::Ring;  ///< Ulysses: attention on the full sequence, heads/cp
  int expert_tp = 1;  ///< expert TP: each expert's f_e columns split expert_tp ways in a node
  bool sequence_parallel = false;  ///< TP with reduce-scatter/all-gather; norms on T/tp tokens
  PrecisionPolicy precision;
  Recompute recompute = Recompute::None;
  /// Mean routed tokens landing on each local expert per micro-batch; 0 = balanced routing,
  /// tokens_per_rank_moe · ep · top_k / routed_experts.
  double tokens_per_expert = 0;
  int gpus_per_node = 8;  ///< node size, for node-limited dispatch fan-out
  /// The weight-gradient GEMMs accumulate into the gradient buffer themselves (beta = 1;
  /// ParallelPlan::grad_accumulation_fusion). Off: each weight gradient is written in the GEMM's
  /// output dtype and added into the buffer by its own kernel every micro-batch (`.accumulate`).
  bool grad_accumulation_fusion = true;
  /// Biases added and reduced inside the GEMMs' epilogues (ParallelPlan::bias_fusion). Off: a
  /// QKV `.bias_add` kernel and a `.bias_grad` reduction per biased linear layer.
  bool bias_fusion = true;
  /// Each norm's backward adds a `.bwd_params` kernel re-reading its input and output gradient
  /// for the gamma/beta gradients (ParallelPlan::norm_backward_split).
  bool norm_backward_split = false;
  /// The kernels of the softmax cross-entropy (ParallelPlan::cross_entropy).
  CrossEntropyKernels cross_entropy = CrossEntropyKernels::Fused;
  /// Column-parallel backward collectives overlapped with the layer's GEMMs
  /// (ParallelPlan::tp_backward_overlap): the input-gradient reduction is `overlapped` and runs
  /// beside the weight-gradient GEMM, which LayerOps::backward_full places right after it; under
  /// sequence parallelism a `.tp_all_gather.bwd_input` re-gathers the input beside the
  /// input-gradient GEMM.
  bool tp_backward_overlap = false;
  /// TP collectives overlapped with the GEMMs by Transformer Engine's userbuffers
  /// (ParallelPlan::tp_comm_overlap) and how, per GEMM: with tp > 1 each overlapped GEMM op
  /// carries its serial_chunks and sms_reserved.
  bool tp_comm_overlap = false;
  UbConfig tp_overlap = kDefaultUbConfig;
};

/// Tokens of one micro-batch on one rank: sequences · seq_len / cp.
std::int64_t tokens_per_rank(const OpListContext& c);
/// Tokens entering the MoE dispatch on one rank: tokens_per_rank / tp (TP ranks split the
/// tokens before dispatch, as Megatron-Core requires sequence parallelism with MoE + TP).
std::int64_t moe_tokens_per_rank(const OpListContext& c);
/// Mean routed tokens per local expert: the context's value if set, else balanced routing.
/// Under expert TP each rank of an expert's TP group runs all of the group's tokens for that
/// expert (expert_tp × the EP share) on f_e/expert_tp columns.
double tokens_per_expert(const ModelSpec& m, const OpListContext& c);
/// Ranks of one EP group inside a node: gpus_per_node / expert_tp (EP groups stride over the
/// expert-TP index, Megatron-Core's expert rank order tp-ep-dp).
int ep_ranks_per_node(const OpListContext& c);
/// Expected destinations a token is sent to in the dispatch (bytes multiplier): distinct EP
/// nodes when EP spans nodes (a token crosses the network once per destination node, DeepSeek-V3
/// §3.2.2), else distinct EP ranks; node- or device-limited routing caps the candidates at
/// limited_groups. Uniform routing over the candidates: U·(1 − C(n_e·(U−1), k)/C(n_e·U, k)).
double dispatch_destinations_per_token(const ModelSpec& m, const OpListContext& c);
/// Bytes per element of an all-to-all payload: FP8 carries one FP32 scale per 1×128 tile
/// (1 + 4/128 B, V3 §3.3); other dtypes their size.
double payload_bytes_per_element(hardware::Dtype d);

/// How FP8 GEMM inputs are scaled; sets the quantisation kernels around every FP8 GEMM.
enum class Fp8Scaling {
  None,       ///< no FP8 GEMMs
  PerTensor,  ///< Transformer Engine delayed scaling: one scale per tensor, cast-transpose kernels
  Tile128,    ///< DeepSeek-V3 §3.3.2: 1×128 activation tiles, 128×128 weight blocks, FP32 scales
};
/// Tile128 for the "fp8-deepseek-v3" policy (or a map based on it), PerTensor for any other with
/// FP8 GEMMs, else None.
Fp8Scaling fp8_scaling(const PrecisionPolicy& p);
/// Bytes per element of an FP8 (E4M3) tensor carrying one FP32 scale per `group` elements.
double fp8_bytes_per_element(std::int64_t group);

/// Ops of transformer layer `layer` (0 <= layer < m.layers), or of MTP module
/// `layer - m.layers` (its embedding lookup, input norms, projection, transformer layer, and its
/// pass through the shared head and loss). Throws ModelError for an index out of range or a
/// context that does not divide the model (tp vs heads, ep vs experts, cp vs seq_len).
LayerOps build_layer_ops(const ModelSpec& m, std::int64_t layer, const OpListContext& c);
/// Embedding lookup (vocab-parallel under TP), layer index kEmbeddingLayer.
LayerOps embedding_ops(const ModelSpec& m, const OpListContext& c);
/// Final norm, output head GEMM and cross-entropy loss, layer index kHeadLayer.
LayerOps head_ops(const ModelSpec& m, const OpListContext& c);

/// The per-micro-batch op lists of a pipeline stage holding layers [first, last) in execution
/// order: the embedding when `embedding`, the layers, and when `head` the main model's head right
/// after its last layer (before any MTP module; each MTP module runs the shared head in its own
/// list), so the last stage of a model with D MTP modules runs the head 1 + D times.
std::vector<LayerOps> stage_ops(const ModelSpec& m, std::int64_t first, std::int64_t last,
                                bool embedding, bool head, const OpListContext& c);

/// Kernels that run once per optimizer step (not per micro-batch) for one layer's weights on one
/// rank: the FP8 cast of every FP8 GEMM weight (`<gemm>.weight_quantize`) after the update.
/// Empty unless the policy computes GEMMs in FP8. Shapes come from `layer`'s forward GEMMs.
std::vector<Op> weight_cast_ops(const LayerOps& layer, const PrecisionPolicy& p);

/// What one rank's optimizer step touches.
struct OptimizerShape {
  double shard_params = 0;  ///< parameters whose update this rank computes (its ZeRO shard)
  double local_params = 0;  ///< parameters (and gradients) the rank holds for its stages
};
/// The optimizer step as kernels: a gradient-norm pass over the shard (clipping), fused AdamW
/// launches over the shard, and the zeroing of the local gradient buffer. Memory-bound; see
/// op_list.cpp for the bytes per parameter.
std::vector<Op> optimizer_ops(const OptimizerShape& s, const PrecisionPolicy& p);

/// Empty if `c` fits `m`, else the problem in words (e.g. "tp = 3 does not divide 128 heads").
std::string op_list_problem(const ModelSpec& m, const OpListContext& c);

}  // namespace trainsim::models
