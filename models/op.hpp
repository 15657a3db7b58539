#pragma once
// One operation of a layer's forward or backward pass, as the simulator schedules it and the
// cost model times it. FLOPs count multiply and add separately (a GEMM is 2·M·N·K). Bytes are
// the HBM traffic of an ideal kernel (read inputs once, write outputs once).
#include <cstdint>
#include <string>
#include <vector>

#include "hardware/dtype.hpp"

namespace trainsim::models {

enum class OpKind {
  Gemm,          ///< dense matmul [m,k]×[k,n]
  GroupedGemm,   ///< MoE experts: `groups` GEMMs of m tokens each (m is the mean per group)
  Attention,     ///< fused attention core (QK^T, softmax, ·V), causal or not
  Norm,          ///< RMSNorm / LayerNorm
  Elementwise,   ///< activations (SwiGLU), residual adds, RoPE
  Router,        ///< MoE gate scores and top-k
  Permute,       ///< token permute / unpermute around the experts
  Quantize,      ///< FP8 cast with scaling
  Embedding,     ///< embedding lookup (memory bound)
  Loss,          ///< softmax cross-entropy over the vocabulary
  Dispatch,      ///< MoE all-to-all dispatch (communication, bytes = payload sent per rank)
  Combine,       ///< MoE all-to-all combine (communication)
  TpCollective,  ///< tensor-parallel all-reduce / reduce-scatter / all-gather (communication)
  CpCollective,  ///< context-parallel K/V exchange (communication)
};

enum class Pass {
  Forward,
  BackwardInput,   ///< gradient w.r.t. activations ("B" in zero-bubble notation)
  BackwardWeight,  ///< gradient w.r.t. weights ("W")
};

std::string_view op_kind_name(OpKind k);
std::string_view pass_name(Pass p);
/// True for Dispatch, Combine, TpCollective and CpCollective (they become network flows).
bool is_communication(OpKind k);

struct GemmShape {
  std::int64_t m = 0, n = 0, k = 0;  ///< per group for GroupedGemm
  std::int64_t groups = 1;
};

/// Which library's fused attention kernel runs the core (FlashAttention's, or cuDNN's as
/// Transformer Engine's FusedAttention backend calls it): the two reach different rates at the
/// same shape (Shah et al. 2024, FlashAttention-3, Figs. on H100), so a profile keys its points
/// by it.
enum class AttentionLibrary { FlashAttention, Cudnn };

struct AttentionShape {
  std::int64_t batch = 0;  ///< sequences in the micro-batch
  std::int64_t heads = 0;  ///< query heads on this rank
  std::int64_t seq_q = 0;
  std::int64_t seq_kv = 0;
  std::int64_t head_dim_qk = 0;
  std::int64_t head_dim_v = 0;
  bool causal = true;
  AttentionLibrary library = AttentionLibrary::FlashAttention;
};

struct Op {
  std::string name;  ///< e.g. "L3.attn.q_b_proj"; unique within a layer and pass
  OpKind kind = OpKind::Gemm;
  Pass pass = Pass::Forward;
  hardware::Dtype dtype = hardware::Dtype::BF16;  ///< math precision (sets the peak FLOP rate)
  GemmShape gemm;                                 ///< Gemm and GroupedGemm
  AttentionShape attention;                       ///< Attention
  double flops = 0;                               ///< FLOP executed by this op on one rank
  double bytes = 0;         ///< HBM bytes read + written (compute ops) or sent (communication)
  bool recomputed = false;  ///< a forward op re-run during backward by the recompute policy
  /// Communication: the pass issues it and goes on with its next compute ops while it runs (the
  /// ring-attention K/V exchange behind the diagonal block, Transformer Engine's CP); the pass
  /// waits for it at the next op with `waits_for_comm`, its next collective or its end.
  bool overlapped = false;
  /// Compute: starts only once the pass's overlapped collective has ended (it reads its data).
  bool waits_for_comm = false;
  /// GEMM: runs as this many GEMMs of gemm.m / serial_chunks rows, one after another (a
  /// userbuffers ring exchange or pipeline, ParallelPlan::tp_overlap); 1 = one GEMM.
  int serial_chunks = 1;
  /// Compute: SMs communication kernels hold while it runs (userbuffers), beyond the plan's
  /// comm_sms; 0 = none.
  int sms_reserved = 0;
};

/// A layer's ops for one micro-batch on one rank, in dependency order within each pass.
struct LayerOps {
  std::int64_t layer = 0;  ///< 0-based; layers >= model.layers are MTP modules
  std::vector<Op> forward;
  std::vector<Op> backward_input;
  std::vector<Op> backward_weight;
  /// The whole backward in execution order for schedules that do not split the weight
  /// gradients off: empty means backward_input then backward_weight; set where the order
  /// matters, i.e. a column-parallel linear's weight-gradient GEMM runs beside its overlapped
  /// input-gradient collective (OpListContext::tp_backward_overlap), as autograd runs each
  /// linear's dgrad and wgrad in one backward call.
  std::vector<Op> backward_full;
};

}  // namespace trainsim::models
