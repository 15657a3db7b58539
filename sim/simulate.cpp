// Builds one step's simulation from a scenario phase: topology, pipeline schedule, per-stage
// segment lists from the models' op lists timed by the calibration profile, MoE routing volumes,
// load imbalance, data-parallel synchronisation and memory; runs it on the event engine; derives
// MFU (model FLOP from the accounting, causal attention) against the dense BF16 peak.
#include "sim/simulate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "calibration/calibration_select.hpp"
#include "calibration/cost_models.hpp"
#include "core/error.hpp"
#include "hardware/slowest_gpu.hpp"
#include "hardware/topology.hpp"
#include "models/accounting.hpp"
#include "models/layer_split.hpp"
#include "models/memory.hpp"
#include "models/op_list.hpp"
#include "sim/moe/traffic.hpp"
#include "sim/schedules/repeated_passes.hpp"
#include "sim/schedules/schedule.hpp"
#include "sim/step/rank_layout.hpp"
#include "sim/step/stage_builder.hpp"
#include "sim/step/stage_compute.hpp"
#include "sim/step/step_executor.hpp"

namespace trainsim::sim {
namespace {

using hardware::Dtype;

std::string gb(double bytes) {
  return fmt::format("{:.1f} GB", bytes / 1e9);
}

/// Host-side wait of DeepEP's notify_dispatch: the CPU polls the received-token count the kernel
/// writes to mapped memory, then launches the dispatch. Source: deepseek-ai/profile-data train.json
/// (V3 training, EP64): the gap from each notify_dispatch's end to its dispatch kernel's start is
/// 25, 38, 49 and 67 us; the smallest (the least queueing) is taken.
constexpr double kDeepEpHostSyncS = 25e-6;

/// Mean handshake before one DeepEP normal-mode all-to-all, seconds. deepseek-ai/DeepEP
/// csrc/kernels/internode.cu (commit dd758ca, legacy/): notify_dispatch runs an NVLink barrier
/// and an inter-node sync (a round trip each), RDMA-puts the token counts, syncs again, exchanges
/// the counts over NVLink and barriers, then the host waits: 5·l_ib + 5·l_nvl + host.
/// cached_notify (combine, and the backward dispatch that reuses the layout) is one inter-node
/// sync and one NVLink barrier: 2·l_ib + 2·l_nvl. A layer's four all-to-alls (forward dispatch
/// fresh, the other three cached) average (11·(l_ib + l_nvl) + host) / 4; l_ib = 0 inside a node.
double deepep_handshake_s(double l_ib, double l_nvl) {
  return (11.0 * (l_ib + l_nvl) + kDeepEpHostSyncS) / 4.0;
}

}  // namespace

std::string symmetric_shortcut_problem(const scenarios::Scenario& sc) {
  if (!sc.model.is_moe() || !(sc.moe_imbalance > 0)) return "";
  return fmt::format(
      "moe.imbalance {} draws each expert-parallel group's load separately, so the data-parallel "
      "replicas differ and one replica does not stand for the others",
      sc.moe_imbalance);
}

StepResult simulate_step(const StepRequest& req, const SimOptions& opt) {
  const auto wall_start = std::chrono::steady_clock::now();
  const scenarios::Scenario& sc = *req.scenario;
  const scenarios::Phase& phase = *req.phase;
  const models::ModelSpec& model = sc.model;
  const models::ParallelPlan& plan = req.plan;
  const models::PrecisionPolicy& prec = req.precision;
  StepResult out;
  out.global_batch = req.global_batch;
  out.seq_len = phase.seq_len;
  out.tokens = static_cast<double>(req.global_batch) * static_cast<double>(phase.seq_len);
  // Gradient accumulation over pipeline passes (schedules/repeated_passes.hpp): each pass runs
  // batch / (dp · micro_batch · passes) micro-batches.
  const int passes = std::max(1, plan.grad_accum_passes);
  const std::int64_t per_step = static_cast<std::int64_t>(plan.dp) * plan.micro_batch * passes;
  out.micro_batches = req.global_batch / (static_cast<std::int64_t>(plan.dp) * plan.micro_batch);
  out.pipeline_passes = passes;
  // Every data-parallel rank runs whole micro-batches: a remainder would be dropped silently
  // (tokens and MFU counted for sequences never simulated), and less than one is no step at all.
  if (req.global_batch < per_step || req.global_batch % per_step != 0) {
    out.infeasible_reason =
        passes > 1 ? fmt::format(
                         "global batch {} sequences is {} dp × micro_batch × grad_accum_passes = "
                         "{} × {} × {} = {}",
                         req.global_batch,
                         req.global_batch < per_step ? "smaller than" : "not a multiple of",
                         plan.dp, plan.micro_batch, passes, per_step)
                   : fmt::format("global batch {} sequences is {} dp × micro_batch = {} × {} = {}",
                                 req.global_batch,
                                 req.global_batch < per_step ? "smaller than" : "not a multiple of",
                                 plan.dp, plan.micro_batch, per_step);
    return out;
  }
  // The schedule holds every micro-batch's ops: bounded before anything is allocated.
  constexpr std::int64_t kMaxMicroBatches = 100000;
  if (out.micro_batches > kMaxMicroBatches) {
    out.infeasible_reason = fmt::format(
        "global batch {} sequences is {} micro-batches per data-parallel rank (batch / (dp × "
        "micro_batch)); at most {} can be simulated in one step (raise micro_batch, or lower the "
        "batch)",
        req.global_batch, out.micro_batches, kMaxMicroBatches);
    return out;
  }

  hardware::ClusterSpec cluster = sc.cluster;
  cluster.gpus = req.gpus;
  const hardware::GpuSpec& gpu = cluster.gpu;
  out.peak_flops = gpu.peak(Dtype::BF16);
  out.peak_basis = fmt::format("dense BF16 peak ({:.0f} TFLOP/s)", out.peak_flops / 1e12);
  out.memory_capacity = gpu.hbm_bytes;

  // Model FLOP of the step (accounting: 6·N_matmul + causal attention, main model only).
  const auto fpt = models::flops_per_token(model, phase.seq_len);
  out.model_flops = fpt.total * out.tokens;

  // Schedule and its shape (all passes' micro-batches: the executor runs them in order).
  std::unique_ptr<schedules::PipelineSchedule> schedule = schedules::make_schedule(plan.schedule);
  if (passes > 1)
    schedule = std::make_unique<schedules::RepeatedPasses>(std::move(schedule), passes);
  schedules::ScheduleShape shape{plan.pp, static_cast<int>(out.micro_batches), plan.virtual_stages};
  try {
    schedule->validate(shape);
  } catch (const ModelError& e) {
    out.infeasible_reason = e.what();
    return out;
  }
  const int n_stages = schedule->stage_count(shape);

  // Cost model and op lists.
  const std::string profile = opt.calibration.empty() ? sc.calibration : opt.calibration;
  calibration::CalibrationSelection selected = calibration::select_calibration(profile, gpu);
  const auto cost = std::move(selected.model);
  out.cost_model = cost->name();
  out.calibration = {selected.requested, selected.profile, selected.profile_gpu, selected.transfer,
                     selected.warning};
  const models::OpListContext ctx =
      models::op_list_context(plan, prec, phase.seq_len, cluster.node.gpus_per_node);
  if (const std::string why = models::op_list_problem(model, ctx); !why.empty()) {
    out.infeasible_reason = why;
    return out;
  }
  calibration::ComputeContext cctx;
  cctx.gpu = &gpu;
  cctx.sms_available = plan.comm_sms > 0 ? gpu.sm_count - plan.comm_sms : 0;
  cctx.compute_scale = hardware::slowest_gpu_factor(gpu.perf_variation, req.gpus);
  // Layers over the model stages, balanced by simulated compute seconds per micro-batch (all
  // three passes timed by the cost model): the embedding on the first stage and the head, loss and
  // MTP modules on the last are not free. DeepSeek's split is unpublished: an assumption.
  std::string split_problem;
  const std::vector<models::LayerRange> ranges =
      stage_ranges(model, plan, n_stages, layer_compute(model, ctx, *cost, cctx), split_problem);
  if (!split_problem.empty()) {
    out.infeasible_reason = split_problem;
    return out;
  }
  StageBuildContext bctx;
  bctx.cost = cost.get();
  bctx.compute = cctx;
  bctx.granularity = opt.granularity;
  bctx.expert_wgrad_side_stream = plan.expert_wgrad_side_stream;
  if (bctx.granularity == Granularity::Auto) {
    const bool paired_all_to_all =
        plan.ep > 1 && (plan.schedule == "dualpipe" || plan.schedule == "dualpipev");
    bctx.granularity = paired_all_to_all ? Granularity::Layer : Granularity::Chunk;
  }
  StageBuildStats stats;
  const std::int64_t tokens_rank = models::tokens_per_rank(ctx);
  // Payload per rank of a communication op: the op list already counts the bytes each rank sends
  // once per destination (node-limited fan-out for dispatch/combine; whole tensors for TP/CP).
  bctx.payload_bytes = [](const models::Op& op) { return op.bytes; };

  std::vector<StageWork> stages(static_cast<std::size_t>(n_stages));
  std::vector<models::MemoryBreakdown> stage_mem;
  std::vector<double> weight_cast_s;  ///< per stage: FP8 weight-cast kernels, seconds per step
  for (int s = 0; s < n_stages; ++s) {
    StageWork& sw = stages[static_cast<std::size_t>(s)];
    sw.stage = s;
    sw.first_layer = ranges[static_cast<std::size_t>(s)].first;
    sw.last_layer = ranges[static_cast<std::size_t>(s)].last;
    sw.has_embedding = s == 0;
    sw.has_head = s == n_stages - 1;
    // Embedding, layers, the main head once, then the MTP modules (each with its own head pass).
    const std::vector<models::LayerOps> ops =
        models::stage_ops(model, sw.first_layer, sw.last_layer, sw.has_embedding, sw.has_head, ctx);
    build_stage_segments(ops, bctx, sw, stats);
    // FP8 weight casts run once per optimizer step, after the update (not per micro-batch).
    double cast_s = 0;
    for (const auto& l : ops) {
      for (const auto& op : models::weight_cast_ops(l, prec))
        cast_s += cost->time(op, cctx).seconds;
    }
    weight_cast_s.push_back(cast_s);
    models::StageMemoryInput mi;
    mi.layers = ranges[static_cast<std::size_t>(s)];
    mi.embedding = sw.has_embedding;
    mi.head = sw.has_head;
    mi.seq_len = phase.seq_len;
    mi.gpus_per_node = cluster.node.gpus_per_node;
    const auto mem = models::stage_memory(model, plan, prec, mi);
    sw.activation_bytes = mem.activations_per_micro_batch;
    sw.dense_params = mem.dense_parameters;
    sw.expert_params = mem.expert_parameters;
    stage_mem.push_back(mem);
    // Pipeline P2P: the hidden state of the rank's tokens in BF16, split over TP under SP or by
    // the scatter/gather optimisation (each TP rank sends 1/tp of it).
    sw.p2p_bytes = static_cast<double>(tokens_rank) * static_cast<double>(model.hidden) * 2.0 /
                   (plan.sequence_parallel || plan.p2p_scatter_gather ? plan.tp : 1);
  }
  for (const auto& k : stats.roofline_kinds) out.roofline_ops.push_back(k);
  for (const auto& f : stats.fallbacks) out.fallbacks.push_back(f);

  // The symmetry shortcut only where it is exact; otherwise every rank, said in the result.
  bool symmetric = opt.symmetric;
  if (symmetric) {
    if (const std::string why = symmetric_shortcut_problem(sc); !why.empty()) {
      symmetric = false;
      out.fallbacks.push_back("--symmetric not applied, every rank simulated: " + why);
    }
  }

  // Topology and layout.
  const hardware::Topology topo = hardware::Topology::build(cluster);
  StepSetup setup{&topo,
                  RankLayout(plan, cluster.node.gpus_per_node),
                  schedule.get(),
                  shape,
                  std::move(stages),
                  {},
                  {},
                  {},
                  0,
                  0,
                  opt.trace_ranks,
                  symmetric,
                  opt.fold_tensor_parallel};

  // MoE routing: the op list's dispatch bytes are per destination node (or rank inside a node);
  // a remote node's share crosses IB once, then every payload is forwarded over NVLink to the
  // distinct GPUs holding the token's experts on that node (DeepSeek-V3 §3.2.2).
  if (model.is_moe()) {
    moe::RoutingShape rs;
    rs.tokens_per_rank = models::moe_tokens_per_rank(ctx);
    rs.hidden = model.hidden;
    rs.top_k = model.moe.experts_per_token;
    rs.routed_experts = model.moe.routed_experts;
    rs.ep = plan.ep;
    rs.gpus_per_node = models::ep_ranks_per_node(ctx);  // EP members per node (expert TP)
    rs.limited_nodes = static_cast<int>(model.moe.limited_groups);
    rs.mean_nodes_per_token = models::dispatch_destinations_per_token(model, ctx);
    const int g = std::min(plan.ep, rs.gpus_per_node);
    const int nodes = std::max(1, plan.ep / g);
    if (nodes > 1) {
      setup.moe.ib_per_byte = (nodes - 1.0) / nodes;
      setup.moe.nvlink_per_byte = moe::gpus_per_destination_node(rs) * (1.0 - 1.0 / g);
    } else {
      setup.moe.nvlink_per_byte = (g - 1.0) / g;
    }
    setup.moe.dispatch_nvlink_kernel_Bps = gpu.ep_dispatch_nvlink_Bps;
    setup.moe.combine_nvlink_kernel_Bps = gpu.ep_combine_nvlink_Bps;
    // Network latency of the all-to-all plus DeepEP's notify handshake before it.
    const double l_ib = nodes > 1 ? topo.path_latency(0, cluster.node.gpus_per_node) : 0.0;
    setup.moe.latency_s =
        (nodes > 1 ? l_ib : gpu.nvlink_latency_s) + deepep_handshake_s(l_ib, gpu.nvlink_latency_s);
    // Per-rank expert load factors, one seeded draw per EP group.
    setup.load_factor.assign(static_cast<std::size_t>(req.gpus), 1.0);
    // A capacity factor caps each expert's load (token dropping, moe/traffic.hpp).
    if (sc.moe_imbalance > 0 || sc.moe_capacity_factor > 0) {
      // A block of ep·expert_tp ranks holds every expert once: EP index i at ranks
      // first + i·expert_tp + t, the expert-TP ranks t sharing their experts' load.
      const int etp = plan.expert_tp;
      for (int first = 0; first < req.gpus; first += plan.ep * etp) {
        const auto f = moe::rank_load_factors(rs, sc.moe_imbalance,
                                              sc.seed + static_cast<std::uint64_t>(first),
                                              sc.moe_capacity_factor);
        for (int i = 0; i < plan.ep; ++i) {
          for (int t = 0; t < etp; ++t) {
            setup.load_factor[static_cast<std::size_t>(first + i * etp + t)] =
                f[static_cast<std::size_t>(i)];
          }
        }
      }
    }
  }
  setup.p2p_latency_s = req.gpus > cluster.node.gpus_per_node
                            ? topo.path_latency(0, cluster.node.gpus_per_node)
                            : gpu.nvlink_latency_s;
  setup.collective_latency_s = setup.p2p_latency_s;

  // Weights, gradients and optimizer states per rank (models/memory.hpp): a rank holds the
  // chunks the schedule gives it (DualPipe: stages r and PP−1−r); the heaviest rank counts.
  const int chunks = schedule->chunks_per_rank(shape);
  double worst_states = -1;
  models::MemoryBreakdown states{};
  double head_and_workspace = 0;
  double dense_params = 0, expert_params = 0;
  struct RankStates {
    double dense = 0, expert = 0, cast_s = 0;
  };
  std::vector<RankStates> rank_states(static_cast<std::size_t>(plan.pp));
  for (int q = 0; q < plan.pp; ++q) {
    models::MemoryBreakdown sum{};
    double extra = 0;
    for (int c = 0; c < chunks; ++c) {
      const auto stage = static_cast<std::size_t>(schedule->stage_of(shape, q, c));
      const auto& m = stage_mem[stage];
      rank_states[static_cast<std::size_t>(q)].dense += m.dense_parameters;
      rank_states[static_cast<std::size_t>(q)].expert += m.expert_parameters;
      rank_states[static_cast<std::size_t>(q)].cast_s += weight_cast_s[stage];
      sum.weights += m.weights;
      sum.gradients += m.gradients;
      sum.master_weights += m.master_weights;
      sum.optimizer_moments += m.optimizer_moments;
      sum.dense_parameters += m.dense_parameters;
      sum.expert_parameters += m.expert_parameters;
      extra = std::max(extra, m.head_activations + m.recompute_workspace);
    }
    if (sum.states() > worst_states) {
      worst_states = sum.states();
      states = sum;
      head_and_workspace = extra;
      dense_params = sum.dense_parameters;
      expert_params = sum.expert_parameters;
    }
  }
  out.memory.weights = states.weights;
  out.memory.gradients = states.gradients;
  out.memory.optimizer = states.master_weights + states.optimizer_moments;
  const int dense_group = plan.dp * plan.cp;
  // Ranks holding the same expert shard (Megatron-Core's expert-DP group): dp·cp·tp/(ep·expert_tp).
  const int expert_group = std::max(1, plan.dp * plan.cp * plan.tp / (plan.ep * plan.expert_tp));
  const double grad_b = hardware::dtype_bytes(prec.grads);
  setup.dp.dense_grad_bytes = dense_params * grad_b;
  setup.dp.expert_grad_bytes = expert_params * grad_b;
  const double weight_b = hardware::dtype_bytes(prec.weights);
  setup.dp.dense_param_bytes = dense_params * weight_b;
  setup.dp.expert_param_bytes = expert_params * weight_b;
  setup.dp.dense_group = dense_group;
  setup.dp.expert_group = expert_group;
  setup.dp.all_reduce = plan.zero == 0;
  setup.dp.all_gather_params = plan.zero >= 1;
  setup.dp.overlap_grad_reduce = plan.overlap_grad_reduce;
  setup.dp.overlap_param_gather = plan.overlap_param_gather;
  setup.dp.zero3 = plan.zero == 3;
  setup.tp_comm_overlap = plan.tp_comm_overlap;
  setup.p2p_blocking = plan.p2p_blocking;
  if (plan.p2p_scatter_gather && plan.tp > 1) {
    // The receiving stage's TP ranks rebuild the activation with a ring all-gather over NVLink
    // (Megatron-LM gather_split_1d_tensor): tp − 1 steps of full/tp bytes, each with its latency.
    const double full = static_cast<double>(tokens_rank) * static_cast<double>(model.hidden) * 2.0;
    setup.p2p_gather_s =
        (plan.tp - 1) * (gpu.nvlink_latency_s + full / plan.tp / gpu.nvlink_achievable_Bps);
  }
  // Optimizer step as kernels (models::optimizer_ops: gradient norm and AdamW over the rank's
  // shard, zeroing of its gradient buffer) timed by the cost model at the profile's memory-bound
  // rate with its per-kernel launch overhead, then the FP8 weight casts of the rank's stages
  // (once per step). The slowest pipeline rank sets the step's optimizer time.
  double optimizer_s = 0;
  for (const RankStates& r : rank_states) {
    models::OptimizerShape os;
    os.local_params = r.dense + r.expert;
    os.shard_params =
        plan.zero >= 1 ? r.dense / dense_group + r.expert / expert_group : os.local_params;
    double t = r.cast_s;
    for (const auto& op : models::optimizer_ops(os, prec)) t += cost->time(op, cctx).seconds;
    optimizer_s = std::max(optimizer_s, t);
  }
  setup.dp.optimizer_s = optimizer_s;

  execute_step(setup, out);

  // Memory check: cached activations are the simulated in-flight peak; head logits and the
  // recompute workspace of one layer come on top.
  out.memory.other = head_and_workspace;
  if (out.memory.total() > gpu.hbm_bytes) {
    out.fits_in_memory = false;
    out.infeasible_reason = fmt::format(
        "needs {} per GPU (weights {}, gradients {}, optimizer {}, activations {}) but {} has {}",
        gb(out.memory.total()), gb(out.memory.weights), gb(out.memory.gradients),
        gb(out.memory.optimizer), gb(out.memory.activations), gpu.name, gb(gpu.hbm_bytes));
  }
  const double gpu_s = out.step_time_s * req.gpus;
  out.mfu = gpu_s > 0 ? out.model_flops / (gpu_s * out.peak_flops) : 0;
  // hardware_flops summed over the simulated ranks; scale to the whole cluster.
  out.hfu = gpu_s > 0 ? out.hardware_flops * static_cast<double>(req.gpus) /
                            static_cast<double>(out.ranks_simulated > 0 ? out.ranks_simulated : 1) /
                            (gpu_s * out.peak_flops)
                      : 0;
  const double gemm_peak = gpu.peak(prec.gemm);
  out.slowest_gpu_factor = cctx.compute_scale;
  out.mfu_vs_gemm_dtype = gpu_s > 0 && gemm_peak > 0 ? out.model_flops / (gpu_s * gemm_peak) : 0;
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return out;
}

StepResult simulate_step(const scenarios::Scenario& sc, std::size_t phase_index,
                         std::int64_t global_batch, const SimOptions& opt) {
  if (phase_index >= sc.phases.size()) {
    throw ModelError(fmt::format("phase {} does not exist; the scenario has {} phases", phase_index,
                                 sc.phases.size()));
  }
  const auto& ph = sc.phases[phase_index];
  StepRequest req;
  req.scenario = &sc;
  req.phase = &ph;
  req.plan = ph.plan ? *ph.plan : sc.plan;
  req.precision = ph.precision ? *ph.precision : sc.precision;
  req.gpus = ph.gpus ? *ph.gpus : sc.cluster.gpus;
  req.global_batch = global_batch > 0 ? global_batch : ph.batch.end;
  return simulate_step(req, opt);
}

MicroBatchRule micro_batch_rule(const models::ParallelPlan& p) {
  // Probe the schedule's validation (it rejects with ModelError) for the smallest accepted
  // micro-batch count and the step to the next one. Bounded: every schedule accepts some count
  // up to 2·pp·v, and the next valid one within pp·v more.
  const auto s = schedules::make_schedule(p.schedule);
  const int v = std::max(1, p.virtual_stages);
  const int limit = 4 * p.pp * v + 4;
  auto ok = [&](int m) {
    try {
      s->validate({p.pp, m, p.virtual_stages});
      return true;
    } catch (const ModelError&) {
      return false;
    }
  };
  MicroBatchRule rule{limit, 1};
  for (int m = 1; m <= limit; ++m) {
    if (ok(m)) {
      rule.min = m;
      break;
    }
  }
  for (int k = 1; k <= limit; ++k) {
    if (ok(static_cast<int>(rule.min) + k)) {
      rule.multiple = k;
      break;
    }
  }
  // Several pipeline passes per step: each pass takes a count the schedule accepts, so the
  // step's count is passes × that (schedules/repeated_passes.hpp).
  const int passes = std::max(1, p.grad_accum_passes);
  rule.min *= passes;
  rule.multiple *= passes;
  return rule;
}

std::vector<scenarios::BatchSegment> phase_batch_segments(const scenarios::Scenario& sc,
                                                          std::size_t phase_index) {
  const auto& ph = sc.phases.at(phase_index);
  const models::ParallelPlan& plan = ph.plan ? *ph.plan : sc.plan;
  return scenarios::batch_segments(ph, batch_granule(ph, plan, micro_batch_rule(plan)));
}

std::int64_t phase_step_count(const scenarios::Scenario& sc, std::size_t phase_index) {
  return scenarios::step_count(phase_batch_segments(sc, phase_index));
}

RunResult simulate_run(const scenarios::Scenario& sc, const SimOptions& opt) {
  ReplayOptions ro;
  ro.jobs = opt.jobs;
  ro.progress = opt.progress;
  ro.max_points_per_phase = opt.max_points_per_phase;
  SimOptions step_opt = opt;
  step_opt.trace_ranks.clear();
  auto step = [&](const StepRequest& r) { return simulate_step(r, step_opt); };
  RunResult run = replay(sc, step, micro_batch_rule, ro);
  GoodputInputs g = opt.goodput;
  if (sc.goodput.enabled) {
    g.enabled = true;
    g.failures_per_gpu_day = sc.goodput.failures_per_gpu_day;
    g.checkpoint_interval_s = sc.goodput.checkpoint_interval_s;
    g.checkpoint_write_s = sc.goodput.checkpoint_write_s;
    g.restart_s = sc.goodput.restart_s;
  }
  apply_goodput(run, g);
  return run;
}

}  // namespace trainsim::sim
