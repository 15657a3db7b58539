#include "scenarios/scenario_loader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>

#include "core/error.hpp"
#include "models/memory.hpp"

namespace trainsim::scenarios {
namespace {

const std::string kV3 = std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/deepseek-v3.yaml";
const std::string kLlama = std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/llama-3.1-405b.yaml";

/// A small valid scenario; tests replace one line to make it invalid.
const std::string kBase = R"(name: small
model: deepseek-v3
cluster: {gpu: h800, gpus: 2048, gpus_per_node: 8, fabric: mpft-ib-400g}
parallelism: {pp: 16, dp: 128, ep: 64, schedule: dualpipe, zero: 1, micro_batch: 1}
precision: fp8
phases:
  - {name: pre-training, tokens: 1T, seq_len: 4K, batch: 15360}
price: 2
)";

std::string error_of(const std::string& text, const std::vector<std::string>& sets = {}) {
  try {
    load_scenario_text(text, "t.yaml", {sets});
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

void expect_contains(const std::string& msg, const std::string& part) {
  EXPECT_NE(msg.find(part), std::string::npos) << "message: " << msg << "\nexpected: " << part;
}

TEST(ScenarioLoader, BundledDeepSeekV3Loads) {
  const Scenario s = load_scenario(kV3);
  EXPECT_EQ(s.name, "deepseek-v3");
  EXPECT_EQ(s.cluster.gpus, 2048);
  EXPECT_EQ(s.plan.pp, 16);
  EXPECT_EQ(s.plan.ep, 64);
  EXPECT_EQ(s.plan.comm_sms, 20);
  EXPECT_EQ(s.precision.gemm, hardware::Dtype::FP8);
  EXPECT_EQ(s.precision.optimizer_moments, hardware::Dtype::BF16);
  ASSERT_EQ(s.phases.size(), 4u);
  EXPECT_DOUBLE_EQ(s.phases[0].tokens, 14.8e12);
  EXPECT_EQ(s.phases[0].seq_len, 4096);
  EXPECT_EQ(s.phases[0].batch.start, 3072);
  EXPECT_DOUBLE_EQ(s.phases[0].batch.ramp_tokens, 469e9);
  // steps: 1000 → tokens = 1000 × 1920 × 32768.
  EXPECT_DOUBLE_EQ(s.phases[1].tokens, 1000.0 * 1920 * 32768);
  EXPECT_EQ(s.phases[1].group, "context-extension");
  EXPECT_DOUBLE_EQ(s.price_per_gpu_hour, 2.0);
  ASSERT_TRUE(s.published.gpu_hours.has_value());
  EXPECT_DOUBLE_EQ(*s.published.gpu_hours, 2.788e6);
  EXPECT_EQ(s.published.group_gpu_hours.size(), 3u);
  EXPECT_FALSE(s.assumptions.empty());
}

TEST(ScenarioLoader, BundledLlamaLoads) {
  const Scenario s = load_scenario(kLlama);
  EXPECT_EQ(s.cluster.gpus, 16384);
  EXPECT_EQ(s.plan.tp, 8);
  ASSERT_TRUE(s.phases[1].gpus.has_value());
  EXPECT_EQ(*s.phases[1].gpus, 8192);
}

TEST(ScenarioLoader, OverridesApplyWithTheSameValidation) {
  const Scenario s = load_scenario(kV3, {{"price=2.5", "cluster.gpu=h100"}});
  EXPECT_DOUBLE_EQ(s.price_per_gpu_hour, 2.5);
  EXPECT_EQ(s.cluster.gpu.name, "h100");
  expect_contains(error_of(kBase, {"parallelism.pp=8"}),
                  "dp × tp × pp × cp = 128 × 1 × 8 × 1 = 1024 does not equal cluster.gpus = 2048");
}

TEST(ScenarioLoader, UnknownTopLevelKey) {
  expect_contains(error_of(kBase + "prise: 3\n"),
                  "t.yaml:9:1: prise: unknown key 'prise' (did you mean 'price'?)");
}

TEST(ScenarioLoader, UnknownModelListsCatalog) {
  const std::string msg = error_of(replace(kBase, "model: deepseek-v3", "model: deepseek-v4"));
  expect_contains(msg, "t.yaml:2:8: model:");
  expect_contains(msg, "deepseek-v3");
  expect_contains(msg, "llama-3.1-405b");
}

TEST(ScenarioLoader, UnknownGpuListsCatalog) {
  const std::string msg = error_of(replace(kBase, "gpu: h800", "gpu: h900"));
  expect_contains(msg, "cluster.gpu");
  expect_contains(msg, "h800");
}

TEST(ScenarioLoader, DegreesMustMultiplyToGpuCount) {
  expect_contains(error_of(replace(kBase, "dp: 128", "dp: 100")),
                  "dp × tp × pp × cp = 100 × 1 × 16 × 1 = 1600 does not equal cluster.gpus = 2048");
}

TEST(ScenarioLoader, AutoDataParallelFillsTheGpusPerPhase) {
  // dp: auto = gpus / (tp · pp · cp): 2,048 / 16 = 128; a phase with cp 8 inherits auto and gets
  // 2,048 / (16 · 8) = 16; an override of the GPU count resolves again: 1,024 / 16 = 64.
  const std::string text = replace(kBase, "dp: 128,", "dp: auto,");
  const std::string with_phase =
      replace(text, "  - {name: pre-training, tokens: 1T, seq_len: 4K, batch: 15360}",
              "  - {name: pre-training, tokens: 1T, seq_len: 4K, batch: 15360}\n"
              "  - {name: long, tokens: 1B, seq_len: 32K, batch: 1920, parallelism: {cp: 8}}");
  const auto s = load_scenario_text(with_phase, "t.yaml", {});
  EXPECT_EQ(s.plan.dp, 128);
  ASSERT_TRUE(s.phases[1].plan.has_value());
  EXPECT_EQ(s.phases[1].plan->dp, 16);
  const auto half = load_scenario_text(with_phase, "t.yaml", {{"cluster.gpus=1024"}});
  EXPECT_EQ(half.plan.dp, 64);
  EXPECT_EQ(half.phases[1].plan->dp, 8);
}

TEST(ScenarioLoader, AutoDataParallelThatCannotFillTheGpusNamesTheProduct) {
  const std::string e = error_of(replace(kBase, "dp: 128,", "dp: auto,"), {"cluster.gpus=2056"});
  EXPECT_NE(e.find("t.yaml:4"), std::string::npos) << e;
  EXPECT_NE(e.find("tp × pp × cp = 1 × 16 × 1 = 16 to divide cluster.gpus = 2056"),
            std::string::npos)
      << e;
}

TEST(ScenarioLoader, PlansTheScheduleCanNeverRunAreRejectedAtLoad) {
  // What `run` would reject for any batch: DualPipe on an odd PP (rank r holds stages r and
  // PP−1−r), virtual stages with plain 1F1B.
  const std::string odd = error_of(kBase, {"parallelism.pp=1", "parallelism.dp=2048"});
  EXPECT_NE(odd.find("even number of ranks"), std::string::npos) << odd;
  const std::string virt =
      error_of(replace(kBase, "schedule: dualpipe", "schedule: 1f1b, virtual_stages: 2"), {});
  EXPECT_NE(virt.find("1f1b"), std::string::npos) << virt;
  EXPECT_NE(virt.find("t.yaml:4"), std::string::npos) << virt;
}

TEST(ScenarioLoader, CrossEntropyIsFusedUnlessTheScenarioNamesOtherKernels) {
  // Fused by default (Megatron-Core's --cross-entropy-loss-fusion, NeMo's default); each name
  // maps to its kernels and reaches the op-list context; another name lists the valid ones.
  EXPECT_EQ(load_scenario_text(kBase, "t.yaml").plan.cross_entropy,
            models::CrossEntropyKernels::Fused);
  const Scenario u = load_scenario_text(kBase, "t.yaml", {{"parallelism.cross_entropy=unfused"}});
  EXPECT_EQ(u.plan.cross_entropy, models::CrossEntropyKernels::Unfused);
  EXPECT_EQ(models::op_list_context(u.plan, u.precision, 4096, 8).cross_entropy,
            models::CrossEntropyKernels::Unfused);
  EXPECT_EQ(load_scenario_text(kBase, "t.yaml", {{"parallelism.cross_entropy=online_softmax"}})
                .plan.cross_entropy,
            models::CrossEntropyKernels::OnlineSoftmax);
  const std::string e = error_of(kBase, {"parallelism.cross_entropy=liger"});
  expect_contains(e, "liger");
  expect_contains(e, "unfused");
  expect_contains(e, "online_softmax");
}

TEST(ScenarioLoader, TpOverlapReadsPerGemmOnTopOfTransformerEnginesDefaults) {
  // An entry changing the method starts from TE's defaults for it (bulk: 16 SMs), then the given
  // fields apply; untouched GEMMs keep TE's defaults; it reaches the op-list context.
  const std::string plan =
      "parallelism: {pp: 16, dp: 128, ep: 64, schedule: dualpipe, zero: 1, "
      "micro_batch: 1}";
  const std::string text = replace(
      kBase, plan,
      "parallelism:\n  {pp: 16, dp: 128, ep: 64, schedule: dualpipe, zero: 1, micro_batch: 1,\n"
      "   tp_overlap: {qkv_wgrad: {num_sm: 24}, proj_fprop: {method: bulk},\n"
      "                qkv_fprop: {aggregate: true}}}");
  const Scenario sc = load_scenario_text(text, "t.yaml");
  const auto& ub = sc.plan.tp_overlap;
  const auto at = [&](models::UbGemm g) { return ub[static_cast<std::size_t>(g)]; };
  EXPECT_EQ(at(models::UbGemm::QkvWgrad).method, models::UbMethod::Bulk);
  EXPECT_EQ(at(models::UbGemm::QkvWgrad).num_sm, 24);
  EXPECT_EQ(at(models::UbGemm::ProjFprop).method, models::UbMethod::Bulk);
  EXPECT_EQ(at(models::UbGemm::ProjFprop).num_sm, 16);
  EXPECT_TRUE(at(models::UbGemm::QkvFprop).aggregate);
  EXPECT_EQ(at(models::UbGemm::QkvFprop).method, models::UbMethod::RingExchange);
  EXPECT_EQ(at(models::UbGemm::Fc2Fprop).method, models::UbMethod::Pipeline);
  EXPECT_EQ(models::op_list_context(sc.plan, sc.precision, 4096, 8)
                .tp_overlap[static_cast<std::size_t>(models::UbGemm::QkvWgrad)]
                .num_sm,
            24);
}

TEST(ScenarioLoader, TpOverlapErrorsNameTheKeyAndTheValidValues) {
  const std::string plan =
      "parallelism: {pp: 16, dp: 128, ep: 64, schedule: dualpipe, zero: 1, "
      "micro_batch: 1}";
  const auto with = [&](const std::string& ub) {
    return replace(kBase, plan,
                   "parallelism: {pp: 16, dp: 128, ep: 64, schedule: dualpipe, zero: 1, "
                   "micro_batch: 1, tp_overlap: " +
                       ub + "}");
  };
  const std::string bad_gemm = error_of(with("{qkv_frop: {method: bulk}}"));
  expect_contains(bad_gemm, "t.yaml:4");
  expect_contains(bad_gemm, "qkv_frop");
  expect_contains(bad_gemm, "qkv_fprop");
  const std::string bad_method = error_of(with("{qkv_fprop: {method: ring}}"));
  expect_contains(bad_method, "ring_exchange");
  expect_contains(bad_method, "pipeline");
  expect_contains(error_of(with("{qkv_fprop: bulk}")), "must be a mapping");
  const std::string too_many = error_of(with("{qkv_dgrad: {num_sm: 132}}"));
  expect_contains(too_many, "qkv_dgrad: num_sm = 132");
  expect_contains(too_many, "leaves no SMs for the GEMM (h800 has 132)");
}

TEST(ScenarioLoader, EveryRecomputePolicyReadsBackUnderItsOwnName) {
  // recompute_name() is what run, plan and the JSON print; the loader must accept each back.
  for (const auto r : {models::Recompute::None, models::Recompute::Selective,
                       models::Recompute::CoreAttention, models::Recompute::Full}) {
    const std::string set = std::string("parallelism.recompute=") + models::recompute_name(r);
    EXPECT_EQ(load_scenario_text(kBase, "t.yaml", {{set}}).plan.recompute, r) << set;
  }
  // Another name is an error listing the valid ones.
  const std::string e = error_of(kBase, {"parallelism.recompute=attention"});
  expect_contains(e, "'attention'");
  expect_contains(e, "none, selective, core_attention, full");
}

TEST(ScenarioLoader, KernelSwitchesDefaultToFusedAndReachTheOpListContext) {
  // Gradient accumulation, biases and the norm backward run fused by default, as Megatron-LM has
  // since 2022 and Transformer Engine does; a scenario of an older framework turns each off, and
  // the op-list context carries it. A choice outside the valid ones names them.
  auto context_of = [](const std::string& set) {
    const Scenario s = load_scenario_text(kBase, "t.yaml", {{set}});
    return models::op_list_context(s.plan, s.precision, 4096, 8);
  };
  const Scenario d = load_scenario_text(kBase, "t.yaml");
  EXPECT_TRUE(d.plan.grad_accumulation_fusion);
  EXPECT_TRUE(d.plan.bias_fusion);
  EXPECT_FALSE(d.plan.norm_backward_split);
  EXPECT_FALSE(context_of("parallelism.grad_accumulation_fusion=false").grad_accumulation_fusion);
  EXPECT_FALSE(context_of("parallelism.bias_fusion=false").bias_fusion);
  EXPECT_TRUE(context_of("parallelism.norm_backward=split").norm_backward_split);
  EXPECT_EQ(context_of("parallelism.recompute=core_attention").recompute,
            models::Recompute::CoreAttention);
  const std::string e = error_of(kBase, {"parallelism.norm_backward=twice"});
  expect_contains(e, "twice");
  expect_contains(e, "fused, split");
}

TEST(ScenarioLoader, PipelineP2pSwitchesAreReadAndScatterGatherNeedsNoSequenceParallel) {
  const Scenario s = load_scenario_text(
      kBase, "t.yaml", {{"parallelism.p2p_blocking=true", "parallelism.p2p_scatter_gather=true"}});
  EXPECT_TRUE(s.plan.p2p_blocking);
  EXPECT_TRUE(s.plan.p2p_scatter_gather);
  const Scenario d = load_scenario_text(kBase, "t.yaml");
  EXPECT_FALSE(d.plan.p2p_blocking);  // asynchronous sends unless a scenario says otherwise
  EXPECT_FALSE(d.plan.p2p_scatter_gather);
  // With sequence parallelism the P2P tensor is already split over TP: nothing to scatter.
  const std::string both = error_of(
      kBase, {"parallelism.p2p_scatter_gather=true", "parallelism.sequence_parallel=true"});
  expect_contains(both, "p2p_scatter_gather and sequence_parallel");
  expect_contains(both, "t.yaml:4");
}

TEST(ScenarioLoader, EpMustDivideExperts) {
  const std::string text = replace(replace(kBase, "dp: 128", "dp: 96"), "gpus: 2048", "gpus: 1536");
  expect_contains(error_of(replace(text, "ep: 64", "ep: 96")),
                  "ep = 96 does not divide the model's 256 routed experts");
}

TEST(ScenarioLoader, EpMustDivideStageRanks) {
  expect_contains(error_of(replace(kBase, "ep: 64", "ep: 256")),
                  "ep = 256 does not divide the 128 GPUs of a pipeline stage");
}

TEST(ScenarioLoader, TpMustDivideHeadsAndFitANode) {
  const std::string text = R"(name: t
model: llama-3.1-405b
cluster: {gpu: h100, gpus: 16384, fabric: rail-roce-400g}
parallelism: {tp: 16, pp: 16, dp: 64}
phases: [{tokens: 1T, seq_len: 8K, batch: 2048}]
price: 2
)";
  expect_contains(error_of(text), "tp = 16 is larger than a node (8 GPUs)");
}

TEST(ScenarioLoader, CapacityFactorIsReadAndChecked) {
  const auto s =
      load_scenario_text(kBase + "moe: {imbalance: 0.3, capacity_factor: 1.25}\n", "t.yaml", {});
  EXPECT_DOUBLE_EQ(s.moe_capacity_factor, 1.25);
  EXPECT_DOUBLE_EQ(load_scenario_text(kBase, "t.yaml", {}).moe_capacity_factor, 0.0);
  expect_contains(error_of(kBase + "moe: {capacity_factor: -1}\n"), "t.yaml:9:");
  expect_contains(error_of(kBase + "moe: {capacity_factor: -1}\n"), "moe.capacity_factor");
  const std::string dense = R"(name: t
model: llama-3.1-405b
cluster: {gpu: h100, gpus: 1024, fabric: rail-roce-400g}
parallelism: {tp: 8, pp: 16, dp: 8}
phases: [{tokens: 1T, seq_len: 8K, batch: 2048}]
price: 2
moe: {capacity_factor: 1.25}
)";
  expect_contains(error_of(dense),
                  "capacity_factor applies to MoE models; llama-3.1-405b is dense");
}

TEST(ScenarioLoader, PhasePrecisionMapStartsFromTheScenarios) {
  // kBase trains in fp8; the phase changes only its cached activations.
  const auto s = load_scenario_text(
      replace(kBase, "batch: 15360}", "batch: 15360, precision: {activations: bf16}}"), "t.yaml",
      {});
  ASSERT_TRUE(s.phases[0].precision.has_value());
  EXPECT_EQ(s.phases[0].precision->activations, hardware::Dtype::BF16);
  EXPECT_EQ(s.phases[0].precision->gemm, hardware::Dtype::FP8);
  EXPECT_EQ(s.phases[0].precision->name, "fp8+custom");
  expect_contains(
      error_of(replace(kBase, "batch: 15360}", "batch: 15360, precision: {activations: fp4}}")),
      "t.yaml:7:");
}

TEST(ScenarioLoader, ExpertTpIsChecked) {
  // kBase: V3 on 2048 GPUs, PP16 → 128 GPUs per stage, EP64.
  const auto ok = load_scenario_text(
      replace(replace(kBase, "dp: 128, ep: 64", "dp: 16, tp: 8, ep: 16, expert_tp: 8"),
              "batch: 15360", "batch: 1536"),
      "t.yaml", {});
  EXPECT_EQ(ok.plan.expert_tp, 8);
  // expert_tp other than 1 or tp: its own group of expert_tp consecutive ranks in a node (TP1
  // with EP32 × expert_tp 4 over a 128-GPU stage; TP4 with expert_tp 2).
  EXPECT_EQ(load_scenario_text(replace(kBase, "ep: 64", "ep: 32, expert_tp: 4"), "t.yaml", {})
                .plan.expert_tp,
            4);
  EXPECT_EQ(load_scenario_text(
                replace(replace(kBase, "dp: 128, ep: 64", "dp: 32, tp: 4, ep: 32, expert_tp: 2"),
                        "batch: 15360", "batch: 1536"),
                "t.yaml", {})
                .plan.expert_tp,
            2);
  expect_contains(error_of(replace(kBase, "ep: 64", "ep: 32, expert_tp: 3")), "t.yaml:4:");
  expect_contains(error_of(replace(kBase, "ep: 64", "ep: 32, expert_tp: 3")),
                  "expert_tp = 3 does not divide a node of 8 GPUs: the expert-TP group is "
                  "expert_tp consecutive ranks inside a node");
  expect_contains(error_of(replace(kBase, "ep: 64", "ep: 8, expert_tp: 16")),
                  "expert_tp = 16 does not divide a node of 8 GPUs");
  expect_contains(
      error_of(replace(kBase, "dp: 128, ep: 64", "dp: 16, tp: 8, ep: 64, expert_tp: 8")),
      "ep × expert_tp = 64 × 8 does not divide the 128 GPUs of a pipeline stage");
  const std::string odd =
      replace(replace(kBase, "model: deepseek-v3",
                      "model: {base: deepseek-v3, moe: {expert_ffn_dim: 2052}}"),
              "dp: 128, ep: 64", "dp: 16, tp: 8, ep: 16, expert_tp: 8");
  expect_contains(error_of(odd), "expert_tp = 8 does not divide the model's expert_ffn_dim 2052");
  const std::string dense = R"(name: t
model: llama-3.1-405b
cluster: {gpu: h100, gpus: 1024, fabric: rail-roce-400g}
parallelism: {tp: 8, pp: 16, dp: 8, expert_tp: 8}
phases: [{tokens: 1T, seq_len: 8K, batch: 2048}]
price: 2
)";
  expect_contains(error_of(dense), "expert_tp = 8 but llama-3.1-405b is a dense model");
}

TEST(ScenarioLoader, GradAccumPassesSplitTheBatchIntoWholePasses) {
  // grad_accum_passes k: each of the k pipeline passes runs batch / (dp · micro_batch · k)
  // micro-batches, so the batch must be a multiple of dp × micro_batch × k (128 × 1 × 4 = 512
  // divides 15,360; 128 × 1 × 7 = 896 does not). Default 1; 0 is out of range.
  const auto ok = load_scenario_text(replace(kBase, "micro_batch: 1",
                                             "micro_batch: 1, "
                                             "grad_accum_passes: 4"),
                                     "t.yaml", {});
  EXPECT_EQ(ok.plan.grad_accum_passes, 4);
  EXPECT_EQ(load_scenario_text(kBase, "t.yaml", {}).plan.grad_accum_passes, 1);
  const std::string seven =
      error_of(replace(kBase, "micro_batch: 1", "micro_batch: 1, grad_accum_passes: 7"));
  expect_contains(seven, "t.yaml:7:");
  expect_contains(seven,
                  "phases[0].batch: global batch 15360 sequences is not a multiple of dp × "
                  "micro_batch × grad_accum_passes = 128 × 1 × 7 = 896");
  expect_contains(error_of(kBase, {"parallelism.grad_accum_passes=0"}), "out of range");
  // A phase's own plan inherits the key and may change it.
  const auto phase = load_scenario_text(
      replace(kBase, "batch: 15360}", "batch: 15360, parallelism: {grad_accum_passes: 2}}"),
      "t.yaml", {});
  ASSERT_TRUE(phase.phases[0].plan.has_value());
  EXPECT_EQ(phase.phases[0].plan->grad_accum_passes, 2);
}

TEST(ScenarioLoader, UlyssesNeedsHeadsDivisibleByCp) {
  // Llama 3.1 405B: 128 heads, TP8 → 16 per rank; cp 32 does not divide them.
  const std::string text = R"(name: t
model: llama-3.1-405b
cluster: {gpu: h100, gpus: 4096, fabric: rail-roce-400g}
parallelism: {tp: 8, pp: 16, dp: 1, cp: 32, cp_kind: ulysses}
phases: [{tokens: 1T, seq_len: 128K, batch: 16}]
price: 2
)";
  expect_contains(error_of(text), "t.yaml:4:");
  expect_contains(error_of(text),
                  "cp_kind ulysses: cp = 32 does not divide the 16 attention heads per TP rank");
  expect_contains(error_of(replace(text, "ulysses", "ulysse")), "valid values: ring, ulysses");
  const auto ok = load_scenario_text(
      replace(replace(text, "cp: 32", "cp: 16"), "gpus: 4096", "gpus: 2048"), "t.yaml", {});
  EXPECT_EQ(ok.plan.cp_kind, models::CpKind::Ulysses);
}

TEST(ScenarioLoader, DenseModelRejectsEp) {
  const std::string text = R"(name: t
model: llama-3.1-405b
cluster: {gpu: h100, gpus: 1024, fabric: rail-roce-400g}
parallelism: {tp: 8, pp: 16, dp: 8, ep: 8}
phases: [{tokens: 1T, seq_len: 8K, batch: 2048}]
price: 2
)";
  expect_contains(error_of(text), "ep = 8 but llama-3.1-405b is a dense model");
}

TEST(ScenarioLoader, BatchMustDivideOverDataParallelRanks) {
  expect_contains(
      error_of(replace(kBase, "batch: 15360", "batch: 1000")),
      "global batch 1000 sequences is not a multiple of dp × micro_batch = 128 × 1 = 128");
}

TEST(ScenarioLoader, BadUnitIsLocated) {
  expect_contains(
      error_of(replace(kBase, "seq_len: 4K", "seq_len: 4KB")),
      "t.yaml:7:47: phases[0].seq_len: '4KB' is not a valid sequence length: unknown unit 'KB'");
}

TEST(ScenarioLoader, NegativeAndNanAreRejected) {
  expect_contains(error_of(replace(kBase, "tokens: 1T", "tokens: -1T")), "must not be negative");
  expect_contains(error_of(replace(kBase, "price: 2", "price: nan")), "price");
}

TEST(ScenarioLoader, TokensAndStepsAreExclusive) {
  expect_contains(error_of(replace(kBase, "tokens: 1T", "tokens: 1T, steps: 10")),
                  "give exactly one of 'tokens' (e.g. 14.8T) or 'steps' (e.g. 1000)");
}

TEST(ScenarioLoader, RampLongerThanPhase) {
  expect_contains(
      error_of(replace(kBase, "batch: 15360", "batch: {start: 3072, end: 15360, ramp_tokens: 2T}")),
      "the ramp (2 T tokens) is longer than the phase (1 T tokens)");
}

TEST(ScenarioLoader, UnknownPrecisionPreset) {
  expect_contains(error_of(replace(kBase, "precision: fp8", "precision: fp4")),
                  "unknown value 'fp4'");
}

TEST(ScenarioLoader, GpuWithoutFp8CannotTrainInFp8) {
  const std::string text = replace(replace(kBase, "gpu: h800", "gpu: a100"), "fabric: mpft-ib-400g",
                                   "fabric: fat-tree-ib-400g");
  expect_contains(error_of(text), "a100 has no fp8 tensor-core rate");
}

TEST(ScenarioLoader, MissingPrice) {
  expect_contains(error_of(replace(kBase, "price: 2\n", "")), "missing required key 'price'");
}

TEST(ScenarioLoader, CommSmsLeaveNoneForCompute) {
  expect_contains(error_of(replace(kBase, "micro_batch: 1}", "micro_batch: 1, comm_sms: 132}")),
                  "comm_sms = 132 leaves no SMs for compute");
}

TEST(ScenarioLoader, ContextParallelNeedsDivisibleSequence) {
  const std::string text =
      replace(replace(kBase, "dp: 128", "dp: 64, cp: 2"), "seq_len: 4K", "seq_len: 4095");
  expect_contains(error_of(text), "seq_len 4095 is not divisible by 2 × cp = 4");
}

TEST(ScenarioLoader, PublishedGroupMustNameAPhaseGroup) {
  expect_contains(error_of(kBase + "published: {phases: {pretraining: 1M}}\n"),
                  "no phase has group 'pretraining'; phase groups are: pre-training");
}

TEST(ScenarioLoader, PhaseGpusNeedTheirOwnPlan) {
  expect_contains(error_of(replace(kBase, "batch: 15360}", "batch: 15360, gpus: 1024}")),
                  "a phase with its own 'gpus' needs its own 'parallelism'");
}

TEST(ScenarioLoader, UnknownScheduleListsValidOnes) {
  expect_contains(error_of(replace(kBase, "schedule: dualpipe", "schedule: dualpip")),
                  "t.yaml:4:50: parallelism.schedule: unknown value 'dualpip' (did you mean "
                  "'dualpipe'?); valid values: gpipe, 1f1b");
}

TEST(ScenarioLoader, AbsurdTokenCountIsOutOfRange) {
  expect_contains(error_of(replace(kBase, "tokens: 1T", "tokens: 1e30")), "is out of range");
}

TEST(ScenarioLoader, HugeDocumentIsRejectedWithoutCrashing) {
  // 50 MB of YAML: over the 16 MB document limit, refused before parsing.
  std::string big = kBase + "assumptions:\n";
  const std::string line = "  - \"" + std::string(100, 'x') + "\"\n";
  while (big.size() < 50u << 20) big += line;
  expect_contains(error_of(big), "the limit is 16777216 bytes");
}

TEST(ScenarioLoader, GoodputKeys) {
  const Scenario s = load_scenario_text(
      kBase + "goodput: {enabled: true, checkpoint_interval: 30min, restart: 5min}\n", "t.yaml");
  EXPECT_TRUE(s.goodput.enabled);
  EXPECT_DOUBLE_EQ(s.goodput.checkpoint_interval_s, 1800.0);
  EXPECT_DOUBLE_EQ(s.goodput.restart_s, 300.0);
  expect_contains(error_of(kBase + "goodput: {checkpoint_interval: 0s}\n"),
                  "goodput.checkpoint_interval: '0s' is out of range");
}

TEST(ScenarioLoader, SectionThatIsAListIsAClearError) {
  // Found by the scenario fuzzer: a list where a mapping belongs used to escape as a YAML
  // library exception.
  expect_contains(
      error_of(replace(
          kBase,
          "parallelism: {pp: 16, dp: 128, ep: 64, schedule: dualpipe, zero: 1, micro_batch: 1}",
          "parallelism: [16, 128]")),
      "parallelism: expected a mapping of keys");
}

TEST(ScenarioLoader, FuzzRegressionsLoadOrFailCleanly) {
  // Every input a fuzzer once crashed on (tests/data/fuzz-regressions/) must now load or throw
  // trainsim::Error — nothing else.
  namespace fs = std::filesystem;
  int inputs = 0;
  for (const auto& e :
       fs::directory_iterator(std::string(TRAINSIM_TEST_DATA_DIR) + "/fuzz-regressions")) {
    ++inputs;
    try {
      load_scenario(e.path().string());
    } catch (const Error&) {
    } catch (const std::exception& other) {
      ADD_FAILURE() << e.path() << ": " << other.what();
    }
  }
  EXPECT_GT(inputs, 0);
}

TEST(ScenarioLoader, NotAMapping) {
  expect_contains(error_of("- just\n- a list\n"), "a scenario must be a YAML mapping");
}

TEST(ScenarioLoader, MissingFileIsIoError) {
  EXPECT_THROW(load_scenario("/nonexistent/scenario.yaml"), IoError);
}

TEST(ScenarioLoader, InlineGpuDefinitionIsFirstClass) {
  const std::string text =
      replace(kBase, "gpu: h800",
              "gpu: {base: h100, nvlink_bw_per_direction: 200GB/s, "
              "nvlink_achievable_per_direction: 160GB/s, description: my H100 with H800 NVLink}");
  const Scenario s = load_scenario_text(text, "t.yaml");
  EXPECT_DOUBLE_EQ(s.cluster.gpu.nvlink_bw_Bps, 200e9);
  EXPECT_DOUBLE_EQ(s.cluster.gpu.peak(hardware::Dtype::BF16), 989e12);
}

}  // namespace
}  // namespace trainsim::scenarios
