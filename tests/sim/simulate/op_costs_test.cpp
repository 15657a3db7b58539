// sim::layer_op_costs (trainsim step --ops): the step simulator's op prices, one op at a time.
#include "sim/op_costs.hpp"

#include <gtest/gtest.h>

#include "calibration/calibration_select.hpp"
#include "core/error.hpp"
#include "models/memory.hpp"
#include "models/op_list.hpp"
#include "scenarios/scenario_loader.hpp"
#include "sim/step/stage_compute.hpp"

namespace trainsim::sim {
namespace {

const std::string kDenseTp = std::string(TRAINSIM_TEST_DATA_DIR) + "/scenarios/small-dense-tp.yaml";

TEST(LayerCompute, EveryLayerIsItsOwnOpsPriced) {
  // layer_compute prices a dense and an MoE layer once each and reuses them: each entry must
  // equal Σ cost.time over that layer's own non-communication ops, built for its own index.
  // DeepSeek-V3 (3 dense + 58 MoE layers, the trace-measured profile, whose points match ops by
  // name) and the dense Llama test scenario.
  for (const std::string& file : {std::string("deepseek-v3"), kDenseTp}) {
    const auto s = scenarios::load_scenario(file);
    const auto& ph = s.phases.front();
    const auto& plan = ph.plan ? *ph.plan : s.plan;
    const auto ctx = models::op_list_context(plan, ph.precision ? *ph.precision : s.precision,
                                             ph.seq_len, s.cluster.node.gpus_per_node);
    const auto cost = calibration::select_calibration(s.calibration, s.cluster.gpu).model;
    calibration::ComputeContext cctx{
        &s.cluster.gpu, plan.comm_sms > 0 ? s.cluster.gpu.sm_count - plan.comm_sms : 0};
    const LayerCompute lc = layer_compute(s.model, ctx, *cost, cctx);
    ASSERT_EQ(lc.layer_s.size(), static_cast<std::size_t>(s.model.layers)) << file;
    for (std::int64_t l = 0; l < s.model.layers; ++l) {
      const auto ops = models::build_layer_ops(s.model, l, ctx);
      double t = 0;
      for (const auto* list : {&ops.forward, &ops.backward_input, &ops.backward_weight})
        for (const auto& op : *list)
          if (!models::is_communication(op.kind)) t += cost->time(op, cctx).seconds;
      EXPECT_DOUBLE_EQ(lc.layer_s[static_cast<std::size_t>(l)], t) << file << " layer " << l;
    }
  }
}

TEST(OpCosts, AGemmIsItsFlopsOverItsTimeAgainstItsDtypesPeak) {
  // Llama 3.1 70B at TP8 with SP, 8K tokens per micro-batch: the QKV projection is
  // m = 8192 tokens, n = (64 + 2·8)·128 / 8 = 1280, k = 8192, i.e. 2·m·n·k FLOPs; its fraction
  // of peak is flops / seconds / 989 TFLOP/s (H100 dense BF16).
  const auto s = scenarios::load_scenario(kDenseTp);
  const LayerOpCosts c = layer_op_costs(s, 0, 3);
  EXPECT_EQ(c.layer, 3);
  EXPECT_EQ(c.tokens, 8192);
  EXPECT_FALSE(c.profile.empty());
  bool saw_qkv = false, saw_collective = false;
  for (const OpCost& oc : c.ops) {
    if (models::is_communication(oc.op.kind)) {
      saw_collective = true;
      EXPECT_EQ(oc.seconds, 0.0) << oc.op.name;  // a flow of the step simulation, not priced here
      continue;
    }
    EXPECT_GT(oc.seconds, 0.0) << oc.op.name;
    EXPECT_FALSE(oc.timed_by.empty()) << oc.op.name;
    if (oc.op.name == "L3.attn.qkv_proj" && oc.op.pass == models::Pass::Forward) {
      saw_qkv = true;
      EXPECT_EQ(oc.op.gemm.m, 8192);
      EXPECT_EQ(oc.op.gemm.n, 1280);
      EXPECT_EQ(oc.op.gemm.k, 8192);
      EXPECT_DOUBLE_EQ(oc.op.flops, 2.0 * 8192 * 1280 * 8192);
      EXPECT_NEAR(oc.peak_fraction, oc.op.flops / oc.seconds / 989e12, 1e-9);
      EXPECT_GT(oc.peak_fraction, 0.0);
      EXPECT_LT(oc.peak_fraction, 1.0);
    }
  }
  EXPECT_TRUE(saw_qkv);
  EXPECT_TRUE(saw_collective);
}

TEST(OpCosts, TheHeadAndEmbeddingArePricedAndOtherLayersAreNamed) {
  const auto s = scenarios::load_scenario(kDenseTp);
  EXPECT_FALSE(layer_op_costs(s, 0, models::kHeadLayer).ops.empty());
  EXPECT_FALSE(layer_op_costs(s, 0, models::kEmbeddingLayer).ops.empty());
  try {
    layer_op_costs(s, 0, 80);
    FAIL() << "layer 80 of an 80-layer model was priced";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("layer 80 does not exist"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("layers 0..79"), std::string::npos) << e.what();
  }
  EXPECT_THROW(layer_op_costs(s, 5, 0), ModelError);  // no phase 5
}

}  // namespace
}  // namespace trainsim::sim
