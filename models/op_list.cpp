// Per-layer op lists for one rank and one micro-batch.
//
// Notation: T = sequences·seq_len/cp tokens on the rank; T_n = T/tp under sequence parallelism
// (norms, residuals) else T; d = hidden; H_r = heads/tp; kv_r = max(1, kv_heads/tp); T_e = T/tp
// tokens entering the MoE dispatch; E_r = routed_experts/ep local experts; m_e = mean tokens per
// local expert (balanced: T_e·ep·k/E).
//
// GEMM [m,k]×[k,n] (Narayanan et al. SC'21 §3): forward 2mnk FLOP; backward-for-input (dgrad,
// dX = dY·Wᵀ) and backward-for-weight (wgrad, dW = Xᵀ·dY) 2mnk each, so a GEMM's backward is
// exactly 2× its forward. Ideal HBM bytes = inputs read once + output written once: (mk + kn)·b_in
// + mn·b_out, b_out = 2 (BF16) for FP8/BF16 math, 4 for FP32; wgrad writes FP32-accumulated (the
// policy's grads dtype) weight gradients. Without gradient accumulation fusion it writes b_out
// and a `.accumulate` kernel adds them into the buffer, reading b_out + g and writing g bytes per
// weight (g = the grads dtype's size) every micro-batch.
// Attention core (Dao, FlashAttention-2, 2023 §3.1): forward 2·B·H_r·(d_qk + d_v)·S_q·S_kv, halved
// when causal (the accounting's S/2 per token); backward 2.5× forward (five matmuls — QKᵀ
// recomputed, dV, dP, dQ, dK — against the forward's two); bytes: Q, K, V, O (+ dO, dQ, dK, dV).
// Under CP each rank attends its S/cp queries to the full gathered K/V (Llama 3 §3.3.2, load-
// balanced causal chunks), so its FLOPs are 1/cp of the sequence's. Ulysses (cp_kind ulysses,
// DeepSpeed-Ulysses arXiv 2309.14509 §3): the core runs the full S on H_r/cp heads (the same
// FLOPs), between an all-to-all of Q, K, V (sequence → head sharding) and one of the output
// (head → sequence), each transposed in backward: with MHA the four tensors are T·d each, so a
// layer moves 4·(cp−1)/cp·T·d·b off each rank forward and as much backward (the paper's 4Nh/P).
// Memory-bound ops (FLOP counts are nominal; the cost model times them by bytes): RMSNorm/
// LayerNorm 4 FLOP per element forward, 8 backward; SwiGLU 4 per output element; GELU 8; RoPE
// 3 per rotated element; residual add 1; FP8 quantize 2 (abs-max, scale); softmax cross-entropy
// 5 per logit forward, 2 backward, over the kernels of the scenario's implementation
// (CrossEntropyKernels, Builder::cross_entropy: from h + 36 B forward and 12 + h B backward per
// logit for Megatron-LM's eager FP32 ops down to h and 2h for an online-softmax kernel).
// MoE (DeepSeek-V3 §3.2.2, §3.3): router GEMM T_e·d·E in BF16 with top-k; FP8 quantize of the
// dispatch payload when the policy dispatches in FP8; Dispatch sends each token once per
// destination (node when EP spans nodes, else rank): T_e·ν·d·payload bytes; permute into
// expert-contiguous order; GroupedGemm gate+up (E_r groups × m_e × 2f_e × d), SwiGLU, down
// (E_r × m_e × d × f_e); unpermute; Combine back in BF16 (the policy's combine dtype); weighted
// sum of the k expert outputs. Shared experts run as a dense SwiGLU FFN on the source rank. In the
// backward pass the roles swap: the combine's gradient goes out as a Dispatch (V3 quantizes the
// gradient before the down projection to FP8, i.e. the dispatch dtype) and the dispatch's
// gradient comes back as a Combine (BF16).
// Expert TP (Megatron-Core expert_tensor_parallel_size; the expert-TP group is expert_tp
// consecutive ranks of a node, the TP group when expert_tp = tp): f_e/expert_tp columns per
// rank, m_e × expert_tp tokens per local expert, an all-gather of the received tokens over the
// expert-TP group before the experts and a reduce-scatter after the down projection (transposed
// in backward), each on the gathered expert_tp·T_e·k·d tensor; expert FLOPs per rank unchanged.
// Their names carry "etp_", which the step simulator runs over the expert-TP group.
// TP (Shoeybi et al. 2019; Korthikanti et al. 2022 for SP): an all-reduce of T·d after the
// attention output projection and after the FFN down projection (forward), and after the first
// GEMMs' dgrads (backward); under SP each becomes a reduce-scatter and an all-gather precedes
// the QKV and FFN input GEMMs. TpCollective bytes = the full T·d BF16 tensor of the rank; the
// algorithm (all-reduce vs RS/AG) is in the op name. CP: K/V all-gather before the attention
// core (bytes = the gathered K/V, BF16) and a reduce-scatter of dK/dV in backward.
// Recompute (see training_plan.hpp): Selective re-runs norms, activation functions, and MLA's
// up-projections (q_b, kv_b) before the layer's backward (V3 §3.2.3); CoreAttention re-runs only
// the attention core (the unfused QKᵀ, softmax, dropout and ·V, or the fused kernel: Megatron-LM's
// selective recomputation, Korthikanti et al. 2022, selective activation recomputation); Full
// re-runs every forward op of the transformer layer, communication included, but not the embedding,
// final norm, head and loss around the layers (Megatron-LM checkpoints only the transformer layers:
// ParallelTransformer._checkpointed_forward, megatron/model/transformer.py @de7dc40f88).
// Recomputed ops head the backward_input list.
// Dtypes: linear layers (attention projections, dense and expert FFNs, MTP projection) use the
// policy's gemm dtype; attention core the policy's attention dtype; norms, router, embedding, head
// and loss stay in BF16 (V3 §3.3.1 keeps them in higher precision), or FP32 under an FP32 policy.
// FP8 casts (one kernel each, OpKind::Quantize, memory-bound; x = the GEMM input's M·K elements,
// y = its output's M·N, t = 1 + 4/128 B per FP8 element with a 1×128 tile's FP32 scale):
//  - fp8-deepseek-v3 (V3 §3.3.2, fine-grained): forward `.quantize` x·(2 + t) (skipped when the
//    input is already FP8, e.g. the dispatched tokens); backward `.grad_quantize` y·(2 + 2t), one
//    kernel writing dy row-wise for the dgrad and transposed (tiles along tokens) for the wgrad;
//    an FP8 dy (the gradient dispatched back to the expert down-projection, V3 §3.3.3) needs only
//    `.grad_transpose_quantize` y·2t in the W pass; the wgrad's cached input is re-quantised
//    transposed, `.input_transpose_quantize` x·(t + t) when activations are cached in FP8 else
//    x·(2 + t). The MoE SwiGLU input is cached in FP8 (V3 §3.3.3): `.cast_back` to BF16 before
//    its backward, 2·(expert outputs)·(t + 2). The combine's output gradient is quantised before
//    it is dispatched back (`moe.combine.grad_quantize`, T_e·d·(2 + t)).
//  - fp8 (Transformer Engine, per-tensor delayed scaling): a cast-transpose kernel per GEMM input
//    x·(2 + 1 + 1) + 8 and per output gradient y·(2 + 1 + 1) + 8 (FP8 tensor, its transpose for the
//    wgrad, a 4 B scale-inverse and a 4 B amax); no re-quantisation in the W pass.
//  - Weights: cast once per optimizer step, not per micro-batch (Megatron/TE cache them over the
//    micro-batches of a step; DeepSeek's profiler trace of a V3 chunk pair shows no weight casts),
//    see weight_cast_ops(). Memory: the FP8 copies (W and Wᵀ, ≈ 2 B per parameter) are taken to
//    stand in for the 2 B working copy the memory model counts — an assumption, not modelled.
// Optimizer step (optimizer_ops): per shard parameter the gradient norm reads g; AdamW reads g,
// master, m, v and writes master, m, v and the working weight: g + 2·b_master + 4·b_moment + b_w
// bytes (4 + 8 + 8 + 2 = 22 B for V3's FP32 master/grad and BF16 moments, 4 + 8 +
// 16 + 2 = 30 B for BF16 mixed precision with FP32 moments); the local gradient buffer is zeroed.
// FP16 (loss-scaled) gradients are first copied into FP32 (g + 4 B) and unscaled with an inf/NaN
// check (8 B), and the norm and AdamW read the FP32 copies: 2 + 4 + 8 + (4 + 8 + 16 + 2) = 44 B
// with FP32 master and moments and FP16 weights, against 2 + (2 + 8 + 16 + 2) = 30 B had they
// read the FP16 gradients.
#include "models/op_list.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "models/te_fp8_casts.hpp"
#include "models/tp_overlap_ops.hpp"

namespace trainsim::models {

using hardware::Dtype;

namespace detail {

double bytes_of(Dtype d) {
  return hardware::dtype_bytes(d);
}
double out_bytes(Dtype d) {
  return std::max(2.0, bytes_of(d));
}
double as_d(std::int64_t v) {
  return static_cast<double>(v);
}

/// BF16 unless the policy computes linear layers in FP32/TF32/FP16 (then that dtype).
Dtype high_precision(const PrecisionPolicy& p) {
  return p.gemm == Dtype::FP8 ? Dtype::BF16 : p.gemm;
}

/// Query-key pairs a causal sequence of S tokens computes, S²/2 (the accounting's convention),
/// or S·W − W²/2 when each query attends at most `window` keys (0 = no window).
double causal_pairs(std::int64_t seq_len, std::int64_t window) {
  const double S = as_d(seq_len);
  if (window <= 0 || window >= seq_len) return S * S / 2.0;
  const double W = as_d(window);
  return S * W - W * W / 2.0;
}

/// One forward op with the backward ops it causes, and whether Selective recompute re-runs it.
struct Entry {
  Op fwd;
  std::vector<Op> bwd_pre;  ///< backward collectives issued before bwd_in (overlapped with it)
  std::vector<Op> bwd_in;
  std::vector<Op> bwd_comm;  ///< backward collectives issued after bwd_in, beside bwd_w
  std::vector<Op> bwd_w;
  bool selective = false;
  /// Outside the checkpointed transformer layer (embedding, final norm, head and loss): Full
  /// recompute does not re-run it (Megatron-LM checkpoints the transformer layers only).
  bool outside_layer = false;
  /// Part of the attention core (QKᵀ, softmax, dropout, ·V, or a fused kernel): what
  /// Recompute::CoreAttention re-runs.
  bool core_attention = false;
};

class Builder {
 public:
  Builder(const ModelSpec& m, const OpListContext& c, std::int64_t layer, std::string prefix)
      : m_(m), c_(c), layer_(layer), prefix_(std::move(prefix)) {
    T_ = tokens_per_rank(c);
    Tn_ = c.sequence_parallel ? T_ / c.tp : T_;
    hp_ = high_precision(c.precision);
    grad_bytes_ = bytes_of(c.precision.grads);
    fp8_ = fp8_scaling(c.precision);
  }

  std::int64_t T() const { return T_; }
  std::int64_t Tn() const { return Tn_; }
  Dtype hp() const { return hp_; }

  Op make(const std::string& name, OpKind kind, Pass pass, Dtype dtype, double flops,
          double bytes) const {
    Op op;
    op.name = prefix_ + name;
    op.kind = kind;
    op.pass = pass;
    op.dtype = dtype;
    op.flops = flops;
    op.bytes = bytes;
    return op;
  }

  /// A (grouped) GEMM [m,k]×[k,n] per group with its dgrad and wgrad.
  /// `rows` may be fractional (a mean over experts); the shape rounds it, the FLOPs do not.
  void gemm(const std::string& name, std::int64_t groups, double rows, std::int64_t n,
            std::int64_t k, Dtype dtype, bool selective = false, bool needs_dgrad = true) {
    const OpKind kind = groups > 1 || grouped_ ? OpKind::GroupedGemm : OpKind::Gemm;
    const auto m = static_cast<std::int64_t>(std::llround(rows));
    const double g = as_d(groups), M = rows, N = as_d(n), K = as_d(k);
    const double b = bytes_of(dtype), o = out_bytes(dtype);
    const bool fp8 = dtype == Dtype::FP8 && fp8_ != Fp8Scaling::None;
    const bool input_fp8 = std::exchange(input_fp8_, false);
    const bool grad_fp8 = std::exchange(grad_fp8_, false);
    Entry e;
    e.selective = selective;
    if (fp8) fp8_casts(name, g * M * K, g * M * N, input_fp8, grad_fp8, needs_dgrad, selective, e);
    e.fwd = make(name, kind, Pass::Forward, dtype, 2 * g * M * N * K,
                 g * ((M * K + K * N) * b + M * N * o));
    e.fwd.gemm = {m, n, k, groups};
    if (needs_dgrad) {
      Op dg = make(name + ".dgrad", kind, Pass::BackwardInput, dtype, 2 * g * M * N * K,
                   g * ((M * N + N * K) * b + M * K * o));
      dg.gemm = {m, k, n, groups};
      e.bwd_in.push_back(std::move(dg));
    }
    // Fused accumulation: the GEMM writes the gradient buffer (grads dtype). Unfused: it writes
    // a fresh gradient in its output dtype, and a kernel adds it into the buffer.
    const bool fused = c_.grad_accumulation_fusion;
    Op wg = make(name + ".wgrad", kind, Pass::BackwardWeight, dtype, 2 * g * M * N * K,
                 g * ((K * M + M * N) * b + K * N * (fused ? grad_bytes_ : o)));
    wg.gemm = {k, n, m, groups};
    e.bwd_w.push_back(std::move(wg));
    if (!fused) e.bwd_w.push_back(accumulate(name + ".wgrad", g * K * N, o));
    if (pending_gather_) attach_gather_backward(e);
    entries_.push_back(std::move(e));
  }

  /// tp_backward_overlap: the first GEMM after tp_gather() takes over the gather's backward as
  /// Megatron-LM's LinearWithGradAccumulationAndAsyncCommunication.backward runs it: under
  /// sequence parallelism the input (kept sharded) is all-gathered again beside the dgrad GEMM
  /// (`.tp_all_gather.bwd_input`, the forward gather's bytes); the input gradient is then
  /// reduce-scattered (all-reduced without SP) beside the wgrad GEMM, and what follows the
  /// GEMM's backward waits for it (finish()). GEMMs sharing the gathered input (MLA's two
  /// down-projections, a parallel block's FFN) are earlier in backward order, so their input
  /// gradients are in the reduction; their weight gradients are priced as if the re-gathered
  /// input were already there.
  void attach_gather_backward(Entry& e) {
    Entry& gather = entries_[pending_gather_->entry];
    const std::string where = pending_gather_->where;
    pending_gather_.reset();
    if (gather.bwd_in.empty()) return;
    Op reduce = std::move(gather.bwd_in.back());
    gather.bwd_in.pop_back();
    reduce.overlapped = true;
    if (c_.sequence_parallel) {
      Op again = make(where + ".tp_all_gather.bwd_input", OpKind::TpCollective, Pass::BackwardInput,
                      reduce.dtype, 0, reduce.bytes);
      again.overlapped = true;
      e.bwd_pre.push_back(std::move(again));
    }
    e.bwd_comm.push_back(std::move(reduce));
  }

  /// Unfused gradient accumulation of `params` weight-gradient elements written in `in_bytes`
  /// each: buffer += gradient, reading both and writing the buffer (1 FLOP per element).
  Op accumulate(const std::string& wgrad_name, double params, double in_bytes) const {
    return make(wgrad_name + ".accumulate", OpKind::Elementwise, Pass::BackwardWeight,
                c_.precision.grads, params, params * (in_bytes + 2 * grad_bytes_));
  }

  /// The next gemm()'s input arrives already quantised (1×128 FP8, e.g. after an FP8 dispatch).
  void next_input_fp8() { input_fp8_ = true; }
  /// The next gemm()'s output gradient arrives already quantised (V3 §3.3.3: before the MoE
  /// down-projection the gradient is dispatched in FP8).
  void next_grad_fp8() { grad_fp8_ = true; }

  /// FP8 casts around one GEMM with x = `ex` input elements and y = `ey` output elements (see
  /// the file comment): a forward quantize entry pushed before the GEMM, and the gradient and
  /// transposed casts put ahead of the GEMM's own backward ops in `gemm_entry`.
  void fp8_casts(const std::string& name, double ex, double ey, bool input_fp8, bool grad_fp8,
                 bool needs_dgrad, bool selective, Entry& gemm_entry) {
    const double bf = bytes_of(hp_);
    auto q = [&](const std::string& suffix, Pass pass, double elements, double bytes) {
      return make(name + suffix, OpKind::Quantize, pass, hp_, 2 * elements, bytes);
    };
    Entry fq;
    fq.selective = selective;
    if (fp8_ == Fp8Scaling::Tile128) {
      const double t = fp8_bytes_per_element(128);  // 1 B + a 4 B scale per 1×128 tile
      // Forward: x (BF16) → FP8 with 1×128 scales along K.
      if (!input_fp8) fq.fwd = q(".quantize", Pass::Forward, ex, ex * (bf + t));
      // Backward: dy (BF16) → FP8 row-wise for the dgrad and transposed (tiles along the token
      // dimension) for the wgrad, one kernel reading dy once. An FP8 dy needs only the transpose.
      if (needs_dgrad && !grad_fp8) {
        gemm_entry.bwd_in.push_back(
            q(".grad_quantize", Pass::BackwardInput, ey, ey * (bf + 2 * t)));
      } else {
        const double in = grad_fp8 ? t : bf;
        gemm_entry.bwd_w.push_back(
            q(".grad_transpose_quantize", Pass::BackwardWeight, ey, ey * (in + t)));
      }
      // Weight gradient: the cached input (FP8 when activations are cached in FP8 or it arrived
      // in FP8, else BF16) re-quantised with tiles along the token dimension.
      const bool x_fp8 = input_fp8 || c_.precision.activations == Dtype::FP8;
      gemm_entry.bwd_w.push_back(
          q(".input_transpose_quantize", Pass::BackwardWeight, ex, ex * ((x_fp8 ? t : bf) + t)));
    } else {
      // Transformer Engine (per-tensor delayed scaling): one cast-transpose kernel writes the FP8
      // tensor and its transpose (the wgrad operand) with the previous steps' scale; a 4 B
      // scale-inverse and a 4 B amax per tensor. dy likewise in backward.
      const double in_x = input_fp8 ? 1.0 : bf;
      fq.fwd = q(".quantize", Pass::Forward, ex, ex * (in_x + 2.0) + 8.0);
      const double in_y = grad_fp8 ? 1.0 : bf;
      Op gq = q(".grad_quantize", needs_dgrad ? Pass::BackwardInput : Pass::BackwardWeight, ey,
                ey * (in_y + 2.0) + 8.0);
      if (needs_dgrad) {
        gemm_entry.bwd_in.push_back(std::move(gq));
      } else {
        gemm_entry.bwd_w.push_back(std::move(gq));
      }
    }
    if (!fq.fwd.name.empty()) entries_.push_back(std::move(fq));
  }

  /// Makes the last entry's first backward op an FP8 → BF16 cast of its cached input (V3
  /// §3.3.3 caches the SwiGLU input of the MoE in FP8 and recomputes from it).
  void cast_back_last(double elements) {
    if (fp8_ != Fp8Scaling::Tile128 || c_.precision.activations != Dtype::FP8) return;
    const double bytes = elements * (fp8_bytes_per_element(128) + bytes_of(hp_));
    Entry& e = entries_.back();
    e.bwd_in.insert(e.bwd_in.begin(),
                    make(e.fwd.name.substr(prefix_.size()) + ".cast_back", OpKind::Quantize,
                         Pass::BackwardInput, hp_, elements, bytes));
  }

  Fp8Scaling fp8() const { return fp8_; }
  /// Ulysses context parallelism in force (cp > 1 and cp_kind Ulysses).
  bool ulysses() const { return c_.cp > 1 && c_.cp_kind == CpKind::Ulysses; }

  /// A memory-bound op over `elements` outputs: forward f_fwd FLOP and `rw` tensors of
  /// `elements` moved per element; backward f_bwd FLOP and rw_bwd tensors.
  void pointwise(const std::string& name, OpKind kind, double elements, double f_fwd, double rw,
                 double f_bwd, double rw_bwd, Dtype dtype, bool selective) {
    const double b = bytes_of(dtype);
    Entry e;
    e.selective = selective;
    e.fwd = make(name, kind, Pass::Forward, dtype, f_fwd * elements, rw * elements * b);
    if (f_bwd > 0 || rw_bwd > 0) {
      e.bwd_in.push_back(make(name + ".bwd", kind, Pass::BackwardInput, dtype, f_bwd * elements,
                              rw_bwd * elements * b));
    }
    entries_.push_back(std::move(e));
  }

  /// The residual add closing a sub-layer over `elements`: `f_fwd` FLOP and `rw` tensors per
  /// element (x and the residual read, the sum written: 1 and 3). With hidden dropout (Megatron-
  /// LM's fused bias-dropout-add) each of the `dropped` sub-layer outputs also draws and scales
  /// (2 FLOP) and writes a 1 B mask; the backward reads dy and the mask and writes dx for each
  /// (the residual's own gradient passes through). No dropout: no backward kernel.
  void residual(const std::string& name, double elements, double f_fwd, double rw, double dropped) {
    const double mask = 1.0 / bytes_of(hp_);  // a 1 B mask, in hp tensors
    if (m_.hidden_dropout > 0) {
      pointwise(name, OpKind::Elementwise, elements, f_fwd + 2 * dropped, rw + dropped * mask,
                dropped, dropped * (2 + mask), hp_, false);
    } else {
      pointwise(name, OpKind::Elementwise, elements, f_fwd, rw, 0, 0, hp_, false);
    }
  }

  /// Without bias fusion (OpListContext::bias_fusion), the gradient of the bias of the GEMM
  /// `gemm_name`, whose output is `rows` × `cols` where the bias is added: a reduction over the
  /// rows reading the output gradient (rows·cols·h B) and writing cols gradient elements, 1 FLOP
  /// per element, in the weight-gradient pass of the last entry. With `own_add` the forward
  /// also adds the bias by its own kernel after the GEMM (reading and writing the output, 2·h B
  /// per element; its gradient is the same reduction). Nothing with bias fusion.
  void bias(const std::string& gemm_name, double rows, std::int64_t cols, bool own_add) {
    if (c_.bias_fusion) return;
    const double h = bytes_of(hp_), e = rows * as_d(cols);
    Op grad = make(gemm_name + ".bias_grad", OpKind::Elementwise, Pass::BackwardWeight, hp_, e,
                   e * h + as_d(cols) * grad_bytes_);
    if (own_add) {
      Entry add;
      add.fwd =
          make(gemm_name + ".bias_add", OpKind::Elementwise, Pass::Forward, hp_, e, 2 * e * h);
      add.bwd_w.push_back(std::move(grad));
      entries_.push_back(std::move(add));
    } else {
      entries_.back().bwd_w.push_back(std::move(grad));
    }
  }

  /// Softmax cross-entropy over `E` logits (tokens × vocab/tp), one op per kernel of the
  /// implementation (CrossEntropyKernels; h = the logits' dtype size, f = 4 B FP32), 5 FLOP per
  /// logit forward and 2 backward in all:
  ///  - Unfused: .cast (h + f), .max (f), .sub (2f), .exp (2f), .sum (f), .div (2f) forward;
  ///    backward .bwd (2f, the multiply by the output gradient) then .cast.bwd (f + h) — the
  ///    FP32 copy's gradient cast back;
  ///  - Fused: .max (h + f, the cast fused in), .exp (2f, subtract, exp and sum), .div (2f);
  ///    backward one kernel, f + f + h (read the softmax, write it back updated, write dx);
  ///  - OnlineSoftmax: forward one read, h; backward the gradient in place, 2h.
  void cross_entropy(double E) {
    const double h = bytes_of(hp_), f = 4;
    const std::string n = "head.loss";
    auto fwd = [&](const std::string& suffix, double flop, double bytes) {
      Entry e;
      e.fwd = make(n + suffix, OpKind::Loss, Pass::Forward, Dtype::FP32, flop * E, bytes * E);
      entries_.push_back(std::move(e));
    };
    auto bwd = [&](const std::string& suffix, double flop, double bytes) {
      entries_.back().bwd_in.push_back(
          make(n + suffix, OpKind::Loss, Pass::BackwardInput, Dtype::FP32, flop * E, bytes * E));
    };
    switch (c_.cross_entropy) {
      case CrossEntropyKernels::Unfused:
        fwd(".cast", 0, h + f);
        bwd(".cast.bwd", 0, f + h);
        fwd(".max", 1, f);
        fwd(".sub", 1, 2 * f);
        fwd(".exp", 1, 2 * f);
        fwd(".sum", 1, f);
        fwd("", 1, 2 * f);  // the division by the sum: the softmax kept for backward
        bwd(".bwd", 2, 2 * f);
        break;
      case CrossEntropyKernels::Fused:
        fwd(".max", 1, h + f);
        fwd(".exp", 3, 2 * f);
        fwd("", 1, 2 * f);
        bwd(".bwd", 2, 2 * f + h);
        break;
      case CrossEntropyKernels::OnlineSoftmax:
        fwd("", 5, h);
        bwd(".bwd", 2, 2 * h);
        break;
    }
  }

  void norm(const std::string& name, std::int64_t tokens, std::int64_t dim) {
    // Forward reads x, writes y; backward reads x, dy, writes dx (weight grad reduced in-kernel).
    // Split backward: the gamma/beta gradients are their own kernel first, reading x and dy
    // again (2 tensors, 2 FLOP per element; the per-block partial sums are negligible).
    const double e = as_d(tokens) * as_d(dim);
    pointwise(name, OpKind::Norm, e, 4, 2, 8, 3, hp_, true);
    if (c_.norm_backward_split) {
      auto& bwd = entries_.back().bwd_in;
      bwd.insert(bwd.begin(), make(name + ".bwd_params", OpKind::Norm, Pass::BackwardInput, hp_,
                                   2 * e, 2 * e * bytes_of(hp_)));
    }
  }

  /// A communication op; `bwd_kind`/`bwd_bytes` describe its transpose in backward_input.
  void comm(const std::string& name, OpKind kind, Dtype dtype, double bytes,
            const std::string& bwd_name, OpKind bwd_kind, Dtype bwd_dtype, double bwd_bytes) {
    Entry e;
    e.fwd = make(name, kind, Pass::Forward, dtype, 0, bytes);
    if (bwd_bytes > 0) {
      e.bwd_in.push_back(make(bwd_name, bwd_kind, Pass::BackwardInput, bwd_dtype, 0, bwd_bytes));
    }
    entries_.push_back(std::move(e));
  }

  /// Changes the kind of the last forward op (e.g. the router GEMM is an OpKind::Router).
  void set_last_forward_kind(OpKind k) { entries_.back().fwd.kind = k; }

  /// Makes the following gemm() calls GroupedGemm even with one group (one local expert).
  void set_grouped(bool g) { grouped_ = g; }

  void push(Entry e) { entries_.push_back(std::move(e)); }

  /// Entries made so far; with mark_outside_layer(n) the ones from n on are flagged.
  std::size_t entry_count() const { return entries_.size(); }
  void mark_outside_layer(std::size_t first) {
    for (std::size_t i = first; i < entries_.size(); ++i) entries_[i].outside_layer = true;
  }

  /// An op that exists only in backward_input at this point of the reverse order.
  void backward_only(Op op) {
    Entry e;
    e.fwd.name.clear();  // marks "no forward op"
    e.bwd_in.push_back(std::move(op));
    entries_.push_back(std::move(e));
  }

  /// The library whose fused kernel runs the attention core (the profile's points for it).
  models::AttentionLibrary attention_library() const {
    return m_.attention_kernel == AttentionKernel::Cudnn ? models::AttentionLibrary::Cudnn
                                                         : models::AttentionLibrary::FlashAttention;
  }

  void attention_core(std::int64_t heads_r, std::int64_t d_qk, std::int64_t d_v) {
    if (m_.attention_kernel == AttentionKernel::Unfused) {
      unfused_attention(heads_r, d_qk, d_v);
      return;
    }
    const std::int64_t B = c_.sequences;
    // Ulysses: the full sequence on heads_r/cp heads; ring: S/cp queries against all S keys.
    const std::int64_t split = ulysses() ? 1 : c_.cp;
    if (ulysses()) heads_r /= c_.cp;
    const std::int64_t sq = c_.seq_len / split, skv = c_.seq_len;
    const Dtype dt = c_.precision.attention;
    const double b = bytes_of(dt);
    // Query-key pairs per sequence and rank: S²/2 causal, S·W − W²/2 with a window of W keys.
    const double pairs = causal_pairs(c_.seq_len, m_.sliding_window) / as_d(split);
    const double fwd = 2.0 * as_d(B) * as_d(heads_r) * as_d(d_qk + d_v) * pairs;
    const double q = as_d(B * sq * heads_r * d_qk), k = as_d(B * skv * heads_r * d_qk);
    const double v = as_d(B * skv * heads_r * d_v), o = as_d(B * sq * heads_r * d_v);
    const double lse = as_d(B * sq * heads_r) * 4.0;
    Entry e;
    e.fwd = make("attn.core", OpKind::Attention, Pass::Forward, dt, fwd, (q + k + v + o) * b + lse);
    e.fwd.attention = {B, heads_r, sq, skv, d_qk, d_v, true, attention_library()};
    Op bwd = make("attn.core.bwd", OpKind::Attention, Pass::BackwardInput, dt, 2.5 * fwd,
                  (q + k + v + 2 * o + q + k + v) * b + lse);
    bwd.attention = e.fwd.attention;
    e.bwd_in.push_back(std::move(bwd));
    e.core_attention = true;
    entries_.push_back(std::move(e));
  }

  /// Whether ring context parallelism runs as Transformer Engine's P2P ring (ring_attention):
  /// cp > 1, not Ulysses, a fused kernel and a causal mask over the whole sequence.
  bool te_ring_attention() const {
    return c_.cp > 1 && !ulysses() && m_.attention_kernel != AttentionKernel::Unfused &&
           (m_.sliding_window <= 0 || m_.sliding_window >= c_.seq_len);
  }

  /// Ring context parallelism as Transformer Engine runs it (AttnFuncWithCPAndKVP2P,
  /// transformer_engine/pytorch/attention.py @v2.1; Megatron-Core's default cp_comm_type p2p).
  /// Each rank holds two of the 2·cp sequence chunks (Llama 3 §3.3.2's load balancing), T = S/cp
  /// tokens per sequence, and attends them in cp kernel calls, one per ring step:
  ///   step 0: its own K/V, causal over the T local tokens — T²/2 query-key pairs;
  ///   steps 1..cp−1: K/V received from the ring, no mask, T × T/2 pairs (the last rank, which
  ///   sees every received block through its first half of K/V, the slowest member: its kernel
  ///   has the shorter key loop), so the steps sum to the S²/(2cp) pairs of the causal sequence.
  /// The K/V of the step after next travels while a step computes: the exchange is issued
  /// before the diagonal block (overlapped) and the last step waits for it (exact for cp = 2;
  /// for more steps the wait is for the whole ring before the last one, the ring's steady state).
  /// Memory-bound kernels around the calls (per rank, Q/O = T·H_r·d, KV = T·kv_dims elements,
  /// b bytes each; the last rank's path):
  ///   forward: torch.cat of K and V into the send buffer (read and write KV); a contiguous copy
  ///   of half the received K/V per ring step (KV per step); the FP32-free output merge:
  ///   out = zeros (write O), then per step out += out_step·exp(lse_step − lse) (read O_step,
  ///   read and write out: 3·O per step) with the log-sum-exp update (read lse_step 4 B, read and
  ///   write the FP64 running lse 16 B per token and head);
  ///   backward: K/V copied into the ring buffer (2·KV) and the per-step half copies first; then
  ///   per step a cuDNN/flash backward at the step's shape, dQ copied (2·Q) then accumulated
  ///   (3·Q per further step), dK/dV likewise (2·KV, then 3·KV), after the K/V re-sent around
  ///   the ring (the forward kept only the last block received) and the dK/dV sent back.
  void ring_attention(std::int64_t heads_r, std::int64_t d_qk, std::int64_t d_v,
                      std::int64_t kv_dims) {
    const std::int64_t B = c_.sequences, cp = c_.cp, T = c_.seq_len / cp;
    const Dtype dt = c_.precision.attention;
    const double b = bytes_of(dt), cpd = as_d(cp);
    const double tokens = as_d(B * T), H = as_d(heads_r);
    const double Q = tokens * H * as_d(d_qk) * b, O = tokens * H * as_d(d_v) * b;
    const double KV = tokens * as_d(kv_dims) * b, lse = tokens * H * 4.0;
    const double gathered = as_d(B * c_.seq_len * kv_dims) * b;
    auto mark_core = [](Entry& e) {
      e.core_attention = true;
      return std::move(e);
    };
    auto step = [&](const std::string& name, std::int64_t skv, bool causal, double pairs,
                    double calls, bool waits) {
      const double fwd = 2.0 * as_d(B) * H * as_d(d_qk + d_v) * pairs * calls;
      const double kv_read = tokens * as_d(skv) / as_d(T) * as_d(kv_dims) * b;
      Entry e;
      e.fwd =
          make(name, OpKind::Attention, Pass::Forward, dt, fwd, calls * (Q + kv_read + O + lse));
      e.fwd.attention = {B, heads_r, T, skv, d_qk, d_v, causal, attention_library()};
      e.fwd.waits_for_comm = waits;
      Op bwd = make(name + ".bwd", OpKind::Attention, Pass::BackwardInput, dt, 2.5 * fwd,
                    calls * (2 * Q + 2 * kv_read + 2 * O + lse));
      bwd.attention = e.fwd.attention;
      e.bwd_in.push_back(std::move(bwd));
      return mark_core(e);
    };
    // Forward order: pack, exchange (overlapped), diagonal, ring steps, the last (waits), merge.
    // Backward (entries reversed): merge.bwd (K/V into the ring buffer), the K/V re-send
    // (overlapped), last, ring steps, the dK/dV exchange (issued once the K/V are back, and
    // overlapped), diagonal, the gradient accumulation (waits for the dK/dV).
    Entry pack;
    pack.fwd = make("attn.cp_kv_pack", OpKind::Elementwise, Pass::Forward, dt, 0, 2 * KV);
    Op acc = make("attn.cp_grad_accumulate.bwd", OpKind::Elementwise, Pass::BackwardInput, dt,
                  (cpd - 1) * (Q + KV) / b, 2 * (Q + KV) + 3 * (cpd - 1) * (Q + KV));
    acc.waits_for_comm = true;
    pack.bwd_in.push_back(std::move(acc));
    entries_.push_back(mark_core(pack));
    Entry ring;
    ring.fwd = make("attn.cp_kv_ring", OpKind::CpCollective, Pass::Forward, dt, 0, gathered);
    ring.fwd.overlapped = true;
    entries_.push_back(mark_core(ring));
    const double diag_pairs = as_d(T) * as_d(T) / 2.0, ring_pairs = as_d(T) * as_d(T / 2);
    entries_.push_back(step("attn.core", T, true, diag_pairs, 1, false));
    Entry dkv;  // backward only: the ring steps' dK/dV go back beside the diagonal's backward
    dkv.bwd_in.push_back(
        make("attn.cp_dkv_ring.bwd", OpKind::CpCollective, Pass::BackwardInput, dt, 0, gathered));
    dkv.bwd_in.back().overlapped = true;
    entries_.push_back(mark_core(dkv));
    if (cp > 2)
      entries_.push_back(step("attn.core.ring", T / 2, false, ring_pairs, cpd - 2, false));
    entries_.push_back(step("attn.core.ring_last", T / 2, false, ring_pairs, 1, true));
    Entry merge;
    merge.fwd = make("attn.cp_merge", OpKind::Elementwise, Pass::Forward, dt, 3 * cpd * O / b,
                     O + 3 * cpd * O + (cpd - 1) * KV + cpd * tokens * H * 20.0);
    merge.bwd_in.push_back(make("attn.cp_merge.bwd", OpKind::Elementwise, Pass::BackwardInput, dt,
                                0, 2 * KV + (cpd - 1) * KV));
    Op resend =
        make("attn.cp_kv_ring.bwd", OpKind::CpCollective, Pass::BackwardInput, dt, 0, gathered);
    resend.overlapped = true;
    merge.bwd_in.push_back(std::move(resend));
    entries_.push_back(mark_core(merge));
  }

  /// 2021-era Megatron-LM attention (Korthikanti et al. 2022 §4): batched GEMMs over the B·H_r
  /// (sequence, head) pairs with the S_q × S_kv score matrix in HBM. Forward: scores = QKᵀ
  /// (2·G·S_q·S_kv·d_qk, the full square: the causal mask is applied in the softmax), the fused
  /// scale-mask-softmax (reads scores, writes probabilities), dropout (writes the dropped
  /// probabilities and a 1 B mask; Megatron's default attention dropout 0.1), context = P·V
  /// (2·G·S_q·S_kv·d_v). Backward: dP = dO·Vᵀ and dV = Pᵀ·dO, dropout backward (reads the mask),
  /// softmax backward (reads P and dP, writes dS), dQ = dS·K and dK = dSᵀ·Q. All BackwardInput:
  /// no weights. Selective recompute re-runs the whole core (their selective recomputation).
  void unfused_attention(std::int64_t heads_r, std::int64_t d_qk, std::int64_t d_v) {
    if (ulysses()) heads_r /= c_.cp;
    const std::int64_t G = c_.sequences * heads_r;
    const std::int64_t sq = c_.seq_len / (ulysses() ? 1 : c_.cp), skv = c_.seq_len;
    const Dtype dt = c_.precision.attention;
    const double b = bytes_of(dt), o = out_bytes(dt);
    const double g = as_d(G), Sq = as_d(sq), Skv = as_d(skv), E = g * Sq * Skv;
    auto batched = [&](const std::string& name, Pass pass, std::int64_t m, std::int64_t n,
                       std::int64_t k, double in_bytes, double out_elems) {
      Op op = make(name, OpKind::Gemm, pass, dt, 2.0 * g * as_d(m) * as_d(n) * as_d(k),
                   in_bytes + out_elems * o);
      op.gemm = {m, n, k, G};
      return op;
    };
    Entry qk;
    qk.selective = true;
    qk.core_attention = true;
    qk.fwd =
        batched("attn.scores", Pass::Forward, sq, skv, d_qk, g * (Sq + Skv) * as_d(d_qk) * b, E);
    qk.bwd_in.push_back(batched("attn.scores.dgrad_q", Pass::BackwardInput, sq, d_qk, skv,
                                (E + g * Skv * as_d(d_qk)) * b, g * Sq * as_d(d_qk)));
    qk.bwd_in.push_back(batched("attn.scores.dgrad_k", Pass::BackwardInput, skv, d_qk, sq,
                                (E + g * Sq * as_d(d_qk)) * b, g * Skv * as_d(d_qk)));
    entries_.push_back(std::move(qk));
    // Softmax: ~5 FLOP per score forward (max, exp, sum, divide, scale/mask), 4 backward.
    pointwise("attn.softmax", OpKind::Elementwise, E, 5, 2, 4, 3, dt, true);
    entries_.back().core_attention = true;
    Entry drop;
    drop.selective = true;
    drop.core_attention = true;
    drop.fwd = make("attn.dropout", OpKind::Elementwise, Pass::Forward, dt, 2 * E, E * (2 * b + 1));
    drop.bwd_in.push_back(
        make("attn.dropout.bwd", OpKind::Elementwise, Pass::BackwardInput, dt, E, E * (2 * b + 1)));
    entries_.push_back(std::move(drop));
    Entry pv;
    pv.selective = true;
    pv.core_attention = true;
    pv.fwd = batched("attn.context", Pass::Forward, sq, d_v, skv, (E + g * Skv * as_d(d_v)) * b,
                     g * Sq * as_d(d_v));
    pv.bwd_in.push_back(batched("attn.context.dgrad_p", Pass::BackwardInput, sq, skv, d_v,
                                g * (Sq + Skv) * as_d(d_v) * b, E));
    pv.bwd_in.push_back(batched("attn.context.dgrad_v", Pass::BackwardInput, skv, d_v, sq,
                                (E + g * Sq * as_d(d_v)) * b, g * Skv * as_d(d_v)));
    entries_.push_back(std::move(pv));
  }

  void tp_reduce(const std::string& where) {
    if (c_.tp <= 1) return;
    const double bytes = as_d(T_ * m_.hidden) * bytes_of(hp_);
    if (c_.sequence_parallel) {
      // Forward reduce-scatter; its transpose in backward is an all-gather.
      comm(where + ".tp_reduce_scatter", OpKind::TpCollective, hp_, bytes,
           where + ".tp_all_gather.bwd", OpKind::TpCollective, hp_, bytes);
    } else {
      // Forward all-reduce (row-parallel output); the backward identity needs no collective.
      comm(where + ".tp_all_reduce", OpKind::TpCollective, hp_, bytes, "", OpKind::TpCollective,
           hp_, 0);
    }
  }

  void tp_gather(const std::string& where) {
    if (c_.tp <= 1) return;
    const double bytes = as_d(T_ * m_.hidden) * bytes_of(hp_);
    if (c_.sequence_parallel) {
      // Forward all-gather before a column-parallel GEMM; backward reduce-scatter of dX.
      comm(where + ".tp_all_gather", OpKind::TpCollective, hp_, bytes,
           where + ".tp_reduce_scatter.bwd", OpKind::TpCollective, hp_, bytes);
    } else {
      // Forward identity; backward all-reduce of the column-parallel input gradient.
      Op op = make(where + ".tp_all_reduce.bwd", OpKind::TpCollective, Pass::BackwardInput, hp_, 0,
                   bytes);
      backward_only(std::move(op));
    }
    // The next gemm() moves the backward collective into its own backward (overlapped).
    if (c_.tp_backward_overlap) pending_gather_ = PendingGather{entries_.size() - 1, where};
  }

  /// Assembles the three lists: forward in order; backward_input = recomputed forward ops (in
  /// forward order) then each entry's backward ops in reverse order; backward_weight likewise.
  LayerOps finish() {
    LayerOps out;
    out.layer = layer_;
    out.forward.reserve(entries_.size());
    for (const auto& e : entries_) {
      if (!e.fwd.name.empty()) out.forward.push_back(e.fwd);
    }
    if (c_.recompute != Recompute::None) {
      for (const auto& e : entries_) {
        if (e.fwd.name.empty()) continue;
        if (c_.recompute == Recompute::Selective && !e.selective) continue;
        if (c_.recompute == Recompute::Full && e.outside_layer) continue;
        if (c_.recompute == Recompute::CoreAttention && !e.core_attention) continue;
        Op r = e.fwd;
        r.name += ".recompute";
        r.pass = Pass::BackwardInput;
        r.recomputed = true;
        out.backward_input.push_back(std::move(r));
      }
    }
    // With an overlapped backward collective (tp_backward_overlap) the full backward is kept
    // in autograd order: each entry's input-gradient ops, its collective, then its
    // weight-gradient ops beside that collective. In both lists the op after an entry's
    // collective waits for it if that op computes (a collective waits for the one before).
    const bool overlapped_backward = std::any_of(
        entries_.begin(), entries_.end(), [](const Entry& e) { return !e.bwd_comm.empty(); });
    if (overlapped_backward) out.backward_full = out.backward_input;  // the recomputed ops
    bool wait_in = false, wait_full = false;
    auto append = [](std::vector<Op>& list, const std::vector<Op>& ops, bool& wait_next) {
      for (Op op : ops) {
        if (wait_next && !is_communication(op.kind)) op.waits_for_comm = true;
        wait_next = false;
        list.push_back(std::move(op));
      }
    };
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
      for (const auto* ops : {&it->bwd_pre, &it->bwd_in, &it->bwd_comm}) {
        append(out.backward_input, *ops, wait_in);
        if (overlapped_backward) append(out.backward_full, *ops, wait_full);
      }
      const bool comm = !it->bwd_comm.empty();
      wait_in = wait_in || comm;
      for (const auto& op : it->bwd_w) out.backward_weight.push_back(op);
      if (overlapped_backward) {
        out.backward_full.insert(out.backward_full.end(), it->bwd_w.begin(), it->bwd_w.end());
        wait_full = wait_full || comm;
      }
    }
    return out;
  }

  const ModelSpec& m_;
  const OpListContext& c_;

 private:
  std::int64_t layer_;
  std::string prefix_;
  std::int64_t T_ = 0, Tn_ = 0;
  Dtype hp_ = Dtype::BF16;
  double grad_bytes_ = 4;
  Fp8Scaling fp8_ = Fp8Scaling::None;
  bool input_fp8_ = false, grad_fp8_ = false;
  bool grouped_ = false;
  std::vector<Entry> entries_;
  /// The last tp_gather() (its entry and block name), whose backward the next gemm() takes
  /// (tp_backward_overlap).
  struct PendingGather {
    std::size_t entry = 0;
    std::string where;
  };
  std::optional<PendingGather> pending_gather_;
};

std::int64_t heads_r(const ModelSpec& m, const OpListContext& c) {
  return m.heads / c.tp;
}
std::int64_t kv_r(const ModelSpec& m, const OpListContext& c) {
  return std::max<std::int64_t>(1, m.kv_heads / c.tp);
}

/// The attention block; `residual` = false leaves out the TP reduction and the residual add
/// (a parallel block does them once for attention and FFN together).
void add_attention(Builder& b, bool residual = true) {
  const auto& m = b.m_;
  const auto& c = b.c_;
  const std::int64_t T = b.T(), d = m.hidden, Hr = heads_r(m, c);
  const Dtype g = c.precision.gemm;
  b.norm("attn.norm", b.Tn(), d);
  b.tp_gather("attn");
  std::int64_t d_qk = 0, d_v = 0;
  if (m.attention == AttentionKind::Mla) {
    const auto& a = m.mla;
    d_qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
    d_v = a.v_head_dim;
    // The down-projections are replicated across TP ranks (Megatron-Core MLA); the
    // up-projections are column-parallel over heads.
    if (a.q_lora_rank > 0) {
      b.gemm("attn.q_a_proj", 1, as_d(T), a.q_lora_rank, d, g);
      b.norm("attn.q_a_norm", T, a.q_lora_rank);
      b.gemm("attn.q_b_proj", 1, as_d(T), Hr * d_qk, a.q_lora_rank, g, true);
    } else {
      b.gemm("attn.q_proj", 1, as_d(T), Hr * d_qk, d, g);
    }
    b.gemm("attn.kv_a_proj", 1, as_d(T), a.kv_lora_rank + a.qk_rope_head_dim, d, g);
    b.norm("attn.kv_a_norm", T, a.kv_lora_rank);
    b.gemm("attn.kv_b_proj", 1, as_d(T), Hr * (a.qk_nope_head_dim + a.v_head_dim), a.kv_lora_rank,
           g, true);
    // RoPE on the query's rope dims and the single shared rope key.
    const double rot =
        static_cast<double>(T) * static_cast<double>(Hr * a.qk_rope_head_dim + a.qk_rope_head_dim);
    b.pointwise("attn.rope", OpKind::Elementwise, rot, 3, 2, 3, 2, b.hp(), true);
  } else {
    d_qk = d_v = m.head_dim;
    const std::int64_t qkv_cols = (Hr + 2 * kv_r(m, c)) * m.head_dim;
    b.gemm("attn.qkv_proj", 1, as_d(T), qkv_cols, d, g);
    if (m.attention_bias) b.bias("attn.qkv_proj", as_d(T), qkv_cols, true);
    // Per-head RMSNorm of queries and keys over head_dim (Qwen3 q_norm / k_norm), before RoPE.
    if (m.qk_norm) b.norm("attn.qk_norm", T * (Hr + kv_r(m, c)), m.head_dim);
    const double rot = static_cast<double>(T) * static_cast<double>((Hr + kv_r(m, c)) * m.head_dim);
    if (m.learned_positions == 0) {
      b.pointwise("attn.rope", OpKind::Elementwise, rot, 3, 2, 3, 2, b.hp(), false);
    }
  }
  const double attn_b = hardware::dtype_bytes(c.precision.attention);
  if (b.ulysses()) {
    // DeepSpeed-Ulysses §3: all-to-all of the rank's Q, K, V from sequence to head sharding
    // (GQA K/V heads fewer than cp are replicated: each of the cp destinations gets one), and
    // of dQ, dK, dV back in backward. Bytes = the rank's send buffer; (cp−1)/cp leaves the rank.
    const std::int64_t qkv_dims =
        m.attention == AttentionKind::Mla
            ? Hr * (2 * d_qk + d_v)
            : (Hr + 2 * std::max<std::int64_t>(kv_r(m, c), c.cp)) * m.head_dim;
    const double bytes = as_d(T * qkv_dims) * attn_b;
    b.comm("attn.cp_qkv_all_to_all", OpKind::CpCollective, c.precision.attention, bytes,
           "attn.cp_dqkv_all_to_all.bwd", OpKind::CpCollective, c.precision.attention, bytes);
  }
  const std::int64_t kv_dims =
      m.attention == AttentionKind::Mla ? Hr * (d_qk + d_v) : 2 * kv_r(m, c) * m.head_dim;
  if (b.te_ring_attention()) {
    b.ring_attention(Hr, d_qk, d_v, kv_dims);
  } else {
    if (c.cp > 1 && !b.ulysses()) {
      // Other ring CP (an unfused core, a sliding window): K/V all-gathered before the core,
      // dK/dV reduce-scattered after its backward.
      const double gathered = static_cast<double>(c.sequences * c.seq_len * kv_dims) *
                              hardware::dtype_bytes(c.precision.attention);
      b.comm("attn.cp_kv_all_gather", OpKind::CpCollective, c.precision.attention, gathered,
             "attn.cp_dkv_reduce_scatter.bwd", OpKind::CpCollective, c.precision.attention,
             gathered);
    }
    b.attention_core(Hr, d_qk, d_v);
  }
  if (b.ulysses()) {
    // The output back from head to sequence sharding; in backward dO the other way.
    const double bytes = as_d(T * Hr * d_v) * attn_b;
    b.comm("attn.cp_out_all_to_all", OpKind::CpCollective, c.precision.attention, bytes,
           "attn.cp_dout_all_to_all.bwd", OpKind::CpCollective, c.precision.attention, bytes);
  }
  b.gemm("attn.o_proj", 1, as_d(T), d, Hr * d_v, g);
  // Row-parallel: the bias joins after the TP reduction, on the T_n tokens of the rank.
  if (m.linear_bias) b.bias("attn.o_proj", as_d(b.Tn()), d, false);
  if (!residual) return;
  b.tp_reduce("attn");
  b.residual("attn.residual", static_cast<double>(b.Tn() * d), 1, 3, 1);
}

/// A dense FFN of intermediate size `f` (split over TP) named `name`.
void add_dense_ffn(Builder& b, const std::string& name, std::int64_t f_total) {
  const auto& m = b.m_;
  const auto& c = b.c_;
  const std::int64_t T = b.T(), d = m.hidden, f = f_total / c.tp;
  const Dtype g = c.precision.gemm;
  const double act = static_cast<double>(T * f);
  const std::string up =
      name + (m.activation == FfnActivation::SwiGlu ? ".gate_up_proj" : ".up_proj");
  if (m.activation == FfnActivation::SwiGlu) {
    b.gemm(up, 1, as_d(T), 2 * f, d, g);
    if (m.linear_bias) b.bias(up, as_d(T), 2 * f, false);
    b.pointwise(name + ".swiglu", OpKind::Elementwise, act, 4, 3, 8, 4, b.hp(), true);
  } else {
    b.gemm(up, 1, as_d(T), f, d, g);
    if (m.linear_bias) b.bias(up, as_d(T), f, false);
    b.pointwise(name + ".gelu", OpKind::Elementwise, act, 8, 2, 16, 3, b.hp(), true);
  }
  b.gemm(name + ".down_proj", 1, as_d(T), d, f, g);
  // Row-parallel like the attention output: the bias on the T_n tokens after the reduction.
  if (m.linear_bias) b.bias(name + ".down_proj", as_d(b.Tn()), d, false);
}

/// The FFN block; `parallel` = true reads the attention's normalised (and gathered) input and
/// leaves the TP reduction and residual to the parallel block.
void add_ffn(Builder& b, std::int64_t layer, bool parallel = false) {
  const auto& m = b.m_;
  const auto& c = b.c_;
  const std::int64_t d = m.hidden;
  if (!parallel) b.norm("ffn.norm", b.Tn(), d);
  if (!m.is_moe_layer(layer)) {
    if (!parallel) b.tp_gather("ffn");
    add_dense_ffn(b, "ffn", m.ffn_dim);
    if (!parallel) b.tp_reduce("ffn");
  } else {
    const auto& e = m.moe;
    const std::int64_t Te = moe_tokens_per_rank(c), k = e.experts_per_token;
    const Dtype hp = b.hp();
    // Router: gate scores (GEMM in BF16) and top-k selection.
    // The router's top-k selection is folded into the GEMM op (k·E comparisons per token).
    b.gemm("moe.router", 1, static_cast<double>(Te), e.routed_experts, d, hp);
    b.set_last_forward_kind(OpKind::Router);
    const double nu = dispatch_destinations_per_token(m, c);
    const double disp = static_cast<double>(Te) * nu * static_cast<double>(d) *
                        payload_bytes_per_element(c.precision.dispatch);
    const double comb = static_cast<double>(Te) * nu * static_cast<double>(d) *
                        payload_bytes_per_element(c.precision.combine);
    const bool fp8_dispatch = c.precision.dispatch == Dtype::FP8;
    if (fp8_dispatch) {
      // BF16 tokens → FP8 with one FP32 scale per 1×128 tile (the payload the experts consume).
      const double x = static_cast<double>(Te * d);
      Entry q;
      q.fwd = b.make("moe.dispatch_quantize", OpKind::Quantize, Pass::Forward, hp, 2 * x,
                     x * (bytes_of(hp) + fp8_bytes_per_element(128)));
      b.push(std::move(q));
    }
    b.comm("moe.dispatch", OpKind::Dispatch, c.precision.dispatch, disp, "moe.dispatch.bwd",
           OpKind::Combine, c.precision.combine, comb);
    const double routed = static_cast<double>(Te * k);  // token copies received (balanced)
    const Dtype g = c.precision.gemm;
    b.pointwise("moe.permute", OpKind::Permute, routed * static_cast<double>(d), 0, 2, 0, 2,
                c.precision.dispatch, false);
    const std::int64_t groups = e.routed_experts / c.ep;
    const double m_e = tokens_per_expert(m, c);
    const std::int64_t f_e = e.expert_ffn_dim / c.expert_tp;  // columns per expert-TP rank
    // Expert TP (Megatron-Core MoEAlltoAllTokenDispatcher): the received tokens are all-gathered
    // over the expert-TP group before the experts and the down-projection's partial sums are
    // reduce-scattered back after them; bytes = the gathered expert_tp·T_e·k·d tensor.
    const double etp_bytes = static_cast<double>(c.expert_tp) * routed * static_cast<double>(d);
    if (c.expert_tp > 1) {
      b.comm("moe.experts.etp_all_gather", OpKind::TpCollective, c.precision.dispatch,
             etp_bytes * payload_bytes_per_element(c.precision.dispatch),
             "moe.experts.etp_reduce_scatter.bwd", OpKind::TpCollective, hp,
             etp_bytes * bytes_of(hp));
    }
    b.set_grouped(true);
    const double expert_act = static_cast<double>(groups) * m_e * static_cast<double>(f_e);
    if (fp8_dispatch) b.next_input_fp8();  // the dispatched tokens are already FP8
    if (m.activation == FfnActivation::SwiGlu) {
      b.gemm("moe.experts.gate_up", groups, m_e, 2 * f_e, d, g);
      b.pointwise("moe.experts.swiglu", OpKind::Elementwise, expert_act, 4, 3, 8, 4, hp, true);
      b.cast_back_last(2 * expert_act);  // the cached FP8 SwiGLU input, back to BF16
    } else {
      b.gemm("moe.experts.up", groups, m_e, f_e, d, g);
      b.pointwise("moe.experts.gelu", OpKind::Elementwise, expert_act, 8, 2, 16, 3, hp, true);
      b.cast_back_last(expert_act);
    }
    if (fp8_dispatch) b.next_grad_fp8();  // its output gradient comes back in FP8
    b.gemm("moe.experts.down", groups, m_e, d, f_e, g);
    b.set_grouped(false);
    if (c.expert_tp > 1) {
      b.comm("moe.experts.etp_reduce_scatter", OpKind::TpCollective, hp, etp_bytes * bytes_of(hp),
             "moe.experts.etp_all_gather.bwd", OpKind::TpCollective, c.precision.dispatch,
             etp_bytes * payload_bytes_per_element(c.precision.dispatch));
    }
    if (e.shared_experts > 0) {
      b.tp_gather("moe.shared");
      add_dense_ffn(b, "moe.shared", e.shared_experts * e.expert_ffn_dim);
      b.tp_reduce("moe.shared");
    }
    b.pointwise("moe.unpermute", OpKind::Permute, routed * static_cast<double>(d), 0, 2, 0, 2, hp,
                false);
    b.comm("moe.combine", OpKind::Combine, c.precision.combine, comb, "moe.combine.bwd",
           OpKind::Dispatch, c.precision.dispatch, disp);
    if (fp8_dispatch) {
      // Backward: the output gradient is quantised (1×128) before it is dispatched back.
      const double x = static_cast<double>(Te * d);
      b.backward_only(b.make("moe.combine.grad_quantize", OpKind::Quantize, Pass::BackwardInput, hp,
                             2 * x, x * (bytes_of(hp) + fp8_bytes_per_element(128))));
    }
    // Weighted sum of the k expert outputs per token (multiply-add per element).
    b.pointwise("moe.combine_sum", OpKind::Elementwise, routed * static_cast<double>(d), 2,
                1.0 + 1.0 / static_cast<double>(k), 2, 2, hp, false);
  }
  if (parallel) return;
  b.residual("ffn.residual", static_cast<double>(b.Tn() * d), 1, 3, 1);
}

/// Output head and loss (shared by the main model and each MTP module).
void add_head(Builder& b) {
  const auto& m = b.m_;
  const auto& c = b.c_;
  const std::size_t first = b.entry_count();
  const std::int64_t T = b.T(), d = m.hidden, V = m.vocab / c.tp;
  b.norm("head.norm", b.Tn(), d);
  b.tp_gather("head");
  b.gemm("head.output", 1, as_d(T), V, d, b.hp());
  b.cross_entropy(static_cast<double>(T * V));
  if (c.tp > 1) {
    // Vocab-parallel cross-entropy: all-reduce of the per-token max, target logit and sum of
    // exponentials (3 FP32 per token).
    b.comm("head.loss.tp_all_reduce", OpKind::TpCollective, Dtype::FP32,
           static_cast<double>(T) * 12, "", OpKind::TpCollective, Dtype::FP32, 0);
  }
  b.mark_outside_layer(first);
}

void add_embedding(Builder& b) {
  const auto& m = b.m_;
  const auto& c = b.c_;
  const std::int64_t T = b.T(), d = m.hidden;
  const Dtype hp = b.hp();
  // Lookup: read T rows, write T rows. Backward: scatter-add of dY into the gradient table
  // (read dY, read-modify-write the touched gradient rows).
  const double rows = static_cast<double>(T * d);
  // Unfused accumulation (PyTorch's dense embedding backward): the gradient is a fresh zeroed
  // V_r × d table (V_r = vocab/tp rows) the scatter-add fills, added into the buffer afterwards.
  const double hb = hardware::dtype_bytes(hp);
  const std::size_t first = b.entry_count();
  Entry e;
  e.fwd = b.make("embed.lookup", OpKind::Embedding, Pass::Forward, hp, 0, 2.0 * rows * hb);
  if (c.grad_accumulation_fusion) {
    e.bwd_w.push_back(b.make("embed.lookup.wgrad", OpKind::Embedding, Pass::BackwardWeight, hp,
                             rows, rows * (hb + 2.0 * hardware::dtype_bytes(c.precision.grads))));
  } else {
    const double table = static_cast<double>(m.vocab / c.tp * d);
    e.bwd_w.push_back(b.make("embed.lookup.wgrad", OpKind::Embedding, Pass::BackwardWeight, hp,
                             rows, table * hb + rows * 3.0 * hb));
    e.bwd_w.push_back(b.accumulate("embed.lookup.wgrad", table, hb));
  }
  b.push(std::move(e));
  if (m.learned_positions > 0) {
    b.pointwise("embed.positions", OpKind::Elementwise, static_cast<double>(T * d), 1, 3, 0, 0, hp,
                false);
  }
  if (c.tp > 1) {
    const double bytes = static_cast<double>(T * d) * hardware::dtype_bytes(hp);
    if (c.sequence_parallel) {
      b.comm("embed.tp_reduce_scatter", OpKind::TpCollective, hp, bytes, "embed.tp_all_gather.bwd",
             OpKind::TpCollective, hp, bytes);
    } else {
      b.comm("embed.tp_all_reduce", OpKind::TpCollective, hp, bytes, "", OpKind::TpCollective, hp,
             0);
    }
  }
  b.mark_outside_layer(first);
}

}  // namespace detail

std::int64_t tokens_per_rank(const OpListContext& c) {
  return c.sequences * c.seq_len / c.cp;
}

std::int64_t moe_tokens_per_rank(const OpListContext& c) {
  return tokens_per_rank(c) / c.tp;
}

double tokens_per_expert(const ModelSpec& m, const OpListContext& c) {
  if (c.tokens_per_expert > 0) return c.tokens_per_expert;
  if (!m.is_moe()) return 0;
  return static_cast<double>(moe_tokens_per_rank(c)) * c.ep * c.expert_tp *
         static_cast<double>(m.moe.experts_per_token) / static_cast<double>(m.moe.routed_experts);
}

int ep_ranks_per_node(const OpListContext& c) {
  return std::max(1, c.gpus_per_node / std::max(1, c.expert_tp));
}

double dispatch_destinations_per_token(const ModelSpec& m, const OpListContext& c) {
  if (!m.is_moe()) return 0;
  const auto& e = m.moe;
  const int node = ep_ranks_per_node(c);
  const bool multi_node = c.ep > node;
  // Destination units: nodes when EP spans nodes, else EP ranks.
  const std::int64_t units = multi_node ? c.ep / node : c.ep;
  const std::int64_t per_unit = e.routed_experts / units;  // experts per unit
  // Node/device-limited routing applies when the routing groups are these units.
  const std::int64_t candidates =
      (e.limited_groups > 0 && e.expert_groups == units) ? e.limited_groups : units;
  // P(a candidate unit gets none of the k experts) = C(per_unit·(U−1), k) / C(per_unit·U, k).
  const std::int64_t pool = per_unit * candidates, k = e.experts_per_token;
  double none = 1.0;
  for (std::int64_t i = 0; i < k; ++i) {
    none *= static_cast<double>(pool - per_unit - i) / static_cast<double>(pool - i);
    if (none <= 0) {
      none = 0;
      break;
    }
  }
  return static_cast<double>(candidates) * (1.0 - none);
}

double payload_bytes_per_element(Dtype d) {
  return d == Dtype::FP8 ? fp8_bytes_per_element(128) : hardware::dtype_bytes(d);
}

Fp8Scaling fp8_scaling(const PrecisionPolicy& p) {
  if (p.gemm != Dtype::FP8) return Fp8Scaling::None;
  // The preset, or a map based on it ("fp8-deepseek-v3+custom").
  return p.name.rfind("fp8-deepseek-v3", 0) == 0 ? Fp8Scaling::Tile128 : Fp8Scaling::PerTensor;
}

double fp8_bytes_per_element(std::int64_t group) {
  return 1.0 + 4.0 / static_cast<double>(group);
}

std::vector<Op> weight_cast_ops(const LayerOps& layer, const PrecisionPolicy& p) {
  std::vector<Op> out;
  const Fp8Scaling s = fp8_scaling(p);
  if (s == Fp8Scaling::None) return out;
  const double bw = hardware::dtype_bytes(p.weights);
  for (const Op& g : layer.forward) {
    if (g.kind != OpKind::Gemm && g.kind != OpKind::GroupedGemm) continue;
    if (g.dtype != Dtype::FP8) continue;
    const double w = static_cast<double>(g.gemm.groups) * static_cast<double>(g.gemm.k) *
                     static_cast<double>(g.gemm.n);
    Op op;
    op.name = g.name + ".weight_quantize";
    op.kind = OpKind::Quantize;
    op.pass = Pass::BackwardWeight;
    op.dtype = detail::high_precision(p);
    op.flops = 2 * w;
    // Tile128: W and Wᵀ (both operands K-major for Hopper FP8 WGMMA) in FP8 with one FP32 scale
    // per 128×128 block; PerTensor: one cast-transpose writing both, a scale-inverse and amax.
    op.bytes = s == Fp8Scaling::Tile128 ? w * (bw + 2.0 * fp8_bytes_per_element(128 * 128))
                                        : w * (bw + 2.0) + 8.0;
    out.push_back(std::move(op));
  }
  return out;
}

std::vector<Op> optimizer_ops(const OptimizerShape& s, const PrecisionPolicy& p) {
  std::vector<Op> out;
  const double g = hardware::dtype_bytes(p.grads), mw = hardware::dtype_bytes(p.master_weights);
  const double mo = hardware::dtype_bytes(p.optimizer_moments);
  const double w = hardware::dtype_bytes(p.weights);
  // Fused multi-tensor kernels (apex/Transformer Engine FusedAdam, PyTorch _foreach/fused Adam)
  // cover at most 320 blocks of 65,536-element chunks per launch (apex csrc/multi_tensor_apply.cuh
  // depth_to_max_blocks = 320, FusedAdam chunk_size 2048·32; PyTorch MultiTensorApply.cuh
  // kChunkSize = 65536); the per-launch tensor limit is not modelled.
  constexpr double kElementsPerLaunch = 320.0 * 65536.0;
  auto add = [&](const std::string& name, double params, double flops_per, double bytes_per) {
    if (params <= 0) return;
    const double launches = std::max(1.0, std::ceil(params / kElementsPerLaunch));
    for (int i = 0; i < static_cast<int>(launches); ++i) {
      Op op;
      op.name = launches > 1 ? fmt::format("{}.{}", name, i) : name;
      op.kind = OpKind::Elementwise;
      op.pass = Pass::BackwardWeight;
      op.dtype = Dtype::FP32;
      op.flops = flops_per * params / launches;
      op.bytes = bytes_per * params / launches;
      out.push_back(std::move(op));
    }
  };
  // FP16 gradients are loss-scaled, and an FP32 optimizer does not read them as they are:
  // Megatron-LM's Float16OptimizerWithFloat16Params (megatron/optimizer/optimizer.py
  // @de7dc40f88, step) first copies them into FP32 main gradients (`main_grad.float()`, read g,
  // write 4) and unscales those in place with an inf/NaN check
  // (torch._amp_foreach_non_finite_check_and_unscale_, read and write 4); the norm and AdamW then
  // read the FP32 copies. Any other gradient dtype is read by the norm and AdamW as it is.
  double g_read = g;
  if (p.grads == Dtype::FP16 && p.master_weights != Dtype::FP16) {
    add("optimizer.grads_to_fp32", s.shard_params, 0, g + 4);
    add("optimizer.unscale", s.shard_params, 2, 8);
    g_read = 4;
  }
  // Gradient norm for clipping (multi_tensor_l2norm): read the shard's gradients.
  add("optimizer.grad_norm", s.shard_params, 2, g_read);
  // AdamW: read g, master weight, m, v; write master weight, m, v and the working weight copy.
  add("optimizer.adamw", s.shard_params, 12, g_read + 2 * mw + 4 * mo + w);
  // Zeroing of the whole local gradient buffer for the next step (one memset).
  if (s.local_params > 0) {
    Op z;
    z.name = "optimizer.zero_grad";
    z.kind = OpKind::Elementwise;
    z.pass = Pass::BackwardWeight;
    z.dtype = Dtype::FP32;
    z.bytes = s.local_params * g;
    out.push_back(std::move(z));
  }
  return out;
}

std::string op_list_problem(const ModelSpec& m, const OpListContext& c) {
  if (c.sequences < 1 || c.seq_len < 1) return "sequences and seq_len must be at least 1";
  if (c.tp < 1 || c.ep < 1 || c.cp < 1 || c.expert_tp < 1 || c.gpus_per_node < 1) {
    return "tp, ep, cp, expert_tp and gpus_per_node must be at least 1";
  }
  if (m.heads % c.tp != 0) return fmt::format("tp = {} does not divide {} heads", c.tp, m.heads);
  if (m.attention == AttentionKind::Gqa && m.kv_heads % c.tp != 0 && c.tp % m.kv_heads != 0) {
    return fmt::format("tp = {} and {} KV heads: neither divides the other", c.tp, m.kv_heads);
  }
  if (c.seq_len % c.cp != 0)
    return fmt::format("cp = {} does not divide seq_len {}", c.cp, c.seq_len);
  if (c.cp > 1 && c.cp_kind == CpKind::Ulysses) {
    if ((m.heads / c.tp) % c.cp != 0) {
      return fmt::format("Ulysses cp = {} does not divide the {} attention heads per TP rank", c.cp,
                         m.heads / c.tp);
    }
    const std::int64_t kvr = std::max<std::int64_t>(1, m.kv_heads / c.tp);
    if (m.attention == AttentionKind::Gqa && kvr % c.cp != 0 && c.cp % kvr != 0) {
      return fmt::format("Ulysses cp = {} and {} KV heads per TP rank: neither divides the other",
                         c.cp, kvr);
    }
  }
  const std::int64_t T = tokens_per_rank(c);
  if ((c.sequence_parallel || m.is_moe()) && T % c.tp != 0) {
    return fmt::format("tp = {} does not divide the {} tokens per rank", c.tp, T);
  }
  const std::int64_t ffn_split = m.is_moe() && m.moe.dense_layers == 0 ? 0 : m.ffn_dim;
  if (ffn_split > 0 && ffn_split % c.tp != 0) {
    return fmt::format("tp = {} does not divide ffn_dim {}", c.tp, m.ffn_dim);
  }
  if (m.is_moe()) {
    if (m.moe.routed_experts % c.ep != 0) {
      return fmt::format("ep = {} does not divide {} routed experts", c.ep, m.moe.routed_experts);
    }
    const int node = ep_ranks_per_node(c);
    if (c.ep > node && c.ep % node != 0) {
      return fmt::format("ep = {} spans nodes of {} EP ranks but is not a multiple of it", c.ep,
                         node);
    }
    const std::int64_t units = c.ep > node ? c.ep / node : c.ep;
    if (m.moe.routed_experts % units != 0) {
      return fmt::format("{} routed experts do not spread evenly over {} EP units",
                         m.moe.routed_experts, units);
    }
    if (c.expert_tp > c.gpus_per_node || c.gpus_per_node % c.expert_tp != 0) {
      return fmt::format(
          "expert_tp = {} does not divide a node of {} GPUs (the expert-TP group is expert_tp "
          "consecutive ranks inside a node)",
          c.expert_tp, c.gpus_per_node);
    }
    if (m.moe.expert_ffn_dim % c.expert_tp != 0) {
      return fmt::format("expert_tp = {} does not divide expert_ffn_dim {}", c.expert_tp,
                         m.moe.expert_ffn_dim);
    }
    const std::int64_t shared = m.moe.shared_experts * m.moe.expert_ffn_dim;
    if (shared % c.tp != 0)
      return fmt::format("tp = {} does not divide the shared experts' {} columns", c.tp, shared);
  } else if (c.ep != 1) {
    return fmt::format("ep = {} but {} has no experts", c.ep, m.name);
  } else if (c.expert_tp != 1) {
    return fmt::format("expert_tp = {} but {} has no experts", c.expert_tp, m.name);
  }
  return "";
}

namespace {

void check(const ModelSpec& m, const OpListContext& c) {
  if (auto p = op_list_problem(m, c); !p.empty()) {
    throw ModelError(fmt::format("cannot build the op list of '{}': {}", m.name, p));
  }
}

}  // namespace

LayerOps build_layer_ops(const ModelSpec& m, std::int64_t layer, const OpListContext& c) {
  check(m, c);
  if (layer < 0 || layer >= m.layers + m.mtp_depth) {
    throw ModelError(fmt::format(
        "layer {} is out of range for '{}': 0..{} are transformer layers{}", layer, m.name,
        m.layers - 1,
        m.mtp_depth > 0 ? fmt::format(", {}..{} MTP modules", m.layers, m.layers + m.mtp_depth - 1)
                        : std::string()));
  }
  const bool mtp = layer >= m.layers;
  const std::string prefix =
      mtp ? fmt::format("MTP{}.", layer - m.layers) : fmt::format("L{}.", layer);
  detail::Builder b(m, c, layer, prefix);
  if (mtp) {
    // V3 §2.2: h'_k = M_k [RMSNorm(h_{k-1}); RMSNorm(Emb(t_{i+k}))], then TRM_k, then the
    // shared head on RMSNorm(h_k).
    detail::add_embedding(b);
    b.norm("mtp.hidden_norm", b.Tn(), m.hidden);
    b.norm("mtp.embed_norm", b.Tn(), m.hidden);
    b.tp_gather("mtp");
    b.gemm("mtp.proj", 1, detail::as_d(b.T()), m.hidden, 2 * m.hidden, c.precision.gemm);
  }
  if (m.parallel_block) {
    // GPT-J / PaLM §2: y = x + Attn(LN(x)) + FFN(LN(x)): one norm and TP gather, the attention
    // and FFN GEMMs, one TP reduction of the summed outputs, one residual add (reads x and the
    // two branch outputs, writes y).
    detail::add_attention(b, false);
    detail::add_ffn(b, layer, true);
    b.tp_reduce("block");
    b.residual("block.residual", static_cast<double>(b.Tn() * m.hidden), 2, 4, 2);
  } else {
    detail::add_attention(b);
    detail::add_ffn(b, layer);
  }
  if (mtp) detail::add_head(b);
  LayerOps ops = b.finish();
  apply_te_fp8_casts(ops, c);  // where Transformer Engine's FP8 casts run
  apply_userbuffers(ops, c);   // Transformer Engine's userbuffers (tp_comm_overlap)
  return ops;
}

LayerOps embedding_ops(const ModelSpec& m, const OpListContext& c) {
  check(m, c);
  detail::Builder b(m, c, kEmbeddingLayer, "");
  detail::add_embedding(b);
  return b.finish();
}

LayerOps head_ops(const ModelSpec& m, const OpListContext& c) {
  check(m, c);
  detail::Builder b(m, c, kHeadLayer, "");
  detail::add_head(b);
  return b.finish();
}

std::vector<LayerOps> stage_ops(const ModelSpec& m, std::int64_t first, std::int64_t last,
                                bool embedding, bool head, const OpListContext& c) {
  std::vector<LayerOps> ops;
  if (embedding) ops.push_back(embedding_ops(m, c));
  bool head_placed = false;
  for (std::int64_t l = first; l < last; ++l) {
    if (l >= m.layers && head && !head_placed) {
      ops.push_back(head_ops(m, c));
      head_placed = true;
    }
    ops.push_back(build_layer_ops(m, l, c));
  }
  if (head && !head_placed) ops.push_back(head_ops(m, c));
  return ops;
}

}  // namespace trainsim::models
