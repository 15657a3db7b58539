#include "models/op_list.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <set>

#include "models/accounting.hpp"
#include "models/catalog.hpp"

namespace trainsim::models {
namespace {

using hardware::Dtype;

const ModelCatalog& catalog() {
  static const ModelCatalog c =
      ModelCatalog::load(std::string(TRAINSIM_SOURCE_DIR) + "/models/catalog");
  return c;
}
const ModelSpec& model(const std::string& name) {
  return catalog().get(name);
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}
#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

/// DeepSeek-V3's policy (V3 §3.3): FP8 GEMMs and dispatch, BF16 attention and combine.
PrecisionPolicy fp8_policy() {
  PrecisionPolicy p;
  p.gemm = Dtype::FP8;
  p.dispatch = Dtype::FP8;
  p.activations = Dtype::FP8;
  p.optimizer_moments = Dtype::BF16;
  p.name = "deepseek-fp8";
  return p;
}

OpListContext v3_context() {
  OpListContext c;
  c.sequences = 1;
  c.seq_len = 4096;
  c.ep = 64;
  c.precision = fp8_policy();
  return c;
}

OpListContext ctx(const std::function<void(OpListContext&)>& set) {
  OpListContext c;
  set(c);
  return c;
}

const Op* find(const std::vector<Op>& ops, const std::string& name) {
  for (const auto& op : ops) {
    if (op.name == name) return &op;
  }
  return nullptr;
}

bool is_gemm_class(OpKind k) {
  return k == OpKind::Gemm || k == OpKind::GroupedGemm || k == OpKind::Router;
}

struct Sums {
  double gemm = 0, attention = 0, other = 0, recomputed = 0;
  double total() const { return gemm + attention + other; }
};

void add(Sums& s, const LayerOps& l) {
  for (const auto* list : {&l.forward, &l.backward_input, &l.backward_weight}) {
    for (const auto& op : *list) {
      if (op.recomputed) {
        s.recomputed += op.flops;
      } else if (is_gemm_class(op.kind)) {
        s.gemm += op.flops;
      } else if (op.kind == OpKind::Attention) {
        s.attention += op.flops;
      } else {
        s.other += op.flops;
      }
    }
  }
}

Sums model_sums(const ModelSpec& m, const OpListContext& c) {
  Sums s;
  add(s, embedding_ops(m, c));
  for (std::int64_t l = 0; l < m.layers; ++l) add(s, build_layer_ops(m, l, c));
  add(s, head_ops(m, c));
  return s;
}

TEST(OpList, V3GroupedGemmShapesMatchDeepGemmTrainingShape) {
  // EP64 → 256/64 = 4 local experts; balanced routing of a 4,096-token micro-batch:
  // 4096 · 64 · 8 / 256 = 8,192 tokens per expert (facts §6.2: DeepGEMM's 4 × 8192 × 4096 × 7168
  // gate+up and 4 × 8192 × 7168 × 2048 down).
  const auto ops = build_layer_ops(model("deepseek-v3"), 3, v3_context());
  const Op* gu = find(ops.forward, "L3.moe.experts.gate_up");
  ASSERT_NE(gu, nullptr);
  EXPECT_EQ(gu->kind, OpKind::GroupedGemm);
  EXPECT_EQ(gu->gemm.groups, 4);
  EXPECT_EQ(gu->gemm.m, 8192);
  EXPECT_EQ(gu->gemm.n, 4096);
  EXPECT_EQ(gu->gemm.k, 7168);
  EXPECT_EQ(gu->dtype, Dtype::FP8);
  const Op* down = find(ops.forward, "L3.moe.experts.down");
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->gemm.groups, 4);
  EXPECT_EQ(down->gemm.m, 8192);
  EXPECT_EQ(down->gemm.n, 7168);
  EXPECT_EQ(down->gemm.k, 2048);
}

TEST(OpList, V3ForwardOrderAndDtypes) {
  const auto ops = build_layer_ops(model("deepseek-v3"), 3, v3_context());
  std::vector<std::string> names;
  for (const auto& op : ops.forward) names.push_back(op.name);
  const std::vector<std::string> expected{"L3.attn.norm",           "L3.attn.q_a_proj",
                                          "L3.attn.q_a_norm",       "L3.attn.q_b_proj",
                                          "L3.attn.kv_a_proj",      "L3.attn.kv_a_norm",
                                          "L3.attn.kv_b_proj",      "L3.attn.rope",
                                          "L3.attn.core",           "L3.attn.o_proj",
                                          "L3.attn.residual",       "L3.ffn.norm",
                                          "L3.moe.router",          "L3.moe.dispatch_quantize",
                                          "L3.moe.dispatch",        "L3.moe.permute",
                                          "L3.moe.experts.gate_up", "L3.moe.experts.swiglu",
                                          "L3.moe.experts.down",    "L3.moe.shared.gate_up_proj",
                                          "L3.moe.shared.swiglu",   "L3.moe.shared.down_proj",
                                          "L3.moe.unpermute",       "L3.moe.combine",
                                          "L3.moe.combine_sum",     "L3.ffn.residual"};
  EXPECT_EQ(names, expected);
  // FP8 for linear layers; BF16 for attention, norms, router (V3 §3.3.1).
  EXPECT_EQ(find(ops.forward, "L3.attn.q_b_proj")->dtype, Dtype::FP8);
  EXPECT_EQ(find(ops.forward, "L3.attn.core")->dtype, Dtype::BF16);
  EXPECT_EQ(find(ops.forward, "L3.attn.norm")->dtype, Dtype::BF16);
  EXPECT_EQ(find(ops.forward, "L3.moe.router")->dtype, Dtype::BF16);
  EXPECT_EQ(find(ops.forward, "L3.moe.router")->kind, OpKind::Router);
  EXPECT_EQ(find(ops.forward, "L3.moe.dispatch")->dtype, Dtype::FP8);
  EXPECT_EQ(find(ops.forward, "L3.moe.combine")->dtype, Dtype::BF16);
  const auto head = head_ops(model("deepseek-v3"), v3_context());
  EXPECT_EQ(find(head.forward, "head.output")->dtype, Dtype::BF16);
  EXPECT_EQ(find(head.forward, "head.loss")->kind, OpKind::Loss);
  // No TP/CP collectives without TP/CP.
  for (const auto& op : ops.forward) {
    EXPECT_NE(op.kind, OpKind::TpCollective) << op.name;
    EXPECT_NE(op.kind, OpKind::CpCollective) << op.name;
  }
  // Op names are unique within each pass.
  for (const auto* list : {&ops.forward, &ops.backward_input, &ops.backward_weight}) {
    std::set<std::string> seen;
    for (const auto& op : *list) EXPECT_TRUE(seen.insert(op.name).second) << op.name;
  }
}

TEST(OpList, V3MlaShapes) {
  // MLA (V3 §2.1.1): q_a 7168→1536, q_b 1536→128·192, kv_a 7168→512+64, kv_b 512→128·(128+128),
  // o 128·128→7168; the core attends d_qk = 192, d_v = 128.
  const auto ops = build_layer_ops(model("deepseek-v3"), 0, v3_context());
  const auto shape = [&](const std::string& n) { return find(ops.forward, "L0.attn." + n)->gemm; };
  EXPECT_EQ(shape("q_a_proj").n, 1536);
  EXPECT_EQ(shape("q_b_proj").n, 128 * 192);
  EXPECT_EQ(shape("q_b_proj").k, 1536);
  EXPECT_EQ(shape("kv_a_proj").n, 576);
  EXPECT_EQ(shape("kv_b_proj").n, 128 * 256);
  EXPECT_EQ(shape("o_proj").k, 128 * 128);
  const auto& core = find(ops.forward, "L0.attn.core")->attention;
  EXPECT_EQ(core.head_dim_qk, 192);
  EXPECT_EQ(core.head_dim_v, 128);
  EXPECT_EQ(core.seq_q, 4096);
  EXPECT_TRUE(core.causal);
  // Layer 0 is dense: a dense FFN of 18,432, no dispatch.
  EXPECT_EQ(find(ops.forward, "L0.ffn.gate_up_proj")->gemm.n, 2 * 18432);
  EXPECT_EQ(find(ops.forward, "L0.moe.dispatch"), nullptr);
}

TEST(OpList, FlopsSumToTheAccountingPerToken) {
  // Over all layers, the embedding and the head, for one 4,096-token micro-batch:
  //   Σ GEMM-class op FLOPs (fwd + dgrad + wgrad) = 6 · N_matmul · T exactly;
  //   Σ attention op FLOPs = (1 + 2.5)/3 of the accounting's 3 × forward (FlashAttention-2's
  //     backward executes 2.5× the forward, where the 6N convention counts 2×);
  //   the total (adding memory-bound ops) exceeds flops_per_token · T by that attention surplus
  //   (≈ 2% for V3 at 4K) plus elementwise work (< 1%).
  for (const char* name : {"deepseek-v3", "llama-3.1-405b", "mixtral-8x7b", "gpt-3-175b"}) {
    const auto& m = model(name);
    OpListContext c;
    c.seq_len = 4096;
    const auto s = model_sums(m, c);
    const auto f = flops_per_token(m, 4096);
    const double T = 4096;
    constexpr double kExact = 1e-12;
    EXPECT_NEAR(s.gemm / (f.matmul * T), 1.0, kExact) << name;
    EXPECT_NEAR(s.attention / (f.attention * T), 3.5 / 3.0, kExact) << name;
    constexpr double kWithAttentionBackwardAndElementwise = 0.03;
    EXPECT_NEAR(s.total() / (f.total * T), 1.0, kWithAttentionBackwardAndElementwise) << name;
    EXPECT_GT(s.total(), f.total * T) << name;
    EXPECT_EQ(s.recomputed, 0.0) << name;
  }
}

TEST(OpList, MtpModuleFlopsMatchTheAccounting) {
  // MTP module = embedding lookup, 2 norms, 2d→d projection, one MoE layer, the shared head:
  // its GEMM FLOPs are 6 · (projection + activated layer + head) · T = flops_per_token().mtp
  // minus its attention term.
  const auto& m = model("deepseek-v3");
  OpListContext c;
  Sums s;
  add(s, build_layer_ops(m, 61, c));
  const auto f = flops_per_token(m, 4096);
  const double attn = 3.0 * layer_attention_flops_per_token(m, 4096);
  EXPECT_NEAR(s.gemm / ((f.mtp - attn) * 4096), 1.0, 1e-12);
  const auto ops = build_layer_ops(m, 61, c);
  EXPECT_NE(find(ops.forward, "MTP0.mtp.proj"), nullptr);
  EXPECT_NE(find(ops.forward, "MTP0.head.output"), nullptr);
  EXPECT_NE(find(ops.forward, "MTP0.embed.lookup"), nullptr);
  EXPECT_EQ(ops.layer, 61);
}

TEST(OpList, GemmBackwardIsTwiceForward) {
  // dgrad and wgrad each 2mnk: backward = 2 × forward for every GEMM, with transposed shapes.
  const auto ops = build_layer_ops(model("llama-3.1-8b"), 5, OpListContext{});
  double fwd = 0, bwd = 0;
  for (const auto& op : ops.forward)
    if (is_gemm_class(op.kind)) fwd += op.flops;
  for (const auto& op : ops.backward_input)
    if (is_gemm_class(op.kind)) bwd += op.flops;
  for (const auto& op : ops.backward_weight)
    if (is_gemm_class(op.kind)) bwd += op.flops;
  EXPECT_DOUBLE_EQ(bwd, 2.0 * fwd);
  const Op* f = find(ops.forward, "L5.ffn.down_proj");
  const Op* dg = find(ops.backward_input, "L5.ffn.down_proj.dgrad");
  const Op* wg = find(ops.backward_weight, "L5.ffn.down_proj.wgrad");
  ASSERT_TRUE(f && dg && wg);
  EXPECT_EQ(dg->gemm.m, f->gemm.m);
  EXPECT_EQ(dg->gemm.n, f->gemm.k);
  EXPECT_EQ(dg->gemm.k, f->gemm.n);
  EXPECT_EQ(wg->gemm.m, f->gemm.k);
  EXPECT_EQ(wg->gemm.n, f->gemm.n);
  EXPECT_EQ(wg->gemm.k, f->gemm.m);
  EXPECT_EQ(dg->pass, Pass::BackwardInput);
  EXPECT_EQ(wg->pass, Pass::BackwardWeight);
  // Attention backward is 2.5× its forward, and belongs to backward-for-input.
  EXPECT_DOUBLE_EQ(find(ops.backward_input, "L5.attn.core.bwd")->flops,
                   2.5 * find(ops.forward, "L5.attn.core")->flops);
  // Backward lists run in reverse layer order: the last forward GEMM's dgrad comes first.
  EXPECT_EQ(ops.backward_input.front().name, "L5.ffn.down_proj.dgrad");
}

TEST(OpList, V3DispatchBytesCountOneCrossingPerDestinationNode) {
  // EP64 on 8-GPU nodes = 8 nodes of 32 experts; node-limited to 4 nodes, top-8 uniform over
  // the 128 experts of the chosen nodes: ν = 4 · (1 − C(96,8)/C(128,8)) = 3.629 nodes per
  // token. Dispatch bytes per rank = 4096 · ν · 7168 · (1 + 4/128) (FP8 + 1×128 FP32 scales);
  // combine the same with 2 B (BF16).
  const auto& m = model("deepseek-v3");
  const auto c = v3_context();
  double none = 1;
  for (int i = 0; i < 8; ++i) none *= (96.0 - i) / (128.0 - i);
  const double nu = 4.0 * (1.0 - none);
  EXPECT_NEAR(dispatch_destinations_per_token(m, c), nu, 1e-12);
  EXPECT_NEAR(nu, 3.629, 0.001);
  const auto ops = build_layer_ops(m, 10, c);
  EXPECT_DOUBLE_EQ(find(ops.forward, "L10.moe.dispatch")->bytes,
                   4096 * nu * 7168 * (1 + 4.0 / 128));
  EXPECT_DOUBLE_EQ(find(ops.forward, "L10.moe.combine")->bytes, 4096 * nu * 7168 * 2.0);
  // Backward: the combine's gradient goes out FP8 (a Dispatch), the dispatch's returns BF16.
  EXPECT_EQ(find(ops.backward_input, "L10.moe.combine.bwd")->kind, OpKind::Dispatch);
  EXPECT_EQ(find(ops.backward_input, "L10.moe.combine.bwd")->dtype, Dtype::FP8);
  EXPECT_EQ(find(ops.backward_input, "L10.moe.dispatch.bwd")->kind, OpKind::Combine);
  EXPECT_EQ(find(ops.backward_input, "L10.moe.dispatch.bwd")->dtype, Dtype::BF16);
}

TEST(OpList, IntraNodeDispatchCountsDistinctRanks) {
  // Mixtral EP8 inside one node: one expert per rank, top-2 → 2 distinct ranks per token
  // (8 · (1 − C(7,2)/C(8,2)) = 2). With EP1 every token goes to one (local) destination.
  OpListContext c;
  c.ep = 8;
  EXPECT_DOUBLE_EQ(dispatch_destinations_per_token(model("mixtral-8x7b"), c), 2.0);
  c.ep = 1;
  EXPECT_DOUBLE_EQ(dispatch_destinations_per_token(model("mixtral-8x7b"), c), 1.0);
  EXPECT_DOUBLE_EQ(dispatch_destinations_per_token(model("llama-3.1-8b"), c), 0.0);
}

TEST(OpList, TokensPerExpertOverride) {
  auto c = v3_context();
  c.tokens_per_expert = 10000;
  const auto ops = build_layer_ops(model("deepseek-v3"), 3, c);
  EXPECT_EQ(find(ops.forward, "L3.moe.experts.gate_up")->gemm.m, 10000);
  EXPECT_DOUBLE_EQ(find(ops.forward, "L3.moe.experts.gate_up")->flops,
                   2.0 * 4 * 10000 * 4096 * 7168);
}

TEST(OpList, TensorParallelDividesShapes) {
  // Llama 3.1 405B TP8 (Llama 3 §3.3.2): 128/8 = 16 query heads and 8/8 = 1 KV head per rank →
  // QKV n = (16 + 2)·128 = 2,304; o_proj k = 2,048; FFN gate+up n = 2·53,248/8 = 13,312,
  // down k = 6,656. An all-reduce of T·d BF16 follows o_proj and the FFN down projection.
  OpListContext c;
  c.seq_len = 8192;
  c.tp = 8;
  const auto ops = build_layer_ops(model("llama-3.1-405b"), 0, c);
  EXPECT_EQ(find(ops.forward, "L0.attn.qkv_proj")->gemm.n, 2304);
  EXPECT_EQ(find(ops.forward, "L0.attn.o_proj")->gemm.k, 2048);
  EXPECT_EQ(find(ops.forward, "L0.ffn.gate_up_proj")->gemm.n, 13312);
  EXPECT_EQ(find(ops.forward, "L0.ffn.down_proj")->gemm.k, 6656);
  EXPECT_EQ(find(ops.forward, "L0.attn.core")->attention.heads, 16);
  const Op* ar = find(ops.forward, "L0.attn.tp_all_reduce");
  ASSERT_NE(ar, nullptr);
  EXPECT_EQ(ar->kind, OpKind::TpCollective);
  EXPECT_DOUBLE_EQ(ar->bytes, 8192.0 * 16384 * 2);
  EXPECT_NE(find(ops.forward, "L0.ffn.tp_all_reduce"), nullptr);
  EXPECT_NE(find(ops.backward_input, "L0.attn.tp_all_reduce.bwd"), nullptr);
  // Per-rank GEMM FLOPs are 1/8 of the unsharded layer's.
  const auto one =
      build_layer_ops(model("llama-3.1-405b"), 0, ctx([](OpListContext& x) { x.seq_len = 8192; }));
  double tp8 = 0, tp1 = 0;
  for (const auto& op : ops.forward)
    if (op.kind == OpKind::Gemm) tp8 += op.flops;
  for (const auto& op : one.forward)
    if (op.kind == OpKind::Gemm) tp1 += op.flops;
  EXPECT_NEAR(tp8 * 8 / tp1, 1.0, 1e-12);
}

TEST(OpList, SequenceParallelUsesReduceScatterAndAllGather) {
  OpListContext c;
  c.tp = 8;
  c.sequence_parallel = true;
  const auto ops = build_layer_ops(model("llama-3.1-70b"), 0, c);
  EXPECT_NE(find(ops.forward, "L0.attn.tp_all_gather"), nullptr);
  EXPECT_NE(find(ops.forward, "L0.attn.tp_reduce_scatter"), nullptr);
  EXPECT_EQ(find(ops.forward, "L0.attn.tp_all_reduce"), nullptr);
  // Norms run on T/tp tokens: 4096/8 · 8192 elements · 2 tensors · 2 B.
  EXPECT_DOUBLE_EQ(find(ops.forward, "L0.attn.norm")->bytes, 512.0 * 8192 * 2 * 2);
}

TEST(OpList, ContextParallelGathersKv) {
  // Llama 3 long context CP16: each rank holds 131072/16 = 8,192 queries and gathers the full
  // K/V: 131,072 · 2 · 1 KV head (TP8) · 128 · 2 B.
  OpListContext c;
  c.seq_len = 131072;
  c.tp = 8;
  c.cp = 16;
  const auto ops = build_layer_ops(model("llama-3.1-405b"), 0, c);
  const Op* ag = find(ops.forward, "L0.attn.cp_kv_all_gather");
  ASSERT_NE(ag, nullptr);
  EXPECT_EQ(ag->kind, OpKind::CpCollective);
  EXPECT_DOUBLE_EQ(ag->bytes, 131072.0 * 2 * 1 * 128 * 2);
  const auto& core = find(ops.forward, "L0.attn.core")->attention;
  EXPECT_EQ(core.seq_q, 8192);
  EXPECT_EQ(core.seq_kv, 131072);
  EXPECT_NE(find(ops.backward_input, "L0.attn.cp_dkv_reduce_scatter.bwd"), nullptr);
}

TEST(OpList, RecomputePolicies) {
  const auto& m = model("deepseek-v3");
  auto c = v3_context();
  c.recompute = Recompute::Selective;
  auto ops = build_layer_ops(m, 5, c);
  std::set<std::string> recomputed;
  for (const auto& op : ops.backward_input) {
    if (op.recomputed) recomputed.insert(op.name);
  }
  // V3 §3.2.3: all RMSNorms and the MLA up-projections; the MoE SwiGLU output (§3.3.3).
  for (const char* n :
       {"L5.attn.norm.recompute", "L5.attn.q_a_norm.recompute", "L5.attn.kv_a_norm.recompute",
        "L5.attn.q_b_proj.recompute", "L5.attn.kv_b_proj.recompute", "L5.ffn.norm.recompute",
        "L5.moe.experts.swiglu.recompute"}) {
    EXPECT_TRUE(recomputed.count(n)) << n;
  }
  EXPECT_FALSE(recomputed.count("L5.moe.dispatch.recompute"));
  EXPECT_FALSE(recomputed.count("L5.attn.core.recompute"));
  EXPECT_TRUE(ops.backward_input.front().recomputed);  // recomputation precedes the backward
  for (const auto& op : ops.backward_input) EXPECT_EQ(op.pass, Pass::BackwardInput) << op.name;

  c.recompute = Recompute::Full;
  ops = build_layer_ops(m, 5, c);
  std::size_t n = 0;
  double fwd = 0, rec = 0;
  for (const auto& op : ops.backward_input) {
    if (op.recomputed) {
      ++n;
      rec += op.flops;
    }
  }
  for (const auto& op : ops.forward) fwd += op.flops;
  EXPECT_EQ(n, ops.forward.size());  // every forward op, the all-to-alls included
  EXPECT_DOUBLE_EQ(rec, fwd);

  c.recompute = Recompute::None;
  ops = build_layer_ops(m, 5, c);
  for (const auto& op : ops.backward_input) EXPECT_FALSE(op.recomputed) << op.name;
}

TEST(OpList, Gpt3HasGeluAndLearnedPositions) {
  const auto& m = model("gpt-3-175b");
  OpListContext c;
  c.seq_len = 2048;
  const auto ops = build_layer_ops(m, 0, c);
  EXPECT_NE(find(ops.forward, "L0.ffn.gelu"), nullptr);
  EXPECT_EQ(find(ops.forward, "L0.ffn.up_proj")->gemm.n, 49152);
  EXPECT_EQ(find(ops.forward, "L0.attn.rope"), nullptr);
  EXPECT_NE(find(embedding_ops(m, c).forward, "embed.positions"), nullptr);
  EXPECT_EQ(embedding_ops(m, c).layer, kEmbeddingLayer);
  EXPECT_EQ(head_ops(m, c).layer, kHeadLayer);
}

TEST(OpList, EmbeddingHasOnlyAWeightGradient) {
  const auto ops = embedding_ops(model("llama-3.1-8b"), OpListContext{});
  ASSERT_EQ(ops.forward.size(), 1u);
  EXPECT_EQ(ops.forward[0].kind, OpKind::Embedding);
  EXPECT_TRUE(ops.backward_input.empty());
  ASSERT_EQ(ops.backward_weight.size(), 1u);
  EXPECT_EQ(ops.backward_weight[0].name, "embed.lookup.wgrad");
}

TEST(OpList, ErrorsNameTheProblem) {
  const auto& v3 = model("deepseek-v3");
  EXPECT_CONTAINS(message_of([&] { (void)build_layer_ops(v3, 62, OpListContext{}); }),
                  "layer 62 is out of range for 'deepseek-v3': 0..60 are transformer layers, "
                  "61..61 MTP modules");
  EXPECT_CONTAINS(message_of([&] { (void)build_layer_ops(v3, -1, OpListContext{}); }),
                  "layer -1 is out of range");
  EXPECT_CONTAINS(
      message_of([&] { (void)build_layer_ops(v3, 0, ctx([](OpListContext& x) { x.tp = 3; })); }),
      "tp = 3 does not divide 128 heads");
  EXPECT_CONTAINS(
      message_of([&] { (void)build_layer_ops(v3, 0, ctx([](OpListContext& x) { x.ep = 3; })); }),
      "ep = 3 does not divide 256 routed experts");
  EXPECT_CONTAINS(message_of([&] {
                    (void)build_layer_ops(v3, 0, ctx([](OpListContext& x) {
                                            x.ep = 16;
                                            x.gpus_per_node = 6;
                                          }));
                  }),
                  "ep = 16 spans nodes of 6 GPUs but is not a multiple of it");
  EXPECT_CONTAINS(message_of([&] {
                    (void)build_layer_ops(v3, 0, ctx([](OpListContext& x) {
                                            x.seq_len = 4096;
                                            x.cp = 3;
                                          }));
                  }),
                  "cp = 3 does not divide seq_len 4096");
  EXPECT_CONTAINS(message_of([&] {
                    (void)head_ops(model("llama-3.1-8b"), ctx([](OpListContext& x) { x.ep = 2; }));
                  }),
                  "ep = 2 but llama-3.1-8b has no experts");
  EXPECT_CONTAINS(message_of([&] {
                    (void)embedding_ops(model("llama-3.1-8b"),
                                        ctx([](OpListContext& x) { x.sequences = 0; }));
                  }),
                  "sequences and seq_len must be at least 1");
  EXPECT_CONTAINS(message_of([&] {
                    (void)embedding_ops(model("llama-3.1-8b"),
                                        ctx([](OpListContext& x) { x.tp = 0; }));
                  }),
                  "must be at least 1");
  EXPECT_CONTAINS(message_of([&] {
                    (void)build_layer_ops(model("llama-3.1-405b"), 0,
                                          ctx([](OpListContext& x) { x.tp = 16 * 3; }));
                  }),
                  "does not divide 128 heads");
  EXPECT_EQ(op_list_problem(v3, v3_context()), "");
}

}  // namespace
}  // namespace trainsim::models
