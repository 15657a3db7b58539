#include "cli/model_json.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/scenario_printer.hpp"
#include "core/units.hpp"
#include "hardware/dtype.hpp"
#include "models/accounting.hpp"
#include "models/catalog.hpp"
#include "scenarios/batch_schedule.hpp"
#include "sim/simulate.hpp"

namespace trainsim::cli {

namespace {

using Json = nlohmann::ordered_json;

std::string dump(const Json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Json architecture_json(const models::ModelSpec& m) {
  Json a{{"layers", m.layers},
         {"hidden", m.hidden},
         {"ffn_dim", m.ffn_dim},
         {"heads", m.heads},
         {"kv_heads", m.kv_heads},
         {"head_dim", m.head_dim},
         {"vocab", m.vocab},
         {"tied_embeddings", m.tied_embeddings},
         {"attention", models::attention_kind_name(m.attention)},
         {"activation", models::ffn_activation_name(m.activation)},
         {"norm", models::norm_kind_name(m.norm)},
         {"attention_bias", m.attention_bias},
         {"qk_norm", m.qk_norm},
         {"sliding_window", m.sliding_window},
         {"mtp_depth", m.mtp_depth}};
  if (m.attention == models::AttentionKind::Mla) {
    a["mla"] = {{"q_lora_rank", m.mla.q_lora_rank},
                {"kv_lora_rank", m.mla.kv_lora_rank},
                {"qk_nope_head_dim", m.mla.qk_nope_head_dim},
                {"qk_rope_head_dim", m.mla.qk_rope_head_dim},
                {"v_head_dim", m.mla.v_head_dim}};
  }
  if (m.is_moe()) {
    a["moe"] = {
        {"routed_experts", m.moe.routed_experts},       {"shared_experts", m.moe.shared_experts},
        {"experts_per_token", m.moe.experts_per_token}, {"expert_ffn_dim", m.moe.expert_ffn_dim},
        {"dense_layers", m.moe.dense_layers},           {"expert_groups", m.moe.expert_groups},
        {"limited_groups", m.moe.limited_groups}};
  }
  return a;
}

Json params_json(const models::ModelSpec& m) {
  const auto pc = models::count_parameters(m);
  Json p{{"total", pc.total},
         {"active", pc.activated},
         {"embedding", pc.embedding},
         {"head", pc.head},
         {"mtp_unique", pc.mtp_unique}};
  p["published_total"] =
      m.published_total_params > 0 ? Json(m.published_total_params) : Json(nullptr);
  p["published_active"] =
      m.published_activated_params > 0 ? Json(m.published_activated_params) : Json(nullptr);
  return p;
}

}  // namespace

std::string parameter_summary(const models::ModelSpec& m) {
  using units::Quantity;
  const auto pc = models::count_parameters(m);
  std::string s = fmt::format("{} parameters, {} active per token",
                              units::format(static_cast<double>(pc.total), Quantity::Count),
                              units::format(static_cast<double>(pc.activated), Quantity::Count));
  if (pc.mtp_unique > 0) {
    s += fmt::format(" (+ {} in MTP modules)",
                     units::format(static_cast<double>(pc.mtp_unique), Quantity::Count));
  }
  return s;
}

std::string model_to_json(const models::ModelSpec& m, std::int64_t seq_len) {
  const auto pc = models::count_parameters(m);
  const auto f = models::flops_per_token(m, seq_len);
  Json j{{"schema", "trainsim.model/1"}};
  j["model"] = m.name;
  j["description"] = m.description;
  j["seq_len"] = seq_len;
  // The flat keys of the first `inspect --json` stay, beside the grouped objects.
  j["params_total"] = pc.total;
  j["params_active"] = pc.activated;
  j["params_embedding"] = pc.embedding;
  j["params_head"] = pc.head;
  j["params_mtp_unique"] = pc.mtp_unique;
  j["train_flops_per_token"] = f.total;
  j["train_flops_per_token_matmul"] = f.matmul;
  j["train_flops_per_token_attention"] = f.attention;
  j["train_flops_per_token_mtp"] = f.mtp;
  j["forward_flops_per_token"] = f.forward;
  j["kv_cache_bytes_per_token"] = models::kv_cache_bytes_per_token(m);
  j["published_total_params"] =
      m.published_total_params > 0 ? Json(m.published_total_params) : Json(nullptr);
  j["published_active_params"] =
      m.published_activated_params > 0 ? Json(m.published_activated_params) : Json(nullptr);
  j["architecture"] = architecture_json(m);
  return dump(j);
}

std::string scenario_to_json(const scenarios::Scenario& s) {
  Json j{{"schema", "trainsim.scenario/1"}};
  j["scenario"] = s.name;
  j["file"] = s.file;
  j["description"] = s.description;
  j["valid"] = true;
  Json model{{"name", s.model.name}, {"description", s.model.description}};
  model["params"] = params_json(s.model);
  model["architecture"] = architecture_json(s.model);
  j["model"] = model;
  j["cluster"] = {{"gpu", s.cluster.gpu.name},
                  {"gpus", s.cluster.gpus},
                  {"gpus_per_node", s.cluster.node.gpus_per_node},
                  {"nodes", s.cluster.nodes()},
                  {"fabric", s.cluster.fabric.name}};
  const auto plan_json = [](const models::ParallelPlan& p) {
    return Json{{"dp", p.dp},
                {"tp", p.tp},
                {"pp", p.pp},
                {"ep", p.ep},
                {"cp", p.cp},
                {"schedule", p.schedule},
                {"virtual_stages", p.virtual_stages},
                {"zero", p.zero},
                {"micro_batch", p.micro_batch},
                {"recompute", models::recompute_name(p.recompute)}};
  };
  j["plan"] = plan_json(s.plan);
  j["precision"] = s.precision.name;
  j["price_per_gpu_hour"] = s.price_per_gpu_hour;
  j["calibration"] = s.calibration;
  Json phases = Json::array();
  for (std::size_t i = 0; i < s.phases.size(); ++i) {
    const auto& ph = s.phases[i];
    Json p{{"name", ph.name},
           {"group", ph.group},
           {"tokens", ph.tokens},
           {"seq_len", ph.seq_len},
           {"batch_start", ph.batch.start},
           {"batch_end", ph.batch.end},
           {"steps", sim::phase_step_count(s, i)},  // the count `run` reports
           {"gpus", ph.gpus ? *ph.gpus : s.cluster.gpus}};
    p["plan"] = ph.plan ? plan_json(*ph.plan) : Json(nullptr);
    p["note"] = ph.note;
    phases.push_back(std::move(p));
  }
  j["phases"] = phases;
  j["assumptions"] = s.assumptions;
  return dump(j);
}

}  // namespace trainsim::cli
