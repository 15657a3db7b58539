#pragma once
// Classifying GPU kernel names from a profiler trace into the op kinds trainsim times. Rules are
// ordered substring tests on the demangled name (first match wins); the table is in
// trace_classifier.cpp with the library each name pattern comes from. What no rule matches is
// KernelClass::Other and is listed by the calibration as unmatched, never dropped.
#include <string>
#include <string_view>
#include <vector>

#include "hardware/dtype.hpp"
#include "models/op.hpp"

namespace trainsim::calibration {

enum class KernelClass {
  GemmDense,          ///< one GEMM (cuBLAS, CUTLASS, DeepGEMM dense)
  GemmGrouped,        ///< M- or K-grouped MoE expert GEMM
  GemmWeightGrad,     ///< weight-gradient GEMM accumulating into the FP32 gradient
  AttentionForward,   ///< FlashAttention / FlashMLA / cuDNN SDPA forward
  AttentionBackward,  ///< its backward (incl. pre/post-processing kernels)
  Quantize,           ///< FP8 casts with scales, cast-back, transposes for FP8 layouts
  Norm,               ///< RMSNorm / LayerNorm forward and backward
  Elementwise,        ///< activations, RoPE, adds, copies, reductions, memcpy/memset
  Permute,            ///< MoE token permute / unpermute and its index bookkeeping
  Router,             ///< MoE gate top-k, group limits, auxiliary-loss statistics
  AllToAll,           ///< MoE dispatch / combine (DeepEP) and its notify kernels
  Nccl,               ///< NCCL collectives (data/pipeline/tensor parallel)
  Optimizer,          ///< AdamW and other optimizer steps
  Other,              ///< no rule matched
};

/// Which all-to-all op an AllToAll kernel is: DeepEP's dispatch or combine kernel, or a notify /
/// layout kernel serving either.
enum class AllToAllRole { Either, Dispatch, Combine };

struct KernelClassification {
  KernelClass cls = KernelClass::Other;
  AllToAllRole role = AllToAllRole::Either;       ///< AllToAll only
  hardware::Dtype dtype = hardware::Dtype::BF16;  ///< GEMMs: from the name (fp8/e4m3, bf16, …)
  std::string rule;                               ///< the name pattern that matched ("" for Other)
};

/// Classifies one kernel; `category` is the trace category ("kernel", "gpu_memcpy", …).
KernelClassification classify_kernel(std::string_view name, std::string_view category = "kernel");

/// "gemm.fp8.dense", "attention.backward", "all_to_all.combine", "quantize", … (class and, for
/// GEMMs, dtype; for all-to-all, role).
std::string class_label(const KernelClassification& c);

/// Whether a trainsim op is what a kernel of this class computes: GEMM classes take ops of
/// their dtype (dense: Gemm and the Router's gate GEMM; grouped: GroupedGemm; weight-gradient:
/// Gemm and GroupedGemm), the others the op kind of the same name (AllToAll: Dispatch or Combine
/// by role, either for notify kernels; Nccl: TP and CP collectives). Optimizer and Other match no
/// op.
bool class_matches_op(const KernelClassification& c, const models::Op& op);

/// "cutlass::device_kernel<dpsk::…::GemmKernel>(…)" → "dpsk::…::GemmKernel"; otherwise the
/// name up to its first '<' or '(' without a leading "void ".
std::string short_kernel_name(std::string_view name);

}  // namespace trainsim::calibration
