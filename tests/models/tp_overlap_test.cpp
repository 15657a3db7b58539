// Transformer Engine userbuffers overlap per TP GEMM (models/tp_overlap.hpp) and the op list's
// marking of the overlapped GEMMs.
#include "models/tp_overlap.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

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
  EXPECT_EQ(ub_chunks(ring, 8, /*reduce_scatter=*/true), 8);  // aggregate pairs AG steps only
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

/// Index of op `name` in `ops`, or ops.size() (a test failure) when absent.
std::size_t index_of(const std::vector<Op>& ops, const std::string& name) {
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (ops[i].name == name) return i;
  ADD_FAILURE() << name;
  return ops.size();
}

OpListContext tp8_sequence_parallel() {
  OpListContext c;
  c.tp = 8;
  c.sequence_parallel = true;
  c.tp_comm_overlap = true;
  return c;
}

TEST(TpOverlap, APipelinedReduceScatterRunsBesideItsGemmAndItsLastSplitAfter) {
  // TE's split_overlap_rs (pipeline, 4 splits): split i's reduce-scatter follows GEMM split i,
  // so 3/4 of the T·d·2 B (T = 4096 tokens, d = 4096, BF16) run beside the o_proj GEMM and the
  // last 1/4 after it; the residual add reads the reduced output and waits for it.
  const ModelCatalog catalog =
      ModelCatalog::load(std::string(TRAINSIM_SOURCE_DIR) + "/models/catalog");
  const LayerOps ops = build_layer_ops(catalog.get("llama-3.1-8b"), 0, tp8_sequence_parallel());
  const auto& f = ops.forward;
  const double bytes = 4096.0 * 4096 * 2;
  const std::size_t head = index_of(f, "L0.attn.tp_reduce_scatter");
  const std::size_t gemm = index_of(f, "L0.attn.o_proj");
  const std::size_t tail = index_of(f, "L0.attn.tp_reduce_scatter.tail");
  ASSERT_LT(tail + 1, f.size());
  EXPECT_EQ(gemm, head + 1);
  EXPECT_EQ(tail, gemm + 1);
  EXPECT_DOUBLE_EQ(f[head].bytes, 0.75 * bytes);
  EXPECT_TRUE(f[head].overlapped);
  EXPECT_DOUBLE_EQ(f[tail].bytes, 0.25 * bytes);
  EXPECT_EQ(f[tail + 1].name, "L0.attn.residual");
  EXPECT_TRUE(f[tail + 1].waits_for_comm);
  EXPECT_EQ(index_of(f, "L0.ffn.down_proj"), index_of(f, "L0.ffn.tp_reduce_scatter") + 1);
}

TEST(TpOverlap, ARingExchangeReduceScatterRunsBesideItsGemmThenSumsItsChunks) {
  // TE's CommOverlapP2PBase::split_overlap_rs: tp GEMM chunks, each sent to its destination as
  // the next computes (the whole collective beside the GEMM), then reduce_bf16 sums the tp
  // partial chunks of T/tp × d: it reads T·d·2 B and writes T·d·2/tp B, and waits for the
  // exchange. `aggregate` does not pair the steps of a reduce-scatter: tp = 8 chunks.
  const ModelCatalog catalog =
      ModelCatalog::load(std::string(TRAINSIM_SOURCE_DIR) + "/models/catalog");
  OpListContext c = tp8_sequence_parallel();
  for (UbGemm g : {UbGemm::ProjFprop, UbGemm::Fc2Fprop})
    c.tp_overlap[static_cast<std::size_t>(g)] = {UbMethod::RingExchange, 1, 4, true, true};
  const LayerOps ops = build_layer_ops(catalog.get("llama-3.1-8b"), 0, c);
  const auto& f = ops.forward;
  const double bytes = 4096.0 * 4096 * 2;
  for (const std::string block : {"attn", "ffn"}) {
    const std::string gemm_name = block == "attn" ? "L0.attn.o_proj" : "L0.ffn.down_proj";
    const std::size_t rs = index_of(f, "L0." + block + ".tp_reduce_scatter");
    const std::size_t gemm = index_of(f, gemm_name);
    const std::size_t reduce = index_of(f, "L0." + block + ".tp_reduce_scatter.reduce");
    ASSERT_LT(reduce, f.size());
    EXPECT_EQ(gemm, rs + 1) << block;
    EXPECT_EQ(reduce, gemm + 1) << block;
    EXPECT_DOUBLE_EQ(f[rs].bytes, bytes) << block;
    EXPECT_EQ(f[reduce].kind, OpKind::Elementwise);
    EXPECT_DOUBLE_EQ(f[reduce].bytes, bytes * (1 + 1.0 / 8)) << block;
    EXPECT_TRUE(f[reduce].waits_for_comm) << block;
    EXPECT_EQ(f[gemm].serial_chunks, 8) << block;
  }
}

TEST(TpOverlap, ABulkOrUnoverlappedReduceScatterStaysAfterItsGemm) {
  // Bulk is no reduce-scatter overlap in TE, and without tp_comm_overlap the collective follows
  // the GEMM whose output it reduces.
  const ModelCatalog catalog =
      ModelCatalog::load(std::string(TRAINSIM_SOURCE_DIR) + "/models/catalog");
  OpListContext c = tp8_sequence_parallel();
  c.tp_overlap[static_cast<std::size_t>(UbGemm::ProjFprop)] = {UbMethod::Bulk, 16, 4, false, true};
  const LayerOps bulk = build_layer_ops(catalog.get("llama-3.1-8b"), 0, c);
  EXPECT_EQ(index_of(bulk.forward, "L0.attn.tp_reduce_scatter"),
            index_of(bulk.forward, "L0.attn.o_proj") + 1);
  c.tp_comm_overlap = false;
  const LayerOps plain = build_layer_ops(catalog.get("llama-3.1-8b"), 0, c);
  EXPECT_EQ(index_of(plain.forward, "L0.ffn.tp_reduce_scatter"),
            index_of(plain.forward, "L0.ffn.down_proj") + 1);
}

}  // namespace
}  // namespace trainsim::models
