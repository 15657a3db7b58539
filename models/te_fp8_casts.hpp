#pragma once
// Where Transformer Engine's per-tensor FP8 casts run (Fp8Scaling::PerTensor), on the op lists
// op_list.cpp builds (transformer_engine/pytorch @d0067d0d).
//
// FP8 all-gathers under sequence parallelism (tp > 1): a column-parallel FP8 GEMM's input, and a
// row-parallel one's output gradient, are quantised on the rank's T/tp tokens and all-gathered as
// FP8, not gathered in BF16 and quantised after (layernorm_linear.py and linear.py forward,
// `gather_along_first_dim(..., quantizer=...)` or the userbuffers buffer with fp8_buf;
// module/base.py grad_output_preprocess in backward; distributed.py _all_gather_fp8). FP8
// all-gathers move row-wise data only ("we cannot directly gather the transposed fp8 tensor"),
// so the transpose each weight-gradient GEMM reads is made from the gathered tensor in backward
// (`update_usage(columnwise_usage=True)`):
// - forward `.tp_all_gather` → `.quantize` → FP8 GEMM becomes `.quantize` (T/tp tokens, read
//   BF16, write FP8 row-wise: 3 B per element) → `.tp_all_gather` (FP8: 1 B per element);
// - backward `.tp_all_gather.bwd` → `.grad_quantize` → FP8 `.dgrad` likewise, and the re-gather
//   `.tp_all_gather.bwd_input` of an FP8 GEMM's input moves FP8;
// - each such GEMM's `.wgrad` is preceded by a transpose of its gathered FP8 operand
//   (`.input_transpose` / `.grad_transpose`: read and write T·d bytes).
//
// The norm of a LayerNormLinear (the QKV projection, a dense FFN's up projection: Megatron-Core's
// TELayerNormColumnParallelLinear) writes its output in FP8 itself (layernorm_linear.py,
// `with_quantized_norm`; common/normalization/rmsnorm/rmsnorm_api.cpp), so the GEMM's own cast
// kernel is gone: the norm writes 1 B per element instead of 2 (+ 8 B of scale and amax), and
// where the GEMM also needs the transposed copy in forward (no all-gather between), the norm
// API's `nvte_transpose` makes it from the FP8 output (`.input_transpose`: 2 B per element).
#include "models/op_list.hpp"

namespace trainsim::models {

/// Applies both to every pass of `ops`; no-op unless the context's FP8 is per-tensor (Transformer
/// Engine). The all-gathers only under sequence_parallel with tp > 1.
void apply_te_fp8_casts(LayerOps& ops, const OpListContext& c);

}  // namespace trainsim::models
