#include "models/op_list.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <set>

#include "models/accounting.hpp"
#include "models/catalog.hpp"
#include "models/memory.hpp"

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
  p.name = "fp8-deepseek-v3";
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
  // Every FP8 GEMM input is quantised first (1×128 tiles, V3 §3.3.2) except the expert gate_up,
  // whose input arrives in FP8 from the dispatch.
  const std::vector<std::string> expected{"L3.attn.norm",
                                          "L3.attn.q_a_proj.quantize",
                                          "L3.attn.q_a_proj",
                                          "L3.attn.q_a_norm",
                                          "L3.attn.q_b_proj.quantize",
                                          "L3.attn.q_b_proj",
                                          "L3.attn.kv_a_proj.quantize",
                                          "L3.attn.kv_a_proj",
                                          "L3.attn.kv_a_norm",
                                          "L3.attn.kv_b_proj.quantize",
                                          "L3.attn.kv_b_proj",
                                          "L3.attn.rope",
                                          "L3.attn.core",
                                          "L3.attn.o_proj.quantize",
                                          "L3.attn.o_proj",
                                          "L3.attn.residual",
                                          "L3.ffn.norm",
                                          "L3.moe.router",
                                          "L3.moe.dispatch_quantize",
                                          "L3.moe.dispatch",
                                          "L3.moe.permute",
                                          "L3.moe.experts.gate_up",
                                          "L3.moe.experts.swiglu",
                                          "L3.moe.experts.down.quantize",
                                          "L3.moe.experts.down",
                                          "L3.moe.shared.gate_up_proj.quantize",
                                          "L3.moe.shared.gate_up_proj",
                                          "L3.moe.shared.swiglu",
                                          "L3.moe.shared.down_proj.quantize",
                                          "L3.moe.shared.down_proj",
                                          "L3.moe.unpermute",
                                          "L3.moe.combine",
                                          "L3.moe.combine_sum",
                                          "L3.ffn.residual"};
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

/// Index of the op named `name` in `ops` (ops.size() if absent).
std::size_t index_of(const std::vector<Op>& ops, const std::string& name) {
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].name == name) return i;
  }
  return ops.size();
}

constexpr double kBytesExact = 1e-12;  // byte counts are exact products of the shapes

TEST(OpList, Fp8TileQuantizeBytesAroundADenseGemm) {
  // fp8-deepseek-v3 (V3 §3.3.2), Llama 3.1 8B's QKV projection on T = 4,096 tokens: x = T·K with
  // K = 4,096; y = T·N with N = (32 + 2·8)·128 = 6,144; t = 1 + 4/128 B (FP8 + one FP32 scale per
  // 1×128 tile). Forward quantize reads BF16 x, writes FP8 x: x·(2 + t). Backward: one kernel
  // reads dy once and writes it row-wise and transposed: y·(2 + 2t). Weight gradient: the cached
  // FP8 x re-quantised transposed: x·(t + t).
  auto c = v3_context();
  c.ep = 1;
  const auto ops = build_layer_ops(model("llama-3.1-8b"), 2, c);
  const double T = 4096, K = 4096, N = 6144, t = 1.0 + 4.0 / 128.0;
  const Op* q = find(ops.forward, "L2.attn.qkv_proj.quantize");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->kind, OpKind::Quantize);
  EXPECT_NEAR(q->bytes / (T * K * (2 + t)), 1.0, kBytesExact);
  EXPECT_EQ(index_of(ops.forward, "L2.attn.qkv_proj.quantize") + 1,
            index_of(ops.forward, "L2.attn.qkv_proj"));
  const Op* gq = find(ops.backward_input, "L2.attn.qkv_proj.grad_quantize");
  ASSERT_NE(gq, nullptr);
  EXPECT_NEAR(gq->bytes / (T * N * (2 + 2 * t)), 1.0, kBytesExact);
  EXPECT_LT(index_of(ops.backward_input, "L2.attn.qkv_proj.grad_quantize"),
            index_of(ops.backward_input, "L2.attn.qkv_proj.dgrad"));
  const Op* xt = find(ops.backward_weight, "L2.attn.qkv_proj.input_transpose_quantize");
  ASSERT_NE(xt, nullptr);
  EXPECT_NEAR(xt->bytes / (T * K * 2 * t), 1.0, kBytesExact);
  EXPECT_LT(index_of(ops.backward_weight, "L2.attn.qkv_proj.input_transpose_quantize"),
            index_of(ops.backward_weight, "L2.attn.qkv_proj.wgrad"));
  // BF16 cached activations: the transpose-quantize reads BF16 x instead: x·(2 + t).
  c.precision.activations = Dtype::BF16;
  const auto bf = build_layer_ops(model("llama-3.1-8b"), 2, c);
  EXPECT_NEAR(find(bf.backward_weight, "L2.attn.qkv_proj.input_transpose_quantize")->bytes /
                  (T * K * (2 + t)),
              1.0, kBytesExact);
}

TEST(OpList, Fp8PerTensorIsOneCastTransposePerTensor) {
  // Transformer Engine delayed scaling ("fp8"): one kernel reads BF16 x and writes FP8 x and xᵀ
  // plus a 4 B scale-inverse and a 4 B amax: x·(2 + 1 + 1) + 8 (the attention output before
  // o_proj; the QKV input is cast by its norm, models/te_fp8_casts.hpp); dy likewise; nothing in W.
  auto c = v3_context();
  c.ep = 1;
  c.precision.name = "fp8";
  const auto ops = build_layer_ops(model("llama-3.1-8b"), 2, c);
  const double T = 4096, K = 4096, N = 6144;
  ASSERT_NE(find(ops.forward, "L2.attn.o_proj.quantize"), nullptr);
  EXPECT_NEAR(find(ops.forward, "L2.attn.o_proj.quantize")->bytes / (T * K * 4 + 8), 1.0,
              kBytesExact);
  EXPECT_EQ(find(ops.forward, "L2.attn.qkv_proj.quantize"), nullptr);
  EXPECT_NEAR(find(ops.backward_input, "L2.attn.qkv_proj.grad_quantize")->bytes / (T * N * 4 + 8),
              1.0, kBytesExact);
  for (const auto& op : ops.backward_weight) EXPECT_NE(op.kind, OpKind::Quantize) << op.name;
}

TEST(OpList, Bf16HasNoQuantizeOps) {
  const auto ops =
      build_layer_ops(model("deepseek-v3"), 3, ctx([](OpListContext& c) { c.ep = 64; }));
  for (const auto* list : {&ops.forward, &ops.backward_input, &ops.backward_weight}) {
    for (const auto& op : *list) EXPECT_NE(op.kind, OpKind::Quantize) << op.name;
  }
  EXPECT_TRUE(weight_cast_ops(ops, PrecisionPolicy{}).empty());
}

TEST(OpList, V3ExpertCastsFollowTheFp8Dispatch) {
  // EP64: 4 local experts × m_e = 8,192 tokens, d = 7,168, f = 2,048, T_e = 4,096.
  //  - gate_up's input arrives in FP8 from the dispatch: no forward quantize; its wgrad still
  //    re-quantises it transposed: 4·8192·7168·2t.
  //  - down's output gradient arrives in FP8 (V3 §3.3.3): no dgrad quantize, a W-pass transpose
  //    of the FP8 dy: 4·8192·7168·2t.
  //  - the cached FP8 SwiGLU input (4·8192·2·2048) is cast back to BF16 before its backward:
  //    elements·(t + 2).
  //  - the combine's output gradient is quantised before it is dispatched back: T_e·d·(2 + t).
  const auto ops = build_layer_ops(model("deepseek-v3"), 3, v3_context());
  const double t = 1.0 + 4.0 / 128.0, rows = 4.0 * 8192, d = 7168, f = 2048;
  EXPECT_EQ(find(ops.forward, "L3.moe.experts.gate_up.quantize"), nullptr);
  EXPECT_NEAR(find(ops.backward_weight, "L3.moe.experts.gate_up.input_transpose_quantize")->bytes /
                  (rows * d * 2 * t),
              1.0, kBytesExact);
  EXPECT_EQ(find(ops.backward_input, "L3.moe.experts.down.grad_quantize"), nullptr);
  EXPECT_NEAR(find(ops.backward_weight, "L3.moe.experts.down.grad_transpose_quantize")->bytes /
                  (rows * d * 2 * t),
              1.0, kBytesExact);
  EXPECT_NEAR(
      find(ops.backward_input, "L3.moe.experts.swiglu.cast_back")->bytes / (rows * 2 * f * (t + 2)),
      1.0, kBytesExact);
  EXPECT_LT(index_of(ops.backward_input, "L3.moe.experts.swiglu.cast_back"),
            index_of(ops.backward_input, "L3.moe.experts.swiglu.bwd"));
  EXPECT_NEAR(
      find(ops.backward_input, "L3.moe.combine.grad_quantize")->bytes / (4096 * d * (2 + t)), 1.0,
      kBytesExact);
  EXPECT_LT(index_of(ops.backward_input, "L3.moe.combine.grad_quantize"),
            index_of(ops.backward_input, "L3.moe.combine.bwd"));
  EXPECT_NEAR(find(ops.forward, "L3.moe.dispatch_quantize")->bytes / (4096 * d * (2 + t)), 1.0,
              kBytesExact);
  // The head and router stay BF16: no casts around them.
  EXPECT_EQ(find(ops.forward, "L3.moe.router.quantize"), nullptr);
}

TEST(OpList, WeightCastsRunOncePerStepPerFp8Gemm) {
  // One cast per FP8 GEMM weight of the layer, K·N elements (× groups): tile scheme reads BF16 W
  // and writes W and Wᵀ in FP8 with one FP32 scale per 128×128 block: K·N·(2 + 2·(1 + 4/16384));
  // TE: one cast-transpose, K·N·(2 + 1 + 1) + 8. Not part of the per-micro-batch lists.
  auto c = v3_context();
  const auto ops = build_layer_ops(model("deepseek-v3"), 3, c);
  const auto casts = weight_cast_ops(ops, c.precision);
  std::size_t fp8_gemms = 0;
  for (const auto& op : ops.forward) {
    if ((op.kind == OpKind::Gemm || op.kind == OpKind::GroupedGemm) && op.dtype == Dtype::FP8)
      ++fp8_gemms;
  }
  EXPECT_EQ(casts.size(), fp8_gemms);
  const Op* gu = find(casts, "L3.moe.experts.gate_up.weight_quantize");
  ASSERT_NE(gu, nullptr);
  const double w = 4.0 * 7168 * 4096;
  EXPECT_NEAR(gu->bytes / (w * (2 + 2 * (1 + 4.0 / 16384))), 1.0, kBytesExact);
  for (const auto* list : {&ops.forward, &ops.backward_input, &ops.backward_weight}) {
    for (const auto& op : *list) EXPECT_EQ(op.name.find("weight_quantize"), std::string::npos);
  }
  c.precision.name = "fp8";
  const auto te = weight_cast_ops(ops, c.precision);
  EXPECT_NEAR(find(te, "L3.moe.experts.gate_up.weight_quantize")->bytes / (w * 4 + 8), 1.0,
              kBytesExact);
}

TEST(OpList, OptimizerBytesPerParameter) {
  // Per shard parameter: the gradient-norm pass reads g; AdamW reads g, master, m, v and writes
  // master, m, v and the working weight. V3 (FP32 g/master, BF16 m/v, BF16 weight): 4 + 2·4 + 4·2
  // + 2 = 22 B; BF16 mixed precision (FP32 moments): 4 + 8 + 16 + 2 = 30 B. The whole local
  // gradient buffer is zeroed: local · 4 B. Fused launches cover 320 × 65,536 elements each.
  OptimizerShape s;
  s.shard_params = 1e9;
  s.local_params = 4e9;
  auto sum = [](const std::vector<Op>& ops, const std::string& prefix) {
    double b = 0;
    int n = 0;
    for (const auto& op : ops) {
      if (op.name.rfind(prefix, 0) == 0) {
        b += op.bytes;
        ++n;
      }
    }
    return std::make_pair(b, n);
  };
  const auto v3 = optimizer_ops(s, fp8_policy());
  constexpr double kSum = 1e-12;
  EXPECT_NEAR(sum(v3, "optimizer.adamw").first / (22 * 1e9), 1.0, kSum);
  EXPECT_NEAR(sum(v3, "optimizer.grad_norm").first / (4 * 1e9), 1.0, kSum);
  EXPECT_NEAR(sum(v3, "optimizer.zero_grad").first / (4 * 4e9), 1.0, kSum);
  EXPECT_EQ(sum(v3, "optimizer.adamw").second, 48);  // ceil(1e9 / 20,971,520)
  const auto bf16 = optimizer_ops(s, PrecisionPolicy{});
  EXPECT_NEAR(sum(bf16, "optimizer.adamw").first / (30 * 1e9), 1.0, kSum);
  for (const auto& op : bf16) EXPECT_FALSE(is_communication(op.kind)) << op.name;
  EXPECT_EQ(sum(bf16, "optimizer.unscale").second, 0);
  // FP16 gradients (loss-scaled), FP32 master and moments, FP16 weights: copied to FP32 (2 + 4
  // B), unscaled with an inf check (4 + 4 B), then the norm reads 4 B and AdamW 4 + 8 + 16 + 2.
  PrecisionPolicy fp16;
  fp16.gemm = fp16.attention = fp16.activations = fp16.weights = fp16.grads = Dtype::FP16;
  const auto h = optimizer_ops(s, fp16);
  EXPECT_NEAR(sum(h, "optimizer.grads_to_fp32").first / (6 * 1e9), 1.0, kSum);
  EXPECT_NEAR(sum(h, "optimizer.unscale").first / (8 * 1e9), 1.0, kSum);
  EXPECT_NEAR(sum(h, "optimizer.grad_norm").first / (4 * 1e9), 1.0, kSum);
  EXPECT_NEAR(sum(h, "optimizer.adamw").first / (30 * 1e9), 1.0, kSum);
  EXPECT_NEAR(sum(h, "optimizer.zero_grad").first / (2 * 4e9), 1.0, kSum);
}

TEST(OpList, LastStageRunsTheHeadOncePerModelAndMtpModule) {
  // V3 with one MTP module: the last stage runs the main head once (after layer 60) and the MTP
  // module's own pass through the shared head: two head GEMMs, not three.
  const auto& m = model("deepseek-v3");
  const auto ops = stage_ops(m, 58, 62, false, true, v3_context());
  int heads = 0;
  std::vector<std::string> order;
  for (const auto& l : ops) {
    for (const auto& op : l.forward) {
      if (op.name.size() >= 11 && op.name.substr(op.name.size() - 11) == "head.output") {
        ++heads;
        order.push_back(op.name);
      }
    }
  }
  EXPECT_EQ(heads, 2);
  EXPECT_EQ(order, (std::vector<std::string>{"head.output", "MTP0.head.output"}));
  // Without MTP the head runs once, after the last layer; the first stage starts with the
  // embedding.
  const auto& llama = model("llama-3.1-8b");
  const auto l = stage_ops(llama, 0, llama.layers, true, true, OpListContext{});
  EXPECT_EQ(l.front().layer, kEmbeddingLayer);
  EXPECT_EQ(l.back().layer, kHeadLayer);
  EXPECT_EQ(l.size(), static_cast<std::size_t>(llama.layers + 2));
}

ModelSpec variant(const std::string& base, const std::function<void(ModelSpec&)>& set) {
  ModelSpec m = model(base);
  set(m);
  return m;
}

TEST(OpList, UnfusedAttentionMaterialisesTheScores) {
  // Llama 3.1 8B with 2021-era Megatron attention, one 4,096-token sequence, G = 32 heads:
  // E = G·S² = 32·4096² scores. QKᵀ and P·V each 2·G·S²·128 FLOP (the full square; the fused
  // causal core counts half), so the forward is 2× the fused one. The softmax reads and writes
  // E in BF16 (4E bytes); dropout reads E, writes E and a 1 B mask (5E). Cached for backward:
  // softmax output 2E + mask E + dropout output 2E = 5E bytes (Korthikanti et al. 2022, 5as²b).
  const auto m =
      variant("llama-3.1-8b", [](ModelSpec& x) { x.attention_kernel = AttentionKernel::Unfused; });
  const auto& fused = model("llama-3.1-8b");
  const OpListContext c;
  const auto ops = build_layer_ops(m, 0, c);
  const auto ref = build_layer_ops(fused, 0, c);
  const double S = 4096, G = 32, E = G * S * S;
  EXPECT_EQ(find(ops.forward, "L0.attn.core"), nullptr);
  EXPECT_NEAR(find(ops.forward, "L0.attn.scores")->flops / (2 * G * S * S * 128), 1.0, kBytesExact);
  EXPECT_NEAR(find(ops.forward, "L0.attn.context")->flops / (2 * G * S * S * 128), 1.0,
              kBytesExact);
  EXPECT_NEAR(
      (find(ops.forward, "L0.attn.scores")->flops + find(ops.forward, "L0.attn.context")->flops) /
          find(ref.forward, "L0.attn.core")->flops,
      2.0, kBytesExact);
  EXPECT_NEAR(find(ops.forward, "L0.attn.softmax")->bytes / (4 * E), 1.0, kBytesExact);
  EXPECT_NEAR(find(ops.forward, "L0.attn.dropout")->bytes / (5 * E), 1.0, kBytesExact);
  // Backward: four batched GEMMs of 2·G·S²·128 each, the softmax and dropout backward.
  double bwd_gemm = 0;
  for (const auto& op : ops.backward_input) {
    if (op.kind == OpKind::Gemm && op.name.rfind("L0.attn.", 0) == 0 &&
        op.name.find("proj") == std::string::npos)
      bwd_gemm += op.flops;
  }
  EXPECT_NEAR(bwd_gemm / (4 * 2 * G * S * S * 128), 1.0, kBytesExact);
  EXPECT_NE(find(ops.backward_input, "L0.attn.softmax.bwd"), nullptr);
  EXPECT_NE(find(ops.backward_input, "L0.attn.dropout.bwd"), nullptr);
  double cached = 0;
  for (const auto& t : layer_activation_terms(m, 0, c)) {
    if (t.name == "attn.softmax_output" || t.name == "attn.dropout_mask" ||
        t.name == "attn.dropout_output")
      cached += t.bytes;
    EXPECT_NE(t.name, "attn.softmax_lse");
  }
  EXPECT_NEAR(cached / (5 * E), 1.0, kBytesExact);
  // Selective recompute re-runs the core and caches none of the scores.
  auto sel = c;
  sel.recompute = Recompute::Selective;
  const auto rs = build_layer_ops(m, 0, sel);
  EXPECT_NE(find(rs.backward_input, "L0.attn.scores.recompute"), nullptr);
  for (const auto& t : layer_activation_terms(m, 0, sel)) EXPECT_NE(t.name, "attn.dropout_mask");
}

TEST(OpList, SlidingWindowAttendsAtMostWKeys) {
  // W = 1,024 keys per query on S = 4,096: S·W − W²/2 pairs against the causal S²/2, a ratio of
  // (4096·1024 − 1024²/2) / (4096²/2) = 0.4375; the accounting's per-token FLOPs agree; a window
  // at least S long is full causal attention.
  const auto& base = model("llama-3.1-8b");
  const auto m = variant("llama-3.1-8b", [](ModelSpec& x) { x.sliding_window = 1024; });
  const OpListContext c;
  const double full = find(build_layer_ops(base, 0, c).forward, "L0.attn.core")->flops;
  const double win = find(build_layer_ops(m, 0, c).forward, "L0.attn.core")->flops;
  EXPECT_NEAR(win / full, 0.4375, kBytesExact);
  EXPECT_NEAR(win / (layer_attention_flops_per_token(m, 4096) * 4096), 1.0, kBytesExact);
  const auto wide = variant("llama-3.1-8b", [](ModelSpec& x) { x.sliding_window = 8192; });
  EXPECT_NEAR(find(build_layer_ops(wide, 0, c).forward, "L0.attn.core")->flops / full, 1.0,
              kBytesExact);
}

TEST(OpList, QkNormIsAPerHeadNormOfQueriesAndKeys) {
  // Qwen3-style q_norm/k_norm over head_dim: T·(H + KV)·d_h = 4096·(32 + 8)·128 elements; forward
  // reads and writes them in BF16 (4 B per element), backward reads x, dy and writes dx (6 B).
  const auto m = variant("llama-3.1-8b", [](ModelSpec& x) { x.qk_norm = true; });
  const auto ops = build_layer_ops(m, 0, OpListContext{});
  const double e = 4096.0 * 40 * 128;
  const Op* n = find(ops.forward, "L0.attn.qk_norm");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->kind, OpKind::Norm);
  EXPECT_NEAR(n->bytes / (4 * e), 1.0, kBytesExact);
  EXPECT_NEAR(find(ops.backward_input, "L0.attn.qk_norm.bwd")->bytes / (6 * e), 1.0, kBytesExact);
  EXPECT_EQ(index_of(ops.forward, "L0.attn.qk_norm"), index_of(ops.forward, "L0.attn.rope") - 1);
}

TEST(OpList, ParallelBlockSharesTheNormAndTheTpReduction) {
  // y = x + Attn(LN(x)) + FFN(LN(x)) under TP2 without SP: one norm, one all-reduce of the
  // summed branch outputs in forward (two for the sequential block), the same GEMM FLOPs, and one
  // residual add reading x and both branches (3 tensors) and writing y: 4·T·d·2 bytes.
  const auto m = variant("llama-3.1-8b", [](ModelSpec& x) { x.parallel_block = true; });
  const auto c = ctx([](OpListContext& x) { x.tp = 2; });
  const auto par = build_layer_ops(m, 0, c);
  const auto seq = build_layer_ops(model("llama-3.1-8b"), 0, c);
  auto count = [](const std::vector<Op>& ops, OpKind k) {
    int n = 0;
    for (const auto& op : ops) n += op.kind == k ? 1 : 0;
    return n;
  };
  EXPECT_EQ(count(par.forward, OpKind::Norm), 1);
  EXPECT_EQ(count(seq.forward, OpKind::Norm), 2);
  EXPECT_EQ(count(par.forward, OpKind::TpCollective), 1);
  EXPECT_EQ(count(seq.forward, OpKind::TpCollective), 2);
  Sums ps, ss;
  add(ps, par);
  add(ss, seq);
  EXPECT_NEAR(ps.gemm / ss.gemm, 1.0, kBytesExact);
  EXPECT_NEAR(find(par.forward, "L0.block.residual")->bytes / (4 * 4096.0 * 4096 * 2), 1.0,
              kBytesExact);
  EXPECT_EQ(find(par.forward, "L0.ffn.norm"), nullptr);
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

TEST(OpList, UnfusedGradientAccumulationAddsOneKernelPerWeightGradient) {
  // FP16 weights and gradients (Megatron-LM 2021): without fusion a wgrad GEMM [k,m]x[m,n]
  // writes its fresh gradient, k·n elements of b_out = 2 B, in place of the buffer's g = 2 B,
  // and `.accumulate` reads the gradient and the buffer and writes the buffer:
  // k·n·(b_out + 2g) = 6·k·n bytes, 1 FLOP per weight, in the weight-gradient pass.
  PrecisionPolicy p16;
  p16.gemm = p16.attention = p16.activations = p16.weights = p16.grads = Dtype::FP16;
  const auto& m = model("llama-3.1-8b");
  const OpListContext fused = ctx([&](OpListContext& c) { c.precision = p16; });
  const OpListContext unfused = ctx([&](OpListContext& c) {
    c.precision = p16;
    c.grad_accumulation_fusion = false;
  });
  const auto a = build_layer_ops(m, 3, fused), b = build_layer_ops(m, 3, unfused);
  const Op* wg = find(b.backward_weight, "L3.ffn.down_proj.wgrad");
  const Op* acc = find(b.backward_weight, "L3.ffn.down_proj.wgrad.accumulate");
  ASSERT_TRUE(wg && acc);
  EXPECT_EQ(find(a.backward_weight, "L3.ffn.down_proj.wgrad.accumulate"), nullptr);
  const double kn = 14336.0 * 4096.0;  // down_proj weight: ffn_dim x hidden
  EXPECT_EQ(acc->kind, OpKind::Elementwise);
  EXPECT_EQ(acc->pass, Pass::BackwardWeight);
  EXPECT_DOUBLE_EQ(acc->flops, kn);
  EXPECT_DOUBLE_EQ(acc->bytes, 6.0 * kn);
  // The wgrad GEMM itself is unchanged here (b_out = g = 2 B) and follows its GEMM.
  EXPECT_DOUBLE_EQ(wg->bytes, find(a.backward_weight, "L3.ffn.down_proj.wgrad")->bytes);
  // One accumulate per weight GEMM: 4 in a Llama layer (qkv, o, gate_up, down).
  int n = 0;
  for (const auto& op : b.backward_weight)
    if (op.name.ends_with(".accumulate")) ++n;
  EXPECT_EQ(n, 4);
  EXPECT_EQ(b.backward_weight.size(), a.backward_weight.size() + 4);
  // The embedding's dense gradient table, V·d elements, is zeroed, filled and accumulated too.
  const auto e = embedding_ops(m, unfused);
  const Op* ea = find(e.backward_weight, "embed.lookup.wgrad.accumulate");
  ASSERT_NE(ea, nullptr);
  EXPECT_DOUBLE_EQ(ea->bytes, 128256.0 * 4096.0 * 6.0);
}

TEST(OpList, CrossEntropyKernelsMoveEachImplementationsBytes) {
  // Llama 3.1 8B head, T = 4,096 tokens, TP1, BF16 logits (h = 2 B, f = 4 B FP32):
  // E = T·V = 4096·128256 logits. Bytes per logit, forward | backward:
  //   unfused (eager FP32): cast h+f, max f, sub 2f, exp 2f, sum f, div 2f = h + 36 = 38
  //                         | mul 2f, cast back f+h = 12 + h = 14      (6 + 2 kernels)
  //   fused (3 compiled):   max h+f, exp 2f, div 2f = h + 20 = 22 | 2f + h = 10 (3 + 1)
  //   online softmax:       h = 2 | 2h = 4                              (1 + 1)
  // FLOPs are 5 per logit forward and 2 backward in each.
  const auto& m = model("llama-3.1-8b");
  const double E = 4096.0 * 128256;
  struct Want {
    CrossEntropyKernels k;
    double fwd, bwd;
    std::size_t fwd_ops, bwd_ops;
  };
  for (const Want w : {Want{CrossEntropyKernels::Unfused, 38, 14, 6, 2},
                       Want{CrossEntropyKernels::Fused, 22, 10, 3, 1},
                       Want{CrossEntropyKernels::OnlineSoftmax, 2, 4, 1, 1}}) {
    const auto head = head_ops(m, ctx([&](OpListContext& c) { c.cross_entropy = w.k; }));
    double fb = 0, bb = 0, ff = 0, bf = 0;
    std::size_t fn = 0, bn = 0;
    for (const auto& op : head.forward) {
      if (op.kind != OpKind::Loss) continue;
      fb += op.bytes;
      ff += op.flops;
      ++fn;
    }
    for (const auto& op : head.backward_input) {
      if (op.kind != OpKind::Loss) continue;
      bb += op.bytes;
      bf += op.flops;
      ++bn;
    }
    const int k = static_cast<int>(w.k);
    EXPECT_DOUBLE_EQ(fb, w.fwd * E) << k;
    EXPECT_DOUBLE_EQ(bb, w.bwd * E) << k;
    EXPECT_DOUBLE_EQ(ff, 5 * E) << k;
    EXPECT_DOUBLE_EQ(bf, 2 * E) << k;
    EXPECT_EQ(fn, w.fwd_ops) << k;
    EXPECT_EQ(bn, w.bwd_ops) << k;
    // The softmax (or loss) op closes the forward chain under the one name "head.loss".
    EXPECT_NE(find(head.forward, "head.loss"), nullptr) << k;
  }
  // Unfused backward: the multiply runs before the FP32 gradient is cast back, and the dgrad
  // GEMM of the head follows both.
  const auto u =
      head_ops(m, ctx([](OpListContext& c) { c.cross_entropy = CrossEntropyKernels::Unfused; }));
  const auto mul = index_of(u.backward_input, "head.loss.bwd");
  const auto cast = index_of(u.backward_input, "head.loss.cast.bwd");
  EXPECT_LT(mul, cast);
  EXPECT_LT(cast, index_of(u.backward_input, "head.output.dgrad"));
}

TEST(OpList, UnfusedBiasesAddTheQkvBiasAndReduceEveryBiasGradient) {
  // GPT-3 175B (biases on every linear layer), TP8 with sequence parallelism, T = 4,096 tokens,
  // T_n = 512, BF16 (h = 2 B), FP32 gradients (g = 4 B). QKV: 3·12288/8 = 4,608 columns; FFN
  // up: 49152/8 = 6,144; the row-parallel o_proj and down_proj add their 12,288-wide bias on
  // the T_n tokens after the reduction. Without bias fusion:
  //   attn.qkv_proj.bias_add (forward)  2·T·4608·h        (read and write the GEMM output)
  //   <gemm>.bias_grad (weight pass)    rows·cols·h + cols·g, 1 FLOP per element, for
  //     qkv (T × 4608), o_proj (T_n × 12288), up_proj (T × 6144), down_proj (T_n × 12288).
  const auto& m = model("gpt-3-175b");
  auto with = [](bool fused) {
    return ctx([&](OpListContext& c) {
      c.tp = 8;
      c.sequence_parallel = true;
      c.bias_fusion = fused;
    });
  };
  const auto fused = build_layer_ops(m, 3, with(true)), plain = build_layer_ops(m, 3, with(false));
  const double T = 4096, Tn = 512;
  const Op* add = find(plain.forward, "L3.attn.qkv_proj.bias_add");
  ASSERT_NE(add, nullptr);
  EXPECT_DOUBLE_EQ(add->bytes, 2 * T * 4608 * 2);
  // It follows its GEMM in the forward order.
  EXPECT_EQ(index_of(plain.forward, "L3.attn.qkv_proj.bias_add"),
            index_of(plain.forward, "L3.attn.qkv_proj") + 1);
  struct Want {
    const char* name;
    double rows, cols;
  };
  for (const Want w :
       {Want{"L3.attn.qkv_proj.bias_grad", T, 4608}, Want{"L3.attn.o_proj.bias_grad", Tn, 12288},
        Want{"L3.ffn.up_proj.bias_grad", T, 6144}, Want{"L3.ffn.down_proj.bias_grad", Tn, 12288}}) {
    const Op* g = find(plain.backward_weight, w.name);
    ASSERT_NE(g, nullptr) << w.name;
    EXPECT_EQ(g->pass, Pass::BackwardWeight) << w.name;
    EXPECT_DOUBLE_EQ(g->flops, w.rows * w.cols) << w.name;
    EXPECT_DOUBLE_EQ(g->bytes, w.rows * w.cols * 2 + w.cols * 4) << w.name;
  }
  // Fused (Transformer Engine): none of these kernels; the lists are otherwise the same.
  EXPECT_EQ(plain.forward.size(), fused.forward.size() + 1);
  EXPECT_EQ(plain.backward_weight.size(), fused.backward_weight.size() + 4);
  for (const auto& op : fused.backward_weight) EXPECT_EQ(op.name.find("bias"), std::string::npos);
  // A model without biases runs no bias kernel either way.
  const auto llama = build_layer_ops(model("llama-3.1-8b"), 3, with(false));
  for (const auto& op : llama.backward_weight) EXPECT_EQ(op.name.find("bias"), std::string::npos);
}

TEST(OpList, FullRecomputeRerunsTheLayersNotTheHeadOrTheEmbedding) {
  // Megatron-LM checkpoints the transformer layers (ParallelTransformer._checkpointed_forward):
  // under Full recompute a layer's backward starts with its whole forward again, but the
  // embedding, final norm, output GEMM and loss around the layers run once. Selective recompute
  // still re-runs every norm it names, the final one included (V3 §3.2.3: all RMSNorms).
  const auto& m = model("llama-3.1-8b");
  auto with = [](Recompute r) { return ctx([&](OpListContext& c) { c.recompute = r; }); };
  auto recomputed = [](const LayerOps& l) {
    int n = 0;
    for (const auto& op : l.backward_input) n += op.recomputed ? 1 : 0;
    return n;
  };
  const auto full = with(Recompute::Full);
  EXPECT_EQ(recomputed(build_layer_ops(m, 3, full)),
            static_cast<int>(build_layer_ops(m, 3, full).forward.size()));
  EXPECT_EQ(recomputed(head_ops(m, full)), 0);
  EXPECT_EQ(recomputed(embedding_ops(m, full)), 0);
  const auto sel = head_ops(m, with(Recompute::Selective));
  EXPECT_NE(find(sel.backward_input, "head.norm.recompute"), nullptr);
  EXPECT_EQ(recomputed(sel), 1);
}

TEST(OpList, SplitNormBackwardRereadsTheInputAndTheGradient) {
  // Megatron-LM 2021's LayerNorm backward: a gamma/beta kernel reading x and dy (2 tensors of
  // T·d·h), then the input-gradient kernel reading x and dy and writing dx (3 tensors, as the
  // fused backward). Llama 3.1 8B, T = 4,096, d = 4,096, BF16: .bwd_params = 2·4096·4096·2 B,
  // first in the norm's backward; nothing else changes.
  const auto& m = model("llama-3.1-8b");
  const auto fused = build_layer_ops(m, 3, ctx([](OpListContext&) {}));
  const auto split =
      build_layer_ops(m, 3, ctx([](OpListContext& c) { c.norm_backward_split = true; }));
  const Op* p = find(split.backward_input, "L3.attn.norm.bwd_params");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->kind, OpKind::Norm);
  EXPECT_DOUBLE_EQ(p->bytes, 2.0 * 4096 * 4096 * 2);
  EXPECT_EQ(index_of(split.backward_input, "L3.attn.norm.bwd_params") + 1,
            index_of(split.backward_input, "L3.attn.norm.bwd"));
  EXPECT_DOUBLE_EQ(find(split.backward_input, "L3.attn.norm.bwd")->bytes,
                   find(fused.backward_input, "L3.attn.norm.bwd")->bytes);
  // One per norm (attention and FFN).
  EXPECT_EQ(split.backward_input.size(), fused.backward_input.size() + 2);
  EXPECT_EQ(find(fused.backward_input, "L3.attn.norm.bwd_params"), nullptr);
}

TEST(OpList, CoreAttentionRecomputeRerunsOnlyTheAttentionCore) {
  // Megatron-LM's selective recomputation (Korthikanti et al. 2022): the unfused attention's
  // QKᵀ, softmax, dropout and ·V run again before the layer's backward; norms, activations and
  // projections do not (DeepSeek-V3's selective policy re-runs those instead). A fused attention
  // kernel's forward is its core.
  ModelSpec m = model("gpt-3-175b");
  m.attention_kernel = AttentionKernel::Unfused;
  auto names = [](const LayerOps& l) {
    std::vector<std::string> out;
    for (const auto& op : l.backward_input)
      if (op.recomputed) out.push_back(op.name);
    return out;
  };
  const auto core = ctx([](OpListContext& c) {
    c.tp = 8;
    c.recompute = Recompute::CoreAttention;
  });
  EXPECT_EQ(names(build_layer_ops(m, 0, core)),
            (std::vector<std::string>{"L0.attn.scores.recompute", "L0.attn.softmax.recompute",
                                      "L0.attn.dropout.recompute", "L0.attn.context.recompute"}));
  EXPECT_EQ(names(build_layer_ops(model("llama-3.1-8b"), 0, ctx([](OpListContext& c) {
                                    c.recompute = Recompute::CoreAttention;
                                  }))),
            (std::vector<std::string>{"L0.attn.core.recompute"}));
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

TEST(OpList, ExpertTensorParallelShardsTheExperts) {
  // Mixtral 8x7B, TP8 + EP1 + expert_tp 8 (the Megatron-Core baseline), BF16, one 4,096-token
  // sequence: T_e = 4096/8 = 512 tokens dispatched per rank, T_e·k = 1,024 copies received. With
  // expert_tp 1 each of the 8 local experts sees m_e = 512·1·2/8 = 128 tokens on f_e = 14,336
  // columns; with expert_tp 8 it sees the expert-TP group's 8·128 = 1,024 tokens on
  // 14,336/8 = 1,792 columns: gate+up [1024, 3584, 4096], down [1024, 4096, 1792] per group.
  // Per-rank expert FLOPs are unchanged (2·8·128·28672·4096 = 2·8·1024·3584·4096). An all-gather
  // of the 8·1024·4096 BF16 tokens precedes gate+up and a reduce-scatter of as many follows down.
  const auto& m = model("mixtral-8x7b");
  OpListContext c;
  c.tp = 8;
  const auto etp1 = build_layer_ops(m, 0, c);
  c.expert_tp = 8;
  const auto etp8 = build_layer_ops(m, 0, c);
  const Op* gu = find(etp8.forward, "L0.moe.experts.gate_up");
  ASSERT_NE(gu, nullptr);
  EXPECT_EQ(gu->gemm.groups, 8);
  EXPECT_EQ(gu->gemm.m, 1024);
  EXPECT_EQ(gu->gemm.n, 3584);
  EXPECT_EQ(gu->gemm.k, 4096);
  const Op* down = find(etp8.forward, "L0.moe.experts.down");
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->gemm.m, 1024);
  EXPECT_EQ(down->gemm.n, 4096);
  EXPECT_EQ(down->gemm.k, 1792);
  EXPECT_EQ(find(etp1.forward, "L0.moe.experts.gate_up")->gemm.m, 128);
  EXPECT_EQ(find(etp1.forward, "L0.moe.experts.gate_up")->gemm.n, 28672);
  constexpr double kRel = 1e-12;
  for (const char* name : {"L0.moe.experts.gate_up", "L0.moe.experts.down"}) {
    EXPECT_NEAR(find(etp8.forward, name)->flops / find(etp1.forward, name)->flops, 1.0, kRel);
  }
  EXPECT_DOUBLE_EQ(gu->flops, 2.0 * 8 * 1024 * 3584 * 4096);
  const double gathered = 8.0 * 1024 * 4096 * 2;
  const Op* ag = find(etp8.forward, "L0.moe.experts.etp_all_gather");
  const Op* rs = find(etp8.forward, "L0.moe.experts.etp_reduce_scatter");
  ASSERT_NE(ag, nullptr);
  ASSERT_NE(rs, nullptr);
  EXPECT_EQ(ag->kind, OpKind::TpCollective);
  EXPECT_DOUBLE_EQ(ag->bytes, gathered);
  EXPECT_DOUBLE_EQ(rs->bytes, gathered);
  EXPECT_NE(find(etp8.backward_input, "L0.moe.experts.etp_reduce_scatter.bwd"), nullptr);
  EXPECT_NE(find(etp8.backward_input, "L0.moe.experts.etp_all_gather.bwd"), nullptr);
  EXPECT_EQ(find(etp1.forward, "L0.moe.experts.etp_all_gather"), nullptr);
  // expert_tp other than tp (Megatron-Core allows it; its group is expert_tp consecutive ranks of
  // a node): expert_tp 4 gathers 4·T_e·k·d over its own group, and the op list is the same shape.
  c.expert_tp = 4;
  EXPECT_EQ(op_list_problem(m, c), "");
  const LayerOps etp4 = build_layer_ops(m, 0, c);
  const Op* ag4 = find(etp4.forward, "L0.moe.experts.etp_all_gather");
  ASSERT_NE(ag4, nullptr);
  EXPECT_DOUBLE_EQ(ag4->bytes, gathered / 2);
  // Errors: expert_tp must divide a node (its group stays on NVLink) and the expert FFN width.
  c.expert_tp = 3;
  EXPECT_CONTAINS(op_list_problem(m, c), "expert_tp = 3 does not divide a node of 8 GPUs");
  c.expert_tp = 16;
  EXPECT_CONTAINS(op_list_problem(m, c), "expert_tp = 16 does not divide a node of 8 GPUs");
  ModelSpec odd = m;
  odd.moe.expert_ffn_dim = 14340;
  c.expert_tp = 8;
  EXPECT_CONTAINS(op_list_problem(odd, c), "expert_tp = 8 does not divide expert_ffn_dim 14340");
  OpListContext dense;
  dense.expert_tp = 2;
  dense.tp = 2;
  EXPECT_CONTAINS(op_list_problem(model("llama-3.1-8b"), dense), "has no experts");
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

TEST(OpList, ColumnParallelBackwardCollectivesRunBesideTheirGemms) {
  // Megatron-LM's LinearWithGradAccumulationAndAsyncCommunication.backward (sequence parallel):
  // all-gather the sharded input again (async) | dgrad GEMM; wait; reduce-scatter dX (async) |
  // wgrad GEMM; wait. So in the full backward the qkv GEMM's ops read: re-gather (overlapped),
  // dgrad, reduce-scatter (overlapped), wgrad, and the norm backward after it waits for the
  // reduction. The re-gather moves the forward gather's T·d bytes again.
  OpListContext c;
  c.tp = 8;
  c.sequence_parallel = true;
  c.tp_backward_overlap = true;
  const auto& m = model("llama-3.1-70b");
  const auto ops = build_layer_ops(m, 0, c);
  const auto& full = ops.backward_full;
  ASSERT_FALSE(full.empty());
  const std::size_t again = index_of(full, "L0.attn.tp_all_gather.bwd_input");
  const std::size_t dgrad = index_of(full, "L0.attn.qkv_proj.dgrad");
  const std::size_t rs = index_of(full, "L0.attn.tp_reduce_scatter.bwd");
  const std::size_t wgrad = index_of(full, "L0.attn.qkv_proj.wgrad");
  const std::size_t norm = index_of(full, "L0.attn.norm.bwd");
  ASSERT_LT(norm, full.size());
  EXPECT_LT(again, dgrad);
  EXPECT_LT(dgrad, rs);
  EXPECT_LT(rs, wgrad);
  EXPECT_LT(wgrad, norm);
  EXPECT_TRUE(full[again].overlapped);
  EXPECT_TRUE(full[rs].overlapped);
  EXPECT_TRUE(full[norm].waits_for_comm);
  EXPECT_FALSE(full[wgrad].waits_for_comm);
  EXPECT_DOUBLE_EQ(full[again].bytes, find(ops.forward, "L0.attn.tp_all_gather")->bytes);
  // The same for the FFN's gate/up projection; every op of B and W is in the full list once.
  EXPECT_LT(index_of(full, "L0.ffn.tp_reduce_scatter.bwd"),
            index_of(full, "L0.ffn.gate_up_proj.wgrad"));
  EXPECT_EQ(full.size(), ops.backward_input.size() + ops.backward_weight.size());
  // The split lists (zero-bubble schedules) keep the order and the flags, without the wgrads.
  EXPECT_TRUE(find(ops.backward_input, "L0.attn.norm.bwd")->waits_for_comm);
  EXPECT_EQ(find(ops.backward_input, "L0.attn.qkv_proj.wgrad"), nullptr);

  // Without SP the input gradient is all-reduced beside the wgrad GEMM; nothing is re-gathered.
  c.sequence_parallel = false;
  const auto no_sp = build_layer_ops(m, 0, c);
  EXPECT_TRUE(find(no_sp.backward_full, "L0.attn.tp_all_reduce.bwd")->overlapped);
  EXPECT_LT(index_of(no_sp.backward_full, "L0.attn.tp_all_reduce.bwd"),
            index_of(no_sp.backward_full, "L0.attn.qkv_proj.wgrad"));
  EXPECT_EQ(find(no_sp.backward_full, "L0.attn.tp_all_gather.bwd_input"), nullptr);

  // Off (Megatron-LM of early 2021): no full list, the collectives synchronous, no re-gather.
  c.sequence_parallel = true;
  c.tp_backward_overlap = false;
  const auto off = build_layer_ops(m, 0, c);
  EXPECT_TRUE(off.backward_full.empty());
  EXPECT_FALSE(find(off.backward_input, "L0.attn.tp_reduce_scatter.bwd")->overlapped);
  EXPECT_EQ(find(off.backward_input, "L0.attn.tp_all_gather.bwd_input"), nullptr);
}

TEST(OpList, ContextParallelRingAttentionAsTransformerEngineRunsIt) {
  // Llama 3 long context CP16, TP8: each rank holds T = 131072/16 = 8,192 tokens (two of the 32
  // load-balanced chunks), H_r = 16 query heads and 1 K/V head of d = 128. Transformer Engine's
  // P2P ring (AttnFuncWithCPAndKVP2P) runs one kernel per ring step:
  //   diagonal: causal over its own K/V, T²/2 pairs;  steps 1..15: no mask, T × T/2 pairs each
  //   (the last rank's shape: all of its queries against half of each received block),
  // which sum to the causal S²/(2·cp) pairs of the rank. FLOPs 2·H_r·(d_qk + d_v)·pairs.
  OpListContext c;
  c.seq_len = 131072;
  c.tp = 8;
  c.cp = 16;
  const auto ops = build_layer_ops(model("llama-3.1-405b"), 0, c);
  const double T = 8192, H = 16, d = 128, b = 2, flop_per_pair = 2 * H * 2 * d;
  const Op* diag = find(ops.forward, "L0.attn.core");
  const Op* ring = find(ops.forward, "L0.attn.core.ring");
  const Op* last = find(ops.forward, "L0.attn.core.ring_last");
  ASSERT_NE(diag, nullptr);
  ASSERT_NE(ring, nullptr);
  ASSERT_NE(last, nullptr);
  EXPECT_TRUE(diag->attention.causal);
  EXPECT_EQ(diag->attention.seq_q, 8192);
  EXPECT_EQ(diag->attention.seq_kv, 8192);
  EXPECT_DOUBLE_EQ(diag->flops, flop_per_pair * T * T / 2);
  EXPECT_FALSE(ring->attention.causal);
  EXPECT_EQ(ring->attention.seq_kv, 4096);
  EXPECT_DOUBLE_EQ(ring->flops, 14 * flop_per_pair * T * T / 2);
  EXPECT_DOUBLE_EQ(last->flops, flop_per_pair * T * T / 2);
  EXPECT_DOUBLE_EQ(diag->flops + ring->flops + last->flops,
                   flop_per_pair * 131072.0 * 131072.0 / 2 / 16);
  // The K/V exchange: the gathered 131,072 · 2 · 1 · 128 · 2 B (a ring moves (cp−1)/cp of it),
  // issued before the diagonal block and overlapped with it; the last step waits for it.
  const Op* kv = find(ops.forward, "L0.attn.cp_kv_ring");
  ASSERT_NE(kv, nullptr);
  EXPECT_EQ(kv->kind, OpKind::CpCollective);
  EXPECT_TRUE(kv->overlapped);
  EXPECT_DOUBLE_EQ(kv->bytes, 131072.0 * 2 * 1 * 128 * 2);
  EXPECT_FALSE(diag->waits_for_comm);
  EXPECT_TRUE(last->waits_for_comm);
  // Forward merge: out = 0 (O), per step out += out_step·exp(lse_step − lse) (3·O), a half-K/V
  // copy per received block (KV), the log-sum-exp update (20 B per token and head per step).
  const double O = T * H * d * b, KV = T * 2 * d * b;
  EXPECT_DOUBLE_EQ(find(ops.forward, "L0.attn.cp_kv_pack")->bytes, 2 * KV);
  EXPECT_DOUBLE_EQ(find(ops.forward, "L0.attn.cp_merge")->bytes,
                   O + 3 * 16 * O + 15 * KV + 16 * T * H * 20);
  // Backward: K/V into the ring buffer and re-sent (the forward kept only the last block), the
  // steps in reverse, the dK/dV exchange beside the diagonal's backward, then dQ and dK/dV
  // copied once (2·(Q + KV)) and accumulated 15 times (3·(Q + KV) each) once the dK/dV are back.
  std::vector<std::string> order;
  for (const auto& op : ops.backward_input) {
    if (op.name.find("attn.c") != std::string::npos) order.push_back(op.name);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"L0.attn.cp_merge.bwd", "L0.attn.cp_kv_ring.bwd",
                                             "L0.attn.core.ring_last.bwd", "L0.attn.core.ring.bwd",
                                             "L0.attn.cp_dkv_ring.bwd", "L0.attn.core.bwd",
                                             "L0.attn.cp_grad_accumulate.bwd"}));
  const Op* acc = find(ops.backward_input, "L0.attn.cp_grad_accumulate.bwd");
  EXPECT_TRUE(acc->waits_for_comm);
  EXPECT_DOUBLE_EQ(acc->bytes, 2 * (O + KV) + 3 * 15 * (O + KV));
  EXPECT_TRUE(find(ops.backward_input, "L0.attn.cp_kv_ring.bwd")->overlapped);
  EXPECT_TRUE(find(ops.backward_input, "L0.attn.cp_dkv_ring.bwd")->overlapped);
  // CP2 has no middle steps: the diagonal block and the last.
  c.cp = 2;
  const auto two = build_layer_ops(model("llama-3.1-405b"), 0, c);
  EXPECT_EQ(find(two.forward, "L0.attn.core.ring"), nullptr);
  EXPECT_NE(find(two.forward, "L0.attn.core.ring_last"), nullptr);
}

TEST(OpList, CudnnAttentionIsTheFusedCoreTaggedWithItsLibrary) {
  // attention_kernel: cudnn runs the same fused algorithm (same FLOPs, same HBM traffic) on
  // cuDNN's kernel: only the library the cost model prices it by changes, on every core op
  // (the plain core and each ring step under CP) and its backward.
  OpListContext c;
  c.seq_len = 8192;
  c.cp = 2;
  ModelSpec cudnn = model("llama-3.1-8b");
  cudnn.attention_kernel = AttentionKernel::Cudnn;
  for (const auto& ctx : {OpListContext{}, c}) {
    const auto flash_ops = build_layer_ops(model("llama-3.1-8b"), 0, ctx);
    const auto cudnn_ops = build_layer_ops(cudnn, 0, ctx);
    ASSERT_EQ(flash_ops.forward.size(), cudnn_ops.forward.size());
    int cores = 0;
    for (const auto* list : {&cudnn_ops.forward, &cudnn_ops.backward_input}) {
      const auto& ref = list == &cudnn_ops.forward ? flash_ops.forward : flash_ops.backward_input;
      for (std::size_t i = 0; i < list->size(); ++i) {
        const Op& op = (*list)[i];
        EXPECT_EQ(op.name, ref[i].name);
        EXPECT_DOUBLE_EQ(op.flops, ref[i].flops);
        EXPECT_DOUBLE_EQ(op.bytes, ref[i].bytes);
        if (op.kind != OpKind::Attention) continue;
        ++cores;
        EXPECT_EQ(op.attention.library, AttentionLibrary::Cudnn) << op.name;
        EXPECT_EQ(ref[i].attention.library, AttentionLibrary::FlashAttention) << op.name;
      }
    }
    EXPECT_EQ(cores, ctx.cp > 1 ? 4 : 2);  // core (+ ring_last), forward and backward
  }
}

TEST(OpList, ContextParallelWithoutTheFusedRingGathersKv) {
  // An unfused core (or a sliding window) under ring CP: the K/V all-gathered before the core
  // (bytes = the gathered K/V) and dK/dV reduce-scattered after its backward.
  ModelSpec m = model("llama-3.1-405b");
  m.attention_kernel = AttentionKernel::Unfused;
  OpListContext c;
  c.seq_len = 131072;
  c.tp = 8;
  c.cp = 16;
  const auto ops = build_layer_ops(m, 0, c);
  const Op* ag = find(ops.forward, "L0.attn.cp_kv_all_gather");
  ASSERT_NE(ag, nullptr);
  EXPECT_FALSE(ag->overlapped);
  EXPECT_DOUBLE_EQ(ag->bytes, 131072.0 * 2 * 1 * 128 * 2);
  EXPECT_NE(find(ops.backward_input, "L0.attn.cp_dkv_reduce_scatter.bwd"), nullptr);
}

TEST(OpList, UlyssesMovesFourActivationsPerAttentionLayer) {
  // GPT-3 175B (MHA, 96 heads of 128, d = 12,288), TP8 → 12 heads per rank, Ulysses CP4 on an
  // 8,192-token sequence: T = 2,048 tokens per rank. Forward: an all-to-all of the rank's Q, K, V
  // (3·T·d/tp) before the core and of its output (T·d/tp) after it; backward: dO and dQ, dK, dV.
  // Each moves (p−1)/p of its buffer off the rank (sim/step), so a layer moves
  // 4·(p−1)/p·T·(d/tp)·2 B forward and as much backward (DeepSpeed-Ulysses' 4Nh/P per link).
  const auto& m = model("gpt-3-175b");
  OpListContext c;
  c.seq_len = 8192;
  c.tp = 8;
  c.cp = 4;
  c.cp_kind = CpKind::Ulysses;
  const auto uly = build_layer_ops(m, 0, c);
  c.cp_kind = CpKind::Ring;
  const auto ring = build_layer_ops(m, 0, c);
  const double T = 2048, act = T * 12288 / 8 * 2;  // one T·d/tp BF16 tensor
  auto cp_bytes = [](const std::vector<Op>& ops, bool all_to_all) {
    double sum = 0;
    for (const auto& op : ops) {
      const bool a2a = op.name.find("all_to_all") != std::string::npos;
      if (op.kind == OpKind::CpCollective && a2a == all_to_all) sum += op.bytes;
    }
    return sum;
  };
  EXPECT_DOUBLE_EQ(cp_bytes(uly.forward, true), 4 * act);
  EXPECT_DOUBLE_EQ(cp_bytes(uly.backward_input, true), 4 * act);
  EXPECT_DOUBLE_EQ(cp_bytes(uly.forward, false), 0.0);  // no K/V all-gather
  EXPECT_DOUBLE_EQ(find(uly.forward, "L0.attn.cp_qkv_all_to_all")->bytes, 3 * act);
  EXPECT_DOUBLE_EQ(find(uly.forward, "L0.attn.cp_out_all_to_all")->bytes, act);
  EXPECT_EQ(find(ring.forward, "L0.attn.cp_qkv_all_to_all"), nullptr);
  // The core: the full 8,192 tokens on 12/4 = 3 heads, the same FLOPs as ring CP's.
  const Op* core = find(uly.forward, "L0.attn.core");
  EXPECT_EQ(core->attention.heads, 3);
  EXPECT_EQ(core->attention.seq_q, 8192);
  EXPECT_EQ(core->attention.seq_kv, 8192);
  double ring_flops = 0;  // the ring's kernels: the diagonal block and the received blocks
  for (const auto& op : ring.forward)
    if (op.kind == OpKind::Attention) ring_flops += op.flops;
  EXPECT_NEAR(core->flops / ring_flops, 1.0, 1e-12);
  // Heads per TP rank must divide by cp.
  c.cp_kind = CpKind::Ulysses;
  c.cp = 8;
  c.seq_len = 8192;
  EXPECT_CONTAINS(op_list_problem(m, c),
                  "Ulysses cp = 8 does not divide the 12 attention heads per TP rank");
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

TEST(OpList, HiddenDropoutWritesAMaskThatItsBackwardReads) {
  // GPT-3 175B in BF16, 2,048 tokens, TP1: the bias-dropout-add over E = T·d elements reads x
  // and the residual and writes the sum (3·2 B) and a 1 B mask: 7·E bytes; its backward reads
  // dy and the mask and writes dx: 5·E bytes. Without dropout: 6·E forward, no backward kernel.
  ModelSpec m = model("gpt-3-175b");
  OpListContext c;
  c.seq_len = 2048;
  const double e = 2048.0 * 12288;
  const auto plain = build_layer_ops(m, 0, c);
  EXPECT_DOUBLE_EQ(find(plain.forward, "L0.attn.residual")->bytes, 6 * e);
  EXPECT_EQ(find(plain.backward_input, "L0.attn.residual.bwd"), nullptr);
  m.hidden_dropout = 0.1;
  const auto ops = build_layer_ops(m, 0, c);
  for (const char* r : {"L0.attn.residual", "L0.ffn.residual"}) {
    EXPECT_DOUBLE_EQ(find(ops.forward, r)->bytes, 7 * e) << r;
    const Op* bwd = find(ops.backward_input, std::string(r) + ".bwd");
    ASSERT_NE(bwd, nullptr) << r;
    EXPECT_DOUBLE_EQ(bwd->bytes, 5 * e);
  }
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
                  "ep = 16 spans nodes of 6 EP ranks but is not a multiple of it");
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
