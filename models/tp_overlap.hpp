#pragma once
// Transformer Engine's userbuffers overlap of the tensor-parallel GEMMs with their collectives
// (ParallelPlan::tp_comm_overlap), one setting per GEMM as TE names them. What it costs the
// GEMMs, which the step otherwise prices as if the collective were free beside them:
// - ring_exchange (all-gather or reduce-scatter in TP steps of point-to-point copies): the GEMM
//   runs as tp GEMMs of tokens/tp rows each, one per ring step (tp/2 of twice that with
//   `aggregate`); the copies go through the copy engines, and SMs are held back for the
//   communication only with `set_sm_margin` (num_sm of them);
// - pipeline (a reduce-scatter after each of num_splits GEMMs of tokens/num_splits rows): the
//   split, and num_sm SMs held for the reduce-scatter kernels when `set_sm_margin`;
// - bulk (one collective kernel on num_sm SMs beside the whole GEMM): the GEMM has num_sm fewer
//   SMs while it runs (with or without set_sm_margin, the SMs are taken either way).
// Defaults are Transformer Engine's (transformer_engine/pytorch/module/base.py @d0067d0d,
// initialize_ub: get_default_config and its `methods` table).
#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace trainsim::models {

enum class UbMethod { RingExchange, Pipeline, Bulk };

/// The ten GEMMs of a transformer layer that TE overlaps, in its names.
enum class UbGemm {
  QkvFprop,
  QkvDgrad,
  QkvWgrad,
  ProjFprop,
  ProjDgrad,
  Fc1Fprop,
  Fc1Dgrad,
  Fc1Wgrad,
  Fc2Fprop,
  Fc2Dgrad,
};
inline constexpr std::size_t kUbGemmCount = 10;

/// "qkv_fprop", ...; the scenario keys of `parallelism.tp_overlap`.
std::string_view ub_gemm_name(UbGemm g);
/// "ring_exchange", "pipeline" or "bulk".
std::string_view ub_method_name(UbMethod m);

struct UbGemmOverlap {
  UbMethod method = UbMethod::Bulk;
  int num_sm = 16;            ///< SMs of the communication kernels
  int num_splits = 4;         ///< pipeline: GEMM chunks
  bool aggregate = false;     ///< ring_exchange: two ring steps per GEMM
  bool set_sm_margin = true;  ///< the GEMM leaves num_sm SMs to the communication
};

using UbConfig = std::array<UbGemmOverlap, kUbGemmCount>;

namespace detail {
inline constexpr UbGemmOverlap kRing{UbMethod::RingExchange, 1, 4, false, false};
inline constexpr UbGemmOverlap kPipeline{UbMethod::Pipeline, 16, 4, false, true};
inline constexpr UbGemmOverlap kBulk{UbMethod::Bulk, 16, 4, false, true};
}  // namespace detail

/// TE's defaults, in UbGemm order (see default_ub_overlap).
inline constexpr UbConfig kDefaultUbConfig{
    detail::kRing, detail::kBulk, detail::kBulk, detail::kPipeline, detail::kRing,
    detail::kRing, detail::kBulk, detail::kBulk, detail::kPipeline, detail::kRing};

/// TE's default setting of one GEMM: ring_exchange (num_sm 1, no SM margin) for qkv_fprop,
/// fc1_fprop, proj_dgrad and fc2_dgrad; pipeline (num_sm 16, 4 splits, SM margin) for proj_fprop
/// and fc2_fprop; bulk (num_sm 16) for qkv_dgrad, qkv_wgrad, fc1_dgrad and fc1_wgrad.
UbGemmOverlap default_ub_overlap(UbGemm g);
/// TE's defaults for a GEMM given this method (what `parallelism.tp_overlap` starts from when
/// an entry changes a GEMM's method).
UbGemmOverlap ub_method_defaults(UbMethod m);

/// Whether TE overlaps a reduce-scatter of this GEMM's output (its layers_reduce_scatter_overlap:
/// proj_fprop, fc2_fprop, qkv_wgrad, fc1_wgrad) rather than an all-gather of its input.
bool ub_reduce_scatter(UbGemm g);
/// Sequential GEMMs the overlap splits this GEMM into along its token rows, >= 1. `aggregate`
/// pairs ring steps of an all-gather only (TE's split_overlap_ag; its split_overlap_rs runs tp
/// chunks either way).
int ub_chunks(const UbGemmOverlap& o, int tp, bool reduce_scatter = false);
/// SMs the overlap's communication kernels take from the GEMM, >= 0.
int ub_reserved_sms(const UbGemmOverlap& o);

/// The UbGemm an op of the op list is, from its name (".attn.qkv_proj", ".attn.o_proj",
/// ".ffn.gate_up_proj"/".ffn.up_proj", ".ffn.down_proj", with ".dgrad"/".wgrad" for the
/// backward GEMMs and ".recompute" for a re-run forward); nullopt for other ops.
std::optional<UbGemm> ub_gemm_of(std::string_view op_name);

}  // namespace trainsim::models
