#include "models/catalog.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace trainsim::models {
namespace {

const std::string kCatalogDir = std::string(TRAINSIM_SOURCE_DIR) + "/models/catalog";

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

const ModelCatalog& catalog() {
  static const ModelCatalog c = ModelCatalog::load(kCatalogDir);
  return c;
}

ModelSpec inline_model(const std::string& yaml) {
  return resolve_model(ConfigNode::load_string(yaml, "s.yaml").at("model"), catalog());
}

ModelSpec parse_entry(const std::string& yaml) {
  const auto root = ConfigNode::load_string(yaml, "cat.yaml");
  return parse_model(root.at("m"), "m");
}

TEST(ModelCatalog, ListsAllModelsSorted) {
  EXPECT_EQ(
      catalog().names(),
      (std::vector<std::string>{"deepseek-v2", "deepseek-v3", "gpt-3-175b", "llama-3.1-405b",
                                "llama-3.1-70b", "llama-3.1-8b", "mixtral-8x7b", "qwen2.5-72b"}));
  for (const auto& m : catalog().entries()) {
    EXPECT_FALSE(m.description.empty()) << m.name;
    EXPECT_GT(m.published_total_params, 0.0) << m.name;
    for (const auto& [key, source] : m.sources)
      EXPECT_FALSE(source.empty()) << m.name << " " << key;
  }
}

TEST(ModelCatalog, BundledIsTheSourceTreeCatalog) {
  const auto& b = ModelCatalog::bundled();
  EXPECT_EQ(&b, &ModelCatalog::bundled());
  EXPECT_EQ(b.names(), catalog().names());
}

TEST(ModelCatalog, DeepSeekV3IsTheExactConfig) {
  // config_671B.json and V3 §4.2.
  const auto& m = catalog().get("deepseek-v3");
  EXPECT_EQ(m.layers, 61);
  EXPECT_EQ(m.hidden, 7168);
  EXPECT_EQ(m.ffn_dim, 18432);
  EXPECT_EQ(m.heads, 128);
  EXPECT_EQ(m.vocab, 129280);
  EXPECT_FALSE(m.tied_embeddings);
  EXPECT_EQ(m.attention, AttentionKind::Mla);
  EXPECT_EQ(m.mla.q_lora_rank, 1536);
  EXPECT_EQ(m.mla.kv_lora_rank, 512);
  EXPECT_EQ(m.mla.qk_nope_head_dim, 128);
  EXPECT_EQ(m.mla.qk_rope_head_dim, 64);
  EXPECT_EQ(m.mla.v_head_dim, 128);
  EXPECT_EQ(m.kv_heads, 128);  // derived for MLA
  EXPECT_EQ(m.head_dim, 192);  // qk_nope + qk_rope
  EXPECT_EQ(m.moe.routed_experts, 256);
  EXPECT_EQ(m.moe.shared_experts, 1);
  EXPECT_EQ(m.moe.experts_per_token, 8);
  EXPECT_EQ(m.moe.expert_ffn_dim, 2048);
  EXPECT_EQ(m.moe.dense_layers, 3);
  EXPECT_EQ(m.moe.expert_groups, 8);
  EXPECT_EQ(m.moe.limited_groups, 4);
  EXPECT_EQ(m.mtp_depth, 1);
  EXPECT_EQ(m.context_length, 4096);
  EXPECT_TRUE(m.is_moe_layer(3));
  EXPECT_FALSE(m.is_moe_layer(2));
  EXPECT_CONTAINS(m.sources.at("moe.limited_groups"), "at most 4 nodes");
}

TEST(ModelCatalog, Gpt3UsesGeluMhaAndTiedEmbeddings) {
  // GPT-3 Table 2.1 / §2.1 and GPT-2.
  const auto& m = catalog().get("gpt-3-175b");
  EXPECT_EQ(m.activation, FfnActivation::Gelu);
  EXPECT_EQ(m.norm, NormKind::LayerNorm);
  EXPECT_EQ(m.kv_heads, m.heads);
  EXPECT_EQ(m.vocab, 50257);
  EXPECT_EQ(m.layers, 96);
  EXPECT_EQ(m.hidden, 12288);
  EXPECT_EQ(m.ffn_dim, 49152);
  EXPECT_TRUE(m.tied_embeddings);
  EXPECT_TRUE(m.linear_bias);
  EXPECT_TRUE(m.attention_bias);  // implied by linear_bias
  EXPECT_EQ(m.learned_positions, 2048);
}

TEST(ModelCatalog, GetUnknownListsValidNames) {
  const auto msg = message_of([] { (void)catalog().get("gpt-5"); });
  EXPECT_CONTAINS(msg, "unknown model 'gpt-5'");
  EXPECT_CONTAINS(msg, "deepseek-v3, gpt-3-175b");
}

TEST(ResolveModel, ScalarNamesACatalogEntry) {
  EXPECT_EQ(inline_model("model: llama-3.1-405b").layers, 126);
}

TEST(ResolveModel, UnknownScalarIsLocatedAndListsNames) {
  const auto msg = message_of([] { (void)inline_model("name: x\nmodel: deepseek-v4\n"); });
  EXPECT_CONTAINS(msg, "s.yaml:2:8");
  EXPECT_CONTAINS(msg, "unknown model 'deepseek-v4'");
  EXPECT_CONTAINS(msg, "did you mean 'deepseek-v");
  EXPECT_CONTAINS(msg, "valid: deepseek-v2, deepseek-v3");
}

TEST(ResolveModel, BaseWithOverriddenFields) {
  const auto m = inline_model(
      "model:\n  base: deepseek-v3\n  layers: 30\n  moe: {routed_experts: 64, expert_groups: 8}\n");
  EXPECT_EQ(m.name, "custom-deepseek-v3");
  EXPECT_EQ(m.layers, 30);
  EXPECT_EQ(m.moe.routed_experts, 64);
  EXPECT_EQ(m.moe.experts_per_token, 8);  // kept from the base
  EXPECT_EQ(m.mla.kv_lora_rank, 512);
  EXPECT_EQ(m.published_total_params, 0.0);  // a modified model has no published count
  EXPECT_CONTAINS(m.sources.at("layers"), "inline definition at s.yaml:3");
  EXPECT_CONTAINS(m.sources.at("hidden"), "config_671B");
}

TEST(ResolveModel, AttentionVariantKeys) {
  const auto m = inline_model(
      "model:\n  base: llama-3.1-8b\n  attention_kernel: unfused\n  sliding_window: 4096\n"
      "  qk_norm: true\n  parallel_block: true\n");
  EXPECT_EQ(m.attention_kernel, AttentionKernel::Unfused);
  EXPECT_EQ(m.sliding_window, 4096);
  EXPECT_TRUE(m.qk_norm);
  EXPECT_TRUE(m.parallel_block);
  const auto plain = inline_model("model:\n  base: llama-3.1-8b\n");
  EXPECT_EQ(plain.attention_kernel, AttentionKernel::Fused);
  EXPECT_EQ(plain.sliding_window, 0);
  EXPECT_FALSE(plain.qk_norm);
  EXPECT_FALSE(plain.parallel_block);
  const auto msg = message_of(
      [] { (void)inline_model("model:\n  base: llama-3.1-8b\n  attention_kernel: flash\n"); });
  EXPECT_CONTAINS(msg, "s.yaml:3");
  EXPECT_CONTAINS(msg, "fused, cudnn, unfused");
  EXPECT_EQ(
      inline_model("model:\n  base: llama-3.1-8b\n  attention_kernel: cudnn\n").attention_kernel,
      AttentionKernel::Cudnn);
  EXPECT_CONTAINS(message_of([] {
                    (void)inline_model("model:\n  base: llama-3.1-8b\n  sliding_window: -1\n");
                  }),
                  "sliding_window");
}

TEST(ResolveModel, HiddenDropoutIsAProbability) {
  EXPECT_DOUBLE_EQ(
      inline_model("model:\n  base: gpt-3-175b\n  hidden_dropout: 0.1\n").hidden_dropout, 0.1);
  EXPECT_EQ(inline_model("model:\n  base: gpt-3-175b\n").hidden_dropout, 0.0);
  const auto msg =
      message_of([] { (void)inline_model("model:\n  base: gpt-3-175b\n  hidden_dropout: 1.5\n"); });
  EXPECT_CONTAINS(msg, "s.yaml:3");
  EXPECT_CONTAINS(msg, "hidden_dropout");
}

TEST(ResolveModel, InlineNameAndSources) {
  const auto m = inline_model(
      "model:\n  base: llama-3.1-8b\n  name: tiny\n  layers: {value: 2, source: \"test\"}\n");
  EXPECT_EQ(m.name, "tiny");
  EXPECT_EQ(m.sources.at("layers"), "test");
}

TEST(ResolveModel, FullInlineDefinitionNeedsEveryField) {
  const auto msg = message_of([] { (void)inline_model("model:\n  layers: 2\n  hidden: 64\n"); });
  EXPECT_CONTAINS(msg, "s.yaml:2:3");
  EXPECT_CONTAINS(msg, "missing required key");
}

TEST(ResolveModel, FullInlineDefinition) {
  const auto m = inline_model(
      "model:\n  layers: 2\n  hidden: 64\n  ffn_dim: 256\n  heads: 4\n  kv_heads: 2\n"
      "  head_dim: 16\n  vocab: 1000\n  tied_embeddings: true\n  attention: gqa\n"
      "  activation: swiglu\n  norm: rmsnorm\n");
  EXPECT_EQ(m.name, "custom");
  EXPECT_EQ(m.kv_heads, 2);
  EXPECT_FALSE(m.is_moe());
}

TEST(ResolveModel, UnknownBaseIsLocated) {
  const auto msg = message_of([] { (void)inline_model("model:\n  base: llama-4\n"); });
  EXPECT_CONTAINS(msg, "s.yaml:2:9");
  EXPECT_CONTAINS(msg, "unknown model 'llama-4'");
}

TEST(ResolveModel, UnknownKeyListsAllowed) {
  const auto msg =
      message_of([] { (void)inline_model("model:\n  base: llama-3.1-8b\n  layer: 3\n"); });
  EXPECT_CONTAINS(msg, "layer");
  EXPECT_CONTAINS(msg, "layers");
}

TEST(ResolveModel, SequenceIsRejected) {
  const auto msg = message_of([] { (void)inline_model("model: [1, 2]\n"); });
  EXPECT_CONTAINS(msg, "catalog name");
  EXPECT_CONTAINS(msg, "deepseek-v3");
}

TEST(ResolveModel, BadNameIsRejected) {
  const auto msg =
      message_of([] { (void)inline_model("model: {base: llama-3.1-8b, name: Big}\n"); });
  EXPECT_CONTAINS(msg, "name 'Big' must be lower-case");
}

// ---- consistency checks, each located at the key that breaks it

TEST(ModelValidation, HeadsMustDivideByKvHeads) {
  const auto msg =
      message_of([] { (void)inline_model("model:\n  base: llama-3.1-8b\n  kv_heads: 5\n"); });
  EXPECT_CONTAINS(msg, "s.yaml:3:13");
  EXPECT_CONTAINS(msg, "heads (32) is not a multiple of kv_heads (5)");
}

TEST(ModelValidation, KvHeadsAtMostHeads) {
  const auto msg =
      message_of([] { (void)inline_model("model: {base: llama-3.1-8b, kv_heads: 64}\n"); });
  EXPECT_CONTAINS(msg, "kv_heads (64) must be between 1 and heads (32)");
}

TEST(ModelValidation, TopKAtMostRoutedExperts) {
  const auto msg = message_of([] {
    (void)inline_model("model:\n  base: mixtral-8x7b\n  moe:\n    experts_per_token: 9\n");
  });
  EXPECT_CONTAINS(msg, "s.yaml:4:24");
  EXPECT_CONTAINS(msg, "moe.experts_per_token (9) must be between 1 and moe.routed_experts (8)");
}

TEST(ModelValidation, LimitedGroupsAtMostGroups) {
  const auto msg = message_of(
      [] { (void)inline_model("model: {base: deepseek-v3, moe: {limited_groups: 9}}\n"); });
  EXPECT_CONTAINS(msg, "moe.limited_groups (9) exceeds moe.expert_groups (8)");
}

TEST(ModelValidation, LimitedGroupsMustHoldTopK) {
  const auto msg = message_of([] {
    (void)inline_model(
        "model: {base: deepseek-v3, moe: {limited_groups: 1, experts_per_token: 33}}\n");
  });
  EXPECT_CONTAINS(msg, "cannot hold moe.experts_per_token (33)");
}

TEST(ModelValidation, GroupsDivideExperts) {
  const auto msg = message_of([] {
    (void)inline_model("model: {base: deepseek-v3, moe: {expert_groups: 7, limited_groups: 0}}\n");
  });
  EXPECT_CONTAINS(msg, "moe.expert_groups (7) must divide moe.routed_experts (256)");
}

TEST(ModelValidation, DenseLayersBelowLayers) {
  const auto msg =
      message_of([] { (void)inline_model("model: {base: deepseek-v3, layers: 3}\n"); });
  EXPECT_CONTAINS(msg, "moe.dense_layers (3) must be below layers (3)");
}

TEST(ModelValidation, MlaRejectsKvHeads) {
  const auto msg =
      message_of([] { (void)inline_model("model: {base: deepseek-v3, kv_heads: 8}\n"); });
  EXPECT_CONTAINS(msg, "'kv_heads' does not apply to attention: mla");
}

TEST(ModelValidation, MlaBlockNeedsMla) {
  const auto msg = message_of(
      [] { (void)inline_model("model: {base: llama-3.1-8b, mla: {kv_lora_rank: 512}}\n"); });
  EXPECT_CONTAINS(msg, "an 'mla:' block needs attention: mla");
}

TEST(ModelValidation, SwitchingToMlaNeedsItsDimensions) {
  const auto msg =
      message_of([] { (void)inline_model("model: {base: llama-3.1-8b, attention: mla}\n"); });
  EXPECT_CONTAINS(msg, "attention: mla needs mla.kv_lora_rank >= 1");
}

TEST(ModelValidation, SwitchingMlaToGqaNeedsKvHeads) {
  const auto msg =
      message_of([] { (void)inline_model("model: {base: deepseek-v3, attention: gqa}\n"); });
  EXPECT_CONTAINS(msg, "switching an MLA base to attention: gqa needs 'kv_heads' and 'head_dim'");
  const auto m =
      inline_model("model: {base: deepseek-v3, attention: gqa, kv_heads: 8, head_dim: 128}\n");
  EXPECT_EQ(m.attention, AttentionKind::Gqa);
  EXPECT_EQ(m.kv_heads, 8);
}

TEST(ModelValidation, BadChoiceListsValid) {
  const auto msg =
      message_of([] { (void)inline_model("model: {base: llama-3.1-8b, activation: relu}\n"); });
  EXPECT_CONTAINS(msg, "swiglu");
  EXPECT_CONTAINS(msg, "gelu");
}

TEST(ModelValidation, NegativeDimensionIsRejected) {
  const auto msg =
      message_of([] { (void)inline_model("model: {base: llama-3.1-8b, hidden: -4}\n"); });
  EXPECT_CONTAINS(msg, "hidden");
}

TEST(ModelValidation, ModelProblemIsEmptyForTheCatalog) {
  for (const auto& m : catalog().entries()) EXPECT_EQ(model_problem(m), "") << m.name;
  ModelSpec bad = catalog().get("llama-3.1-8b");
  bad.kv_heads = 3;
  EXPECT_EQ(model_problem(bad), "heads (32) is not a multiple of kv_heads (3)");
}

// ---- catalog strictness

TEST(ModelCatalogParse, ValueWithoutSourceIsRejected) {
  const auto msg = message_of(
      [] { (void)parse_entry("m:\n  description: {value: x, source: y}\n  attention: gqa\n"); });
  EXPECT_CONTAINS(msg, "cat.yaml:3:14");
  EXPECT_CONTAINS(msg, "a catalog value needs a source");
}

TEST(ModelCatalogParse, MapWithoutSourceIsRejected) {
  const auto msg = message_of([] { (void)parse_entry("m:\n  description: {value: x}\n"); });
  EXPECT_CONTAINS(msg, "missing required key 'source'");
}

TEST(ModelCatalogParse, EmptySourceIsRejected) {
  const auto msg =
      message_of([] { (void)parse_entry("m:\n  description: {value: x, source: \"\"}\n"); });
  EXPECT_CONTAINS(msg, "source must not be empty");
}

TEST(ModelCatalogParse, NotAMapIsRejected) {
  const auto msg = message_of([] { (void)parse_entry("m: 3\n"); });
  EXPECT_CONTAINS(msg, "a model definition must be a mapping");
}

TEST(ModelCatalogParse, MissingDirectoryIsAnIoError) {
  const auto msg = message_of([] { (void)ModelCatalog::load("/nonexistent/dir"); });
  EXPECT_CONTAINS(msg, "model catalog directory '/nonexistent/dir' does not exist");
}

TEST(ModelCatalogParse, DuplicateNameAcrossFilesIsRejected) {
  const auto v3 = kCatalogDir + "/deepseek-v3.yaml";
  const auto msg = message_of([&] { (void)ModelCatalog::load_files({v3, v3}); });
  EXPECT_CONTAINS(msg, "model 'deepseek-v3' is already defined in");
}

}  // namespace
}  // namespace trainsim::models
