#include "reports/result_json.hpp"

#include <nlohmann/json.hpp>

namespace trainsim::reports {
namespace {

using Json = nlohmann::ordered_json;

Json spread(const sim::Spread& s) {
  return Json{{"min", s.min}, {"mean", s.mean}, {"max", s.max}};
}

Json calibration_json(const sim::CalibrationUse& c) {
  return Json{{"requested", c.requested},
              {"profile", c.profile},
              {"gpu", c.gpu},
              {"transfer", c.transfer},
              {"warning", c.warning}};
}

Json phases_json(const sim::StepPhases& p) {
  return {{"forward_s", p.forward_s},
          {"backward_input_s", p.backward_input_s},
          {"backward_weight_s", p.backward_weight_s},
          {"overlapped_fb_s", p.overlapped_fb_s},
          {"bubble_s", p.bubble_s},
          {"dp_sync_s", p.dp_sync_s},
          {"optimizer_s", p.optimizer_s}};
}

Json step_json(const sim::StepResult& s, const JsonOptions& o) {
  Json j;
  j["step_time_s"] = s.step_time_s;
  j["global_batch"] = s.global_batch;
  j["seq_len"] = s.seq_len;
  j["micro_batches"] = s.micro_batches;
  if (s.pipeline_passes > 1) j["pipeline_passes"] = s.pipeline_passes;
  j["tokens"] = s.tokens;
  j["model_flops"] = s.model_flops;
  j["mfu"] = s.mfu;
  j["hfu"] = s.hfu;
  j["peak_flops"] = s.peak_flops;
  j["peak_basis"] = s.peak_basis;
  j["mfu_vs_gemm_dtype"] = s.mfu_vs_gemm_dtype;
  j["slowest_gpu_factor"] = s.slowest_gpu_factor;
  j["compute_s"] = spread(s.compute_s);
  j["exposed_comm_s"] = spread(s.exposed_comm_s);
  j["bubble_s"] = spread(s.bubble_s);
  j["comm_s"] = spread(s.comm_s);
  j["compute_by_kind_s"] = Json::object();
  for (const auto& [k, v] : s.compute_by_kind_s) j["compute_by_kind_s"][k] = v;
  j["critical_rank"] = {{"rank", s.critical_rank},
                        {"stage", s.critical_stage},
                        {"phases", phases_json(s.critical_phases)}};
  j["stage_layers"] = Json::array();
  for (const auto& l : s.stage_layers) {
    j["stage_layers"].push_back({{"stage", l.stage},
                                 {"first_layer", l.first_layer},
                                 {"last_layer", l.last_layer},
                                 {"embedding", l.embedding},
                                 {"head", l.head}});
  }
  j["memory"] = {{"weights", s.memory.weights},     {"gradients", s.memory.gradients},
                 {"optimizer", s.memory.optimizer}, {"activations", s.memory.activations},
                 {"other", s.memory.other},         {"total", s.memory.total()},
                 {"capacity", s.memory_capacity},   {"fits", s.fits_in_memory}};
  j["infeasible_reason"] = s.infeasible_reason;
  j["cost_model"] = s.cost_model;
  j["calibration"] = calibration_json(s.calibration);
  j["roofline_ops"] = s.roofline_ops;
  j["fallbacks"] = s.fallbacks;
  j["ranks_simulated"] = s.ranks_simulated;
  j["events"] = s.events;
  if (o.include_ranks) {
    j["ranks"] = Json::array();
    for (const auto& r : s.ranks) {
      j["ranks"].push_back({{"rank", r.rank},
                            {"stage", r.stage},
                            {"compute_s", r.compute_s},
                            {"comm_s", r.comm_s},
                            {"exposed_comm_s", r.exposed_comm_s},
                            {"bubble_s", r.bubble_s},
                            {"phases", phases_json(r.phases)}});
    }
  }
  if (o.include_timing) j["wall_s"] = s.wall_s;
  return j;
}

}  // namespace

std::string run_to_json(const sim::RunResult& run, const JsonOptions& o) {
  Json j;
  j["schema"] = "trainsim.run/1";
  j["scenario"] = run.scenario;
  j["description"] = run.description;
  j["gpu"] = run.gpu;
  j["gpus"] = run.gpus;
  j["price_per_gpu_hour"] = run.price_per_gpu_hour;
  j["cost_model"] = run.cost_model;
  j["calibration"] = calibration_json(run.calibration);
  j["total"] = {{"gpu_hours", run.total_gpu_hours},
                {"cost_usd", run.total_cost_usd},
                {"wall_days", run.total_wall_s / 86400.0},
                {"tokens", run.total_tokens},
                {"mfu", run.mfu}};
  Json pub = Json::object();
  if (run.published_gpu_hours) pub["gpu_hours"] = *run.published_gpu_hours;
  if (run.published_cost_usd) pub["cost_usd"] = *run.published_cost_usd;
  pub["source"] = run.published_source;
  // The --set overrides: inputs that differ from the plan the published figures are for.
  pub["overrides"] = run.overrides;
  if (run.published_gpu_hours && *run.published_gpu_hours > 0) {
    pub["ratio_gpu_hours"] = run.total_gpu_hours / *run.published_gpu_hours;
  }
  j["published"] = pub;
  j["phases"] = Json::array();
  for (const auto& p : run.phases) {
    Json ph;
    ph["name"] = p.name;
    ph["group"] = p.group;
    ph["gpus"] = p.gpus;
    ph["seq_len"] = p.seq_len;
    ph["tokens"] = p.tokens;
    ph["steps"] = p.steps;
    ph["mean_step_time_s"] = p.step_time_s;  // wall / steps over the phase (its ramp too)
    ph["wall_days"] = p.wall_s / 86400.0;
    ph["gpu_hours"] = p.gpu_hours;
    ph["cost_usd"] = p.cost_usd;
    ph["mfu"] = p.mfu;
    ph["tokens_per_gpu_s"] = p.tokens_per_gpu_s;
    ph["feasible"] = p.feasible;
    ph["infeasible_reason"] = p.infeasible_reason;
    ph["note"] = p.note;
    ph["batches"] = Json::array();
    for (const auto& b : p.batches) {
      ph["batches"].push_back({{"batch", b.batch},
                               {"steps", b.steps},
                               {"step_time_s", b.step_time_s},
                               {"simulated", b.simulated},
                               {"extrapolated", b.extrapolated}});
    }
    ph["step"] = step_json(p.representative, o);
    j["phases"].push_back(ph);
  }
  j["groups"] = Json::array();
  for (const auto& g : run.groups) {
    Json gj{{"group", g.group},
            {"gpu_hours", g.gpu_hours},
            {"cost_usd", g.cost_usd},
            {"wall_days", g.wall_s / 86400.0}};
    if (g.published_gpu_hours) {
      gj["published_gpu_hours"] = *g.published_gpu_hours;
      if (*g.published_gpu_hours > 0) gj["ratio"] = g.gpu_hours / *g.published_gpu_hours;
    }
    j["groups"].push_back(gj);
  }
  j["assumptions"] = run.assumptions;
  if (run.goodput.enabled) {
    j["goodput"] = {{"interruptions", run.goodput.interruptions},
                    {"lost_days", run.goodput.lost_s / 86400.0},
                    {"checkpoint_days", run.goodput.checkpoint_s / 86400.0},
                    {"goodput", run.goodput.goodput},
                    {"gpu_hours_with_failures", run.goodput.gpu_hours_with_failures},
                    {"basis", run.goodput.basis}};
  }
  if (o.include_timing) j["wall_s"] = run.wall_s;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string step_to_json(const sim::StepResult& step, const JsonOptions& o) {
  Json j{{"schema", "trainsim.step/1"}};
  j.update(step_json(step, o));
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace trainsim::reports
