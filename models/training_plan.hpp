#pragma once
// How a model is trained on a cluster: the parallel plan and the precision policy. Lives in
// models/ because memory accounting and op-list generation depend on it; the scenario loader
// fills it and the simulator consumes it.
#include <string>
#include <vector>

#include "hardware/dtype.hpp"
#include "models/tp_overlap.hpp"

namespace trainsim::models {

enum class Recompute {
  None,       ///< keep every activation
  Selective,  ///< recompute norms and cheap up-projections (DeepSeek-V3 §3.2.3)
  Full,       ///< keep only each layer's input; recompute the whole layer in backward
  /// Recompute only the attention core (QKᵀ, softmax, dropout, ·V), as Megatron-LM's
  /// `--recompute-granularity selective` (Korthikanti et al. 2022, selective activation
  /// recomputation: the s²-sized tensors)
  CoreAttention,
};

/// The scenario name of a recompute policy (`parallelism.recompute`).
inline const char* recompute_name(Recompute r) {
  switch (r) {
    case Recompute::None:
      return "none";
    case Recompute::Selective:
      return "selective";
    case Recompute::CoreAttention:
      return "core_attention";
    case Recompute::Full:
      return "full";
  }
  return "?";
}

/// How context parallelism splits attention.
enum class CpKind {
  Ring,     ///< K/V all-gathered over the CP group, queries stay sequence-sharded (Llama 3 §3.3.2)
  Ulysses,  ///< all-to-all sequence→head sharding of Q, K, V and back for the output
            ///< (DeepSpeed-Ulysses, Jacobs et al. 2023, arXiv 2309.14509 §3)
};

/// Which kernels compute the softmax cross-entropy over the logits (E = tokens × vocab/tp
/// elements per micro-batch; h = the logits' dtype size, 2 B in BF16/FP16). HBM bytes per element
/// of E, counted from each implementation's kernels (models/op_list.cpp, `cross_entropy`):
enum class CrossEntropyKernels {
  /// Eager PyTorch ops on an FP32 copy (Megatron-LM's vocab-parallel cross-entropy without
  /// `--cross-entropy-loss-fusion`: megatron/mpu/cross_entropy.py @de7dc40f88, megatron/core/
  /// tensor_parallel/cross_entropy.py @d98e8a64dd): cast, max, subtract, exp, sum, divide
  /// forward (h + 36 B); multiply and cast back backward (12 + h B).
  Unfused,
  /// Megatron-Core's `--cross-entropy-loss-fusion` (native implementation, megatron/core/fusions/
  /// fused_cross_entropy.py @d98e8a64dd): the same FP32 maths as three compiled kernels forward
  /// (cast+max, subtract+exp+sum, divide: h + 20 B) and one backward (8 + h B: it reads the
  /// softmax, writes back the softmax it updates in place, and writes the gradient in h).
  /// NeMo's default (nemo/collections/llm/gpt/model/base.py @0175f4c6c8, GPTConfig
  /// `cross_entropy_loss_fusion = True`).
  Fused,
  /// An online-softmax kernel in the logits' own dtype (Transformer Engine's Triton
  /// cross-entropy, transformer_engine/pytorch/triton/cross_entropy.py @02965d2e): forward
  /// reads the logits once (h B); backward rewrites them in place as the gradient (2h B).
  OnlineSoftmax,
};

struct ParallelPlan {
  int dp = 1;
  /// `dp: auto`: dp is the degree that fills the GPUs, gpus / (tp · pp · cp), resolved by the
  /// scenario loader for the scenario and for every phase with its own GPUs or plan.
  bool dp_auto = false;
  int tp = 1;
  int pp = 1;
  int ep = 1;  ///< expert parallel degree (carved out of dp × tp ranks of a stage)
  int cp = 1;  ///< context parallel degree
  CpKind cp_kind = CpKind::Ring;  ///< how CP splits attention
  /// Expert tensor parallel degree (Megatron-Core `expert_tensor_parallel_size`): each routed
  /// expert's FFN columns split expert_tp ways over expert_tp consecutive ranks of a node (the TP
  /// group when equal to tp). EP × expert_tp groups tile the dp·tp·cp ranks of a stage with
  /// expert_tp innermost.
  int expert_tp = 1;
  std::string schedule = "1f1b";  ///< pipeline schedule registry name
  int virtual_stages = 1;         ///< chunks per rank for interleaved schedules
  int zero = 1;                   ///< ZeRO stage 0-3
  int micro_batch = 1;            ///< sequences per micro-batch
  /// Pipeline passes per optimizer step (gradient accumulation as torchtitan runs it: the
  /// schedule runs this many times, each a full flush of batch / (dp · micro_batch · passes)
  /// micro-batches, then one data-parallel sync and one optimizer step). 1: one pass holds the
  /// whole batch (Megatron-LM, whose "GA" is the micro-batch count of that one pass).
  int grad_accum_passes = 1;
  bool sequence_parallel = false;  ///< TP with reduce-scatter/all-gather instead of all-reduce
  Recompute recompute = Recompute::None;
  int comm_sms = 0;  ///< SMs reserved for communication kernels per GPU
  /// Reduce-scatter (all-reduce) a chunk's gradients as soon as its last backward ends, beside
  /// the rest of the step (Megatron-Core `--overlap-grad-reduce`; off by default there).
  bool overlap_grad_reduce = false;
  /// All-gather updated parameters behind the next step's forward: a chunk's first forward waits
  /// for its gather (Megatron-Core `--overlap-param-gather`; off by default there).
  bool overlap_param_gather = false;
  /// TP collectives run beside the next GEMMs instead of between them (Transformer Engine
  /// userbuffers, NeMo/Megatron `--tp-comm-overlap`; off by default there).
  bool tp_comm_overlap = false;
  /// Under tp_comm_overlap, how each TP GEMM overlaps its collective (`parallelism.tp_overlap`;
  /// Transformer Engine's defaults): its split into ring steps and the SMs the userbuffers kernels
  /// take (models/tp_overlap.hpp).
  UbConfig tp_overlap = kDefaultUbConfig;
  /// The backward collective of a column-parallel linear layer runs beside its weight-gradient
  /// GEMM, and under sequence parallelism the re-all-gather of its input (kept sharded for
  /// backward) beside its input-gradient GEMM, as Megatron-LM's
  /// LinearWithGradAccumulationAndAsyncCommunication does (megatron/mpu/layers.py: the
  /// all-reduce from NVIDIA/Megatron-LM cf7efd4f5a, 2021-08-30, on unless
  /// `--no-async-tensor-model-parallel-allreduce`; the sequence-parallel all-gather and
  /// reduce-scatter from 02bb1f5c86, 2022-03-02) and Transformer Engine's Linear does (async
  /// all-gather and reduce-scatter in its backward). Off: the collective runs after the layer's
  /// backward, with the GEMMs idle (Megatron-LM of early 2021, e.g. @de7dc40f88).
  bool tp_backward_overlap = true;
  /// Pipeline sends block the sender: a rank starts its next work item only once the
  /// activations (gradients) its pass sent have arrived, as Megatron-LM's blocking
  /// `_communicate` does (batch_isend_irecv, wait, torch.cuda.synchronize; the non-interleaved
  /// schedule of Megatron-Core still does). Off: sends are asynchronous beside the next pass.
  bool p2p_blocking = false;
  /// Megatron-LM's scatter/gather pipeline optimisation (Narayanan et al. 2021 §4.1): each TP
  /// rank sends 1/tp of the activation, and the receiving stage all-gathers it over NVLink
  /// before use. Without sequence parallelism only (with it the tensor is already split).
  bool p2p_scatter_gather = false;
  /// Expert weight-gradient GEMMs run on a second compute stream, on the SMs the main stream
  /// leaves idle (while it waits on communication), as DeepSeek-V3's training trace shows
  /// (deepseek-ai/profile-data train.json: grouped weight-gradient GEMMs on stream 23 beside the
  /// compute stream 7); a pass ends when its side work has. Off: one compute stream.
  bool expert_wgrad_side_stream = false;
  /// Weight-gradient GEMMs accumulate into the gradient buffer (beta = 1), as Megatron-LM's
  /// gradient accumulation fusion (on by default since NVIDIA/Megatron-LM 83b1e42f30,
  /// 2022-02-13; for FP16 since 07916bf245, 2022-09-27) and Transformer Engine's
  /// `fuse_wgrad_accumulation` do. Off: the GEMM writes a fresh gradient that a separate kernel
  /// adds into the buffer every micro-batch (PyTorch AccumulateGrad, or Megatron-LM's 2021
  /// `param.main_grad.add_(param.grad.data)` hook, megatron/model/distributed.py @de7dc40f88).
  bool grad_accumulation_fusion = true;
  /// Linear-layer biases cost no kernel of their own: each is added in its GEMM's epilogue or
  /// in the fused element-wise kernel that follows (bias-GELU, bias-dropout-add), and its
  /// gradient is reduced in the weight-gradient GEMM's epilogue, as Transformer Engine does
  /// (transformer_engine/pytorch/module/linear.py @0004dbd0, _Linear.backward: the BF16 wgrad
  /// GEMM returns grad_bias; FP8 fuses it into the output gradient's cast-transpose). Off, as
  /// Megatron-LM 2021-22 ran it in PyTorch: the QKV bias is added by its own kernel after the
  /// GEMM (megatron/mpu/layers.py @cfd2e21607: `output = output + bias`) and every bias gradient
  /// is a reduction kernel over its output gradient (`grad_output.sum(dim=0)`, or autograd's
  /// reduction to the bias shape behind the fused bias-GELU and bias-dropout-add).
  bool bias_fusion = true;
  /// The norms' backward is two kernels, each reading the input and the output gradient: one for
  /// the gamma/beta gradients, one for the input gradient, as Megatron-LM 2021's fused LayerNorm
  /// (megatron/fused_kernels/layer_norm_cuda_kernel.cu @de7dc40f88, HostLayerNormGradient:
  /// cuComputePartGradGammaBeta, then cuComputeGradInput). Off (`norm_backward: fused`): one
  /// kernel reads both once (Transformer Engine; apex's persistent LayerNorm).
  bool norm_backward_split = false;
  /// The cross-entropy loss kernels (see CrossEntropyKernels).
  CrossEntropyKernels cross_entropy = CrossEntropyKernels::Fused;
  /// Transformer layers of each model stage in stage order (one entry per stage the schedule
  /// has: pp, pp × virtual_stages, or 2·pp for DualPipeV), each >= 1, summing to the model's
  /// layers; the MTP modules join the last stage. Empty: balanced by simulated time.
  std::vector<int> layers_per_stage;
};

/// Which dtype each class of work uses.
struct PrecisionPolicy {
  hardware::Dtype gemm = hardware::Dtype::BF16;         ///< linear layers (incl. experts)
  hardware::Dtype attention = hardware::Dtype::BF16;    ///< attention core
  hardware::Dtype dispatch = hardware::Dtype::BF16;     ///< MoE dispatch payload
  hardware::Dtype combine = hardware::Dtype::BF16;      ///< MoE combine payload
  hardware::Dtype activations = hardware::Dtype::BF16;  ///< cached activations
  hardware::Dtype grads = hardware::Dtype::FP32;        ///< gradient accumulation buffers
  hardware::Dtype master_weights = hardware::Dtype::FP32;
  hardware::Dtype optimizer_moments = hardware::Dtype::FP32;  ///< DeepSeek-V3: BF16
  hardware::Dtype weights = hardware::Dtype::BF16;            ///< working copy of the weights
  std::string name = "bf16";                                  ///< the preset it came from
};

}  // namespace trainsim::models
