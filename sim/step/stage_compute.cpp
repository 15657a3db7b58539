#include "sim/step/stage_compute.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace trainsim::sim {

namespace {
double compute_s(const models::LayerOps& l, const calibration::CostModel& cost,
                 const calibration::ComputeContext& compute) {
  double t = 0;
  for (const auto* list : {&l.forward, &l.backward_input, &l.backward_weight}) {
    for (const auto& op : *list) {
      if (!models::is_communication(op.kind)) t += calibration::time_op(cost, op, compute).seconds;
    }
  }
  return t;
}
}  // namespace

LayerCompute layer_compute(const models::ModelSpec& model, const models::OpListContext& ctx,
                           const calibration::CostModel& cost,
                           const calibration::ComputeContext& compute) {
  LayerCompute lc;
  lc.layer_s.reserve(static_cast<std::size_t>(model.layers));
  // A transformer layer's ops depend on its index only through its names and whether its FFN
  // is dense or MoE (models::build_layer_ops); op costs do not read the layer prefix of a name.
  // So each of the two kinds is built and priced once (a V3 step had built 61 layers).
  double kind_s[2] = {-1, -1};
  for (std::int64_t l = 0; l < model.layers; ++l) {
    double& t = kind_s[model.is_moe_layer(l) ? 1 : 0];
    if (t < 0) t = compute_s(models::build_layer_ops(model, l, ctx), cost, compute);
    lc.layer_s.push_back(t);
  }
  lc.embedding_s = compute_s(models::embedding_ops(model, ctx), cost, compute);
  lc.last_extra_s = compute_s(models::head_ops(model, ctx), cost, compute);
  for (std::int64_t l = model.layers; l < model.layers + model.mtp_depth; ++l)
    lc.last_extra_s += compute_s(models::build_layer_ops(model, l, ctx), cost, compute);
  return lc;
}

std::vector<models::LayerRange> stage_ranges(const models::ModelSpec& model,
                                             const models::ParallelPlan& plan, int stages,
                                             const LayerCompute& lc, std::string& problem) {
  if (plan.layers_per_stage.empty())
    return models::split_layers_by_cost(model, stages, lc.layer_s, lc.embedding_s, lc.last_extra_s);
  // An explicit split (validated by the loader; a phase may still disagree with its schedule).
  if (static_cast<int>(plan.layers_per_stage.size()) != stages) {
    problem = fmt::format("layers_per_stage has {} entries for {} model stages",
                          plan.layers_per_stage.size(), stages);
    return {};
  }
  std::vector<models::LayerRange> ranges;
  std::int64_t first = 0;
  for (int n : plan.layers_per_stage) {
    ranges.push_back({first, first + n});
    first += n;
  }
  ranges.back().last = model.layers + model.mtp_depth;
  return ranges;
}

std::vector<double> stage_compute_s(const models::ModelSpec& model, const LayerCompute& lc,
                                    const std::vector<models::LayerRange>& ranges) {
  std::vector<double> out;
  for (std::size_t s = 0; s < ranges.size(); ++s) {
    double t = s == 0 ? lc.embedding_s : 0.0;
    for (std::int64_t l = ranges[s].first; l < std::min(ranges[s].last, model.layers); ++l)
      t += lc.layer_s[static_cast<std::size_t>(l)];
    if (s + 1 == ranges.size()) t += lc.last_extra_s;
    out.push_back(t);
  }
  return out;
}

}  // namespace trainsim::sim
