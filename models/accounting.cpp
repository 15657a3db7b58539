// Parameter, FLOP and KV-cache accounting.
//
// Parameters (d = hidden, H = heads, V = vocab, f = ffn_dim, f_e = expert_ffn_dim, E = routed
// experts, k = experts per token, s = shared experts; a norm has d weights, a LayerNorm also d
// biases; q_c = q_lora_rank, c = kv_lora_rank):
//   GQA attention  = d·H·h_d + 2·d·kv·h_d + H·h_d·d + norm
//                    (+ (H + 2·kv)·h_d QKV bias, + d output bias, + 2·h_d with qk_norm)
//   MLA attention  = d·q_c + norm(q_c) + q_c·H·(d_nope + d_rope)   (q_c = 0: d·H·(d_nope + d_rope))
//                    + d·(c + d_rope) + norm(c) + c·H·(d_nope + d_v) + H·d_v·d + norm
//                    — DeepSeek-V2 §2.1.2-2.1.3 eqs. 9-17; V3 §2.1.1 (facts §2.4: 187.1M for V3)
//   SwiGLU FFN     = 3·d·f (gate, up, down; Shazeer 2020), GELU FFN = 2·d·f (+ f + d biases)
//   MoE FFN        = (E + s)·3·d·f_e + d·E (router) + norm; activated: (k + s)·3·d·f_e + d·E + norm
//   embedding      = V·d (+ n_pos·d learned positions); head = d·V unless tied; final norm
//   MTP module     = 2·d·d (projection M_k) + 3 norms (two input norms, the head norm) + one MoE
//                    layer; embedding and head are shared with the main model (V3 §2.2, §3.2.3)
// DeepSeek-V3's per-expert selection bias (E per MoE layer, V3 §2.1.2) is a buffer outside the
// optimizer and is not counted (15K elements in all).
//
// Training FLOP per token (Kaplan et al. 2020 §2.1 "C ≈ 6N"; Narayanan et al. SC'21 eq. 2 for
// the attention term; ISCA'25 "Insights into DeepSeek-V3" Table 2):
//   matmul    = 6 · N_matmul  — every weight matrix a token multiplies through (attention
//               projections, FFN or router + (k + s) experts, output head), excluding the
//               embedding lookup (a gather, no FLOP); forward 2·N, backward 4·N (dgrad + wgrad)
//   attention = 3 · L · 2 · H · (d_qk + d_v) · S/2  — QKᵀ and P·V, forward 2·H·(d_qk+d_v)·S per
//               token over the full context, halved for causal masks; backward 2× forward
// KV cache per token (ISCA'25 Table 1): MLA L·(c + d_rope) elements, GQA L·2·kv·h_d elements.
#include "models/accounting.hpp"

namespace trainsim::models {

namespace {

std::int64_t norm_params(const ModelSpec& m, std::int64_t dim) {
  return m.norm == NormKind::LayerNorm ? 2 * dim : dim;
}

/// d_qk and d_v of the attention core.
std::int64_t qk_dim(const ModelSpec& m) {
  return m.attention == AttentionKind::Mla ? m.mla.qk_nope_head_dim + m.mla.qk_rope_head_dim
                                           : m.head_dim;
}
std::int64_t v_dim(const ModelSpec& m) {
  return m.attention == AttentionKind::Mla ? m.mla.v_head_dim : m.head_dim;
}

/// Weight matrices of the attention block (no norms, no biases).
std::int64_t attention_matmul(const ModelSpec& m) {
  const std::int64_t d = m.hidden, H = m.heads;
  if (m.attention == AttentionKind::Mla) {
    const auto& a = m.mla;
    const std::int64_t q =
        a.q_lora_rank > 0 ? d * a.q_lora_rank + a.q_lora_rank * H * qk_dim(m) : d * H * qk_dim(m);
    const std::int64_t kv = d * (a.kv_lora_rank + a.qk_rope_head_dim) +
                            a.kv_lora_rank * H * (a.qk_nope_head_dim + a.v_head_dim);
    return q + kv + H * a.v_head_dim * d;
  }
  return d * H * m.head_dim + 2 * d * m.kv_heads * m.head_dim + H * m.head_dim * d;
}

std::int64_t attention_params(const ModelSpec& m) {
  std::int64_t p = attention_matmul(m) + norm_params(m, m.hidden);
  if (m.attention == AttentionKind::Mla) {
    if (m.mla.q_lora_rank > 0) p += norm_params(m, m.mla.q_lora_rank);
    p += norm_params(m, m.mla.kv_lora_rank);
  } else if (m.attention_bias) {
    p += (m.heads + 2 * m.kv_heads) * m.head_dim;
  }
  // qk_norm: one RMSNorm weight of head_dim for the queries and one for the keys, shared by the
  // heads (transformers modeling_qwen3.py q_norm, k_norm).
  if (m.qk_norm && m.attention == AttentionKind::Gqa) p += 2 * norm_params(m, m.head_dim);
  if (m.linear_bias) p += m.hidden;  // output projection bias
  return p;
}

std::int64_t ffn_matrices(const ModelSpec& m) {
  return m.activation == FfnActivation::SwiGlu ? 3 : 2;
}

/// One FFN of intermediate size f (dense FFN or one expert), no norm.
std::int64_t ffn_params(const ModelSpec& m, std::int64_t f) {
  std::int64_t p = ffn_matrices(m) * m.hidden * f;
  if (m.linear_bias) p += (ffn_matrices(m) - 1) * f + m.hidden;
  return p;
}

std::int64_t router_params(const ModelSpec& m) {
  return m.hidden * m.moe.routed_experts;
}

std::int64_t mtp_extra_params(const ModelSpec& m) {
  return 2 * m.hidden * m.hidden + 3 * norm_params(m, m.hidden);
}

bool is_mtp(const ModelSpec& m, std::int64_t layer) {
  return layer >= m.layers;
}

}  // namespace

ParameterCounts count_parameters(const ModelSpec& m) {
  ParameterCounts c;
  const std::int64_t d = m.hidden;
  c.embedding = m.vocab * d + m.learned_positions * d;
  c.head = m.tied_embeddings ? 0 : d * m.vocab;
  c.final_norm = norm_params(m, d);
  c.attention = attention_params(m);
  const std::int64_t dense_layers = m.is_moe() ? m.moe.dense_layers : m.layers;
  const std::int64_t moe_layers = m.layers - dense_layers;
  if (dense_layers > 0) c.dense_ffn = ffn_params(m, m.ffn_dim) + norm_params(m, d);
  c.dense_layer = dense_layers > 0 ? c.attention + c.dense_ffn : 0;
  if (m.is_moe()) {
    c.expert = ffn_params(m, m.moe.expert_ffn_dim);
    c.router = router_params(m);
    c.moe_ffn =
        (m.moe.routed_experts + m.moe.shared_experts) * c.expert + c.router + norm_params(m, d);
    c.moe_ffn_activated =
        (m.moe.experts_per_token + m.moe.shared_experts) * c.expert + c.router + norm_params(m, d);
    c.moe_layer = c.attention + c.moe_ffn;
    c.moe_layer_activated = c.attention + c.moe_ffn_activated;
    c.routed_experts_total = moe_layers * m.moe.routed_experts * c.expert;
  }
  const std::int64_t layers = dense_layers * c.dense_layer + moe_layers * c.moe_layer;
  const std::int64_t layers_activated =
      dense_layers * c.dense_layer + moe_layers * c.moe_layer_activated;
  c.total = layers + c.embedding + c.head + c.final_norm;
  c.activated = layers_activated + c.embedding + c.head + c.final_norm;
  if (m.mtp_depth > 0) {
    c.mtp_module = layer_parameters(m, m.layers);
    c.mtp_unique = m.mtp_depth * c.mtp_module;
    const std::int64_t module_activated =
        mtp_extra_params(m) + (m.is_moe() ? c.moe_layer_activated : c.dense_layer);
    c.mtp_activated = m.mtp_depth * module_activated + c.embedding + c.head;
  }
  return c;
}

std::int64_t layer_parameters(const ModelSpec& m, std::int64_t layer) {
  const std::int64_t d = m.hidden;
  std::int64_t p = attention_params(m);
  if (m.is_moe_layer(layer)) {
    p += (m.moe.routed_experts + m.moe.shared_experts) * ffn_params(m, m.moe.expert_ffn_dim) +
         router_params(m) + norm_params(m, d);
  } else {
    p += ffn_params(m, m.ffn_dim) + norm_params(m, d);
  }
  if (is_mtp(m, layer)) p += mtp_extra_params(m);
  return p;
}

std::int64_t layer_routed_expert_parameters(const ModelSpec& m, std::int64_t layer) {
  return m.is_moe_layer(layer) ? m.moe.routed_experts * ffn_params(m, m.moe.expert_ffn_dim) : 0;
}

std::int64_t layer_matmul_parameters_per_token(const ModelSpec& m, std::int64_t layer) {
  std::int64_t p = attention_matmul(m);
  if (m.is_moe_layer(layer)) {
    p += (m.moe.experts_per_token + m.moe.shared_experts) * ffn_matrices(m) * m.hidden *
             m.moe.expert_ffn_dim +
         router_params(m);
  } else {
    p += ffn_matrices(m) * m.hidden * m.ffn_dim;
  }
  if (is_mtp(m, layer)) p += 2 * m.hidden * m.hidden;
  return p;
}

double layer_attention_flops_per_token(const ModelSpec& m, std::int64_t seq_len, bool causal) {
  const double full = 2.0 * static_cast<double>(m.heads) *
                      static_cast<double>(qk_dim(m) + v_dim(m)) * static_cast<double>(seq_len);
  if (causal && m.sliding_window > 0 && m.sliding_window < seq_len) {
    // Each query attends min(i + 1, W) keys: S·W − W²/2 pairs per sequence, W − W²/(2S) per token.
    const double W = static_cast<double>(m.sliding_window), S = static_cast<double>(seq_len);
    return full / S * (W - W * W / (2.0 * S));
  }
  return causal ? full / 2.0 : full;
}

FlopsPerToken flops_per_token(const ModelSpec& m, std::int64_t seq_len, bool causal) {
  FlopsPerToken f;
  std::int64_t n = m.hidden * m.vocab;  // the output head (a GEMM even when tied)
  for (std::int64_t l = 0; l < m.layers; ++l) n += layer_matmul_parameters_per_token(m, l);
  f.matmul_parameters = n;
  const double attn_fwd = layer_attention_flops_per_token(m, seq_len, causal);
  f.matmul = 6.0 * static_cast<double>(n);
  f.attention = 3.0 * static_cast<double>(m.layers) * attn_fwd;
  f.total = f.matmul + f.attention;
  f.forward = f.total / 3.0;
  for (std::int64_t l = m.layers; l < m.layers + m.mtp_depth; ++l) {
    f.mtp +=
        6.0 * static_cast<double>(layer_matmul_parameters_per_token(m, l) + m.hidden * m.vocab) +
        3.0 * attn_fwd;
  }
  f.mtp_forward = f.mtp / 3.0;
  return f;
}

double kv_cache_bytes_per_token(const ModelSpec& m, hardware::Dtype dtype) {
  const std::int64_t per_layer = m.attention == AttentionKind::Mla
                                     ? m.mla.kv_lora_rank + m.mla.qk_rope_head_dim
                                     : 2 * m.kv_heads * m.head_dim;
  return static_cast<double>(m.layers * per_layer) * hardware::dtype_bytes(dtype);
}

}  // namespace trainsim::models
