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

#include "calibration/cost_models.hpp"
#include "core/error.hpp"
#include "hardware/topology.hpp"
#include "models/accounting.hpp"
#include "models/layer_split.hpp"
#include "models/memory.hpp"
#include "models/op_list.hpp"
#include "sim/moe/traffic.hpp"
#include "sim/schedules/schedule.hpp"
#include "sim/step/rank_layout.hpp"
#include "sim/step/stage_builder.hpp"
#include "sim/step/step_executor.hpp"

namespace trainsim::sim {
namespace {

using hardware::Dtype;

std::string gb(double bytes) {
  return fmt::format("{:.1f} GB", bytes / 1e9);
}

}  // namespace

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
  const std::int64_t per_step = static_cast<std::int64_t>(plan.dp) * plan.micro_batch;
  out.micro_batches = req.global_batch / per_step;
  // Every data-parallel rank runs whole micro-batches: a remainder would be dropped silently
  // (tokens and MFU counted for sequences never simulated), and less than one is no step at all.
  if (req.global_batch < per_step || req.global_batch % per_step != 0) {
    out.infeasible_reason = fmt::format(
        "global batch {} sequences is {} dp × micro_batch = {} × {} = {}", req.global_batch,
        req.global_batch < per_step ? "smaller than" : "not a multiple of", plan.dp,
        plan.micro_batch, per_step);
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

  // Schedule and its shape.
  const auto schedule = schedules::make_schedule(plan.schedule);
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
  const auto cost = calibration::make_cost_model(profile, gpu);
  out.cost_model = cost->name();
  models::OpListContext ctx;
  ctx.sequences = plan.micro_batch;
  ctx.seq_len = phase.seq_len;
  ctx.tp = plan.tp;
  ctx.ep = plan.ep;
  ctx.cp = plan.cp;
  ctx.sequence_parallel = plan.sequence_parallel;
  ctx.precision = prec;
  ctx.recompute = plan.recompute;
  ctx.gpus_per_node = cluster.node.gpus_per_node;
  if (const std::string why = models::op_list_problem(model, ctx); !why.empty()) {
    out.infeasible_reason = why;
    return out;
  }
  // Layers over the model stages (DeepSeek's split is unpublished: balanced by training FLOPs).
  const auto ranges =
      models::split_layers(model, n_stages, models::SplitPolicy::BalancedFlops, phase.seq_len);
  const models::LayerOps embed = models::embedding_ops(model, ctx);
  const models::LayerOps head = models::head_ops(model, ctx);

  calibration::ComputeContext cctx;
  cctx.gpu = &gpu;
  cctx.sms_available = plan.comm_sms > 0 ? gpu.sm_count - plan.comm_sms : 0;
  StageBuildContext bctx;
  bctx.cost = cost.get();
  bctx.compute = cctx;
  bctx.granularity = opt.granularity;
  StageBuildStats stats;
  const std::int64_t tokens_rank = models::tokens_per_rank(ctx);
  // Payload per rank of a communication op: the op list already counts the bytes each rank sends
  // once per destination (node-limited fan-out for dispatch/combine; whole tensors for TP/CP).
  bctx.payload_bytes = [](const models::Op& op) { return op.bytes; };

  std::vector<StageWork> stages(static_cast<std::size_t>(n_stages));
  std::vector<models::MemoryBreakdown> stage_mem;
  for (int s = 0; s < n_stages; ++s) {
    StageWork& sw = stages[static_cast<std::size_t>(s)];
    sw.stage = s;
    sw.first_layer = ranges[static_cast<std::size_t>(s)].first;
    sw.last_layer = ranges[static_cast<std::size_t>(s)].last;
    sw.has_embedding = s == 0;
    sw.has_head = s == n_stages - 1;
    // Ops in order: embedding, the stage's layers (MTP modules are layers ≥ model.layers and sit
    // on the last stage), then the head once for the main model and once per MTP module.
    std::vector<models::LayerOps> ops;
    if (sw.has_embedding) ops.push_back(embed);
    for (std::int64_t l = sw.first_layer; l < sw.last_layer; ++l) {
      if (l >= model.layers && sw.has_head) ops.push_back(head);
      ops.push_back(models::build_layer_ops(model, l, ctx));
    }
    if (sw.has_head) ops.push_back(head);
    build_stage_segments(ops, bctx, sw, stats);
    models::StageMemoryInput mi;
    mi.layers = ranges[static_cast<std::size_t>(s)];
    mi.embedding = sw.has_embedding;
    mi.head = sw.has_head;
    mi.seq_len = phase.seq_len;
    mi.gpus_per_node = cluster.node.gpus_per_node;
    const auto mem = models::stage_memory(model, plan, prec, mi);
    sw.activation_bytes = mem.activations_per_micro_batch;
    stage_mem.push_back(mem);
    // Pipeline P2P: the hidden state of the rank's tokens in BF16 (split over TP under SP).
    sw.p2p_bytes = static_cast<double>(tokens_rank) * static_cast<double>(model.hidden) * 2.0 /
                   (plan.sequence_parallel ? plan.tp : 1);
  }
  for (const auto& k : stats.roofline_kinds) out.roofline_ops.push_back(k);

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
                  opt.symmetric,
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
    rs.gpus_per_node = cluster.node.gpus_per_node;
    rs.limited_nodes = static_cast<int>(model.moe.limited_groups);
    rs.mean_nodes_per_token = models::dispatch_destinations_per_token(model, ctx);
    const int g = std::min(plan.ep, cluster.node.gpus_per_node);
    const int nodes = std::max(1, plan.ep / g);
    if (nodes > 1) {
      setup.moe.ib_per_byte = (nodes - 1.0) / nodes;
      setup.moe.nvlink_per_byte = moe::gpus_per_destination_node(rs) * (1.0 - 1.0 / g);
    } else {
      setup.moe.nvlink_per_byte = (g - 1.0) / g;
    }
    setup.moe.latency_s = nodes > 1 ? topo.path_latency(0, g) : gpu.nvlink_latency_s;
    // Per-rank expert load factors, one seeded draw per EP group.
    setup.load_factor.assign(static_cast<std::size_t>(req.gpus), 1.0);
    if (sc.moe_imbalance > 0) {
      for (int first = 0; first < req.gpus; first += plan.ep) {
        const auto f = moe::rank_load_factors(rs, sc.moe_imbalance,
                                              sc.seed + static_cast<std::uint64_t>(first));
        for (int i = 0; i < plan.ep; ++i)
          setup.load_factor[static_cast<std::size_t>(first + i)] = f[static_cast<std::size_t>(i)];
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
  for (int q = 0; q < plan.pp; ++q) {
    models::MemoryBreakdown sum{};
    double extra = 0;
    for (int c = 0; c < chunks; ++c) {
      const auto& m = stage_mem[static_cast<std::size_t>(schedule->stage_of(shape, q, c))];
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
  const int expert_group = std::max(1, plan.dp * plan.cp * plan.tp / plan.ep);
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
  // Optimizer step on the local shard: read gradient, master weights and both moments, write
  // them back and write the working weights — memory-bound.
  const double shard = (plan.zero >= 1 ? dense_params / dense_group + expert_params / expert_group
                                       : dense_params + expert_params);
  const double per_param = 2.0 * (grad_b + hardware::dtype_bytes(prec.master_weights) +
                                  2.0 * hardware::dtype_bytes(prec.optimizer_moments)) +
                           hardware::dtype_bytes(prec.weights);
  setup.dp.optimizer_s = shard * per_param / gpu.hbm_bw_Bps;

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

RunResult simulate_run(const scenarios::Scenario& sc, const SimOptions& opt) {
  ReplayOptions ro;
  ro.jobs = opt.jobs;
  ro.max_points_per_phase = opt.max_points_per_phase;
  SimOptions step_opt = opt;
  step_opt.trace_ranks.clear();
  auto step = [&](const StepRequest& r) { return simulate_step(r, step_opt); };
  auto min_mb = [](const models::ParallelPlan& p) -> MicroBatchRule {
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
    return rule;
  };
  RunResult run = replay(sc, step, min_mb, ro);
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
