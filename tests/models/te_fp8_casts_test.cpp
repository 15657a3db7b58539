// Transformer Engine's FP8 sequence-parallel all-gathers on the op lists
// (models/te_fp8_casts.hpp).
#include "models/te_fp8_casts.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "models/catalog.hpp"
#include "models/op_list.hpp"

namespace trainsim::models {
namespace {

using hardware::Dtype;

std::size_t index_of(const std::vector<Op>& ops, const std::string& name) {
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (ops[i].name == name) return i;
  ADD_FAILURE() << name;
  return ops.size();
}

const Op& find(const std::vector<Op>& ops, const std::string& name) {
  static const Op none;
  const std::size_t i = index_of(ops, name);
  return i < ops.size() ? ops[i] : none;
}

/// Layer 0 of `model` at `tp` (with sequence parallelism and backward overlap when tp > 1); FP8
/// GEMMs (Transformer Engine's per-tensor scaling) or BF16.
LayerOps layer0(const std::string& model, int tp, bool fp8) {
  static const ModelCatalog catalog =
      ModelCatalog::load(std::string(TRAINSIM_SOURCE_DIR) + "/models/catalog");
  OpListContext c;
  c.tp = tp;
  c.sequence_parallel = tp > 1;
  c.tp_backward_overlap = true;
  if (fp8) {
    c.precision.gemm = Dtype::FP8;
    c.precision.name = "fp8";
  }
  return build_layer_ops(catalog.get(model), 0, c);
}

LayerOps llama8b_tp8(bool fp8) {
  return layer0("llama-3.1-8b", 8, fp8);
}

// T = 4096 tokens of d = 4096 per micro-batch, T/tp = 512 on each rank between the gathers.
constexpr double kGathered = 4096.0 * 4096;
constexpr double kLocal = kGathered / 8;

TEST(Fp8AllGather, AColumnParallelInputIsQuantisedOnTheLocalTokensThenGatheredInFp8) {
  // DeepSeek-V3's MLA query down-projection (not a LayerNormLinear) at TP8, d = 7168, T = 4096:
  // its cast runs on T/tp·d elements (read 2 B, write 1 B row-wise, + 8 B of scale and amax),
  // then the gather moves T·d FP8 bytes, then the GEMM; BF16 gathers T·d·2 bytes.
  const LayerOps fp8 = layer0("deepseek-v3", 8, true);
  const auto& f = fp8.forward;
  const double gathered = 4096.0 * 7168;
  const std::size_t q = index_of(f, "L0.attn.q_a_proj.quantize");
  EXPECT_EQ(index_of(f, "L0.attn.tp_all_gather"), q + 1);
  EXPECT_EQ(index_of(f, "L0.attn.q_a_proj"), q + 2);
  EXPECT_DOUBLE_EQ(f[q].bytes, gathered / 8 * 3 + 8);
  EXPECT_DOUBLE_EQ(find(f, "L0.attn.tp_all_gather").bytes, gathered);
  EXPECT_EQ(find(f, "L0.attn.tp_all_gather").dtype, Dtype::FP8);
  EXPECT_DOUBLE_EQ(find(layer0("deepseek-v3", 8, false).forward, "L0.attn.tp_all_gather").bytes,
                   2 * gathered);
}

TEST(Fp8AllGather, TheWeightGradientReadsATransposeOfTheReGatheredFp8Input) {
  // Llama 3.1 8B at TP8: the backward re-gather of a column-parallel input moves the FP8 bytes
  // the forward gathered (T·d), and the weight-gradient GEMM reads a transpose made from it (FP8
  // read + write: 2·T·d B), in the split and the full backward.
  const LayerOps fp8 = llama8b_tp8(true);
  EXPECT_DOUBLE_EQ(find(fp8.forward, "L0.ffn.tp_all_gather").bytes, kGathered);
  EXPECT_DOUBLE_EQ(find(fp8.backward_input, "L0.attn.tp_all_gather.bwd_input").bytes, kGathered);
  const auto& w = fp8.backward_weight;
  const std::size_t t = index_of(w, "L0.attn.qkv_proj.input_transpose");
  EXPECT_EQ(index_of(w, "L0.attn.qkv_proj.wgrad"), t + 1);
  EXPECT_DOUBLE_EQ(w[t].bytes, 2 * kGathered);
  const std::size_t tf = index_of(fp8.backward_full, "L0.ffn.gate_up_proj.input_transpose");
  EXPECT_EQ(index_of(fp8.backward_full, "L0.ffn.gate_up_proj.wgrad"), tf + 1);
}

TEST(Fp8NormCast, ALayerNormLinearsNormWritesFp8AndItsGemmHasNoCast) {
  // Under sequence parallelism the QKV and FFN-up norms run on T/tp·d elements and write FP8:
  // read 2 B, write 1 B (+ 8 B of scale and amax) = 3·e + 8 B against BF16's 4·e; the GEMM's
  // cast is gone and the FP8 gather follows the norm.
  const LayerOps fp8 = llama8b_tp8(true);
  const auto& f = fp8.forward;
  for (const std::string block : {"attn", "ffn"}) {
    const std::size_t norm = index_of(f, "L0." + block + ".norm");
    EXPECT_DOUBLE_EQ(f[norm].bytes, kLocal * 3 + 8) << block;
    EXPECT_EQ(f[norm + 1].name, "L0." + block + ".tp_all_gather");
    EXPECT_EQ(f[norm + 2].kind, OpKind::Gemm) << block;
  }
  for (const Op& op : f) EXPECT_NE(op.name, "L0.attn.qkv_proj.quantize");
  EXPECT_DOUBLE_EQ(find(llama8b_tp8(false).forward, "L0.attn.norm").bytes, kLocal * 4);
}

TEST(Fp8NormCast, WithoutAGatherTheNormsTransposeIsMadeInForward) {
  // TP1 (T = 4096, d = 4096: e = T·d): the norm writes FP8 (3·e + 8 B) and the norm API
  // transposes it for the weight gradient right away (2·e B), replacing the cast-transpose
  // (read 2 B, write 1 + 1 B: 4·e + 8 B).
  const LayerOps fp8 = layer0("llama-3.1-8b", 1, true);
  const auto& f = fp8.forward;
  const std::size_t norm = index_of(f, "L0.attn.norm");
  EXPECT_DOUBLE_EQ(f[norm].bytes, kGathered * 3 + 8);
  EXPECT_EQ(f[norm + 1].name, "L0.attn.qkv_proj.input_transpose");
  EXPECT_DOUBLE_EQ(f[norm + 1].bytes, 2 * kGathered);
  EXPECT_EQ(f[norm + 2].name, "L0.attn.qkv_proj");
  // The attention output's cast is no norm's: it stays a cast-transpose of 4 B per element.
  EXPECT_DOUBLE_EQ(find(f, "L0.attn.o_proj.quantize").bytes, kGathered * 4 + 8);
}

TEST(Fp8AllGather, ARowParallelOutputGradientIsQuantisedThenGatheredInFp8) {
  // Backward of o_proj (grad_output_preprocess): dY quantised on T/tp tokens, gathered as FP8,
  // then the dgrad GEMM; the wgrad reads its transpose.
  const LayerOps fp8 = llama8b_tp8(true);
  const auto& b = fp8.backward_input;
  const std::size_t q = index_of(b, "L0.attn.o_proj.grad_quantize");
  EXPECT_EQ(index_of(b, "L0.attn.tp_all_gather.bwd"), q + 1);
  EXPECT_EQ(index_of(b, "L0.attn.o_proj.dgrad"), q + 2);
  EXPECT_DOUBLE_EQ(b[q].bytes, kLocal * 3 + 8);
  EXPECT_DOUBLE_EQ(find(b, "L0.attn.tp_all_gather.bwd").bytes, kGathered);
  EXPECT_DOUBLE_EQ(find(fp8.backward_weight, "L0.attn.o_proj.grad_transpose").bytes, 2 * kGathered);
}

TEST(Fp8AllGather, Bf16GathersAndReductionsAreUntouched) {
  // BF16 GEMMs gather BF16 and have no transposes; reduce-scatters carry the BF16 GEMM outputs
  // either way.
  const LayerOps bf16 = llama8b_tp8(false);
  EXPECT_DOUBLE_EQ(find(bf16.forward, "L0.attn.tp_all_gather").bytes, 2 * kGathered);
  EXPECT_EQ(index_of(bf16.forward, "L0.attn.tp_all_gather") + 1,
            index_of(bf16.forward, "L0.attn.qkv_proj"));
  for (const Op& op : bf16.backward_weight)
    EXPECT_EQ(op.name.find("transpose"), std::string::npos) << op.name;
  const LayerOps fp8 = llama8b_tp8(true);
  EXPECT_DOUBLE_EQ(find(fp8.forward, "L0.attn.tp_reduce_scatter").bytes, 2 * kGathered);
  EXPECT_DOUBLE_EQ(find(fp8.backward_input, "L0.attn.tp_reduce_scatter.bwd").bytes, 2 * kGathered);
}

}  // namespace
}  // namespace trainsim::models
