// Per-GPU memory of a pipeline stage.
//
// Model states (Rajbhandari et al., "ZeRO", SC'20 §5; DeepSeek-V3 §3.2.3 and §3.3.3 for the
// dtypes). For parameters P held by a rank and a DP group of G ranks holding the same shard, with
// c parameter copies (DualPipe holds two chunks per rank, V3 Table 2 "2×"):
//   weights          = c·P·b_w   / (ZeRO ≥ 3 ? c·G : 1)
//   gradients        = c·P·b_g   / (ZeRO ≥ 2 ? c·G : 1)
//   master weights   = c·P·b_m   / (ZeRO ≥ 1 ? c·G : 1)
//   Adam moments     = 2·c·P·b_o / (ZeRO ≥ 1 ? c·G : 1)
// The c copies of a chunk live on c different ranks of the pipeline and are reduced like DP
// replicas, so they widen the sharding group to c·G (the per-rank optimizer share does not grow
// with c; the weights and gradients do).
// Who replicates what (derivation). A stage has dp·tp·cp ranks (cp ranks hold the same weights
// and reduce gradients with the DP ranks, as in Megatron-Core). Dense (non-expert) parameters are
// split over TP — attention heads, FFN columns, vocabulary rows; norms, MLA's down-projections
// (q_a, kv_a) and the router are replicated across TP — so each dense shard has G_dense = dp·cp
// replicas. Routed experts are split over EP (E/ep per rank, no TP inside an expert), and the
// dp·tp·cp ranks of the stage form dp·tp·cp/ep EP groups, each holding all experts once: an
// expert shard has G_expert = dp·tp·cp/ep replicas (DeepSeek-V3: 128/64 = 2). Expert TP
// (expert_tp) splits each expert's weights expert_tp ways: E/ep experts of 1/expert_tp each per
// rank, G_expert = dp·tp·cp/(ep·expert_tp); moe.expert_input is the gathered expert_tp·T_e·k·d.
//
// Activations per layer and micro-batch (Korthikanti et al., "Reducing Activation Recomputation
// in Large Transformer Models", MLSys'23 §4, adapted to FlashAttention — no s² score matrix —
// and to MLA and MoE). T = sequences·seq_len/cp tokens on the rank; T_n = T/tp under sequence
// parallelism, else T; T_e = T/tp tokens dispatched by the rank, which receives T_e·k routed
// token copies under balanced routing. Bytes: a = the policy's activation dtype for inputs of
// linear layers (DeepSeek: FP8); h = BF16 (FP32 under an FP32 policy) for norm inputs and the
// latents feeding norms; t = the attention dtype for the attention core's Q, K, V. Terms:
//   attn.norm_input        T_n·d·h      layer input: norm backward and the residual path
//   attn.norm_output       T_n·d·a      input of the QKV / q_a / kv_a projections     [S]
//   attn.q_latent          T·q_c·h      MLA: q_a output, input of q_a_norm
//   attn.q_latent_norm     T·q_c·a      MLA: input of q_b                                [S]
//   attn.kv_latent         T·(c+r)·h    MLA: kv_a output (latent + shared RoPE key)
//   attn.kv_latent_norm    T·c·a        MLA: input of kv_b                               [S]
//   attn.qkv               T·(H_r·d_qk + H_r·d_qk + H_r·d_v)·t (MLA, decompressed) or
//                          T·(H_r + 2·kv_r)·h_d·t (GQA): the attention core's inputs   [S for MLA]
//   attn.core_output       T·H_r·d_v·a  input of o_proj; also FlashAttention's O (V3 caches
//                          it in E5M6; we use the policy's activation dtype)
//   attn.softmax_lse       T·H_r·4      FlashAttention's log-sum-exp per query and head
//   ffn.norm_input         T_n·d·h
//   ffn.norm_output        T_n·d·a      input of the FFN / router / shared experts         [S]
//   ffn.up_output          T·2f_r·a (SwiGLU gate+up) or T·f_r·a (GELU): activation input
//   ffn.act_output         T·f_r·a      input of the down projection                      [S]
//   moe.router_probs       T_e·E·4      FP32 gate scores for the router backward
//   moe.expert_input       T_e·k·d·a    dispatched tokens, input of the experts' gate+up
//   moe.expert_up_output   T_e·k·2f_e·a SwiGLU input (V3 §3.3.3 caches it in FP8)
//   moe.expert_act_output  T_e·k·f_e·a  down-projection input                              [S]
//   moe.shared_up_output   T·2·s·f_e/tp·a, moe.shared_act_output T·s·f_e/tp·a          [S]
// Hidden dropout (hidden_dropout > 0): attn.residual_mask and ffn.residual_mask, T_n·d·1 B each.
// Unfused attention (attention_kernel: unfused) replaces attn.softmax_lse by the score matrix's
// attn.softmax_output B·H_r·S_q·S_kv·t, attn.dropout_mask ×1 B, attn.dropout_output ×t [S]
// (Korthikanti et al. §4, 5as²b). A parallel block (parallel_block) has no ffn.norm_* terms:
// the FFN reads the attention's normalised input.
// [S] = recomputed, hence not cached, under Selective recompute (V3 §3.2.3: every RMSNorm and
// the MLA up-projections; §3.3.3: the MoE SwiGLU output; the same for dense and shared FFNs).
// CoreAttention recompute (Megatron-LM's selective, Korthikanti et al. 2022, selective activation
// recomputation) drops only the unfused attention's softmax output, dropout mask and dropout
// output. Assumption: the gradient of the routing weights is taken as ⟨W_downᵀ·dy, s⟩ from the down
// projection's input gradient and the SwiGLU output, so the experts' outputs are not cached.
// Full recompute keeps only attn.norm_input (the layer's input) per layer. While a layer is back-
// propagated under Selective/Full its recomputed tensors exist once: recompute_workspace = the
// largest (None − kept) difference over the stage's layers.
// MTP module: its layer's terms plus mtp.inputs = 2·T_n·d·h (the two input norms) + T·2d·a (the
// projection input). Head (last stage, and each MTP module's pass through it): head.norm_input
// T_n·d·h, head.input T·d·h, head.logits T·(V/tp)·4 — the FP32 softmax kept by the vocab-
// parallel cross-entropy for its backward (T·(V/tp)·h, the logits, for an online-softmax
// kernel) — for head_in_flight micro-batches (the last stage runs
// a micro-batch's backward right after its forward, so 1 by default).
#include "models/memory.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "models/accounting.hpp"

namespace trainsim::models {

using hardware::Dtype;
using hardware::dtype_bytes;

namespace {

double d(std::int64_t v) {
  return static_cast<double>(v);
}

std::int64_t norm_size(const ModelSpec& m, std::int64_t dim) {
  return m.norm == NormKind::LayerNorm ? 2 * dim : dim;
}

/// Parameters of `layer` replicated (not split) across TP ranks.
std::int64_t tp_replicated(const ModelSpec& m, std::int64_t layer) {
  std::int64_t r = 2 * norm_size(m, m.hidden);
  if (m.attention == AttentionKind::Mla) {
    const auto& a = m.mla;
    if (a.q_lora_rank > 0) r += m.hidden * a.q_lora_rank + norm_size(m, a.q_lora_rank);
    r += m.hidden * (a.kv_lora_rank + a.qk_rope_head_dim) + norm_size(m, a.kv_lora_rank);
  }
  if (m.is_moe_layer(layer)) r += m.hidden * m.moe.routed_experts;
  if (layer >= m.layers) r += 3 * norm_size(m, m.hidden);
  return r;
}

struct Bytes {
  double a, h, t;
};

Bytes bytes_of(const OpListContext& c) {
  const Dtype hp = c.precision.gemm == Dtype::FP8 ? Dtype::BF16 : c.precision.gemm;
  return {dtype_bytes(c.precision.activations), dtype_bytes(hp),
          dtype_bytes(c.precision.attention)};
}

void add(std::vector<ActivationTerm>& out, const char* name, double bytes) {
  out.push_back({name, bytes});
}

/// The layer's activation terms; `selective` drops the [S] ones (Recompute::Selective),
/// `core_attention` only the unfused attention's score-sized ones (Recompute::CoreAttention).
std::vector<ActivationTerm> all_terms(const ModelSpec& m, std::int64_t layer,
                                      const OpListContext& c, bool selective,
                                      bool core_attention = false) {
  std::vector<ActivationTerm> out;
  const auto [a, h, t] = bytes_of(c);
  const double T = d(tokens_per_rank(c));
  const double Tn = c.sequence_parallel ? T / c.tp : T;
  const double D = d(m.hidden);
  const std::int64_t Hr = m.heads / c.tp;
  add(out, "attn.norm_input", Tn * D * h);
  if (!selective) add(out, "attn.norm_output", Tn * D * a);
  std::int64_t dv = m.head_dim;
  if (m.attention == AttentionKind::Mla) {
    const auto& x = m.mla;
    const std::int64_t dqk = x.qk_nope_head_dim + x.qk_rope_head_dim;
    dv = x.v_head_dim;
    if (x.q_lora_rank > 0) {
      add(out, "attn.q_latent", T * d(x.q_lora_rank) * h);
      if (!selective) add(out, "attn.q_latent_norm", T * d(x.q_lora_rank) * a);
    }
    add(out, "attn.kv_latent", T * d(x.kv_lora_rank + x.qk_rope_head_dim) * h);
    if (!selective) {
      add(out, "attn.kv_latent_norm", T * d(x.kv_lora_rank) * a);
      add(out, "attn.qkv", T * d(Hr * (2 * dqk + dv)) * t);
    }
  } else {
    std::int64_t kvr = std::max<std::int64_t>(1, m.kv_heads / c.tp);
    // Ulysses caches the head-sharded K/V of the full sequence: kv heads fewer than cp replicate.
    if (c.cp > 1 && c.cp_kind == CpKind::Ulysses) kvr = std::max<std::int64_t>(kvr, c.cp);
    add(out, "attn.qkv", T * d((Hr + 2 * kvr) * m.head_dim) * t);
  }
  add(out, "attn.core_output", T * d(Hr * dv) * a);
  if (m.attention_kernel == AttentionKernel::Unfused) {
    // Korthikanti et al. 2022 §4: softmax output 2as²b, dropout mask as²b, dropout output 2as²b
    // (a = heads on the rank, s²·b = the S_q × S_kv score matrix of each of the b sequences);
    // recomputed, hence not cached, under Selective and CoreAttention recompute (their selective
    // recomputation).
    if (!selective && !core_attention) {
      const double scores =
          d(c.sequences) * d(Hr) * d(c.seq_len / c.cp) * d(c.seq_len);  // elements
      add(out, "attn.softmax_output", scores * t);
      add(out, "attn.dropout_mask", scores * 1.0);
      add(out, "attn.dropout_output", scores * t);
    }
  } else {
    add(out, "attn.softmax_lse", T * d(Hr) * 4.0);
  }
  if (!m.parallel_block) add(out, "ffn.norm_input", Tn * D * h);
  if (!selective && !m.parallel_block) add(out, "ffn.norm_output", Tn * D * a);
  const double up = m.activation == FfnActivation::SwiGlu ? 2.0 : 1.0;
  if (!m.is_moe_layer(layer)) {
    const double fr = d(m.ffn_dim / c.tp);
    add(out, "ffn.up_output", T * up * fr * a);
    if (!selective) add(out, "ffn.act_output", T * fr * a);
  } else {
    const auto& e = m.moe;
    const double Te = d(moe_tokens_per_rank(c));
    const double routed = Te * d(e.experts_per_token);
    add(out, "moe.router_probs", Te * d(e.routed_experts) * 4.0);
    // Expert TP: the gathered expert_tp·T_e·k tokens on f_e/expert_tp columns.
    add(out, "moe.expert_input", d(c.expert_tp) * routed * D * a);
    add(out, "moe.expert_up_output", routed * up * d(e.expert_ffn_dim) * a);
    if (!selective) add(out, "moe.expert_act_output", routed * d(e.expert_ffn_dim) * a);
    if (e.shared_experts > 0) {
      const double fs = d(e.shared_experts * e.expert_ffn_dim / c.tp);
      add(out, "moe.shared_up_output", T * up * fs * a);
      if (!selective) add(out, "moe.shared_act_output", T * fs * a);
    }
  }
  if (m.hidden_dropout > 0) {
    // The bias-dropout-add's 1 B mask per dropped sub-layer output (attention and FFN, in a
    // parallel block too), read by its backward (Korthikanti et al. 2022 §4: sbh per dropout).
    add(out, "attn.residual_mask", Tn * D);
    add(out, "ffn.residual_mask", Tn * D);
  }
  if (layer >= m.layers) add(out, "mtp.inputs", 2.0 * Tn * D * h + T * 2.0 * D * a);
  return out;
}

double sum(const std::vector<ActivationTerm>& v) {
  double s = 0;
  for (const auto& x : v) s += x.bytes;
  return s;
}

/// Head activations of one micro-batch.
double head_bytes(const ModelSpec& m, const OpListContext& c) {
  const auto [a, h, t] = bytes_of(c);
  (void)a;
  (void)t;
  const double T = d(tokens_per_rank(c));
  const double Tn = c.sequence_parallel ? T / c.tp : T;
  // The softmax kept for backward: FP32, or the logits themselves for an online-softmax kernel.
  const double kept = c.cross_entropy == CrossEntropyKernels::OnlineSoftmax ? h : 4.0;
  return Tn * d(m.hidden) * h + T * d(m.hidden) * h + T * d(m.vocab / c.tp) * kept;
}

}  // namespace

std::vector<ActivationTerm> layer_activation_terms(const ModelSpec& m, std::int64_t layer,
                                                   const OpListContext& ctx) {
  if (ctx.recompute == Recompute::Full) {
    const auto [a, h, t] = bytes_of(ctx);
    (void)a;
    (void)t;
    const double T = d(tokens_per_rank(ctx));
    const double Tn = ctx.sequence_parallel ? T / ctx.tp : T;
    return {{"attn.norm_input", Tn * d(m.hidden) * h}};
  }
  return all_terms(m, layer, ctx, ctx.recompute == Recompute::Selective,
                   ctx.recompute == Recompute::CoreAttention);
}

double layer_activation_bytes(const ModelSpec& m, std::int64_t layer, const OpListContext& ctx) {
  return sum(layer_activation_terms(m, layer, ctx));
}

OpListContext op_list_context(const ParallelPlan& plan, const PrecisionPolicy& precision,
                              std::int64_t seq_len, int gpus_per_node) {
  OpListContext c;
  c.sequences = plan.micro_batch;
  c.seq_len = seq_len;
  c.tp = plan.tp;
  c.ep = plan.ep;
  c.cp = plan.cp;
  c.expert_tp = plan.expert_tp;
  c.cp_kind = plan.cp_kind;
  c.sequence_parallel = plan.sequence_parallel;
  c.precision = precision;
  c.recompute = plan.recompute;
  c.gpus_per_node = gpus_per_node;
  c.grad_accumulation_fusion = plan.grad_accumulation_fusion;
  c.cross_entropy = plan.cross_entropy;
  c.bias_fusion = plan.bias_fusion;
  c.norm_backward_split = plan.norm_backward_split;
  c.tp_backward_overlap = plan.tp_backward_overlap;
  c.tp_comm_overlap = plan.tp_comm_overlap;
  c.tp_overlap = plan.tp_overlap;
  return c;
}

MemoryBreakdown stage_states(const ModelSpec& m, const ParallelPlan& plan,
                             const PrecisionPolicy& precision, const StageMemoryInput& in) {
  const OpListContext c = op_list_context(plan, precision, in.seq_len, in.gpus_per_node);
  if (auto p = op_list_problem(m, c); !p.empty()) {
    throw ModelError(fmt::format("cannot size the memory of '{}': {}", m.name, p));
  }
  if (in.layers.first < 0 || in.layers.last > m.layers + m.mtp_depth ||
      in.layers.first > in.layers.last) {
    throw ModelError(fmt::format(
        "layer range [{}, {}) is outside '{}' (layers 0..{}{})", in.layers.first, in.layers.last,
        m.name, m.layers - 1,
        m.mtp_depth > 0 ? fmt::format(", MTP {}..{}", m.layers, m.layers + m.mtp_depth - 1)
                        : std::string()));
  }
  if (in.in_flight_micro_batches < 1 || in.parameter_copies < 1 ||
      in.head_in_flight_micro_batches < 0 || plan.zero < 0 || plan.zero > 3 || plan.dp < 1) {
    throw ModelError(fmt::format(
        "invalid memory input: in_flight_micro_batches {} and parameter_copies {} must be >= 1, "
        "head_in_flight_micro_batches {} >= 0, zero {} in 0..3, dp {} >= 1",
        in.in_flight_micro_batches, in.parameter_copies, in.head_in_flight_micro_batches, plan.zero,
        plan.dp));
  }
  MemoryBreakdown r;
  r.dense_dp_group = plan.dp * plan.cp;
  const std::int64_t stage_ranks = static_cast<std::int64_t>(plan.dp) * plan.tp * plan.cp;
  r.expert_dp_group =
      static_cast<int>(std::max<std::int64_t>(1, stage_ranks / (plan.ep * plan.expert_tp)));

  // Parameters held per copy.
  const auto counts = count_parameters(m);
  double dense = 0, experts = 0;
  for (std::int64_t l = in.layers.first; l < in.layers.last; ++l) {
    const std::int64_t routed = layer_routed_expert_parameters(m, l);
    const std::int64_t repl = tp_replicated(m, l);
    dense += d(layer_parameters(m, l) - routed - repl) / plan.tp + d(repl);
    experts += d(routed) / plan.ep / plan.expert_tp;
  }
  if (in.embedding) dense += d(counts.embedding) / plan.tp;
  if (in.head) {
    // A tied head reads the embedding table; a separate stage needs its own copy.
    const std::int64_t head =
        m.tied_embeddings ? (in.embedding ? 0 : counts.embedding) : counts.head;
    dense += d(head) / plan.tp + d(counts.final_norm);
  }
  r.dense_parameters = dense;
  r.expert_parameters = experts;

  const double copies = in.parameter_copies;
  const auto state = [&](double bytes_per_param, int min_zero) {
    const double shard_dense = plan.zero >= min_zero ? copies * r.dense_dp_group : 1.0;
    const double shard_expert = plan.zero >= min_zero ? copies * r.expert_dp_group : 1.0;
    return copies * bytes_per_param * (dense / shard_dense + experts / shard_expert);
  };
  r.weights = state(dtype_bytes(precision.weights), 3);
  r.gradients = state(dtype_bytes(precision.grads), 2);
  r.master_weights = state(dtype_bytes(precision.master_weights), 1);
  r.optimizer_moments = state(2.0 * dtype_bytes(precision.optimizer_moments), 1);
  return r;
}

MemoryBreakdown stage_memory(const ModelSpec& m, const ParallelPlan& plan,
                             const PrecisionPolicy& precision, const StageMemoryInput& in) {
  MemoryBreakdown r = stage_states(m, plan, precision, in);
  const OpListContext c = op_list_context(plan, precision, in.seq_len, in.gpus_per_node);

  // Activations.
  double per_mb = 0, workspace = 0;
  for (std::int64_t l = in.layers.first; l < in.layers.last; ++l) {
    const double kept = layer_activation_bytes(m, l, c);
    per_mb += kept;
    if (c.recompute != Recompute::None) {
      workspace = std::max(workspace, sum(all_terms(m, l, c, false)) - kept);
    }
  }
  r.activations_per_micro_batch = per_mb;
  r.activations = per_mb * in.in_flight_micro_batches;
  r.recompute_workspace = workspace;
  std::int64_t head_passes = in.head ? 1 : 0;
  for (std::int64_t l = std::max(in.layers.first, m.layers); l < in.layers.last; ++l) ++head_passes;
  r.head_activations = d(head_passes) * head_bytes(m, c) * in.head_in_flight_micro_batches;
  return r;
}

}  // namespace trainsim::models
