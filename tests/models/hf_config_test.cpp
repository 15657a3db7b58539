// Import of Hugging Face config.json files (models/hf_config.hpp). The committed configs under
// models/hf-examples/ are the published ones (models/hf-examples/README.md names each repository
// file); every import is checked against the catalog entry of the same model, field by field and
// in its exact parameter count, and against the counts the authors publish.
#include "models/hf_config.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "models/accounting.hpp"
#include "models/catalog.hpp"

namespace trainsim::models {
namespace {

const ModelCatalog& catalog() {
  static const ModelCatalog c =
      ModelCatalog::load(std::string(TRAINSIM_SOURCE_DIR) + "/models/catalog");
  return c;
}

std::string example(const std::string& name) {
  return std::string(TRAINSIM_SOURCE_DIR) + "/models/hf-examples/" + name + "/config.json";
}

double rel(double a, double b) {
  return std::abs(a - b) / std::abs(b);
}

/// Every architecture field the accounting, op list and memory model read.
void expect_same_architecture(const ModelSpec& a, const ModelSpec& b) {
  EXPECT_EQ(a.layers, b.layers);
  EXPECT_EQ(a.hidden, b.hidden);
  EXPECT_EQ(a.ffn_dim, b.ffn_dim);
  EXPECT_EQ(a.heads, b.heads);
  EXPECT_EQ(a.kv_heads, b.kv_heads);
  EXPECT_EQ(a.head_dim, b.head_dim);
  EXPECT_EQ(a.vocab, b.vocab);
  EXPECT_EQ(a.tied_embeddings, b.tied_embeddings);
  EXPECT_EQ(a.attention, b.attention);
  EXPECT_EQ(a.activation, b.activation);
  EXPECT_EQ(a.norm, b.norm);
  EXPECT_EQ(a.attention_bias, b.attention_bias);
  EXPECT_EQ(a.linear_bias, b.linear_bias);
  EXPECT_EQ(a.learned_positions, b.learned_positions);
  EXPECT_EQ(a.sliding_window, b.sliding_window);
  EXPECT_EQ(a.qk_norm, b.qk_norm);
  EXPECT_EQ(a.mtp_depth, b.mtp_depth);
  EXPECT_EQ(a.mla.q_lora_rank, b.mla.q_lora_rank);
  EXPECT_EQ(a.mla.kv_lora_rank, b.mla.kv_lora_rank);
  EXPECT_EQ(a.mla.qk_nope_head_dim, b.mla.qk_nope_head_dim);
  EXPECT_EQ(a.mla.qk_rope_head_dim, b.mla.qk_rope_head_dim);
  EXPECT_EQ(a.mla.v_head_dim, b.mla.v_head_dim);
  EXPECT_EQ(a.moe.routed_experts, b.moe.routed_experts);
  EXPECT_EQ(a.moe.shared_experts, b.moe.shared_experts);
  EXPECT_EQ(a.moe.experts_per_token, b.moe.experts_per_token);
  EXPECT_EQ(a.moe.expert_ffn_dim, b.moe.expert_ffn_dim);
  EXPECT_EQ(a.moe.dense_layers, b.moe.dense_layers);
  EXPECT_EQ(a.moe.expert_groups, b.moe.expert_groups);
  EXPECT_EQ(a.moe.limited_groups, b.moe.limited_groups);
}

class HfMatchesCatalog : public ::testing::TestWithParam<const char*> {};

TEST_P(HfMatchesCatalog, SameArchitectureAndParameterCount) {
  // The config.json and the catalog entry describe one model (the catalog cites the same
  // config.json and the paper), so the import must give the same architecture and the very same
  // parameter counts, total and activated.
  const std::string name = GetParam();
  const ModelSpec imported = load_hf_config(example(name));
  const ModelSpec& entry = catalog().get(name);
  EXPECT_EQ(imported.name, name);  // the folder's name
  expect_same_architecture(imported, entry);
  const auto a = count_parameters(imported), b = count_parameters(entry);
  EXPECT_EQ(a.total, b.total);
  EXPECT_EQ(a.activated, b.activated);
  EXPECT_EQ(a.mtp_unique, b.mtp_unique);
}

INSTANTIATE_TEST_SUITE_P(CatalogFamilies, HfMatchesCatalog,
                         ::testing::Values("llama-3.1-8b", "qwen2.5-72b", "mixtral-8x7b",
                                           "deepseek-v2", "deepseek-v3"));

TEST(HfConfig, PublishedCountsOfTheCatalogModels) {
  // Llama 3.1 8B: 32·(4096·4096·2 + 2·4096·1024 + 3·4096·14336 + 2·4096) + 2·128256·4096 + 4096
  // = 8,030,261,248, the repository's safetensors total.
  EXPECT_EQ(count_parameters(load_hf_config(example("llama-3.1-8b"))).total, 8'030'261'248);
  // DeepSeek-V3: 671,026,404,352 in the main model ("671B", V3 §4.2), as the catalog test derives.
  EXPECT_EQ(count_parameters(load_hf_config(example("deepseek-v3"))).total, 671'026'404'352);
  // Mixtral 8x7B "46.7B" total, "12.9B" active; Qwen2.5-72B "72.7B" (model card): rounded to
  // three digits, so within half a unit of the last digit.
  const auto mixtral = count_parameters(load_hf_config(example("mixtral-8x7b")));
  constexpr double kThreeDigits = 0.0011;
  EXPECT_LT(rel(static_cast<double>(mixtral.total), 46.7e9), kThreeDigits);
  EXPECT_LT(rel(static_cast<double>(mixtral.activated), 12.9e9), 0.002);  // 12.88B → "12.9B"
  EXPECT_LT(rel(static_cast<double>(count_parameters(load_hf_config(example("qwen2.5-72b"))).total),
                72.7e9),
            kThreeDigits);
}

TEST(HfConfig, Qwen3EightBMatchesItsModelCard) {
  // Qwen3-8B (model card: 8.2B, 6.95B non-embedding). Per layer: q 4096·4096, k and v
  // 4096·1024, o 4096·4096, q_norm + k_norm 2·128, MLP 3·4096·12288, two norms 2·4096 =
  // 192,946,432; × 36 + untied embedding and head 2·151936·4096 + final norm 4096 =
  // 8,190,735,360.
  const ModelSpec m = load_hf_config(example("qwen3-8b"));
  EXPECT_TRUE(m.qk_norm);
  EXPECT_FALSE(m.attention_bias);
  EXPECT_EQ(m.head_dim, 128);
  const auto c = count_parameters(m);
  EXPECT_EQ(c.total, 8'190'735'360);
  constexpr double kTwoDigits = 0.01;  // "8.2B", "6.95B" (three digits)
  EXPECT_LT(rel(static_cast<double>(c.total), 8.2e9), kTwoDigits);
  EXPECT_LT(rel(static_cast<double>(c.total - c.embedding - c.head), 6.95e9), 0.001);
}

TEST(HfConfig, Qwen3MoeMatchesItsModelCard) {
  // Qwen3-30B-A3B (model card: 30.5B total, 3.3B activated, 29.9B non-embedding): 128 experts of
  // 3·2048·768, top-8, no shared expert, every layer MoE.
  const ModelSpec m = load_hf_config(example("qwen3-30b-a3b"));
  EXPECT_EQ(m.moe.routed_experts, 128);
  EXPECT_EQ(m.moe.experts_per_token, 8);
  EXPECT_EQ(m.moe.expert_ffn_dim, 768);
  EXPECT_EQ(m.moe.shared_experts, 0);
  EXPECT_EQ(m.moe.dense_layers, 0);
  const auto c = count_parameters(m);
  EXPECT_LT(rel(static_cast<double>(c.total), 30.5e9), 0.002);
  EXPECT_LT(rel(static_cast<double>(c.activated), 3.3e9), 0.02);  // two digits
  EXPECT_LT(rel(static_cast<double>(c.total - c.embedding - c.head), 29.9e9), 0.002);
}

TEST(HfConfig, DeepSeekV2LiteUncompressedQueriesAndNoGroupLimit) {
  // DeepSeek-V2-Lite: q_lora_rank null (queries not compressed), topk_method "greedy" over
  // n_group 1 (no group limit). The V2 paper gives 15.7B total and 2.4B activated; the activated
  // figure leaves out the embedding lookup (with it the count is 2.66B).
  const ModelSpec m = load_hf_config(example("deepseek-v2-lite"));
  EXPECT_EQ(m.mla.q_lora_rank, 0);
  EXPECT_EQ(m.moe.limited_groups, 0);
  EXPECT_EQ(m.moe.dense_layers, 1);
  const auto c = count_parameters(m);
  EXPECT_LT(rel(static_cast<double>(c.total), 15.7e9), 0.002);
  EXPECT_LT(rel(static_cast<double>(c.activated - c.embedding), 2.4e9), 0.03);  // two digits
}

TEST(HfConfig, SourcesNameTheFileAndKey) {
  const std::string path = example("deepseek-v3");
  const ModelSpec m = load_hf_config(path);
  EXPECT_EQ(m.sources.at("moe.routed_experts"), path + ": n_routed_experts 256");
  EXPECT_EQ(m.sources.at("mtp_depth"), path + ": num_nextn_predict_layers 1");
  EXPECT_NE(m.description.find("model_type deepseek_v3"), std::string::npos) << m.description;
  EXPECT_EQ(m.published_total_params, 0);  // a config carries no published count
}

TEST(HfConfig, ModelNames) {
  EXPECT_EQ(hf_model_name("/x/Meta-Llama-3.1-8B/config.json"), "meta-llama-3.1-8b");
  EXPECT_EQ(hf_model_name("qwen3 8b.json"), "qwen3-8b");
  EXPECT_EQ(hf_model_name("config.json"), "hf-model");
}

// ---------------------------------------------------------------- errors

/// Writes `text` to a temporary config.json and returns the ConfigError's message of importing
/// it ("" if it imports).
std::string import_error(const std::string& text, const std::string& file = "config.json") {
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("trainsim-hf-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
       ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::create_directories(dir);
  const auto path = (dir / file).string();
  std::ofstream(path) << text;
  try {
    (void)load_hf_config(path);
  } catch (const ConfigError& e) {
    std::filesystem::remove_all(dir);
    return e.what();
  }
  std::filesystem::remove_all(dir);
  return "";
}

const std::string kLlama = R"("num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4,
  "num_key_value_heads": 2, "vocab_size": 100, "intermediate_size": 128)";

TEST(HfConfigErrors, UnknownModelTypeListsTheValidOnes) {
  const std::string e = import_error(R"({"model_type": "lama", )" + kLlama + "}");
  EXPECT_NE(e.find("config.json:1:16: model_type: 'lama' is not a model_type trainsim imports "
                   "(did you mean 'llama'?); valid: deepseek_v2, deepseek_v3, llama, mistral, "
                   "mixtral, qwen2, qwen3, qwen3_moe"),
            std::string::npos)
      << e;
}

TEST(HfConfigErrors, MissingModelTypeAndMissingKey) {
  EXPECT_NE(import_error("{" + kLlama + "}").find("missing required key 'model_type'"),
            std::string::npos);
  const std::string e =
      import_error(R"({"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4})");
  EXPECT_NE(e.find("missing required key 'num_hidden_layers' (a llama config.json has it)"),
            std::string::npos)
      << e;
  EXPECT_NE(import_error("[1, 2]").find("must be a JSON object"), std::string::npos);
}

TEST(HfConfigErrors, WhatTrainsimCannotRepresentIsRefusedAtItsKey) {
  // A GELU-gated MLP, biases on every attention projection, an MLP bias.
  std::string e = import_error(R"({"model_type": "llama", "hidden_act": "gelu", )" + kLlama + "}");
  EXPECT_NE(e.find("hidden_act 'gelu' is not representable"), std::string::npos) << e;
  e = import_error(R"({"model_type": "llama", "attention_bias": true, )" + kLlama + "}");
  EXPECT_NE(e.find("attention_bias: true is not representable: it biases q, k, v and o_proj"),
            std::string::npos)
      << e;
  e = import_error(R"({"model_type": "llama", "mlp_bias": true, )" + kLlama + "}");
  EXPECT_NE(e.find("mlp_bias: true is not representable"), std::string::npos) << e;
  // A sliding window on some layers only (Qwen2's max_window_layers).
  e = import_error(R"({"model_type": "qwen2", "use_sliding_window": true, "sliding_window": 32,
    "max_window_layers": 1, )" +
                   kLlama + "}");
  EXPECT_NE(e.find("max_window_layers 1 with use_sliding_window: true puts a sliding window on "
                   "layers 1..1 only"),
            std::string::npos)
      << e;
  // MoE on every other layer.
  e = import_error(R"({"model_type": "qwen3_moe", "num_experts": 4, "num_experts_per_tok": 2,
    "moe_intermediate_size": 32, "decoder_sparse_step": 2, )" +
                   kLlama + "}");
  EXPECT_NE(e.find("decoder_sparse_step 2 makes only every 2th layer MoE"), std::string::npos) << e;
  e = import_error(R"({"model_type": "qwen3_moe", "num_experts": 4, "num_experts_per_tok": 2,
    "moe_intermediate_size": 32, "mlp_only_layers": [1], )" +
                   kLlama + "}");
  EXPECT_NE(e.find("mlp_only_layers must be the leading layers"), std::string::npos) << e;
}

TEST(HfConfigErrors, InconsistentModelIsNamed) {
  // 4 heads over 3 KV heads: the catalog's consistency rule, reported against the file.
  const std::string e = import_error(
      R"({"model_type": "llama", "num_hidden_layers": 2, "hidden_size": 64,
    "num_attention_heads": 4, "num_key_value_heads": 3, "vocab_size": 100,
    "intermediate_size": 128})");
  EXPECT_NE(e.find("the model it describes is not consistent"), std::string::npos) << e;
}

TEST(HfConfigErrors, HeadDimNeedsADivisibleHiddenSize) {
  const std::string e = import_error(
      R"({"model_type": "mistral", "num_hidden_layers": 2, "hidden_size": 65,
    "num_attention_heads": 4, "vocab_size": 100, "intermediate_size": 128})");
  EXPECT_NE(e.find("no head_dim, and hidden_size 65 is not a multiple of num_attention_heads 4"),
            std::string::npos)
      << e;
}

// ---------------------------------------------------------------- the scenario key

TEST(HfConfigInScenario, PathIsRelativeToTheScenarioAndKeysOverride) {
  // `model: {hf_config: PATH, layers: 16}`: the import is the base, later keys override it.
  const auto dir = std::filesystem::temp_directory_path() / "trainsim-hf-scenario";
  std::filesystem::create_directories(dir / "sub");
  std::filesystem::copy_file(example("llama-3.1-8b"), dir / "sub" / "config.json",
                             std::filesystem::copy_options::overwrite_existing);
  const auto yaml = (dir / "model.yaml").string();
  std::ofstream(yaml) << "model: {hf_config: sub/config.json, layers: 16, name: half-llama}\n";
  const auto root = ConfigNode::load_file(yaml);
  const ModelSpec m = resolve_model(root.at("model"), catalog());
  EXPECT_EQ(m.name, "half-llama");
  EXPECT_EQ(m.layers, 16);
  EXPECT_EQ(m.hidden, 4096);
  // Without `name:`, a changed import is called custom-NAME, as a changed base is.
  const auto plain = ConfigNode::load_string(
      "model: {hf_config: " + (dir / "sub" / "config.json").string() + ", layers: 16}\n", "t.yaml");
  const ModelSpec custom = resolve_model(plain.at("model"), catalog());
  EXPECT_EQ(custom.name, "custom-sub");
  EXPECT_NE(custom.description.find("(modified inline)"), std::string::npos);
  EXPECT_EQ(hf_config_path(root.at("model").at("hf_config")),
            (dir / "sub" / "config.json").lexically_normal().string());
  std::filesystem::remove_all(dir);
}

TEST(HfConfigInScenario, BaseAndHfConfigTogetherIsAnError) {
  const auto node =
      ConfigNode::load_string("model: {base: llama-3.1-8b, hf_config: x/config.json}\n", "s.yaml");
  try {
    (void)resolve_model(node.at("model"), catalog());
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("give either 'base' (a catalog entry) or 'hf_config' (a "
                                         "config.json), not both"),
              std::string::npos)
        << e.what();
  }
}

TEST(HfConfigInScenario, MissingFileNamesThePath) {
  const auto node = ConfigNode::load_string("model: {hf_config: no/such/config.json}\n", "s.yaml");
  try {
    (void)resolve_model(node.at("model"), catalog());
    FAIL() << "expected an IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("no/such/config.json: cannot open file for reading"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace trainsim::models
