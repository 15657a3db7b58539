#pragma once
// Transformer Engine's FP8 all-gathers under sequence parallelism (Fp8Scaling::PerTensor, tp > 1):
// a column-parallel FP8 GEMM's input, and a row-parallel one's output gradient, are quantised on
// the rank's T/tp tokens and all-gathered as FP8, not gathered in BF16 and quantised after
// (transformer_engine/pytorch @d0067d0d: layernorm_linear.py and linear.py forward,
// `gather_along_first_dim(..., quantizer=...)` or the userbuffers buffer with fp8_buf;
// module/base.py grad_output_preprocess in backward; distributed.py _all_gather_fp8). FP8
// all-gathers move row-wise data only ("we cannot directly gather the transposed fp8 tensor"),
// so the transpose each weight-gradient GEMM reads is made from the gathered tensor in backward
// (`update_usage(columnwise_usage=True)`).
//
// On the op lists (op_list.cpp's names):
// - forward `.tp_all_gather` → `.quantize` → FP8 GEMM becomes `.quantize` (T/tp tokens, read
//   BF16, write FP8 row-wise: 3 B per element) → `.tp_all_gather` (FP8: 1 B per element);
// - backward `.tp_all_gather.bwd` → `.grad_quantize` → FP8 `.dgrad` likewise, and the re-gather
//   `.tp_all_gather.bwd_input` of an FP8 GEMM's input moves FP8;
// - each such GEMM's `.wgrad` is preceded by a transpose of its gathered FP8 operand
//   (`.input_transpose` / `.grad_transpose`: read and write T·d bytes).
#include "models/op_list.hpp"

namespace trainsim::models {

/// Applies the FP8 all-gathers to every pass of `ops`; no-op unless the context's FP8 is
/// per-tensor (Transformer Engine), sequence_parallel and tp > 1.
void quantize_before_all_gather(LayerOps& ops, const OpListContext& c);

}  // namespace trainsim::models
