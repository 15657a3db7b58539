#include "sim/plan/compute_floor.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "calibration/calibration_select.hpp"
#include "core/error.hpp"
#include "hardware/slowest_gpu.hpp"
#include "models/memory.hpp"
#include "models/op_list.hpp"
#include "sim/schedules/repeated_passes.hpp"
#include "sim/schedules/schedule.hpp"
#include "sim/simulate.hpp"

namespace trainsim::sim::plan {

const calibration::CostModel& ComputeFloor::cost_model(const std::string& profile,
                                                       const hardware::GpuSpec& gpu) {
  const std::string key = profile + "\n" + gpu.name;
  auto it = models_.find(key);
  if (it == models_.end())
    it = models_.emplace(key, calibration::select_calibration(profile, gpu).model).first;
  return *it->second;
}

namespace {
/// Seconds per micro-batch of each layer's serial tensor-parallel and expert-TP collectives: a
/// ring inside the node moves (2 for an all-reduce, else 1) · (p − 1)/p of its buffer through
/// each member's NVLink port (sim/step/step_executor.cpp), at most at the port's achievable rate.
/// Expert-TP collectives are kept apart (index 1) since tp_comm_overlap does not hide them;
/// collectives marked overlapped are left out (the step may hide them entirely).
LayerCompute tp_comm_of(const models::ModelSpec& model, const models::OpListContext& ctx,
                        const hardware::GpuSpec& gpu, bool expert_tp_only) {
  const auto comm_s = [&](const models::LayerOps& l) {
    double t = 0;
    for (const auto* list : {&l.forward, &l.backward_input, &l.backward_weight}) {
      for (const auto& op : *list) {
        // An overlapped one (tp_backward_overlap) may be hidden behind a GEMM: not in a floor.
        if (op.kind != models::OpKind::TpCollective || op.overlapped) continue;
        const bool etp = op.name.find("etp_") != std::string::npos;
        if (etp != expert_tp_only) continue;
        const double p = etp ? ctx.expert_tp : ctx.tp;
        if (p <= 1 || gpu.nvlink_achievable_Bps <= 0) continue;
        const bool all_reduce = op.name.find("all_reduce") != std::string::npos;
        t += (all_reduce ? 2.0 : 1.0) * (p - 1.0) / p * op.bytes / gpu.nvlink_achievable_Bps;
      }
    }
    return t;
  };
  LayerCompute lc;
  double kind_s[2] = {-1, -1};  // dense and MoE layers: one build each (stage_compute.cpp)
  for (std::int64_t l = 0; l < model.layers; ++l) {
    double& t = kind_s[model.is_moe_layer(l) ? 1 : 0];
    if (t < 0) t = comm_s(models::build_layer_ops(model, l, ctx));
    lc.layer_s.push_back(t);
  }
  for (std::int64_t l = model.layers; l < model.layers + model.mtp_depth; ++l)
    lc.last_extra_s += comm_s(models::build_layer_ops(model, l, ctx));
  return lc;
}
}  // namespace

PhaseFloor ComputeFloor::phase(const scenarios::Scenario& s, std::size_t phase_index) {
  const scenarios::Phase& ph = s.phases[phase_index];
  const models::ParallelPlan& p = ph.plan ? *ph.plan : s.plan;
  const models::PrecisionPolicy& prec = ph.precision ? *ph.precision : s.precision;
  PhaseFloor f;
  // The op-list context and compute context exactly as simulate_step builds them.
  const models::OpListContext ctx =
      models::op_list_context(p, prec, ph.seq_len, s.cluster.node.gpus_per_node);
  calibration::ComputeContext cctx;
  cctx.gpu = &s.cluster.gpu;
  cctx.sms_available = p.comm_sms > 0 ? s.cluster.gpu.sm_count - p.comm_sms : 0;
  cctx.compute_scale = hardware::slowest_gpu_factor(s.cluster.gpu.perf_variation,
                                                    ph.gpus ? *ph.gpus : s.cluster.gpus);
  // Within one search a phase's model and precision are fixed; the key holds what varies.
  const std::string key =
      fmt::format("{}|{}|{}|tp{} ep{} etp{} cp{} k{} sp{} rc{} mb{} sms{} tbo{} cs{:a}",
                  s.calibration, s.cluster.gpu.name, phase_index, p.tp, p.ep, p.expert_tp, p.cp,
                  static_cast<int>(p.cp_kind), p.sequence_parallel, static_cast<int>(p.recompute),
                  p.micro_batch, p.comm_sms, p.tp_backward_overlap, cctx.compute_scale);
  auto it = layers_.find(key);
  if (it == layers_.end()) {
    LayerWork v{models::op_list_problem(s.model, ctx), {}, {}, {}};
    if (v.problem.empty()) {
      v.compute = layer_compute(s.model, ctx, cost_model(s.calibration, s.cluster.gpu), cctx);
      v.tp_comm = tp_comm_of(s.model, ctx, s.cluster.gpu, false);
      v.etp_comm = tp_comm_of(s.model, ctx, s.cluster.gpu, true);
    }
    it = layers_.emplace(key, std::move(v)).first;
  }
  if (!it->second.problem.empty()) {
    f.problem = it->second.problem;
    return f;
  }
  // What depends on the pipeline's shape but not on the ZeRO stage or the GPU count beyond dp:
  // computed once per (op-list context, schedule, pp, v, passes, dp, tp_comm_overlap).
  const std::string shape_key =
      fmt::format("{}|{} pp{} v{} g{} dp{} tco{}", key, p.schedule, p.pp, p.virtual_stages,
                  p.grad_accum_passes, p.dp, p.tp_comm_overlap);
  auto sh = shapes_.find(shape_key);
  if (sh == shapes_.end())
    sh = shapes_.emplace(shape_key, shape_work(s, phase_index, it->second)).first;
  const ShapeWork& w = sh->second;
  f.simulated_batch = w.batch;
  if (!w.problem.empty()) {
    f.problem = w.problem;
    return f;
  }
  // The states of each stage under this plan's ZeRO stage; a rank holds its chunks' stages.
  std::vector<double> stage_states;
  for (std::size_t st = 0; st < w.ranges.size(); ++st)
    stage_states.push_back(
        models::stage_states(s.model, p, prec, memory_input(s, ph, w, st)).states());
  double busiest = 0, total = 0;
  for (std::size_t q = 0; q < w.rank_s.size(); ++q) {
    double states = 0;
    for (const std::size_t st : w.rank_stages[q]) states += stage_states[st];
    busiest = std::max(busiest, w.rank_s[q]);
    total += w.rank_s[q];
    f.busiest_compute_s = std::max(f.busiest_compute_s, w.rank_compute_s[q]);
    if (states + w.rank_peak_activations[q] > f.min_memory_bytes) {
      f.min_memory_bytes = states + w.rank_peak_activations[q];
      f.min_memory_rank = static_cast<int>(q);
      f.min_memory_states = states;
      f.min_memory_activations = w.rank_peak_activations[q];
    }
  }
  f.busiest_rank_s = busiest;
  // Σ over steps of m · t_max is (the phase's micro-batches per DP rank) · t_max; the fill-and-
  // drain term comes once per pipeline pass of every step.
  const double per_mb = static_cast<double>(p.dp) * p.micro_batch;
  const double micro_batches = ph.tokens / static_cast<double>(ph.seq_len) / per_mb;
  f.wall_s = micro_batches * busiest;
  const bool fill_drain = p.schedule == "1f1b" || p.schedule == "interleaved-1f1b";
  if (fill_drain) {
    const double fill = std::max(0.0, total / std::max(1, p.virtual_stages) - busiest);
    f.wall_s += static_cast<double>(w.steps) * std::max(1, p.grad_accum_passes) * fill;
  }
  return f;
}

models::StageMemoryInput ComputeFloor::memory_input(const scenarios::Scenario& s,
                                                    const scenarios::Phase& ph, const ShapeWork& w,
                                                    std::size_t stage) {
  models::StageMemoryInput mi;
  mi.layers = w.ranges[stage];
  mi.embedding = stage == 0;
  mi.head = stage + 1 == w.ranges.size();
  mi.seq_len = ph.seq_len;
  mi.gpus_per_node = s.cluster.node.gpus_per_node;
  return mi;
}

ComputeFloor::ShapeWork ComputeFloor::shape_work(const scenarios::Scenario& s,
                                                 std::size_t phase_index, const LayerWork& lw) {
  const scenarios::Phase& ph = s.phases[phase_index];
  const models::ParallelPlan& p = ph.plan ? *ph.plan : s.plan;
  const models::PrecisionPolicy& prec = ph.precision ? *ph.precision : s.precision;
  ShapeWork w;
  // The schedule's shape rules at the batch the run simulates last: the final one, or the
  // schedule's minimum when the final batch is below it (replay.hpp extrapolates below it).
  std::unique_ptr<schedules::PipelineSchedule> schedule = schedules::make_schedule(p.schedule);
  const int passes = std::max(1, p.grad_accum_passes);
  if (passes > 1)
    schedule = std::make_unique<schedules::RepeatedPasses>(std::move(schedule), passes);
  const std::int64_t per_mb = static_cast<std::int64_t>(p.dp) * p.micro_batch;
  const std::int64_t batch = std::max<std::int64_t>(
      ph.batch.end, std::max<std::int64_t>(1, micro_batch_rule(p).min) * per_mb);
  w.batch = batch;
  const schedules::ScheduleShape shape{p.pp, static_cast<int>(batch / per_mb), p.virtual_stages};
  try {
    schedule->validate(shape);
  } catch (const ModelError& e) {
    w.problem = fmt::format("at batch {}: {}", batch, e.what());
    return w;
  }
  const int stages = schedule->stage_count(shape);
  try {  // more stages than layers (DualPipeV's 2·pp stages) is the split's error, as in a step
    w.ranges = stage_ranges(s.model, p, stages, lw.compute, w.problem);
  } catch (const ModelError& e) {
    w.problem = e.what();
  }
  if (!w.problem.empty()) return w;
  w.steps = phase_step_count(s, phase_index);
  const std::vector<double> compute_s = stage_compute_s(s.model, lw.compute, w.ranges);
  std::vector<double> stage_s = compute_s;  // compute, then the serial collectives
  // Without F&B pairs a rank runs one pass at a time, so a tensor-parallel collective that is not
  // overlapped (tp_comm_overlap off; expert-TP ones never are) waits between its compute
  // segments: its ring time at the NVLink port's achievable rate adds to the rank's busy time.
  // DualPipe's pairs hide one pass's collectives behind the other's compute: not added there.
  const bool paired = p.schedule == "dualpipe" || p.schedule == "dualpipev";
  if (!paired) {
    const std::vector<double> tp_s = stage_compute_s(s.model, lw.tp_comm, w.ranges);
    const std::vector<double> etp_s = stage_compute_s(s.model, lw.etp_comm, w.ranges);
    for (std::size_t st = 0; st < stage_s.size(); ++st)
      stage_s[st] += (p.tp_comm_overlap ? 0.0 : tp_s[st]) + etp_s[st];
  }
  // Activations each stage caches per micro-batch (models/memory.hpp, as the step computes them;
  // they do not depend on the ZeRO stage).
  std::vector<double> act;
  for (std::size_t st = 0; st < w.ranges.size(); ++st) {
    act.push_back(models::stage_memory(s.model, p, prec, memory_input(s, ph, w, st))
                      .activations_per_micro_batch);
  }
  // A rank's share of a micro-batch: the forwards it runs of each chunk (each with its backward)
  // over the micro-batches, from the schedule's own work lists (1F1B: every micro-batch on every
  // chunk; DualPipe: half of them on each of its two model copies' chunks).
  const schedules::RankLists lists = schedule->build(shape);
  for (int q = 0; q < p.pp; ++q) {
    const auto stage_of = [&](int chunk) {
      return static_cast<std::size_t>(schedule->stage_of(shape, q, chunk));
    };
    std::vector<std::size_t> held_stages;
    for (int c = 0; c < schedule->chunks_per_rank(shape); ++c) held_stages.push_back(stage_of(c));
    double t = 0, tc = 0, held = 0, peak = 0;
    for (const auto& item : lists[static_cast<std::size_t>(q)]) {
      using schedules::WorkKind;
      if (item.kind == WorkKind::FB) held -= act[stage_of(item.chunk2)];
      if (item.kind == WorkKind::B || item.kind == WorkKind::BW) held -= act[stage_of(item.chunk)];
      if (item.kind == WorkKind::F || item.kind == WorkKind::FB) {
        t += stage_s[stage_of(item.chunk)];
        tc += compute_s[stage_of(item.chunk)];
        held += act[stage_of(item.chunk)];
        peak = std::max(peak, held);
      }
    }
    w.rank_stages.push_back(std::move(held_stages));
    w.rank_s.push_back(t / shape.micro_batches);
    w.rank_compute_s.push_back(tc / shape.micro_batches);
    w.rank_peak_activations.push_back(peak);
  }
  return w;
}

}  // namespace trainsim::sim::plan
