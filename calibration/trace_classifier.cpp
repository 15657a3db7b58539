// Kernel-name rules, in order (first match wins). Patterns and where they come from:
//  - DeepEP (deepseek-ai/DeepEP): "deep_ep::", "dpsk::ep::", "internode::", "intranode::",
//    "notify_dispatch", "cached_notify", "get_dispatch_layout" → AllToAll; the kernel's last name
//    component gives its role: "combine" → the Combine op, "dispatch" → the Dispatch op, a
//    notify/layout kernel → either (in backward, DeepEP's dispatch kernel carries the combine's
//    gradient: trainsim's Dispatch op of that pass).
//  - NCCL: "nccl" (any case) → Nccl.
//  - FlashAttention 2/3 (Dao-AILab/flash-attention: "flash::compute_attn_ws",
//    "flash::FlashAttnBwd…", "flash_fwd_kernel", "flash_bwd_…"), FlashMLA ("flash_mla"), cuDNN
//    ("fmha", "sdpa"): a backward word ("Bwd", "bwd", "backward", "dq_dk_dv") → AttentionBackward,
//    else AttentionForward.
//  - GEMMs: "gemm"/"Gemm"/"GEMM", cuBLAS "xmma", "nvjet", "cublasLt", DeepGEMM "deep_gemm".
//    Grouped: "m_grouped", "k_grouped", "Grouped", "grouped_gemm_kernel", "moe_gemm" (a namespace
//    "grouped_gemm::" alone is not, and is ignored when looking for a GEMM word: DeepSeek's dense
//    FP8 GEMMs and its transpose kernels live in one). Weight gradient:
//    "wgrad", "_acc::" / "_acc<" (DeepSeek's accumulate-into-FP32 kernels, fp8_dptp128c_acc).
//    dtype: "fp8", "e4m3", "e5m2", "f8" → FP8; "bf16", "bfloat16" → BF16; "fp16", "f16", "half"
//    → FP16; "tf32" → TF32; "f32_f32_f32"/"sgemm" → FP32; otherwise BF16 (stated default).
//  From here on the rules test the short name (short_kernel_name: no template arguments, which
//  carry words such as "fp8" or "lambda"):
//  - SwiGLU/activation kernels, including ones fused with an FP8 cast ("swiglu", "silu",
//    "gelu") → Elementwise (the activation is the op; the fused cast is not separable).
//  - Permute (DeepSeek's fused MoE layout kernels, vLLM/Megatron names): "permute",
//    "expand_to_fused", "reduce_fused", "fused_mapping", "count_expert", "moe_align", "moe_sort",
//    "index_select", "scatter_add" → Permute.
//  - Router: "topk", "TopK", "top_k", "router", "gating", "aux_fi", "unique_group_indices",
//    "group_limited" → Router.
//  - Norms: "layer_norm", "layernorm", "LayerNorm", "rms_norm", "rmsnorm", "RMSNorm", "ln_fwd",
//    "ln_bwd" → Norm.
//  - Casts/quantize/transpose: "cast", "quant", "fp8", "transpose" → Quantize.
//  - Optimizer: "adam", "Adam", "multi_tensor_apply", "sgd_", "lamb_", "Lamb" → Optimizer.
//  - Elementwise: "elementwise", "vectorized", "reduce_kernel", "rotary", "rope", "copy",
//    "fill", "dropout", "Distribution", "add", "mul", and every gpu_memcpy / gpu_memset.
#include "calibration/trace_classifier.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <string>
#include <utility>

namespace trainsim::calibration {
namespace {

using hardware::Dtype;
using models::OpKind;

bool has(std::string_view s, std::string_view p) {
  return s.find(p) != std::string_view::npos;
}

template <std::size_t N>
const char* first_of(std::string_view s, const std::array<const char*, N>& patterns) {
  for (const char* p : patterns)
    if (has(s, p)) return p;
  return nullptr;
}

bool has_icase(std::string_view s, std::string_view p) {
  if (p.size() > s.size()) return false;
  for (std::size_t i = 0; i + p.size() <= s.size(); ++i) {
    bool ok = true;
    for (std::size_t j = 0; j < p.size() && ok; ++j) {
      const auto a = static_cast<unsigned char>(s[i + j]);
      ok = std::tolower(a) == static_cast<unsigned char>(p[j]);
    }
    if (ok) return true;
  }
  return false;
}

Dtype gemm_dtype(std::string_view n) {
  if (first_of(n, std::array{"fp8", "e4m3", "e5m2", "f8"})) return Dtype::FP8;
  if (first_of(n, std::array{"bf16", "bfloat16"})) return Dtype::BF16;
  if (first_of(n, std::array{"tf32"})) return Dtype::TF32;
  if (first_of(n, std::array{"fp16", "f16", "half"})) return Dtype::FP16;
  if (first_of(n, std::array{"f32_f32_f32", "sgemm"})) return Dtype::FP32;
  return Dtype::BF16;
}

}  // namespace

KernelClassification classify_kernel(std::string_view n, std::string_view category) {
  KernelClassification c;
  const auto set = [&](KernelClass k, const char* rule) {
    c.cls = k;
    c.rule = rule;
    return c;
  };
  if (category == "gpu_memcpy") return set(KernelClass::Elementwise, "gpu_memcpy");
  if (category == "gpu_memset") return set(KernelClass::Elementwise, "gpu_memset");
  if (const char* p = first_of(
          n, std::array{"deep_ep::", "dpsk::ep::", "internode::", "intranode::", "notify_dispatch",
                        "cached_notify", "get_dispatch_layout"})) {
    const std::string sn = short_kernel_name(n);
    const std::string leaf =
        sn.substr(sn.rfind("::") == std::string::npos ? 0 : sn.rfind("::") + 2);
    if (leaf.find("notify") == std::string::npos && leaf.find("layout") == std::string::npos) {
      if (leaf.find("combine") != std::string::npos) c.role = AllToAllRole::Combine;
      if (leaf.find("dispatch") != std::string::npos) c.role = AllToAllRole::Dispatch;
    }
    return set(KernelClass::AllToAll, p);
  }
  if (has_icase(n, "nccl")) return set(KernelClass::Nccl, "nccl");
  if (const char* p = first_of(n, std::array{"flash::", "flash_fwd", "flash_bwd", "FlashAttn",
                                             "flash_attn", "flash_mla", "fmha", "sdpa"})) {
    const bool bwd = first_of(n, std::array{"Bwd", "bwd", "backward", "dq_dk_dv"}) != nullptr;
    return set(bwd ? KernelClass::AttentionBackward : KernelClass::AttentionForward, p);
  }
  // A "grouped_gemm::" namespace names a library, not a GEMM (its utils::transpose is a cast).
  std::string unqualified(n);
  for (auto at = unqualified.find("grouped_gemm::"); at != std::string::npos;
       at = unqualified.find("grouped_gemm::"))
    unqualified.erase(at, 14);
  if (const char* p =
          first_of(std::string_view(unqualified),
                   std::array{"gemm", "Gemm", "GEMM", "xmma", "nvjet", "cublasLt", "deep_gemm"})) {
    c.dtype = gemm_dtype(n);
    if (const char* w = first_of(n, std::array{"wgrad", "_acc::", "_acc<"}))
      return set(KernelClass::GemmWeightGrad, w);
    if (const char* g = first_of(
            n, std::array{"m_grouped", "k_grouped", "Grouped", "grouped_gemm_kernel", "moe_gemm"}))
      return set(KernelClass::GemmGrouped, g);
    return set(KernelClass::GemmDense, p);
  }
  // The rest test the name without template arguments: those carry "fp8", "lambda", … .
  const std::string sn = short_kernel_name(n);
  const std::string_view s(sn);
  if (const char* p = first_of(s, std::array{"swiglu", "silu", "gelu"}))
    return set(KernelClass::Elementwise, p);
  if (const char* p = first_of(
          s, std::array{"permute", "expand_to_fused", "reduce_fused", "fused_mapping",
                        "count_expert", "moe_align", "moe_sort", "index_select", "scatter_add"}))
    return set(KernelClass::Permute, p);
  if (const char* p = first_of(s, std::array{"topk", "TopK", "top_k", "router", "gating", "aux_fi",
                                             "unique_group_indices", "group_limited"}))
    return set(KernelClass::Router, p);
  if (const char* p = first_of(s, std::array{"layer_norm", "layernorm", "LayerNorm", "rms_norm",
                                             "rmsnorm", "RMSNorm", "ln_fwd", "ln_bwd"}))
    return set(KernelClass::Norm, p);
  if (const char* p = first_of(s, std::array{"cast", "quant", "fp8", "transpose"}))
    return set(KernelClass::Quantize, p);
  if (const char* p =
          first_of(s, std::array{"adam", "Adam", "multi_tensor_apply", "sgd_", "lamb_", "Lamb"}))
    return set(KernelClass::Optimizer, p);
  if (const char* p =
          first_of(s, std::array{"elementwise", "vectorized", "reduce_kernel", "rotary", "rope",
                                 "copy", "fill", "dropout", "Distribution", "add", "mul"}))
    return set(KernelClass::Elementwise, p);
  return c;
}

std::string class_label(const KernelClassification& c) {
  const std::string dt{hardware::dtype_name(c.dtype)};
  switch (c.cls) {
    case KernelClass::GemmDense:
      return "gemm." + dt + ".dense";
    case KernelClass::GemmGrouped:
      return "gemm." + dt + ".grouped";
    case KernelClass::GemmWeightGrad:
      return "gemm." + dt + ".wgrad";
    case KernelClass::AttentionForward:
      return "attention.forward";
    case KernelClass::AttentionBackward:
      return "attention.backward";
    case KernelClass::Quantize:
      return "quantize";
    case KernelClass::Norm:
      return "norm";
    case KernelClass::Elementwise:
      return "elementwise";
    case KernelClass::Permute:
      return "permute";
    case KernelClass::Router:
      return "router";
    case KernelClass::AllToAll:
      return c.role == AllToAllRole::Dispatch  ? "all_to_all.dispatch"
             : c.role == AllToAllRole::Combine ? "all_to_all.combine"
                                               : "all_to_all";
    case KernelClass::Nccl:
      return "nccl";
    case KernelClass::Optimizer:
      return "optimizer";
    case KernelClass::Other:
      return "other";
  }
  return "other";
}

bool class_matches_op(const KernelClassification& c, const models::Op& op) {
  switch (c.cls) {
    case KernelClass::GemmDense:
      return op.dtype == c.dtype && (op.kind == OpKind::Gemm || op.kind == OpKind::Router);
    case KernelClass::GemmGrouped:
      return op.dtype == c.dtype && op.kind == OpKind::GroupedGemm;
    case KernelClass::GemmWeightGrad:
      return op.dtype == c.dtype && (op.kind == OpKind::Gemm || op.kind == OpKind::GroupedGemm);
    case KernelClass::AttentionForward:
    case KernelClass::AttentionBackward:
      return op.kind == OpKind::Attention;
    case KernelClass::Quantize:
      return op.kind == OpKind::Quantize;
    case KernelClass::Norm:
      return op.kind == OpKind::Norm;
    case KernelClass::Elementwise:
      return op.kind == OpKind::Elementwise;
    case KernelClass::Permute:
      return op.kind == OpKind::Permute;
    case KernelClass::Router:
      return op.kind == OpKind::Router;
    case KernelClass::AllToAll:
      return c.role == AllToAllRole::Dispatch ? op.kind == OpKind::Dispatch
             : c.role == AllToAllRole::Combine
                 ? op.kind == OpKind::Combine
                 : op.kind == OpKind::Dispatch || op.kind == OpKind::Combine;
    case KernelClass::Nccl:
      return op.kind == OpKind::TpCollective || op.kind == OpKind::CpCollective;
    case KernelClass::Optimizer:
    case KernelClass::Other:
      return false;
  }
  return false;
}

std::string short_kernel_name(std::string_view name) {
  std::string_view s = name;
  if (s.rfind("void ", 0) == 0) s.remove_prefix(5);
  if (s.rfind("(anonymous namespace)::", 0) == 0) s.remove_prefix(23);
  const auto dk = s.find("device_kernel<");
  if (dk != std::string_view::npos) {
    s.remove_prefix(dk + 14);
    const auto end = s.find_first_of("<>(");
    return std::string(s.substr(0, end));
  }
  s = s.substr(0, s.find_first_of("<("));
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

}  // namespace trainsim::calibration
