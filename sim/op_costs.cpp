#include "sim/op_costs.hpp"

#include <fmt/format.h>

#include "calibration/calibration_select.hpp"
#include "core/error.hpp"
#include "hardware/slowest_gpu.hpp"
#include "models/memory.hpp"
#include "models/op_list.hpp"

namespace trainsim::sim {

LayerOpCosts layer_op_costs(const scenarios::Scenario& sc, std::size_t phase_index,
                            std::int64_t layer, const std::string& calibration) {
  if (phase_index >= sc.phases.size()) {
    throw ModelError(fmt::format("phase {} does not exist; the scenario has {} phases", phase_index,
                                 sc.phases.size()));
  }
  const models::ModelSpec& model = sc.model;
  const std::int64_t layers = model.layers + model.mtp_depth;
  if (layer != models::kEmbeddingLayer && layer != models::kHeadLayer &&
      (layer < 0 || layer >= layers)) {
    throw ModelError(fmt::format(
        "layer {} does not exist: {} has layers 0..{}{}, plus 'embedding' and 'head'", layer,
        model.name, layers - 1,
        model.mtp_depth > 0 ? fmt::format(" ({} and up: MTP modules)", model.layers) : ""));
  }
  // The phase's plan and precision, as simulate_step takes them.
  const scenarios::Phase& ph = sc.phases[phase_index];
  const models::ParallelPlan& plan = ph.plan ? *ph.plan : sc.plan;
  const models::PrecisionPolicy& prec = ph.precision ? *ph.precision : sc.precision;
  const hardware::GpuSpec& gpu = sc.cluster.gpu;
  const auto selected =
      calibration::select_calibration(calibration.empty() ? sc.calibration : calibration, gpu);
  const models::OpListContext ctx =
      models::op_list_context(plan, prec, ph.seq_len, sc.cluster.node.gpus_per_node);
  if (const std::string why = models::op_list_problem(model, ctx); !why.empty())
    throw ModelError(why);
  calibration::ComputeContext cctx;
  cctx.gpu = &gpu;
  cctx.sms_available = plan.comm_sms > 0 ? gpu.sm_count - plan.comm_sms : 0;
  cctx.compute_scale =
      hardware::slowest_gpu_factor(gpu.perf_variation, ph.gpus ? *ph.gpus : sc.cluster.gpus);

  const models::LayerOps ops = layer == models::kEmbeddingLayer ? models::embedding_ops(model, ctx)
                               : layer == models::kHeadLayer
                                   ? models::head_ops(model, ctx)
                                   : models::build_layer_ops(model, layer, ctx);
  LayerOpCosts out;
  out.layer = layer;
  out.profile = selected.model->name();
  out.tokens = models::tokens_per_rank(ctx);
  for (const auto* pass : {&ops.forward, &ops.backward_input, &ops.backward_weight}) {
    for (const models::Op& op : *pass) {
      OpCost c;
      c.op = op;
      if (models::is_communication(op.kind)) {
        c.timed_by = "network (a flow in the step simulation)";
      } else {
        const calibration::OpTiming t = calibration::time_op(*selected.model, op, cctx);
        c.seconds = t.seconds;
        c.timed_by = !t.fallback.empty()                               ? t.fallback
                     : t.source == calibration::TimingSource::Roofline ? "roofline"
                                                                       : "profile";
        const double peak = gpu.peak(op.dtype);
        if (op.flops > 0 && t.seconds > 0 && peak > 0)
          c.peak_fraction = op.flops / t.seconds / peak;
      }
      out.ops.push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace trainsim::sim
