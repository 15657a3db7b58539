#include "models/accounting.hpp"

#include <gtest/gtest.h>

#include "models/catalog.hpp"

namespace trainsim::models {
namespace {

const ModelCatalog& catalog() {
  static const ModelCatalog c =
      ModelCatalog::load(std::string(TRAINSIM_SOURCE_DIR) + "/models/catalog");
  return c;
}
const ModelSpec& model(const std::string& name) {
  return catalog().get(name);
}

double rel(double a, double b) {
  return std::abs(a - b) / std::abs(b);
}

// ---------------------------------------------------------------- parameters

TEST(Parameters, DeepSeekV3BlocksMatchTheConfig) {
  // V3 config_671B.json: MLA = 7168·1536 + 1536 + 1536·128·192 + 7168·576 + 512
  //   + 512·128·256 + 128·128·7168 = 187,107,328 (+ the 7,168 input norm);
  // one expert = 3·7168·2048 = 44,040,192; embedding = 129,280·7,168 = 926,679,040.
  const auto c = count_parameters(model("deepseek-v3"));
  EXPECT_EQ(c.attention, 187'107'328 + 7'168);
  EXPECT_EQ(c.expert, 44'040'192);
  EXPECT_EQ(c.router, 256 * 7168);
  EXPECT_EQ(c.embedding, 926'679'040);
  EXPECT_EQ(c.head, 926'679'040);
  // Dense layer = MLA + 3·7168·18432 + 2 norms = 583,483,392 (facts: 583.5M).
  EXPECT_EQ(c.dense_layer, 583'483'392);
  // MoE layer = MLA + 257 experts + gate 256·7168 + 2 norms = 11,507,286,016 (facts: 11.507B;
  // the 256 selection biases per layer are not counted, see accounting.cpp).
  EXPECT_EQ(c.moe_layer, 11'507'286'016);
  // An activated MoE layer (attention + 9 experts + gate) ≈ a dense layer (facts §2.4).
  EXPECT_NEAR(static_cast<double>(c.moe_layer_activated), static_cast<double>(c.dense_layer), 2e6);
}

TEST(Parameters, DeepSeekV3TotalActivatedAndMtp) {
  // total = 3·dense + 58·MoE + 2·embedding + final norm = 671,026,404,352 ("671B", V3 §4.2).
  const auto& m = model("deepseek-v3");
  const auto c = count_parameters(m);
  EXPECT_EQ(c.total, 671'026'404'352);
  constexpr double kPublishedRounding = 0.001;  // "671B" is rounded to three digits
  EXPECT_LT(rel(static_cast<double>(c.total), m.published_total_params), kPublishedRounding);
  // activated = 3·dense + 58·(MLA + 9 experts + gate) + embedding + head = 37.55B. V3 §4.2
  // says "37B"; README_WEIGHTS says 36.7B "including 0.9B for Embedding and 0.9B for the
  // output Head". Our count without the embedding lookup is 36.63B, within 0.2% of 36.7B: the
  // README's breakdown evidently nets out one of the two 0.93B tables.
  EXPECT_EQ(c.activated, 37'552'282'624);
  constexpr double kReadmeTolerance = 0.005;
  EXPECT_LT(rel(static_cast<double>(c.activated - c.embedding), 36.7e9), kReadmeTolerance);
  constexpr double kRoundedTo37B = 0.02;
  EXPECT_LT(rel(static_cast<double>(c.activated), 37e9), kRoundedTo37B);
  // MTP unique = 2·7168² projection + 3 norms + one MoE layer = 11,610,067,968; README_WEIGHTS
  // says "11.5B unique" (0.96% lower; it likely omits the projection or rounds down).
  EXPECT_EQ(c.mtp_unique, 11'610'067'968);
  constexpr double kMtpTolerance = 0.015;
  EXPECT_LT(rel(static_cast<double>(c.mtp_unique), 11.5e9), kMtpTolerance);
  // Main + MTP = 682.6B; the 685B download adds the MTP layer's stored copies of the embedding
  // and head (1.85B) — so the layer accounting ends ≤ 685B.
  EXPECT_LT(static_cast<double>(c.total + c.mtp_unique), 685e9);
}

TEST(Parameters, Llama405BIsExact) {
  // Per layer: q 16384² + k,v 2·16384·1024 + o 16384² + FFN 3·16384·53248 + 2 norms
  //   = 3,187,703,808; ×126 + 2·128,256·16,384 + 16,384 = 405,853,388,800 (HF safetensors.total).
  const auto c = count_parameters(model("llama-3.1-405b"));
  EXPECT_EQ(c.dense_layer, 3'187'703'808);
  EXPECT_EQ(c.total, 405'853'388'800);
  EXPECT_EQ(c.activated, c.total);
  EXPECT_EQ(static_cast<double>(c.total), model("llama-3.1-405b").published_total_params);
}

TEST(Parameters, Llama8BAnd70BAreExact) {
  // Same formula; HF totals 8,030,261,248 and 70,553,706,496.
  EXPECT_EQ(count_parameters(model("llama-3.1-8b")).total, 8'030'261'248);
  EXPECT_EQ(count_parameters(model("llama-3.1-70b")).total, 70'553'706'496);
}

TEST(Parameters, Qwen72BIncludesQkvBias) {
  // Per layer: q 8192² + k,v 2·8192·1024 + o 8192² + QKV bias (8192 + 2·1024) + FFN 3·8192·29568
  //   + 2 norms = 877,684,736; ×80 + 2·152,064·8,192 + 8,192 = 72,706,203,648 (card: 72.7B).
  const auto c = count_parameters(model("qwen2.5-72b"));
  EXPECT_EQ(c.dense_layer, 877'684'736);
  EXPECT_EQ(c.total, 72'706'203'648);
}

TEST(Parameters, MixtralTotalAndActive) {
  // Per layer: attention 41,943,040 + 8 experts · 3·4096·14336 + gate 8·4096 + 2 norms;
  // total 46,702,792,704 ("46.7B"); active: 2 experts → 12,879,925,248 ("12.9B").
  const auto& m = model("mixtral-8x7b");
  const auto c = count_parameters(m);
  EXPECT_EQ(c.total, 46'702'792'704);
  EXPECT_EQ(c.activated, 12'879'925'248);
  constexpr double kPublishedRounding = 0.005;
  EXPECT_LT(rel(static_cast<double>(c.total), m.published_total_params), kPublishedRounding);
  EXPECT_LT(rel(static_cast<double>(c.activated), m.published_activated_params),
            kPublishedRounding);
}

TEST(Parameters, Gpt3WithTiedEmbeddingAndBiases) {
  // Per layer: 12·d² + biases (3d + d + 4d + d) + 2 LayerNorms (4d) = 1,812,099,072;
  // ×96 + wte 50257·12288 + wpe 2048·12288 + final LN 2·12288 = 174,604,259,328 (paper "175.0B";
  // the paper's count is rounded, and it says nothing about the banded sparse layers' params).
  const auto& m = model("gpt-3-175b");
  const auto c = count_parameters(m);
  EXPECT_EQ(c.dense_layer, 1'812'099'072);
  EXPECT_EQ(c.head, 0);
  EXPECT_EQ(c.total, 174'604'259'328);
  constexpr double kPublishedRounding = 0.005;
  EXPECT_LT(rel(static_cast<double>(c.total), m.published_total_params), kPublishedRounding);
}

TEST(Parameters, DeepSeekV2TotalAndActivated) {
  // 1 dense + 59 MoE layers (160 routed + 2 shared experts of 3·5120·1536, top-6) with MLA;
  // V2 abstract: 236B total, 21B activated. Our count: 235.7B and 21.4B incl. embedding and head.
  const auto& m = model("deepseek-v2");
  const auto c = count_parameters(m);
  constexpr double kTotalTolerance = 0.005;
  EXPECT_LT(rel(static_cast<double>(c.total), 236e9), kTotalTolerance);
  constexpr double kActivatedTolerance = 0.03;  // "21B" is rounded to two digits
  EXPECT_LT(rel(static_cast<double>(c.activated), 21e9), kActivatedTolerance);
  EXPECT_EQ(c.mtp_unique, 0);
}

TEST(Parameters, LayerFunctionsAddUpToTheTotal) {
  for (const auto& m : catalog().entries()) {
    const auto c = count_parameters(m);
    std::int64_t sum = c.embedding + c.head + c.final_norm;
    std::int64_t experts = 0;
    for (std::int64_t l = 0; l < m.layers; ++l) {
      sum += layer_parameters(m, l);
      experts += layer_routed_expert_parameters(m, l);
    }
    EXPECT_EQ(sum, c.total) << m.name;
    EXPECT_EQ(experts, c.routed_experts_total) << m.name;
  }
}

// ---------------------------------------------------------------- FLOPs

TEST(Flops, DeepSeekV3At4KMatchesIscaTable2) {
  // 6 · 36.62B (matmul weights incl. head, excl. embedding lookup) = 219.7 GFLOP, plus causal
  // attention 3 · 61 · 2 · 128 · (192 + 128) · 4096/2 = 30.7 GFLOP → 250.5 (ISCA Table 2: 250).
  const auto f = flops_per_token(model("deepseek-v3"), 4096);
  EXPECT_EQ(f.matmul_parameters, 36'624'596'992);
  EXPECT_DOUBLE_EQ(f.attention, 3.0 * 61 * 2 * 128 * 320 * 2048);
  constexpr double kIscaTolerance = 0.01;
  EXPECT_LT(rel(f.total, 250e9), kIscaTolerance);
  EXPECT_DOUBLE_EQ(f.forward, f.total / 3.0);
  // Non-causal would be 281 GFLOP (facts §2.5).
  EXPECT_NEAR(flops_per_token(model("deepseek-v3"), 4096, false).total, 281e9, 1e9);
}

TEST(Flops, DeepSeekV3LongContext) {
  // facts §2.5 (derived): 465 GFLOP at 32K and 1,202 GFLOP at 128K, causal.
  constexpr double kDerivedRounding = 0.005;
  EXPECT_LT(rel(flops_per_token(model("deepseek-v3"), 32768).total, 465e9), kDerivedRounding);
  EXPECT_LT(rel(flops_per_token(model("deepseek-v3"), 131072).total, 1202e9), kDerivedRounding);
}

TEST(Flops, DeepSeekV3MtpAddsAboutTenGflop) {
  // MTP: 6 · (projection 2·7168² + activated MoE layer 585.3M + head 926.7M) + attention
  // 3 · 2 · 128 · 320 · 2048 = 10.2 GFLOP per token (facts §2.5 "about 10", ~4%).
  const auto f = flops_per_token(model("deepseek-v3"), 4096);
  constexpr double kAbout = 0.05;
  EXPECT_LT(rel(f.mtp, 10e9), kAbout);
  EXPECT_DOUBLE_EQ(f.mtp_forward, f.mtp / 3.0);
}

TEST(Flops, Llama405BAt4KMatchesIscaTable2) {
  // 6 · 403.75B (all weights but the embedding) = 2,422.5 + causal attention
  // 3 · 126 · 2 · 128 · 256 · 2048 = 50.7 → 2,473 GFLOP; ISCA Table 2 prints 2,448 (1.0% lower:
  // consistent with the table counting 6·N over non-embedding weights without the head,
  // 2,409.9 + 50.7 = 2,460.6, and rounding the architecture; it does not give its breakdown).
  const auto f = flops_per_token(model("llama-3.1-405b"), 4096);
  constexpr double kIscaTolerance = 0.015;
  EXPECT_LT(rel(f.total, 2448e9), kIscaTolerance);
}

TEST(Flops, Qwen72BAt4KAgainstIscaTable2) {
  // 6 · 71.46B = 428.8 + causal attention 3 · 80 · 2 · 64 · 256 · 2048 = 16.1 → 444.9 GFLOP.
  // ISCA Table 2 prints 394 for "Qwen-72B Dense": 6·N alone for Qwen2.5-72B's published config
  // (FFN 29,568, SwiGLU) already exceeds 394, so the table must have used a smaller per-layer
  // count (e.g. a 4d two-matrix FFN, 24·d² per layer: 6·80·24·8192²/4 ... ≈ 386 + 16 = 402).
  // The difference is in the source's model, not in the formula, which reproduces V3 within
  // 0.2% and Llama 405B within 1.1%; the tolerance states the gap.
  const auto f = flops_per_token(model("qwen2.5-72b"), 4096);
  EXPECT_NEAR(f.total, 444.9e9, 0.1e9);
  constexpr double kIscaQwenGap = 0.15;
  EXPECT_LT(rel(f.total, 394e9), kIscaQwenGap);
}

TEST(Flops, DeepSeekV2At4KMatchesIscaTable2) {
  // 6 · N_matmul (21.4B activated − 0.52B embedding) + causal MLA attention
  // 3 · 60 · 2 · 128 · 320 · 2048 = 155.3 GFLOP; ISCA Table 2: 155.
  constexpr double kIscaTolerance = 0.01;
  EXPECT_LT(rel(flops_per_token(model("deepseek-v2"), 4096).total, 155e9), kIscaTolerance);
}

TEST(Flops, DenseModelHasNoMtp) {
  const auto f = flops_per_token(model("llama-3.1-8b"), 8192);
  EXPECT_EQ(f.mtp, 0.0);
  // 6·N with N = total − embedding (untied head counted).
  const auto c = count_parameters(model("llama-3.1-8b"));
  EXPECT_DOUBLE_EQ(f.matmul,
                   6.0 * static_cast<double>(c.total - c.embedding - c.final_norm - 32 * 2 * 4096));
}

// ---------------------------------------------------------------- KV cache

TEST(KvCache, MatchesIscaTable1) {
  // ISCA Table 1 (BF16): V3 61 · (512 + 64) · 2 = 70,272 B; Qwen2.5-72B 80 · 2 · 8 · 128 · 2 =
  // 327,680 B; Llama 3.1 405B 126 · 2 · 8 · 128 · 2 = 516,096 B.
  EXPECT_DOUBLE_EQ(kv_cache_bytes_per_token(model("deepseek-v3")), 70'272.0);
  EXPECT_DOUBLE_EQ(kv_cache_bytes_per_token(model("qwen2.5-72b")), 327'680.0);
  EXPECT_DOUBLE_EQ(kv_cache_bytes_per_token(model("llama-3.1-405b")), 516'096.0);
  EXPECT_DOUBLE_EQ(kv_cache_bytes_per_token(model("deepseek-v3"), hardware::Dtype::FP8), 35'136.0);
}

}  // namespace
}  // namespace trainsim::models
