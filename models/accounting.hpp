#pragma once
// Parameter, FLOP and KV-cache accounting of a ModelSpec: exact integer parameter counts per
// block, training FLOPs per token at a sequence length (matmul 6·N plus causal attention), and
// inference KV-cache bytes per token. Formulas and citations are in accounting.cpp, one per
// function; tests/models/accounting_test.cpp checks them against the published figures.
#include <cstdint>

#include "hardware/dtype.hpp"
#include "models/model_spec.hpp"

namespace trainsim::models {

/// Exact parameter counts (elements, not bytes). Norm weights and biases are included; "matmul"
/// counts are the weight matrices a token multiplies through (2 FLOP per element forward).
struct ParameterCounts {
  std::int64_t embedding = 0;   ///< token table V·d (+ learned position table)
  std::int64_t head = 0;        ///< output projection d·V; 0 when tied to the embedding
  std::int64_t final_norm = 0;  ///< the norm before the head
  std::int64_t attention = 0;   ///< one layer's attention block incl. its input norm
  std::int64_t dense_ffn = 0;   ///< one dense FFN block incl. its input norm (0 if none)
  std::int64_t expert = 0;      ///< one routed expert (a shared expert has the same size)
  std::int64_t router = 0;      ///< one MoE layer's gate d·E (+ DeepSeek's E selection biases)
  std::int64_t moe_ffn = 0;     ///< one MoE FFN block: all experts + shared + router + norm
  std::int64_t moe_ffn_activated = 0;  ///< shared + top-k experts + router + norm
  std::int64_t dense_layer = 0;        ///< attention + dense_ffn
  std::int64_t moe_layer = 0;          ///< attention + moe_ffn (0 for a dense model)
  std::int64_t moe_layer_activated = 0;
  std::int64_t routed_experts_total = 0;  ///< all routed experts of the main model (EP-sharded)
  std::int64_t total = 0;                 ///< main model: layers + embedding + head + final norm
  std::int64_t activated = 0;             ///< per token, main model, incl. embedding and head
  std::int64_t mtp_module = 0;            ///< one MTP module, unique (projection, norms, its layer)
  std::int64_t mtp_unique = 0;     ///< all MTP modules, excluding the shared embedding and head
  std::int64_t mtp_activated = 0;  ///< per token over all modules, incl. shared embedding and head
};

/// All counts of `m`; see accounting.cpp for the per-block formulas.
ParameterCounts count_parameters(const ModelSpec& m);

/// Parameters of layer `layer` (0-based). Layers >= m.layers are MTP modules (projection,
/// norms and their transformer layer; the shared embedding and head are not included).
std::int64_t layer_parameters(const ModelSpec& m, std::int64_t layer);
/// The routed-expert part of layer_parameters (sharded over EP); 0 for a dense layer.
std::int64_t layer_routed_expert_parameters(const ModelSpec& m, std::int64_t layer);
/// Weight-matrix elements one token multiplies through in `layer` (attention projections,
/// FFN or router + shared + top-k experts, MTP projection); forward matmul FLOP = 2 × this.
std::int64_t layer_matmul_parameters_per_token(const ModelSpec& m, std::int64_t layer);
/// Forward attention-core FLOP per token of one layer at sequence length `seq_len`:
/// 2·heads·(d_qk + d_v)·S, halved when causal; with a sliding window of W < S keys,
/// 2·heads·(d_qk + d_v)·(W − W²/(2S)).
double layer_attention_flops_per_token(const ModelSpec& m, std::int64_t seq_len,
                                       bool causal = true);

/// Training and forward FLOP per token (FLOP, multiply and add counted separately).
struct FlopsPerToken {
  double matmul = 0;       ///< 6 · N_matmul (main model incl. head, excl. embedding lookup)
  double attention = 0;    ///< 3 · layers · 2 · heads · (d_qk + d_v) · S/2 (causal)
  double total = 0;        ///< matmul + attention (main model, the published "per token" figure)
  double forward = 0;      ///< (matmul + attention) / 3
  double mtp = 0;          ///< extra training FLOP of the MTP modules (projection, layer, head)
  double mtp_forward = 0;  ///< mtp / 3
  std::int64_t matmul_parameters = 0;  ///< N_matmul of the main model
};

/// FLOP per token for training at sequence length `seq_len` (>= 1).
FlopsPerToken flops_per_token(const ModelSpec& m, std::int64_t seq_len, bool causal = true);

/// Inference KV-cache bytes per token over all layers (MTP excluded) in `dtype`:
/// MLA caches (kv_lora_rank + qk_rope_head_dim) per layer, GQA 2·kv_heads·head_dim per layer.
double kv_cache_bytes_per_token(const ModelSpec& m, hardware::Dtype dtype = hardware::Dtype::BF16);

}  // namespace trainsim::models
