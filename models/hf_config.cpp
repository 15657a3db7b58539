// Hugging Face config.json → ModelSpec. The meaning of each key is the one the model's
// configuration and modeling files in the transformers repository give it
// (src/transformers/models/<type>/configuration_<type>.py and modeling_<type>.py):
//   every family   num_hidden_layers → layers, hidden_size → hidden, num_attention_heads → heads,
//                  vocab_size → vocab, tie_word_embeddings → tied_embeddings (default false in
//                  each family's config class), intermediate_size → ffn_dim; RMSNorm and a
//                  gated MLP (gate, up, down) with hidden_act silu, i.e. SwiGLU.
//   GQA families   num_key_value_heads → kv_heads (default: num_attention_heads), head_dim →
//                  head_dim (default hidden_size / num_attention_heads).
//   llama, qwen3   attention_bias biases q, k, v and o_proj, mlp_bias the MLP: only false is
//                  representable (ModelSpec's attention_bias is q, k, v only).
//   qwen2          q, k, v always carry a bias and o_proj none (modeling_qwen2.py
//                  Qwen2Attention) → attention_bias: true.
//   qwen3*         q_norm and k_norm on every head (modeling_qwen3.py) → qk_norm: true.
//   mistral,       sliding_window (an integer, or null for none) → sliding_window on every layer.
//   mixtral
//   qwen2, qwen3*  use_sliding_window with max_window_layers: the window applies to the layers
//                  from max_window_layers on; all (0) or none (>= layers) is representable.
//   mixtral        num_local_experts → moe.routed_experts, num_experts_per_tok → top-k, each
//                  expert an MLP of intermediate_size, every layer MoE, no shared expert.
//   qwen3_moe      num_experts, num_experts_per_tok, moe_intermediate_size; decoder_sparse_step
//                  1 and mlp_only_layers a leading run (→ moe.dense_layers).
//   deepseek_v2/3  MLA: q_lora_rank (null: uncompressed queries), kv_lora_rank,
//                  qk_nope_head_dim, qk_rope_head_dim, v_head_dim; MoE: n_routed_experts (null:
//                  dense), n_shared_experts, num_experts_per_tok, moe_intermediate_size,
//                  first_k_dense_replace → moe.dense_layers, moe_layer_freq must be 1, n_group →
//                  moe.expert_groups, topk_group → moe.limited_groups unless topk_method is
//                  "greedy" (no group limit; DeepSeek-V2-Lite); num_nextn_predict_layers →
//                  mtp_depth (DeepSeek-V3 README_WEIGHTS.md: the MTP module's weights).
#include "models/hf_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>

#include "core/error.hpp"
#include "models/catalog.hpp"

namespace trainsim::models {

namespace {

namespace fs = std::filesystem;

/// Largest config.json read: the published ones are a few KB.
constexpr std::size_t kMaxConfigBytes = std::size_t{1} << 20;
/// Largest dimension accepted (as the catalog reader: far above any published one).
constexpr std::int64_t kMaxDim = std::int64_t{1} << 31;

const std::vector<std::string> kTypes = {"deepseek_v2", "deepseek_v3", "llama", "mistral",
                                         "mixtral",     "qwen2",       "qwen3", "qwen3_moe"};

/// Reads keys of one config.json and records each field's source ("config.json key value").
class HfReader {
 public:
  HfReader(const ConfigNode& root, ModelSpec& m) : root_(root), m_(m) {}

  /// The value of `key` unless absent or null.
  std::optional<ConfigNode> get(std::string_view key) const {
    auto v = root_.find(key);
    if (!v || v->is_null()) return std::nullopt;
    return v;
  }

  std::int64_t integer(std::string_view key, std::int64_t min, const std::string& field) {
    const auto v = get(key);
    if (!v) {
      throw root_.error(
          fmt::format("missing required key '{}' (a {} config.json has it)", key, model_type_));
    }
    const std::int64_t x = v->as_integer(min, kMaxDim);
    note(field, key, v->as_string());
    return x;
  }

  std::int64_t integer_or(std::string_view key, std::int64_t min, std::int64_t fallback,
                          const std::string& field, const std::string& why) {
    if (const auto v = get(key)) {
      const std::int64_t x = v->as_integer(min, kMaxDim);
      note(field, key, v->as_string());
      return x;
    }
    m_.sources[field] = fmt::format("{}: no {} ({})", root_.file(), key, why);
    return fallback;
  }

  bool boolean_or(std::string_view key, bool fallback) const {
    const auto v = get(key);
    return v ? v->as_bool() : fallback;
  }

  /// Throws at `key` when it is present with a value other than `allowed`.
  void require_bool(std::string_view key, bool allowed, const std::string& why) const {
    if (const auto v = get(key); v && v->as_bool() != allowed) {
      throw v->error(fmt::format("{}: {} is not representable: {}", key, v->as_string(), why));
    }
  }

  void note(const std::string& field, std::string_view key, const std::string& value) {
    m_.sources[field] = fmt::format("{}: {} {}", root_.file(), key, value);
  }

  void set_type(std::string t) { model_type_ = std::move(t); }
  const ConfigNode& root() const { return root_; }

 private:
  ConfigNode root_;
  ModelSpec& m_;
  std::string model_type_;
};

void read_activation(HfReader& r, ModelSpec& m) {
  // Every family here has a gated MLP (gate_proj, up_proj, down_proj); with SiLU it is SwiGLU.
  if (const auto a = r.get("hidden_act")) {
    const std::string act = a->as_string();
    if (act != "silu" && act != "swish") {
      throw a->error(fmt::format(
          "hidden_act '{}' is not representable: trainsim's gated MLP is SwiGLU (hidden_act "
          "silu)",
          act));
    }
    r.note("activation", "hidden_act", act);
  }
  m.activation = FfnActivation::SwiGlu;
  m.norm = NormKind::RmsNorm;
}

/// GQA attention: heads, KV heads, head_dim.
void read_gqa(HfReader& r, ModelSpec& m) {
  m.attention = AttentionKind::Gqa;
  m.kv_heads = r.integer_or("num_key_value_heads", 1, m.heads, "kv_heads",
                            "every head has its own K and V, as the config class defaults");
  if (r.get("head_dim")) {
    m.head_dim = r.integer("head_dim", 1, "head_dim");
  } else {
    if (m.hidden % m.heads != 0) {
      throw r.root().error(
          fmt::format("no head_dim, and hidden_size {} is not a multiple of num_attention_heads {}",
                      m.hidden, m.heads));
    }
    m.head_dim = m.hidden / m.heads;
    m.sources["head_dim"] = fmt::format("{}: hidden_size / num_attention_heads = {} / {}",
                                        r.root().file(), m.hidden, m.heads);
  }
}

/// Qwen2/Qwen3's use_sliding_window + max_window_layers: sliding-window attention on the layers
/// from max_window_layers on (modeling_qwen2.py layer_types).
void read_qwen_window(HfReader& r, ModelSpec& m) {
  if (!r.boolean_or("use_sliding_window", false)) return;
  const std::int64_t window = r.integer("sliding_window", 1, "sliding_window");
  const std::int64_t from = r.integer_or("max_window_layers", 0, 0, "max_window_layers", "0");
  if (from >= m.layers) {
    m.sliding_window = 0;  // no layer reaches max_window_layers: full attention everywhere
  } else if (from == 0) {
    m.sliding_window = window;
  } else {
    throw r.get("max_window_layers")
        ->error(fmt::format(
            "max_window_layers {} with use_sliding_window: true puts a sliding window on layers "
            "{}..{} only; trainsim applies a window to every layer or none",
            from, from, m.layers - 1));
  }
}

void read_dense_gqa_family(HfReader& r, ModelSpec& m, const std::string& type) {
  read_gqa(r, m);
  if (type == "llama" || type == "qwen3" || type == "qwen3_moe") {
    r.require_bool("attention_bias", false,
                   "it biases q, k, v and o_proj; trainsim represents a q, k, v bias only");
    r.require_bool("mlp_bias", false, "trainsim's gated MLP has no biases");
  }
  if (type == "qwen2") {
    m.attention_bias = true;
    m.sources["attention_bias"] =
        "transformers modeling_qwen2.py: q_proj, k_proj, v_proj bias=True, o_proj bias=False";
  }
  if (type == "qwen3" || type == "qwen3_moe") {
    m.qk_norm = true;
    m.sources["qk_norm"] =
        "transformers modeling_qwen3.py: q_norm and k_norm (RMSNorm of head_dim)";
  }
  if (type == "mistral" || type == "mixtral") {
    m.sliding_window = r.integer_or("sliding_window", 1, 0, "sliding_window", "null: no window");
  }
  if (type == "qwen2" || type == "qwen3" || type == "qwen3_moe") read_qwen_window(r, m);
}

void read_mixtral_moe(HfReader& r, ModelSpec& m) {
  m.moe.routed_experts = r.integer("num_local_experts", 1, "moe.routed_experts");
  m.moe.experts_per_token = r.integer("num_experts_per_tok", 1, "moe.experts_per_token");
  m.moe.expert_ffn_dim = m.ffn_dim;
  m.sources["moe.expert_ffn_dim"] =
      fmt::format("{}: intermediate_size {} (each expert is one MLP)", r.root().file(), m.ffn_dim);
  m.moe.shared_experts = 0;
  m.moe.dense_layers = 0;
  m.moe.expert_groups = 1;
  m.moe.limited_groups = 0;
}

void read_qwen3_moe(HfReader& r, ModelSpec& m) {
  m.moe.routed_experts = r.integer("num_experts", 1, "moe.routed_experts");
  m.moe.experts_per_token = r.integer("num_experts_per_tok", 1, "moe.experts_per_token");
  m.moe.expert_ffn_dim = r.integer("moe_intermediate_size", 1, "moe.expert_ffn_dim");
  if (const auto step = r.get("decoder_sparse_step"); step && step->as_integer(0, kMaxDim) != 1) {
    throw step->error(fmt::format(
        "decoder_sparse_step {} makes only every {}th layer MoE; trainsim's MoE layers are one "
        "run after the dense ones (decoder_sparse_step 1)",
        step->as_string(), step->as_string()));
  }
  std::int64_t dense = 0;
  if (const auto only = r.get("mlp_only_layers")) {
    if (!only->is_sequence()) throw only->error("mlp_only_layers must be a list of layer indices");
    for (std::size_t i = 0; i < only->size(); ++i) {
      if ((*only)[i].as_integer(0, kMaxDim) != static_cast<std::int64_t>(i)) {
        throw(*only)[i].error(
            "mlp_only_layers must be the leading layers 0, 1, 2, ... (trainsim's dense layers "
            "come first)");
      }
    }
    dense = static_cast<std::int64_t>(only->size());
  }
  m.moe.dense_layers = dense;
  m.moe.shared_experts = 0;
  m.moe.expert_groups = 1;
  m.moe.limited_groups = 0;
}

void read_deepseek(HfReader& r, ModelSpec& m) {
  m.attention = AttentionKind::Mla;
  r.require_bool("attention_bias", false, "trainsim's MLA projections have no biases");
  m.mla.q_lora_rank = r.integer_or("q_lora_rank", 1, 0, "mla.q_lora_rank",
                                   "null: queries are not compressed, as in DeepSeek-V2-Lite");
  m.mla.kv_lora_rank = r.integer("kv_lora_rank", 1, "mla.kv_lora_rank");
  m.mla.qk_nope_head_dim = r.integer("qk_nope_head_dim", 1, "mla.qk_nope_head_dim");
  m.mla.qk_rope_head_dim = r.integer("qk_rope_head_dim", 0, "mla.qk_rope_head_dim");
  m.mla.v_head_dim = r.integer("v_head_dim", 1, "mla.v_head_dim");
  m.kv_heads = m.heads;  // as the catalog reader derives it for MLA
  m.head_dim = m.mla.qk_nope_head_dim + m.mla.qk_rope_head_dim;
  m.mtp_depth = r.integer_or("num_nextn_predict_layers", 0, 0, "mtp_depth",
                             "no multi-token-prediction module");
  if (!r.get("n_routed_experts")) return;  // a dense DeepSeek model
  m.moe.routed_experts = r.integer("n_routed_experts", 1, "moe.routed_experts");
  m.moe.shared_experts = r.integer_or("n_shared_experts", 0, 0, "moe.shared_experts", "null: none");
  m.moe.experts_per_token = r.integer("num_experts_per_tok", 1, "moe.experts_per_token");
  m.moe.expert_ffn_dim = r.integer("moe_intermediate_size", 1, "moe.expert_ffn_dim");
  m.moe.dense_layers =
      r.integer_or("first_k_dense_replace", 0, 0, "moe.dense_layers", "every layer MoE");
  if (const auto freq = r.get("moe_layer_freq"); freq && freq->as_integer(0, kMaxDim) != 1) {
    throw freq->error(fmt::format(
        "moe_layer_freq {} makes only every {}th layer MoE; trainsim's MoE layers are one run "
        "after the first_k_dense_replace dense ones (moe_layer_freq 1)",
        freq->as_string(), freq->as_string()));
  }
  m.moe.expert_groups = r.integer_or("n_group", 1, 1, "moe.expert_groups", "one group");
  std::string method = "greedy";
  if (const auto t = r.get("topk_method")) method = t->as_string();
  const std::int64_t topk_group =
      r.integer_or("topk_group", 1, m.moe.expert_groups, "moe.limited_groups", "no group limit");
  // "greedy" picks the top-k over all experts; the group-limited methods ("group_limited_greedy",
  // V3's "noaux_tc") first keep the topk_group best groups.
  m.moe.limited_groups = method != "greedy" && topk_group < m.moe.expert_groups ? topk_group : 0;
  if (m.moe.limited_groups == 0) {
    m.sources["moe.limited_groups"] =
        fmt::format("{}: topk_method {}, topk_group {} of n_group {}: no group limit",
                    r.root().file(), method, topk_group, m.moe.expert_groups);
  }
}

}  // namespace

std::vector<std::string> hf_model_types() {
  return kTypes;
}

std::string hf_model_name(const std::string& path) {
  const fs::path p(path);
  std::string base = p.stem().string();
  if (base == "config") base = p.parent_path().filename().string();
  std::string out;
  for (const char c : base) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0) {
      out += static_cast<char>(std::tolower(u));
    } else if (c == '-' || c == '_' || c == '.') {
      out += c;
    } else {
      out += '-';
    }
  }
  if (out.empty() || out == "." || out == "..") return "hf-model";
  return out;
}

std::string hf_config_path(const ConfigNode& path_node) {
  const std::string text = path_node.as_string();
  if (text.empty()) throw path_node.error("hf_config must name a config.json file");
  const fs::path p(text);
  if (p.is_absolute()) return text;
  // Relative to the scenario file when the node comes from one (not from --set or stdin).
  std::error_code ec;
  const fs::path origin(path_node.file());
  if (fs::is_regular_file(origin, ec))
    return (origin.parent_path() / p).lexically_normal().string();
  return text;
}

ModelSpec model_from_hf_config(const ConfigNode& root, const std::string& name) {
  if (!root.is_map()) {
    throw root.error("a Hugging Face config.json must be a JSON object of keys (model_type, ...)");
  }
  const auto type_node = root.find("model_type");
  if (!type_node || type_node->is_null()) {
    throw root.error(
        fmt::format("missing required key 'model_type' (one of {})", join_names(kTypes)));
  }
  const std::string type = type_node->as_string();
  if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end()) {
    const std::string near = closest_name(type, kTypes);
    throw type_node->error(fmt::format(
        "'{}' is not a model_type trainsim imports{}; valid: {} (or define the model inline, "
        "docs/scenarios.md)",
        type, near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near), join_names(kTypes)));
  }
  ModelSpec m;
  m.name = name.empty() ? hf_model_name(root.file()) : name;
  std::string arch;
  if (const auto a = root.find("architectures"); a && a->is_sequence() && a->size() > 0) {
    arch = ", " + (*a)[0].as_string();
  }
  m.description = fmt::format("imported from the Hugging Face config {} (model_type {}{})",
                              root.file(), type, arch);
  HfReader r(root, m);
  r.set_type(type);
  m.layers = r.integer("num_hidden_layers", 1, "layers");
  m.hidden = r.integer("hidden_size", 1, "hidden");
  m.heads = r.integer("num_attention_heads", 1, "heads");
  m.vocab = r.integer("vocab_size", 1, "vocab");
  m.ffn_dim = r.integer("intermediate_size", 1, "ffn_dim");
  m.tied_embeddings = r.boolean_or("tie_word_embeddings", false);
  m.sources["tied_embeddings"] = fmt::format("{}: tie_word_embeddings {}", root.file(),
                                             m.tied_embeddings ? "true" : "false (or absent)");
  read_activation(r, m);
  if (type == "deepseek_v2" || type == "deepseek_v3") {
    read_deepseek(r, m);
  } else {
    read_dense_gqa_family(r, m, type);
    if (type == "mixtral") read_mixtral_moe(r, m);
    if (type == "qwen3_moe") read_qwen3_moe(r, m);
  }
  if (const std::string why = model_problem(m); !why.empty()) {
    throw root.error(fmt::format("the model it describes is not consistent: {}", why));
  }
  return m;
}

ModelSpec load_hf_config(const std::string& path, const std::string& name) {
  YamlLimits limits;
  limits.max_bytes = kMaxConfigBytes;
  return model_from_hf_config(ConfigNode::load_file(path, limits), name);
}

}  // namespace trainsim::models
