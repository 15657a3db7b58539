#include "models/catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>

#include "core/data_paths.hpp"
#include "core/error.hpp"
#include "core/units.hpp"
#include "models/hf_config.hpp"

namespace trainsim::models {

namespace detail {

/// How strictly an entry is read.
enum class Mode {
  Catalog,     ///< required fields must be present, every value needs a source
  InlineFull,  ///< required fields must be present, sources optional
  InlineBase,  ///< fields override a base entry; all optional, sources optional
};

bool requires_all(Mode m) {
  return m != Mode::InlineBase;
}

constexpr std::int64_t kMaxDim = std::int64_t{1} << 31;  // far above any published dimension

const std::vector<std::string_view> kTopKeys{"description",
                                             "layers",
                                             "hidden",
                                             "ffn_dim",
                                             "heads",
                                             "kv_heads",
                                             "head_dim",
                                             "vocab",
                                             "tied_embeddings",
                                             "attention",
                                             "activation",
                                             "norm",
                                             "attention_bias",
                                             "linear_bias",
                                             "learned_positions",
                                             "context_length",
                                             "mla",
                                             "moe",
                                             "mtp_depth",
                                             "attention_kernel",
                                             "hidden_dropout",
                                             "sliding_window",
                                             "qk_norm",
                                             "parallel_block",
                                             "published_total_params",
                                             "published_activated_params"};
const std::vector<std::string_view> kMlaKeys{"q_lora_rank", "kv_lora_rank", "qk_nope_head_dim",
                                             "qk_rope_head_dim", "v_head_dim"};
const std::vector<std::string_view> kMoeKeys{
    "routed_experts", "shared_experts", "experts_per_token", "expert_ffn_dim",
    "dense_layers",   "expert_groups",  "limited_groups"};

/// Reads fields of one map (the entry, or its `mla:` / `moe:` block) and records sources under
/// `prefix` + key.
class FieldReader {
 public:
  FieldReader(const ConfigNode& map, Mode mode, std::string prefix,
              std::map<std::string, std::string>& sources)
      : map_(map), mode_(mode), prefix_(std::move(prefix)), sources_(sources) {}

  /// The value node of `key` if present (a {value, source} map or, inline, a plain value).
  std::optional<ConfigNode> value(std::string_view key, bool required) {
    const auto field = map_.find(key);
    if (!field) {
      if (required && requires_all(mode_)) {
        throw map_.error(fmt::format("missing required key '{}{}'", prefix_, key));
      }
      return std::nullopt;
    }
    std::string source;
    ConfigNode v = *field;
    if (field->is_map()) {
      field->check_keys({"value", "source"});
      v = field->at("value");
      if (auto s = field->find("source")) {
        source = s->as_string();
        if (source.empty()) throw s->error("source must not be empty");
      } else if (mode_ == Mode::Catalog) {
        throw field->error("missing required key 'source': every catalog value needs one");
      }
    } else if (mode_ == Mode::Catalog) {
      throw field->error("a catalog value needs a source: write {value: ..., source: \"...\"}");
    }
    if (source.empty()) source = fmt::format("inline definition at {}:{}", v.file(), v.line());
    sources_[prefix_ + std::string(key)] = std::move(source);
    return v;
  }

  void integer(std::string_view key, bool required, std::int64_t min, std::int64_t& out) {
    if (auto v = value(key, required)) out = v->as_integer(min, kMaxDim);
  }
  void boolean(std::string_view key, bool required, bool& out) {
    if (auto v = value(key, required)) out = v->as_bool();
  }

 private:
  ConfigNode map_;
  Mode mode_;
  std::string prefix_;
  std::map<std::string, std::string>& sources_;
};

std::vector<std::string_view> with_inline_keys(std::vector<std::string_view> keys) {
  keys.insert(keys.begin(), {"base", "hf_config", "name"});
  return keys;
}

void read_fields(const ConfigNode& entry, Mode mode, ModelSpec& m) {
  if (!entry.is_map()) {
    throw entry.error("a model definition must be a mapping of fields (layers, hidden, ...)");
  }
  entry.check_keys(mode == Mode::Catalog ? kTopKeys : with_inline_keys(kTopKeys));
  FieldReader r(entry, mode, "", m.sources);

  if (auto d = r.value("description", mode == Mode::Catalog)) m.description = d->as_string();
  const AttentionKind base_attention = m.attention;
  if (auto a = r.value("attention", true)) {
    m.attention = a->as_choice({"gqa", "mla"}) == "mla" ? AttentionKind::Mla : AttentionKind::Gqa;
  }
  const bool mla = m.attention == AttentionKind::Mla;
  r.integer("layers", true, 1, m.layers);
  r.integer("hidden", true, 1, m.hidden);
  r.integer("ffn_dim", true, 0, m.ffn_dim);
  r.integer("heads", true, 1, m.heads);
  if (mla) {
    for (std::string_view k : {"kv_heads", "head_dim"}) {
      if (auto f = entry.find(k)) {
        throw f->error(fmt::format(
            "'{}' does not apply to attention: mla (its dimensions are in the mla: block)", k));
      }
    }
  } else {
    if (mode == Mode::InlineBase && base_attention == AttentionKind::Mla &&
        !(entry.has("kv_heads") && entry.has("head_dim"))) {
      throw entry.at("attention")
          .error("switching an MLA base to attention: gqa needs 'kv_heads' and 'head_dim'");
    }
    r.integer("kv_heads", true, 1, m.kv_heads);
    r.integer("head_dim", true, 1, m.head_dim);
  }
  r.integer("vocab", true, 1, m.vocab);
  r.boolean("tied_embeddings", true, m.tied_embeddings);
  if (auto a = r.value("activation", true)) {
    m.activation =
        a->as_choice({"swiglu", "gelu"}) == "gelu" ? FfnActivation::Gelu : FfnActivation::SwiGlu;
  }
  if (auto n = r.value("norm", true)) {
    m.norm = n->as_choice({"rmsnorm", "layernorm"}) == "layernorm" ? NormKind::LayerNorm
                                                                   : NormKind::RmsNorm;
  }
  r.boolean("attention_bias", false, m.attention_bias);
  r.boolean("linear_bias", false, m.linear_bias);
  r.integer("learned_positions", false, 0, m.learned_positions);
  if (auto c = r.value("context_length", false)) {
    m.context_length = static_cast<std::int64_t>(
        c->as_quantity(units::Quantity::SequenceLength, 1.0, static_cast<double>(kMaxDim)));
  }
  r.integer("mtp_depth", false, 0, m.mtp_depth);
  if (auto k = r.value("attention_kernel", false)) {
    const std::string kernel = k->as_choice({"fused", "cudnn", "unfused"});
    m.attention_kernel = kernel == "unfused" ? AttentionKernel::Unfused
                         : kernel == "cudnn" ? AttentionKernel::Cudnn
                                             : AttentionKernel::Fused;
  }
  if (auto p = r.value("hidden_dropout", false)) m.hidden_dropout = p->as_number(0.0, 0.99);
  r.integer("sliding_window", false, 0, m.sliding_window);
  r.boolean("qk_norm", false, m.qk_norm);
  r.boolean("parallel_block", false, m.parallel_block);
  if (auto p = r.value("published_total_params", false)) {
    m.published_total_params = p->as_quantity(units::Quantity::Count);
  }
  if (auto p = r.value("published_activated_params", false)) {
    m.published_activated_params = p->as_quantity(units::Quantity::Count);
  }

  if (auto block = entry.find("mla")) {
    if (!mla) throw block->error("an 'mla:' block needs attention: mla");
    if (!block->is_map())
      throw block->error("mla must be a mapping (q_lora_rank, kv_lora_rank, ...)");
    block->check_keys(kMlaKeys);
    FieldReader b(*block, mode, "mla.", m.sources);
    b.integer("q_lora_rank", true, 0, m.mla.q_lora_rank);
    b.integer("kv_lora_rank", true, 1, m.mla.kv_lora_rank);
    b.integer("qk_nope_head_dim", true, 1, m.mla.qk_nope_head_dim);
    b.integer("qk_rope_head_dim", true, 0, m.mla.qk_rope_head_dim);
    b.integer("v_head_dim", true, 1, m.mla.v_head_dim);
  } else if (mla && requires_all(mode)) {
    throw entry.error(
        "attention: mla needs an 'mla:' block (q_lora_rank, kv_lora_rank, "
        "qk_nope_head_dim, qk_rope_head_dim, v_head_dim)");
  }
  if (mla) {
    // Derived so that code written for GQA sees MLA's effective shape: every head has its own K
    // (decompressed from the latent) of qk_nope + qk_rope dims.
    m.kv_heads = m.heads;
    m.head_dim = m.mla.qk_nope_head_dim + m.mla.qk_rope_head_dim;
  }

  if (auto block = entry.find("moe")) {
    if (!block->is_map()) throw block->error("moe must be a mapping (routed_experts, ...)");
    block->check_keys(kMoeKeys);
    FieldReader b(*block, mode, "moe.", m.sources);
    b.integer("routed_experts", true, 1, m.moe.routed_experts);
    b.integer("shared_experts", true, 0, m.moe.shared_experts);
    b.integer("experts_per_token", true, 1, m.moe.experts_per_token);
    b.integer("expert_ffn_dim", true, 1, m.moe.expert_ffn_dim);
    b.integer("dense_layers", true, 0, m.moe.dense_layers);
    b.integer("expert_groups", true, 1, m.moe.expert_groups);
    b.integer("limited_groups", true, 0, m.moe.limited_groups);
  }
  if (m.linear_bias) m.attention_bias = true;
}

/// The node to blame for a problem with `path` ("moe.experts_per_token"): the key if written
/// in this entry, else the entry itself.
ConfigNode blame(const ConfigNode& entry, std::string_view path) {
  const auto dot = path.find('.');
  if (dot == std::string_view::npos) return entry.find(path).value_or(entry);
  const auto block = entry.find(path.substr(0, dot));
  if (!block || !block->is_map()) return entry;
  return block->find(path.substr(dot + 1)).value_or(*block);
}

struct Problem {
  std::string key;  ///< YAML path of the field to blame
  std::string message;
};

/// The deepest model accepted: 79 times Llama 3.1 405B's 126 layers, the deepest published
/// (Llama 3 paper, Table 3). The step simulator keeps per-layer lists, so this bounds its memory.
constexpr std::int64_t kMaxLayers = 10'000;
/// Routed experts accepted: 32 times Switch-C's 2,048 (Fedus et al. 2021, Table 9); the MoE
/// imbalance model draws a load per expert.
constexpr std::int64_t kMaxRoutedExperts = 65'536;
/// Parameters accepted: about 600 times the largest published models (Switch-C 1.57T, DeepSeek-V3
/// 671B); it keeps every parameter, FLOP and byte count (int64) far from overflow.
constexpr double kMaxParameters = 1e15;

/// An upper bound of the parameter count, in double so that it cannot overflow: every weight
/// matrix of count_parameters (models/accounting.cpp) with each biased or grouped term rounded up
/// (kv_heads ≤ heads, 3 matrices per FFN, norms as 4·hidden per layer).
double parameter_upper_bound(const ModelSpec& m) {
  const auto d = static_cast<double>(m.hidden);
  const auto heads = static_cast<double>(m.heads);
  double attention = 0;
  if (m.attention == AttentionKind::Mla) {
    const auto& a = m.mla;
    const double qk = static_cast<double>(a.qk_nope_head_dim + a.qk_rope_head_dim);
    const auto q_lora = static_cast<double>(a.q_lora_rank);
    const auto kv_lora = static_cast<double>(a.kv_lora_rank);
    attention = d * q_lora + q_lora * heads * qk + d * heads * qk +
                d * (kv_lora + static_cast<double>(a.qk_rope_head_dim)) +
                kv_lora * heads * static_cast<double>(a.qk_nope_head_dim + a.v_head_dim) +
                heads * static_cast<double>(a.v_head_dim) * d + 2 * (q_lora + kv_lora);
  } else {
    const auto hd = static_cast<double>(m.head_dim);
    attention = 4 * d * heads * hd + 3 * heads * hd;
  }
  const auto ffn = [&](double f) { return 3 * d * f + 2 * f + d; };
  double per_layer = attention + ffn(static_cast<double>(m.ffn_dim)) + 4 * d + 2 * d * d;
  if (m.is_moe()) {
    per_layer += static_cast<double>(m.moe.routed_experts + m.moe.shared_experts) *
                     ffn(static_cast<double>(m.moe.expert_ffn_dim)) +
                 d * static_cast<double>(m.moe.routed_experts);
  }
  return static_cast<double>(m.layers + m.mtp_depth) * per_layer +
         2 * static_cast<double>(m.vocab) * d + static_cast<double>(m.learned_positions) * d;
}

std::optional<Problem> first_problem(const ModelSpec& m) {
  if (m.layers < 1) return Problem{"layers", "layers must be at least 1"};
  if (m.layers > kMaxLayers) {
    return Problem{"layers",
                   fmt::format("layers = {} is more than {} (79 times the deepest published "
                               "model, Llama 3.1 405B with 126)",
                               m.layers, kMaxLayers)};
  }
  if (m.is_moe() && m.moe.routed_experts > kMaxRoutedExperts) {
    return Problem{"moe.routed_experts",
                   fmt::format("moe.routed_experts = {} is more than {} (32 times Switch-C's "
                               "2,048)",
                               m.moe.routed_experts, kMaxRoutedExperts)};
  }
  if (const double p = parameter_upper_bound(m); p > kMaxParameters) {
    return Problem{"hidden",
                   fmt::format("the model would have about {:.3g} parameters, more than {:.0e} "
                               "(600 times the largest published model); check hidden, ffn_dim, "
                               "heads, vocab and the moe: sizes",
                               p, kMaxParameters)};
  }
  if (m.hidden < 1) return Problem{"hidden", "hidden must be at least 1"};
  if (m.heads < 1) return Problem{"heads", "heads must be at least 1"};
  if (m.vocab < 1) return Problem{"vocab", "vocab must be at least 1"};
  if (m.attention == AttentionKind::Gqa) {
    if (m.kv_heads < 1 || m.kv_heads > m.heads) {
      return Problem{"kv_heads", fmt::format("kv_heads ({}) must be between 1 and heads ({})",
                                             m.kv_heads, m.heads)};
    }
    if (m.heads % m.kv_heads != 0) {
      return Problem{"kv_heads", fmt::format("heads ({}) is not a multiple of kv_heads ({})",
                                             m.heads, m.kv_heads)};
    }
    if (m.head_dim < 1) return Problem{"head_dim", "head_dim must be at least 1"};
  } else {
    if (m.mla.kv_lora_rank < 1) {
      return Problem{"mla.kv_lora_rank", "attention: mla needs mla.kv_lora_rank >= 1"};
    }
    if (m.mla.qk_nope_head_dim < 1) {
      return Problem{"mla.qk_nope_head_dim", "attention: mla needs mla.qk_nope_head_dim >= 1"};
    }
    if (m.mla.v_head_dim < 1) {
      return Problem{"mla.v_head_dim", "attention: mla needs mla.v_head_dim >= 1"};
    }
  }
  const bool has_dense_layer = !m.is_moe() || m.moe.dense_layers > 0;
  if (has_dense_layer && m.ffn_dim < 1) {
    return Problem{"ffn_dim", "ffn_dim must be at least 1: the model has dense FFN layers"};
  }
  if (m.is_moe()) {
    const auto& e = m.moe;
    if (e.experts_per_token < 1 || e.experts_per_token > e.routed_experts) {
      return Problem{"moe.experts_per_token",
                     fmt::format("moe.experts_per_token ({}) must be between 1 and "
                                 "moe.routed_experts ({})",
                                 e.experts_per_token, e.routed_experts)};
    }
    if (e.expert_ffn_dim < 1)
      return Problem{"moe.expert_ffn_dim", "moe.expert_ffn_dim must be at least 1"};
    if (e.dense_layers >= m.layers) {
      return Problem{"moe.dense_layers",
                     fmt::format("moe.dense_layers ({}) must be below layers ({}); a model with "
                                 "no MoE layer has no moe: block",
                                 e.dense_layers, m.layers)};
    }
    if (e.expert_groups < 1 || e.routed_experts % e.expert_groups != 0) {
      return Problem{"moe.expert_groups",
                     fmt::format("moe.expert_groups ({}) must divide moe.routed_experts ({})",
                                 e.expert_groups, e.routed_experts)};
    }
    if (e.limited_groups > e.expert_groups) {
      return Problem{"moe.limited_groups",
                     fmt::format("moe.limited_groups ({}) exceeds moe.expert_groups ({})",
                                 e.limited_groups, e.expert_groups)};
    }
    if (e.limited_groups > 0 &&
        e.limited_groups * (e.routed_experts / e.expert_groups) < e.experts_per_token) {
      return Problem{
          "moe.limited_groups",
          fmt::format("moe.limited_groups ({}) x {} experts per group cannot hold "
                      "moe.experts_per_token ({})",
                      e.limited_groups, e.routed_experts / e.expert_groups, e.experts_per_token)};
    }
  }
  if (m.mtp_depth > 0 && m.mtp_depth > m.layers) {
    return Problem{"mtp_depth",
                   fmt::format("mtp_depth ({}) exceeds layers ({})", m.mtp_depth, m.layers)};
  }
  return std::nullopt;
}

void validate(const ModelSpec& m, const ConfigNode& entry) {
  if (auto p = first_problem(m)) {
    throw blame(entry, p->key).error(fmt::format("model '{}': {}", m.name, p->message));
  }
}

bool valid_catalog_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace detail

std::string_view attention_kind_name(AttentionKind k) {
  return k == AttentionKind::Mla ? "mla" : "gqa";
}
std::string_view ffn_activation_name(FfnActivation a) {
  return a == FfnActivation::Gelu ? "gelu" : "swiglu";
}
std::string_view norm_kind_name(NormKind n) {
  return n == NormKind::LayerNorm ? "layernorm" : "rmsnorm";
}

ModelSpec parse_model(const ConfigNode& node, const std::string& name) {
  ModelSpec m;
  m.name = name;
  detail::read_fields(node, detail::Mode::Catalog, m);
  detail::validate(m, node);
  return m;
}

std::string model_problem(const ModelSpec& m) {
  const auto p = detail::first_problem(m);
  return p ? p->message : std::string();
}

const ModelCatalog& ModelCatalog::bundled() {
  static const ModelCatalog catalog = load(data_path("models/catalog"));
  return catalog;
}

ModelCatalog ModelCatalog::load(const std::string& directory) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) {
    throw IoError(fmt::format("model catalog directory '{}' does not exist", directory));
  }
  std::vector<std::string> files;
  for (const auto& f : fs::directory_iterator(directory, ec)) {
    if (f.is_regular_file() && f.path().extension() == ".yaml") files.push_back(f.path().string());
  }
  if (ec) throw IoError(fmt::format("cannot list '{}': {}", directory, ec.message()));
  std::sort(files.begin(), files.end());
  if (files.empty()) throw IoError(fmt::format("no *.yaml model files in '{}'", directory));
  return load_files(files);
}

ModelCatalog ModelCatalog::load_files(const std::vector<std::string>& paths) {
  ModelCatalog c;
  std::map<std::string, std::string> defined_in;
  for (const auto& path : paths) {
    const ConfigNode root = ConfigNode::load_file(path);
    if (!root.is_map())
      throw root.error("a model catalog file must be a mapping of name to definition");
    for (const std::string& name : root.keys()) {
      const ConfigNode entry = root.at(name);
      if (!detail::valid_catalog_name(name)) {
        throw entry.error(fmt::format(
            "catalog name '{}' must be lower-case letters, digits, '-', '_' or '.'", name));
      }
      if (auto it = defined_in.find(name); it != defined_in.end()) {
        throw entry.error(fmt::format("model '{}' is already defined in {}", name, it->second));
      }
      defined_in[name] = path;
      c.entries_.push_back(parse_model(entry, name));
    }
  }
  std::sort(c.entries_.begin(), c.entries_.end(),
            [](const ModelSpec& a, const ModelSpec& b) { return a.name < b.name; });
  return c;
}

bool ModelCatalog::has(const std::string& name) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const ModelSpec& m) { return m.name == name; });
}

const ModelSpec& ModelCatalog::get(const std::string& name) const {
  for (const auto& m : entries_) {
    if (m.name == name) return m;
  }
  throw ModelError(fmt::format("unknown model '{}'; valid: {}", name, join_names(names())));
}

std::vector<std::string> ModelCatalog::names() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& m : entries_) out.push_back(m.name);
  return out;
}

ModelSpec resolve_model(const ConfigNode& node, const ModelCatalog& catalog) {
  const auto unknown = [&](const ConfigNode& at, const std::string& name) {
    std::string hint;
    if (const auto near = closest_name(name, catalog.names()); !near.empty()) {
      hint = fmt::format(" (did you mean '{}'?)", near);
    }
    return at.error(
        fmt::format("unknown model '{}'{}; valid: {}", name, hint, join_names(catalog.names())));
  };
  if (node.is_scalar()) {
    const std::string name = node.as_string();
    if (!catalog.has(name)) throw unknown(node, name);
    return catalog.get(name);
  }
  if (!node.is_map()) {
    throw node.error(
        fmt::format("model must be a catalog name ({}) or a mapping defining one inline",
                    join_names(catalog.names())));
  }
  ModelSpec m;
  detail::Mode mode = detail::Mode::InlineFull;
  if (auto b = node.find("base")) {
    const std::string base = b->as_string();
    if (!catalog.has(base)) throw unknown(*b, base);
    m = catalog.get(base);
    m.name = "custom-" + base;
    m.description = m.description + " (modified inline)";
    // Published counts describe the base model, not a modified one.
    m.published_total_params = 0;
    m.published_activated_params = 0;
    mode = detail::Mode::InlineBase;
    if (auto h = node.find("hf_config")) {
      throw h->error(
          "give either 'base' (a catalog entry) or 'hf_config' (a config.json), not both");
    }
  } else if (auto h = node.find("hf_config")) {
    // A Hugging Face config.json (models/hf_config.hpp); the other keys override it, as for base.
    m = load_hf_config(hf_config_path(*h));
    mode = detail::Mode::InlineBase;
    if (node.keys().size() > (node.has("name") ? 2u : 1u)) {  // fields changed, as for base:
      m.name = "custom-" + m.name;
      m.description += " (modified inline)";
    }
  } else {
    m.name = "custom";
    m.description = fmt::format("inline model defined at {}:{}", node.file(), node.line());
  }
  if (auto n = node.find("name")) {
    m.name = n->as_string();
    if (!detail::valid_catalog_name(m.name)) {
      throw n->error(
          fmt::format("name '{}' must be lower-case letters, digits, '-', '_' or '.'", m.name));
    }
  }
  detail::read_fields(node, mode, m);
  detail::validate(m, node);
  return m;
}

}  // namespace trainsim::models
