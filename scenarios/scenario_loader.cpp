#include "scenarios/scenario_loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "core/yaml_reader.hpp"
#include "hardware/catalog.hpp"
#include "models/catalog.hpp"
#include "scenarios/batch_schedule.hpp"
#include "scenarios/scenario_source.hpp"
#include "sim/schedules/schedule.hpp"

namespace trainsim::scenarios {
namespace {

using hardware::Dtype;
using models::ParallelPlan;
using models::PrecisionPolicy;
using units::Quantity;

constexpr std::int64_t kMaxGpus = 10'000'000;
constexpr std::int64_t kMaxDegree = 1'000'000;
constexpr double kMaxTokens = 1e18;  // a quintillion tokens: far beyond any real run

const std::vector<std::string>& dtype_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (Dtype d : hardware::kAllDtypes) out.emplace_back(hardware::dtype_name(d));
    return out;
  }();
  return names;
}

Dtype read_dtype(const ConfigNode& node) {
  Dtype d{};
  hardware::parse_dtype(node.as_choice(dtype_names()), d);
  return d;
}

int read_degree(const ConfigNode& parent, std::string_view key, int fallback) {
  const auto node = parent.find(key);
  if (!node) return fallback;
  return static_cast<int>(node->as_integer(1, kMaxDegree));
}

models::Recompute read_recompute(const ConfigNode& node) {
  const std::string v = node.as_choice({"none", "selective", "core_attention", "full"});
  if (v == "selective") return models::Recompute::Selective;
  if (v == "core_attention") return models::Recompute::CoreAttention;
  if (v == "full") return models::Recompute::Full;
  return models::Recompute::None;
}

/// Reads `parallelism.tp_overlap` on top of `base`: a map from Transformer Engine's GEMM names to
/// {method, num_sm, num_splits, aggregate, set_sm_margin}. A GEMM given another method starts
/// from TE's defaults for that method; the fields given then override them.
models::UbConfig read_tp_overlap(const ConfigNode& node, const models::UbConfig& base) {
  if (!node.is_map()) {
    throw node.error(
        "tp_overlap must be a mapping of GEMM name to its overlap, e.g. "
        "{qkv_wgrad: {method: bulk, num_sm: 24}}");
  }
  std::vector<std::string_view> names;
  for (std::size_t i = 0; i < models::kUbGemmCount; ++i)
    names.push_back(models::ub_gemm_name(static_cast<models::UbGemm>(i)));
  node.check_keys(names);
  models::UbConfig out = base;
  for (std::size_t i = 0; i < models::kUbGemmCount; ++i) {
    const auto entry = node.find(std::string(names[i]));
    if (!entry) continue;
    if (!entry->is_map()) {
      throw entry->error(
          "a GEMM's overlap must be a mapping: {method: ring_exchange|pipeline|bulk, num_sm, "
          "num_splits, aggregate, set_sm_margin}");
    }
    entry->check_keys({"method", "num_sm", "num_splits", "aggregate", "set_sm_margin"});
    models::UbGemmOverlap& o = out[i];
    if (auto m = entry->find("method")) {
      const std::string k = m->as_choice({"ring_exchange", "pipeline", "bulk"});
      const models::UbMethod method = k == "ring_exchange" ? models::UbMethod::RingExchange
                                      : k == "pipeline"    ? models::UbMethod::Pipeline
                                                           : models::UbMethod::Bulk;
      if (method != o.method) o = models::ub_method_defaults(method);
    }
    if (auto v = entry->find("num_sm")) o.num_sm = static_cast<int>(v->as_integer(0, 100000));
    if (auto v = entry->find("num_splits")) o.num_splits = static_cast<int>(v->as_integer(1, 1024));
    if (auto v = entry->find("aggregate")) o.aggregate = v->as_bool();
    if (auto v = entry->find("set_sm_margin")) o.set_sm_margin = v->as_bool();
  }
  return out;
}

/// Reads `parallelism:` on top of `base` (a phase override starts from the scenario's plan).
ParallelPlan read_plan(const ConfigNode& node, const ParallelPlan& base) {
  node.check_keys({"dp",
                   "tp",
                   "pp",
                   "ep",
                   "cp",
                   "cp_kind",
                   "expert_tp",
                   "schedule",
                   "virtual_stages",
                   "zero",
                   "micro_batch",
                   "sequence_parallel",
                   "recompute",
                   "comm_sms",
                   "overlap_grad_reduce",
                   "overlap_param_gather",
                   "tp_comm_overlap",
                   "tp_overlap",
                   "tp_backward_overlap",
                   "p2p_blocking",
                   "p2p_scatter_gather",
                   "layers_per_stage",
                   "grad_accum_passes",
                   "expert_wgrad_side_stream",
                   "grad_accumulation_fusion",
                   "cross_entropy",
                   "bias_fusion",
                   "norm_backward"});
  ParallelPlan p = base;
  if (auto dp = node.find("dp"); dp && dp->as_string() == "auto") {
    p.dp_auto = true;
  } else {
    p.dp = read_degree(node, "dp", base.dp);
    if (dp) p.dp_auto = false;
  }
  p.tp = read_degree(node, "tp", base.tp);
  p.pp = read_degree(node, "pp", base.pp);
  p.ep = read_degree(node, "ep", base.ep);
  p.cp = read_degree(node, "cp", base.cp);
  p.expert_tp = read_degree(node, "expert_tp", base.expert_tp);
  if (auto k = node.find("cp_kind")) {
    p.cp_kind = k->as_choice({"ring", "ulysses"}) == "ulysses" ? models::CpKind::Ulysses
                                                               : models::CpKind::Ring;
  }
  p.virtual_stages = read_degree(node, "virtual_stages", base.virtual_stages);
  p.micro_batch = read_degree(node, "micro_batch", base.micro_batch);
  p.grad_accum_passes = read_degree(node, "grad_accum_passes", base.grad_accum_passes);
  if (auto s = node.find("schedule"))
    p.schedule = s->as_choice(sim::schedules::schedule_registry().names());
  if (auto z = node.find("zero")) p.zero = static_cast<int>(z->as_integer(0, 3));
  if (auto sp = node.find("sequence_parallel")) p.sequence_parallel = sp->as_bool();
  if (auto r = node.find("recompute")) p.recompute = read_recompute(*r);
  if (auto c = node.find("comm_sms")) p.comm_sms = static_cast<int>(c->as_integer(0, 100000));
  if (auto o = node.find("overlap_grad_reduce")) p.overlap_grad_reduce = o->as_bool();
  if (auto o = node.find("overlap_param_gather")) p.overlap_param_gather = o->as_bool();
  if (auto o = node.find("tp_comm_overlap")) p.tp_comm_overlap = o->as_bool();
  if (auto o = node.find("tp_overlap")) p.tp_overlap = read_tp_overlap(*o, base.tp_overlap);
  if (auto o = node.find("tp_backward_overlap")) p.tp_backward_overlap = o->as_bool();
  if (auto o = node.find("p2p_blocking")) p.p2p_blocking = o->as_bool();
  if (auto o = node.find("p2p_scatter_gather")) p.p2p_scatter_gather = o->as_bool();
  if (auto o = node.find("expert_wgrad_side_stream")) p.expert_wgrad_side_stream = o->as_bool();
  if (auto o = node.find("grad_accumulation_fusion")) p.grad_accumulation_fusion = o->as_bool();
  if (auto o = node.find("bias_fusion")) p.bias_fusion = o->as_bool();
  if (auto o = node.find("norm_backward"))
    p.norm_backward_split = o->as_choice({"fused", "split"}) == "split";
  if (auto o = node.find("cross_entropy")) {
    const std::string k = o->as_choice({"unfused", "fused", "online_softmax"});
    p.cross_entropy = k == "unfused" ? models::CrossEntropyKernels::Unfused
                      : k == "fused" ? models::CrossEntropyKernels::Fused
                                     : models::CrossEntropyKernels::OnlineSoftmax;
  }
  if (auto l = node.find("layers_per_stage")) {
    if (!l->is_sequence()) throw l->error("layers_per_stage must be a list of layer counts");
    p.layers_per_stage.clear();
    for (std::size_t i = 0; i < l->size(); ++i)
      p.layers_per_stage.push_back(static_cast<int>((*l)[i].as_integer(1, 1000000)));
  }
  return p;
}

/// Reads `precision:`; a map without `preset:` starts from `base` (a phase's map changes only
/// the classes it names, e.g. `{activations: fp8}` for that phase's cached activations).
PrecisionPolicy read_precision(const ConfigNode& node,
                               const PrecisionPolicy& base = precision_preset("bf16")) {
  if (node.is_scalar()) {
    const std::string name = node.as_choice(precision_preset_names());
    return precision_preset(name);
  }
  node.check_keys({"preset", "gemm", "attention", "dispatch", "combine", "activations", "grads",
                   "master_weights", "optimizer_moments", "weights"});
  PrecisionPolicy p = base;
  if (auto preset = node.find("preset"))
    p = precision_preset(preset->as_choice(precision_preset_names()));
  bool custom = false;
  auto set = [&](std::string_view key, Dtype& field) {
    if (auto v = node.find(key)) {
      field = read_dtype(*v);
      custom = true;
    }
  };
  set("gemm", p.gemm);
  set("attention", p.attention);
  set("dispatch", p.dispatch);
  set("combine", p.combine);
  set("activations", p.activations);
  set("grads", p.grads);
  set("master_weights", p.master_weights);
  set("optimizer_moments", p.optimizer_moments);
  set("weights", p.weights);
  if (custom && p.name.find("+custom") == std::string::npos) p.name += "+custom";
  return p;
}

BatchSchedule read_batch(const ConfigNode& node) {
  BatchSchedule b;
  if (node.is_scalar()) {
    b.start = b.end = node.as_integer(1, std::numeric_limits<std::int32_t>::max());
    return b;
  }
  node.check_keys({"start", "end", "ramp_tokens"});
  b.start = node.at("start").as_integer(1, std::numeric_limits<std::int32_t>::max());
  b.end = node.at("end").as_integer(1, std::numeric_limits<std::int32_t>::max());
  b.ramp_tokens = node.at("ramp_tokens").as_quantity(Quantity::Count, 0, kMaxTokens);
  return b;
}

Phase read_phase(const ConfigNode& node, std::size_t index, const ParallelPlan& base_plan,
                 const PrecisionPolicy& base_precision) {
  node.check_keys({"name", "group", "tokens", "steps", "seq_len", "batch", "gpus", "parallelism",
                   "precision", "note"});
  Phase ph;
  ph.name = node.has("name") ? node.at("name").as_string() : fmt::format("phase-{}", index + 1);
  ph.seq_len =
      static_cast<std::int64_t>(node.at("seq_len").as_quantity(Quantity::SequenceLength, 1, 1e8));
  ph.batch = read_batch(node.at("batch"));
  const bool has_tokens = node.has("tokens");
  const bool has_steps = node.has("steps");
  if (has_tokens == has_steps) {
    throw node.error("give exactly one of 'tokens' (e.g. 14.8T) or 'steps' (e.g. 1000)");
  }
  if (has_steps) {
    const auto steps_node = node.at("steps");
    ph.steps = steps_node.as_integer(0, 1'000'000'000'000);
    if (ph.batch.ramped())
      throw steps_node.error("'steps' cannot be combined with a batch ramp; give 'tokens'");
    ph.tokens = static_cast<double>(*ph.steps) * static_cast<double>(ph.batch.start) *
                static_cast<double>(ph.seq_len);
  } else {
    ph.tokens = node.at("tokens").as_quantity(Quantity::Count, 0, kMaxTokens);
  }
  if (ph.batch.ramped()) {
    const double ramp = ph.batch.ramp_tokens;
    if (ramp > ph.tokens) {
      throw node.at("batch")
          .at("ramp_tokens")
          .error(fmt::format("the ramp ({} tokens) is longer than the phase ({} tokens)",
                             units::format(ramp, Quantity::Count),
                             units::format(ph.tokens, Quantity::Count)));
    }
  }
  if (auto p = node.find("parallelism")) ph.plan = read_plan(*p, base_plan);
  if (auto p = node.find("precision")) ph.precision = read_precision(*p, base_precision);
  ph.group = node.has("group") ? node.at("group").as_string() : ph.name;
  if (auto g = node.find("gpus")) ph.gpus = static_cast<int>(g->as_integer(1, kMaxGpus));
  if (auto n = node.find("note")) ph.note = n->as_string();
  return ph;
}

}  // namespace

std::vector<std::string> precision_preset_names() {
  return {"bf16", "fp8", "fp8-deepseek-v3", "fp32"};
}

models::PrecisionPolicy precision_preset(const std::string& name) {
  PrecisionPolicy p;
  p.name = name;
  if (name == "bf16") {
    // Mixed precision as in Megatron-LM / Llama 3: BF16 math and weights, FP32 master weights,
    // gradients and Adam moments (Llama 3 paper §3.3.2: FP32 gradient accumulation).
    return p;
  }
  if (name == "fp8" || name == "fp8-deepseek-v3") {
    // DeepSeek-V3 §3.3 and §3.2.3: FP8 (E4M3) for all three GEMMs of each Linear; attention,
    // embedding, head, gating and norms in BF16; dispatch in FP8, combine in BF16; cached
    // activations in FP8 (a few in E5M6/BF16 — counted as FP8 here, stated in the README);
    // AdamW moments in BF16, master weights and gradient accumulation in FP32.
    p.gemm = Dtype::FP8;
    p.dispatch = Dtype::FP8;
    p.activations = Dtype::FP8;
    p.optimizer_moments = Dtype::BF16;
    return p;
  }
  if (name == "fp32") {
    p.gemm = p.attention = Dtype::TF32;
    p.dispatch = p.combine = p.activations = p.weights = Dtype::FP32;
    return p;
  }
  throw ModelError(fmt::format("unknown precision preset '{}'; valid: {}", name,
                               join_names(precision_preset_names())));
}

/// Resolves `dp: auto` for `gpus`; the problem when tp · pp · cp does not divide them, else "".
std::string resolve_auto_dp(ParallelPlan& p, int gpus) {
  if (!p.dp_auto) return "";
  const std::int64_t rest = static_cast<std::int64_t>(p.tp) * p.pp * p.cp;
  if (rest <= 0 || gpus % rest != 0) {
    return fmt::format(
        "dp: auto needs tp × pp × cp = {} × {} × {} = {} to divide cluster.gpus = {}; valid GPU "
        "counts are multiples of {}",
        p.tp, p.pp, p.cp, rest, gpus, rest);
  }
  p.dp = static_cast<int>(gpus / rest);
  return "";
}

std::string plan_problem(const ParallelPlan& p, const models::ModelSpec& model,
                         const hardware::ClusterSpec& cluster) {
  // Each degree is at most kMaxDegree = 10^6, so the product of four can reach 10^24: compared in
  // double (exact for any cluster size), and multiplied in int64 only when it fits.
  const double product = static_cast<double>(p.dp) * p.tp * p.pp * p.cp;
  if (product != static_cast<double>(cluster.gpus)) {
    return fmt::format(
        "dp × tp × pp × cp = {} × {} × {} × {} = {} does not equal cluster.gpus = {}", p.dp, p.tp,
        p.pp, p.cp,
        product < 9e18 ? fmt::format("{}", static_cast<std::int64_t>(p.dp) * p.tp * p.pp * p.cp)
                       : fmt::format("{:.3g}", product),
        cluster.gpus);
  }
  if (p.tp > cluster.node.gpus_per_node) {
    return fmt::format(
        "tp = {} is larger than a node ({} GPUs): tensor parallelism must stay on NVLink", p.tp,
        cluster.node.gpus_per_node);
  }
  if (model.heads % p.tp != 0) {
    return fmt::format("tp = {} does not divide the model's {} attention heads", p.tp, model.heads);
  }
  if (model.attention == models::AttentionKind::Gqa && model.kv_heads > 0 &&
      p.tp > model.kv_heads && p.tp % model.kv_heads != 0) {
    return fmt::format("tp = {} is not compatible with {} KV heads", p.tp, model.kv_heads);
  }
  if (p.p2p_scatter_gather && p.sequence_parallel) {
    return "p2p_scatter_gather and sequence_parallel: with sequence parallelism each TP rank "
           "already sends only its seq_len / tp tokens, so there is nothing to scatter "
           "(Megatron-LM skips the optimisation then); set one of them to false";
  }
  if (p.cp > 1 && p.cp_kind == models::CpKind::Ulysses) {
    const std::int64_t heads_r = model.heads / p.tp;
    if (heads_r % p.cp != 0) {
      return fmt::format(
          "cp_kind ulysses: cp = {} does not divide the {} attention heads per TP rank (heads / tp "
          "= {} / {}); Ulysses shards attention by heads",
          p.cp, heads_r, model.heads, p.tp);
    }
    const std::int64_t kv_r = std::max<std::int64_t>(1, model.kv_heads / p.tp);
    if (model.attention == models::AttentionKind::Gqa && kv_r % p.cp != 0 && p.cp % kv_r != 0) {
      return fmt::format(
          "cp_kind ulysses: cp = {} and the {} KV heads per TP rank: neither divides the other",
          p.cp, kv_r);
    }
  }
  const std::int64_t stage_layers = model.layers;
  if (stage_layers < static_cast<std::int64_t>(p.pp) * p.virtual_stages) {
    return fmt::format("pp × virtual_stages = {} exceeds the model's {} layers",
                       static_cast<std::int64_t>(p.pp) * p.virtual_stages, stage_layers);
  }
  // The schedule's structural rules, which no batch can satisfy (dualpipe needs an even PP,
  // 1f1b takes no virtual stages, ...): probed with 4·pp·v micro-batches, a count every schedule
  // accepts, so that `validate` rejects what `run` would (a batch below a schedule's minimum
  // stays a result: it is extrapolated).
  try {
    const int v = std::max(1, p.virtual_stages);
    sim::schedules::make_schedule(p.schedule)->validate({p.pp, 4 * p.pp * v, p.virtual_stages});
  } catch (const ModelError& e) {
    return e.what();
  }
  const std::int64_t stage_ranks = static_cast<std::int64_t>(p.dp) * p.tp * p.cp;
  if (model.is_moe()) {
    if (stage_ranks % p.ep != 0) {
      return fmt::format("ep = {} does not divide the {} GPUs of a pipeline stage (dp × tp × cp)",
                         p.ep, stage_ranks);
    }
    if (p.expert_tp > cluster.node.gpus_per_node || cluster.node.gpus_per_node % p.expert_tp != 0) {
      return fmt::format(
          "expert_tp = {} does not divide a node of {} GPUs: the expert-TP group is expert_tp "
          "consecutive ranks inside a node, on NVLink (Megatron-Core allows groups across nodes; "
          "not modelled)",
          p.expert_tp, cluster.node.gpus_per_node);
    }
    if (model.moe.expert_ffn_dim % p.expert_tp != 0) {
      return fmt::format("expert_tp = {} does not divide the model's expert_ffn_dim {}",
                         p.expert_tp, model.moe.expert_ffn_dim);
    }
    if (stage_ranks % (static_cast<std::int64_t>(p.ep) * p.expert_tp) != 0) {
      return fmt::format(
          "ep × expert_tp = {} × {} does not divide the {} GPUs of a pipeline stage (dp × tp × cp)",
          p.ep, p.expert_tp, stage_ranks);
    }
    if (model.moe.routed_experts % p.ep != 0) {
      return fmt::format("ep = {} does not divide the model's {} routed experts", p.ep,
                         model.moe.routed_experts);
    }
  } else if (p.ep != 1) {
    return fmt::format("ep = {} but {} is a dense model (no experts); use ep: 1", p.ep, model.name);
  } else if (p.expert_tp != 1) {
    return fmt::format("expert_tp = {} but {} is a dense model (no experts); use expert_tp: 1",
                       p.expert_tp, model.name);
  }
  if (!p.layers_per_stage.empty()) {
    const int stages = sim::schedules::make_schedule(p.schedule)
                           ->stage_count({p.pp, 1, std::max(1, p.virtual_stages)});
    if (static_cast<int>(p.layers_per_stage.size()) != stages) {
      return fmt::format(
          "layers_per_stage has {} entries but schedule '{}' with pp = {} and virtual_stages = {} "
          "has {} model stages",
          p.layers_per_stage.size(), p.schedule, p.pp, p.virtual_stages, stages);
    }
    std::int64_t sum = 0;
    for (int n : p.layers_per_stage) sum += n;
    if (sum != model.layers) {
      return fmt::format(
          "layers_per_stage sums to {} layers but {} has {} (MTP modules join the last stage "
          "and are not counted)",
          sum, model.name, model.layers);
    }
  }
  return "";
}

std::string batch_problem(std::int64_t batch, const ParallelPlan& plan) {
  const std::int64_t per_step = static_cast<std::int64_t>(plan.dp) * plan.micro_batch;
  if (plan.grad_accum_passes > 1) {
    // Every pipeline pass runs the same whole number of micro-batches on every DP rank.
    const std::int64_t per_ga = per_step * plan.grad_accum_passes;
    if (batch < per_ga || batch % per_ga != 0) {
      return fmt::format(
          "global batch {} sequences is {} dp × micro_batch × grad_accum_passes = {} × {} × {} = "
          "{}",
          batch, batch < per_ga ? "smaller than" : "not a multiple of", plan.dp, plan.micro_batch,
          plan.grad_accum_passes, per_ga);
    }
  }
  if (batch < per_step || batch % per_step != 0) {
    return fmt::format("global batch {} sequences is {} dp × micro_batch = {} × {} = {}", batch,
                       batch < per_step ? "smaller than" : "not a multiple of", plan.dp,
                       plan.micro_batch, per_step);
  }
  return "";
}

Scenario parse_scenario(const ConfigNode& root) {
  if (!root.is_map())
    throw root.error("a scenario must be a YAML mapping of keys (name, model, cluster, ...)");
  const std::vector<std::string_view> scenario_keys{
      "name",  "description", "model", "cluster", "parallelism", "precision",   "phases",
      "price", "calibration", "seed",  "moe",     "published",   "assumptions", "goodput"};
  // A file that is not a scenario (a password file parses as a mapping whose key is its first
  // line) is named as such without quoting any of it.
  if (const auto keys = root.keys();
      !keys.empty() && std::none_of(keys.begin(), keys.end(), [&](const std::string& k) {
        return std::find(scenario_keys.begin(), scenario_keys.end(), k) != scenario_keys.end();
      })) {
    throw ConfigError(root.file(), 0, 0, "",
                      fmt::format("not a scenario: none of its {} top-level keys is a scenario "
                                  "key ({})",
                                  keys.size(), join_names(scenario_keys)));
  }
  root.check_keys(scenario_keys);
  Scenario s;
  s.file = root.file();
  s.name = root.at("name").as_string();
  if (auto d = root.find("description")) s.description = d->as_string();

  const auto model_node = root.at("model");
  s.model = models::resolve_model(model_node, models::ModelCatalog::bundled());

  const auto cluster = root.at("cluster");
  cluster.check_keys({"gpu", "gpus", "gpus_per_node", "fabric"});
  const auto& hw = hardware::HardwareCatalog::bundled();
  s.cluster.gpu = hardware::resolve_gpu(cluster.at("gpu"), hw);
  s.cluster.gpus = static_cast<int>(cluster.at("gpus").as_integer(1, kMaxGpus));
  s.cluster.node.gpus_per_node =
      cluster.has("gpus_per_node")
          ? static_cast<int>(cluster.at("gpus_per_node").as_integer(1, 1024))
          : 8;
  if (s.cluster.gpus % s.cluster.node.gpus_per_node != 0 &&
      s.cluster.gpus > s.cluster.node.gpus_per_node) {
    throw cluster.at("gpus").error(fmt::format("{} GPUs do not fill whole nodes of {} GPUs",
                                               s.cluster.gpus, s.cluster.node.gpus_per_node));
  }
  s.cluster.fabric = hardware::resolve_fabric(cluster.at("fabric"), hw);

  const auto par = root.at("parallelism");
  s.plan = read_plan(par, ParallelPlan{});
  if (const std::string why = resolve_auto_dp(s.plan, s.cluster.gpus); !why.empty()) {
    throw par.at("dp").error(why);
  }
  if (const std::string why = plan_problem(s.plan, s.model, s.cluster); !why.empty()) {
    throw par.error(why);
  }
  if (s.plan.comm_sms >= s.cluster.gpu.sm_count && s.cluster.gpu.sm_count > 0) {
    throw par.at("comm_sms")
        .error(fmt::format("comm_sms = {} leaves no SMs for compute ({} has {})", s.plan.comm_sms,
                           s.cluster.gpu.name, s.cluster.gpu.sm_count));
  }
  if (auto ub = par.find("tp_overlap"); ub && s.cluster.gpu.sm_count > 0) {
    for (std::size_t i = 0; i < models::kUbGemmCount; ++i) {
      const int sms = models::ub_reserved_sms(s.plan.tp_overlap[i]) + s.plan.comm_sms;
      if (sms < s.cluster.gpu.sm_count) continue;
      const std::string name(models::ub_gemm_name(static_cast<models::UbGemm>(i)));
      throw ub->find(name).value_or(*ub).error(
          fmt::format("{}: num_sm = {} (with comm_sms = {}) leaves no SMs for the GEMM ({} has {})",
                      name, s.plan.tp_overlap[i].num_sm, s.plan.comm_sms, s.cluster.gpu.name,
                      s.cluster.gpu.sm_count));
    }
  }

  s.precision =
      root.has("precision") ? read_precision(root.at("precision")) : precision_preset("bf16");
  if (s.cluster.gpu.peak(s.precision.gemm) <= 0) {
    throw root.at("precision")
        .error(fmt::format("{} has no {} tensor-core rate in the catalog", s.cluster.gpu.name,
                           hardware::dtype_name(s.precision.gemm)));
  }

  const auto phases = root.at("phases");
  if (phases.size() == 0) throw phases.error("at least one phase is required");
  for (std::size_t i = 0; i < phases.size(); ++i) {
    const auto pn = phases[i];
    Phase ph = read_phase(pn, i, s.plan, s.precision);
    if (ph.precision && s.cluster.gpu.peak(ph.precision->gemm) <= 0) {
      throw pn.at("precision")
          .error(fmt::format("{} has no {} tensor-core rate in the catalog", s.cluster.gpu.name,
                             hardware::dtype_name(ph.precision->gemm)));
    }
    if (ph.plan) {
      const int phase_gpus = ph.gpus ? *ph.gpus : s.cluster.gpus;
      if (const std::string why = resolve_auto_dp(*ph.plan, phase_gpus); !why.empty()) {
        throw pn.at("parallelism").error(why);
      }
    }
    const ParallelPlan& plan = ph.plan ? *ph.plan : s.plan;
    hardware::ClusterSpec phase_cluster = s.cluster;
    if (ph.gpus) {
      if (*ph.gpus > s.cluster.gpus) {
        throw pn.at("gpus").error(
            fmt::format("a phase cannot use more GPUs ({}) than the cluster has ({})", *ph.gpus,
                        s.cluster.gpus));
      }
      phase_cluster.gpus = *ph.gpus;
      if (!ph.plan) throw pn.error("a phase with its own 'gpus' needs its own 'parallelism'");
    }
    if (ph.plan || ph.gpus) {
      if (const std::string why = plan_problem(plan, s.model, phase_cluster); !why.empty()) {
        throw(pn.has("parallelism") ? pn.at("parallelism") : pn).error(why);
      }
    }
    if (plan.cp > 1 && plan.cp_kind == models::CpKind::Ulysses && ph.seq_len % plan.cp != 0) {
      throw pn.at("seq_len").error(fmt::format(
          "seq_len {} is not divisible by cp = {} (Ulysses shards each sequence cp ways)",
          ph.seq_len, plan.cp));
    }
    if (plan.cp > 1 && plan.cp_kind == models::CpKind::Ring && ph.seq_len % (2 * plan.cp) != 0) {
      throw pn.at("seq_len").error(fmt::format(
          "seq_len {} is not divisible by 2 × cp = {} (context parallelism splits each sequence "
          "into 2·cp load-balanced chunks)",
          ph.seq_len, 2 * plan.cp));
    }
    for (std::int64_t b : {ph.batch.start, ph.batch.end}) {
      if (const std::string why = batch_problem(b, plan); !why.empty()) {
        throw pn.at("batch").error(why);
      }
    }
    // Too many steps or ramp sizes to walk (scenarios/batch_schedule.hpp): refused here, with
    // the line, rather than walked until memory or patience runs out.
    if (const std::string why = phase_size_problem(
            ph, static_cast<std::int64_t>(plan.dp) * plan.micro_batch * plan.grad_accum_passes);
        !why.empty()) {
      throw(pn.has("tokens") ? pn.at("tokens") : pn).error(why);
    }
    s.phases.push_back(std::move(ph));
  }

  if (auto price = root.find("price")) {
    if (price->is_map()) {
      price->check_keys({"per_gpu_hour"});
      s.price_per_gpu_hour = price->at("per_gpu_hour").as_quantity(Quantity::Money, 0, 1e6);
    } else {
      s.price_per_gpu_hour = price->as_quantity(Quantity::Money, 0, 1e6);
    }
  } else {
    throw root.error("missing required key 'price' (USD per GPU-hour, e.g. price: 2)");
  }
  if (auto c = root.find("calibration")) s.calibration = c->as_string();
  if (auto seed = root.find("seed")) {
    s.seed =
        static_cast<std::uint64_t>(seed->as_integer(0, std::numeric_limits<std::int64_t>::max()));
  }
  if (auto moe = root.find("moe")) {
    moe->check_keys({"imbalance", "capacity_factor"});
    if (auto imb = moe->find("imbalance")) {
      // The coefficient of variation of expert loads, drawn from a gamma distribution of shape
      // 1/cv² (sim/moe): below 10^-3 no load moves by 0.1%, and the shape overflows as cv → 0,
      // so a tiny cv is refused in favour of 0 (balanced routing).
      s.moe_imbalance = imb->as_number(0.0, 10.0);
      if (s.moe_imbalance > 0 && s.moe_imbalance < 1e-3) {
        throw imb->error(fmt::format(
            "'{}' is out of range: the imbalance (a coefficient of variation) must be 0 "
            "(balanced routing) or between 0.001 and 10",
            imb->as_string()));
      }
    }
    if (auto cf = moe->find("capacity_factor")) {
      if (!s.model.is_moe()) {
        throw cf->error(fmt::format(
            "capacity_factor applies to MoE models; {} is dense (no experts)", s.model.name));
      }
      s.moe_capacity_factor = cf->as_number(0.0, 1000.0);
    }
  }
  if (auto pub = root.find("published")) {
    pub->check_keys({"gpu_hours", "cost_usd", "wall_days", "source", "phases"});
    if (auto groups = pub->find("phases")) {
      for (const auto& key : groups->keys()) {
        s.published.group_gpu_hours.emplace_back(
            key, groups->at(key).as_quantity(Quantity::Count, 0, 1e15));
      }
    }
    if (auto v = pub->find("gpu_hours"))
      s.published.gpu_hours = v->as_quantity(Quantity::Count, 0, 1e15);
    if (auto v = pub->find("cost_usd"))
      s.published.cost_usd = v->as_quantity(Quantity::Count, 0, 1e15);
    if (auto v = pub->find("wall_days")) s.published.wall_days = v->as_number(0, 1e6);
    if (auto v = pub->find("source")) s.published.source = v->as_string();
  }
  for (const auto& published_group : s.published.group_gpu_hours) {
    const std::string& group = published_group.first;
    const bool known = std::any_of(s.phases.begin(), s.phases.end(),
                                   [&group](const Phase& p) { return p.group == group; });
    if (!known) {
      std::vector<std::string> groups;
      for (const auto& p : s.phases) {
        if (std::find(groups.begin(), groups.end(), p.group) == groups.end())
          groups.push_back(p.group);
      }
      throw root.at("published")
          .at("phases")
          .at(group)
          .error(fmt::format("no phase has group '{}'; phase groups are: {}", group,
                             join_names(groups)));
    }
  }
  if (auto g = root.find("goodput")) {
    g->check_keys(
        {"enabled", "failures_per_gpu_day", "checkpoint_interval", "checkpoint_write", "restart"});
    if (auto v = g->find("enabled")) s.goodput.enabled = v->as_bool();
    if (auto v = g->find("failures_per_gpu_day"))
      s.goodput.failures_per_gpu_day = v->as_number(0.0, 100.0);
    if (auto v = g->find("checkpoint_interval")) {
      s.goodput.checkpoint_interval_s = v->as_quantity(Quantity::Duration, 1.0, 1e7);
    }
    if (auto v = g->find("checkpoint_write"))
      s.goodput.checkpoint_write_s = v->as_quantity(Quantity::Duration, 0.0, 1e6);
    if (auto v = g->find("restart"))
      s.goodput.restart_s = v->as_quantity(Quantity::Duration, 0.0, 1e6);
  }
  if (auto a = root.find("assumptions")) {
    for (std::size_t i = 0; i < a->size(); ++i) s.assumptions.push_back((*a)[i].as_string());
  }
  return s;
}

namespace {
/// Validates with overrides applied; an error located in the file (a cross-field rule such as
/// the plan's product) also names the overrides in force, since they may be its cause.
Scenario parse_guarded(const ConfigNode& root) {
  try {
    return parse_scenario(root);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    // Anything else (a YAML library exception on a malformed tree) is still bad input, not a
    // crash: report it against the document.
    throw ConfigError(root.file(), 0, 0, "", std::string("malformed scenario: ") + e.what());
  }
}

Scenario parse_with_overrides(ConfigNode root, const LoadOptions& options) {
  if (options.overrides.empty()) return parse_guarded(root);
  root = apply_overrides(std::move(root), options.overrides);
  try {
    Scenario s = parse_guarded(root);
    s.overrides = options.overrides;
    return s;
  } catch (const ConfigError& e) {
    if (e.file().rfind("--set ", 0) == 0) throw;
    std::string sets;
    for (const auto& o : options.overrides) sets += (sets.empty() ? "--set " : ", --set ") + o;
    throw ConfigError(e.file(), e.line(), e.column(), e.key_path(),
                      e.detail() + " (with " + sets + ")");
  }
}
}  // namespace

Scenario load_scenario_text(const std::string& text, const std::string& origin,
                            const LoadOptions& options) {
  return parse_with_overrides(ConfigNode::load_string(text, origin), options);
}

Scenario load_scenario(const std::string& path, const LoadOptions& options) {
  // `-` is standard input (read once, kept); a name that is not a file is a bundled scenario.
  return parse_with_overrides(load_scenario_document(path), options);
}

}  // namespace trainsim::scenarios
