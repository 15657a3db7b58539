#pragma once
// A transformer architecture as published (dense or MoE FFN; MHA/GQA or MLA attention; optional
// multi-token-prediction modules). Plain integers, as in the models' config files.
#include <cstdint>
#include <map>
#include <string>

namespace trainsim::models {

enum class AttentionKind {
  Gqa,  ///< grouped-query (MHA when kv_heads == heads); cached K and V per KV head
  Mla,  ///< DeepSeek multi-head latent attention; cached compressed latent + decoupled RoPE key
};

enum class FfnActivation {
  SwiGlu,  ///< gate and up projections, SiLU(gate)·up, down projection (3 matrices)
  Gelu,    ///< up projection, GELU, down projection (2 matrices)
};

enum class NormKind {
  RmsNorm,    ///< one weight vector of size hidden
  LayerNorm,  ///< weight and bias vectors of size hidden
};

enum class AttentionKernel {
  Fused,    ///< FlashAttention's kernels: the score matrix never reaches HBM
  Cudnn,    ///< cuDNN's fused flash attention (Transformer Engine FusedAttention, Megatron-LM
            ///< --attention-backend fused): the same algorithm and traffic, cuDNN's rates
  Unfused,  ///< QKᵀ, scale-mask-softmax, dropout and ·V as separate kernels with the b·a·s²
            ///< scores in HBM (Megatron-LM 2021, Korthikanti et al. 2022 §4)
};

struct MlaDims {
  std::int64_t q_lora_rank = 0;       ///< d'_c; 0 means queries are not compressed (V2-Lite)
  std::int64_t kv_lora_rank = 0;      ///< d_c, the cached latent
  std::int64_t qk_nope_head_dim = 0;  ///< d_h
  std::int64_t qk_rope_head_dim = 0;  ///< d_h^R, the decoupled RoPE dims (cached once per token)
  std::int64_t v_head_dim = 0;
};

struct MoeDims {
  std::int64_t routed_experts = 0;  ///< 0 for a dense model
  std::int64_t shared_experts = 0;
  std::int64_t experts_per_token = 0;  ///< top-k
  std::int64_t expert_ffn_dim = 0;     ///< intermediate size of one expert
  std::int64_t dense_layers = 0;       ///< leading layers with a dense FFN instead of MoE
  std::int64_t expert_groups = 1;      ///< routing groups (nodes for node-limited routing)
  std::int64_t limited_groups = 0;     ///< max groups (nodes) a token may reach; 0 = no limit
};

struct ModelSpec {
  std::string name;  ///< catalog key, lower case ("deepseek-v3")
  std::string description;
  std::int64_t layers = 0;
  std::int64_t hidden = 0;   ///< d_model
  std::int64_t ffn_dim = 0;  ///< dense FFN intermediate size
  std::int64_t heads = 0;
  std::int64_t kv_heads = 0;  ///< GQA only
  std::int64_t head_dim = 0;  ///< GQA only (hidden / heads unless stated)
  std::int64_t vocab = 0;
  bool tied_embeddings = false;
  AttentionKind attention = AttentionKind::Gqa;
  FfnActivation activation = FfnActivation::SwiGlu;
  bool attention_bias = false;  ///< biases on QKV (Qwen2.5) — counted in parameters
  bool linear_bias = false;     ///< biases on every linear layer (GPT-3); implies attention_bias
  NormKind norm = NormKind::RmsNorm;
  std::int64_t learned_positions =
      0;  ///< rows of a learned absolute position table (GPT-3: 2048); 0 = RoPE
  std::int64_t context_length =
      0;  ///< pre-training sequence length of the published model (informational)
  AttentionKernel attention_kernel = AttentionKernel::Fused;
  /// Dropout probability on each sub-layer's output before its residual add (Megatron-LM GPT
  /// `--hidden-dropout`, 0.1 by default there; Llama and DeepSeek-V3 train without): > 0 makes
  /// the fused bias-dropout-add write a 1 B mask that its backward kernel reads. 0 = none.
  double hidden_dropout = 0;
  /// Keys each query attends to, itself included (sliding-window attention, Mistral 7B /
  /// Gemma 2 local layers); 0 = every earlier token (full causal attention). Applies to all layers.
  std::int64_t sliding_window = 0;
  bool qk_norm = false;  ///< per-head RMSNorm of queries and keys before RoPE (Qwen3, OLMo 2)
  /// Attention and FFN read the same normalised input and add into one residual (GPT-J, PaLM §2):
  /// one norm, one TP gather and one TP reduction per layer instead of two.
  bool parallel_block = false;
  MlaDims mla;
  MoeDims moe;
  std::int64_t mtp_depth = 0;  ///< multi-token-prediction modules (DeepSeek-V3: 1)
  double published_total_params =
      0;  ///< as stated by the authors (0 = not stated); for checks only
  double published_activated_params =
      0;  ///< per token, as stated (0 = not stated); for checks only
  /// Source of every field, keyed by its YAML path ("moe.routed_experts").
  std::map<std::string, std::string> sources;

  bool is_moe() const { return moe.routed_experts > 0; }
  bool is_moe_layer(std::int64_t layer) const { return is_moe() && layer >= moe.dense_layers; }
};

}  // namespace trainsim::models
