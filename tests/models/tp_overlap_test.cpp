// Transformer Engine userbuffers overlap per TP GEMM (models/tp_overlap.hpp) and the op list's
// marking of the overlapped GEMMs.
#include "models/tp_overlap.hpp"

#include <gtest/gtest.h>

#include "models/catalog.hpp"
#include "models/op_list.hpp"

namespace trainsim::models {
namespace {

TEST(TpOverlap, DefaultsAreTransformerEnginesTable) {
  // TE initialize_ub: ring_exchange (num_sm 1, no SM margin, tp splits) for the AG-side fprops
  // and dgrads; pipeline (16 SMs, 4 splits, SM margin) for proj/fc2 fprop; bulk (16 SMs) for the
  // rest.
  for (UbGemm g : {UbGemm::QkvFprop, UbGemm::Fc1Fprop, UbGemm::ProjDgrad, UbGemm::Fc2Dgrad}) {
    const UbGemmOverlap o = default_ub_overlap(g);
    EXPECT_EQ(o.method, UbMethod::RingExchange) << ub_gemm_name(g);
    EXPECT_EQ(ub_chunks(o, 8), 8);
    EXPECT_EQ(ub_reserved_sms(o), 0);
  }
  for (UbGemm g : {UbGemm::ProjFprop, UbGemm::Fc2Fprop}) {
    EXPECT_EQ(default_ub_overlap(g).method, UbMethod::Pipeline);
    EXPECT_EQ(ub_chunks(default_ub_overlap(g), 8), 4);
    EXPECT_EQ(ub_reserved_sms(default_ub_overlap(g)), 16);
  }
  for (UbGemm g : {UbGemm::QkvDgrad, UbGemm::QkvWgrad, UbGemm::Fc1Dgrad, UbGemm::Fc1Wgrad}) {
    EXPECT_EQ(default_ub_overlap(g).method, UbMethod::Bulk);
    EXPECT_EQ(ub_chunks(default_ub_overlap(g), 8), 1);
    EXPECT_EQ(ub_reserved_sms(default_ub_overlap(g)), 16);
  }
}

TEST(TpOverlap, ChunksAndReservedSmsFollowTheMethod) {
  // Ring exchange: tp GEMMs (tp/2 aggregated); SMs only with set_sm_margin. Bulk: num_sm always.
  UbGemmOverlap ring{UbMethod::RingExchange, 1, 4, true, true};
  EXPECT_EQ(ub_chunks(ring, 8), 4);
  EXPECT_EQ(ub_reserved_sms(ring), 1);
  UbGemmOverlap bulk{UbMethod::Bulk, 24, 4, false, false};
  EXPECT_EQ(ub_chunks(bulk, 8), 1);
  EXPECT_EQ(ub_reserved_sms(bulk), 24);
  EXPECT_EQ(ub_chunks(default_ub_overlap(UbGemm::QkvFprop), 1), 1);  // no TP: nothing to split
}

TEST(TpOverlap, OpNamesMapToTheirGemms) {
  EXPECT_EQ(ub_gemm_of("L3.attn.qkv_proj"), UbGemm::QkvFprop);
  EXPECT_EQ(ub_gemm_of("L3.attn.qkv_proj.recompute"), UbGemm::QkvFprop);
  EXPECT_EQ(ub_gemm_of("L3.attn.o_proj.dgrad"), UbGemm::ProjDgrad);
  EXPECT_EQ(ub_gemm_of("L3.ffn.gate_up_proj.wgrad"), UbGemm::Fc1Wgrad);
  EXPECT_EQ(ub_gemm_of("L3.ffn.up_proj"), UbGemm::Fc1Fprop);
  EXPECT_EQ(ub_gemm_of("L3.ffn.down_proj"), UbGemm::Fc2Fprop);
  // The weight gradients of the row-parallel layers have no collective beside them (TE:
  // "external"), and other ops are not TP GEMMs.
  EXPECT_FALSE(ub_gemm_of("L3.attn.o_proj.wgrad"));
  EXPECT_FALSE(ub_gemm_of("L3.ffn.down_proj.wgrad"));
  EXPECT_FALSE(ub_gemm_of("L3.attn.qkv_proj.quantize"));
}

TEST(TpOverlap, TheOpListMarksEachOverlappedGemmOnlyUnderTpCommOverlap) {
  // Llama 3.1 8B at TP8: with tp_comm_overlap each TP GEMM carries its method's chunks and SMs
  // (TE's defaults here: qkv fprop 8 ring steps, o_proj fprop 4 pipeline splits on 16 fewer SMs,
  // qkv wgrad on 16 fewer SMs, o_proj wgrad untouched); without it, none does.
  const ModelCatalog catalog =
      ModelCatalog::load(std::string(TRAINSIM_SOURCE_DIR) + "/models/catalog");
  const ModelSpec& m = catalog.get("llama-3.1-8b");
  OpListContext c;
  c.tp = 8;
  c.sequence_parallel = true;
  const auto find = [](const std::vector<Op>& ops, const std::string& name) {
    for (const Op& op : ops)
      if (op.name == name) return op;
    ADD_FAILURE() << name;
    return Op{};
  };
  const LayerOps plain = build_layer_ops(m, 0, c);
  EXPECT_EQ(find(plain.forward, "L0.attn.qkv_proj").serial_chunks, 1);
  EXPECT_EQ(find(plain.backward_weight, "L0.attn.qkv_proj.wgrad").sms_reserved, 0);
  c.tp_comm_overlap = true;
  const LayerOps ub = build_layer_ops(m, 0, c);
  EXPECT_EQ(find(ub.forward, "L0.attn.qkv_proj").serial_chunks, 8);
  EXPECT_EQ(find(ub.forward, "L0.attn.qkv_proj").sms_reserved, 0);
  EXPECT_EQ(find(ub.forward, "L0.attn.o_proj").serial_chunks, 4);
  EXPECT_EQ(find(ub.forward, "L0.attn.o_proj").sms_reserved, 16);
  EXPECT_EQ(find(ub.backward_weight, "L0.attn.qkv_proj.wgrad").serial_chunks, 1);
  EXPECT_EQ(find(ub.backward_weight, "L0.attn.qkv_proj.wgrad").sms_reserved, 16);
  EXPECT_EQ(find(ub.backward_weight, "L0.attn.o_proj.wgrad").sms_reserved, 0);
}

}  // namespace
}  // namespace trainsim::models
