#include "models/memory.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <numeric>

#include "models/accounting.hpp"
#include "models/catalog.hpp"
#include "models/layer_split.hpp"

namespace trainsim::models {
namespace {

using hardware::Dtype;

const ModelCatalog& catalog() {
  static const ModelCatalog c =
      ModelCatalog::load(std::string(TRAINSIM_SOURCE_DIR) + "/models/catalog");
  return c;
}
const ModelSpec& model(const std::string& name) {
  return catalog().get(name);
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}
#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

constexpr double kH800Hbm = 80e9;  // hardware/catalog/gpus.yaml: 80 GB (decimal)

/// V3 §3.3.3: FP8 GEMMs, dispatch and cached activations; BF16 Adam moments; FP32 master
/// weights and gradients.
PrecisionPolicy v3_precision() {
  PrecisionPolicy p;
  p.gemm = p.dispatch = p.activations = Dtype::FP8;
  p.optimizer_moments = Dtype::BF16;
  return p;
}

/// V3 §3.2: PP16, EP64, ZeRO-1 DP (2048 / 16 = DP128), no TP; selective recompute (§3.2.3).
ParallelPlan v3_plan() {
  ParallelPlan p;
  p.dp = 128;
  p.pp = 16;
  p.ep = 64;
  p.zero = 1;
  p.schedule = "dualpipe";
  p.recompute = Recompute::Selective;
  return p;
}

/// Stage s of a DualPipe V3 split: PP+1 = 17 micro-batches in flight, 2 parameter copies.
StageMemoryInput v3_stage(const std::vector<LayerRange>& split, std::size_t s) {
  StageMemoryInput in;
  in.layers = split[s];
  in.embedding = s == 0;
  in.head = s + 1 == split.size();
  in.in_flight_micro_batches = 17;
  in.parameter_copies = 2;
  return in;
}

TEST(Memory, DeepSeekV3PlanFitsIn80GB) {
  // DualPipe: PP+1 = 17 micro-batches in flight and 2 parameter copies per rank (V3 Table 2),
  // 1 × 4,096-token micro-batches, the balanced split. Every stage must fit in an H800's 80 GB.
  const auto& m = model("deepseek-v3");
  const auto split = split_layers(m, 16);
  double worst = 0;
  for (std::size_t s = 0; s < split.size(); ++s) {
    const auto mem = stage_memory(m, v3_plan(), v3_precision(), v3_stage(split, s));
    worst = std::max(worst, mem.total());
    EXPECT_LT(mem.total(), kH800Hbm) << "stage " << s;
  }
  EXPECT_GT(worst, 0.5 * kH800Hbm);  // and it is not trivially small
}

TEST(Memory, StageStatesAreStageMemoryWithoutActivations) {
  // stage_states computes the same parameter terms as stage_memory (same code) and leaves the
  // activation fields at 0: for every V3 stage, ZeRO 1 and 3, equal states().
  const auto& m = model("deepseek-v3");
  const auto split = split_layers(m, 16);
  for (int zero : {1, 3}) {
    ParallelPlan plan = v3_plan();
    plan.zero = zero;
    for (std::size_t s = 0; s < split.size(); ++s) {
      const StageMemoryInput in = v3_stage(split, s);
      const auto full = stage_memory(m, plan, v3_precision(), in);
      const auto states = stage_states(m, plan, v3_precision(), in);
      EXPECT_DOUBLE_EQ(states.states(), full.states()) << "stage " << s;
      EXPECT_DOUBLE_EQ(states.dense_parameters, full.dense_parameters);
      EXPECT_DOUBLE_EQ(states.expert_parameters, full.expert_parameters);
      EXPECT_EQ(states.activations, 0.0);
      EXPECT_GT(full.activations, 0.0);
    }
  }
}

TEST(Memory, Llama405BWithoutParallelismDoesNotFit) {
  // 405.85B parameters × (2 B weights + 4 B grads + 4 B master + 8 B moments) = 7.3 TB.
  const auto& m = model("llama-3.1-405b");
  StageMemoryInput in;
  in.layers = {0, m.layers};
  in.embedding = in.head = true;
  in.seq_len = 8192;
  ParallelPlan plan;
  plan.zero = 0;
  const auto mem = stage_memory(m, plan, PrecisionPolicy{}, in);
  EXPECT_DOUBLE_EQ(mem.weights, 405'853'388'800.0 * 2);
  EXPECT_DOUBLE_EQ(mem.states(), 405'853'388'800.0 * 18);
  EXPECT_GT(mem.total(), kH800Hbm);
}

TEST(Memory, ZeroStagesShardOverTheDpGroup) {
  // Dense model, dp = 8, no TP: ZeRO-1 divides master + moments by 8, ZeRO-2 also the
  // gradients, ZeRO-3 also the weights.
  const auto& m = model("llama-3.1-8b");
  StageMemoryInput in;
  in.layers = {0, m.layers};
  in.embedding = in.head = true;
  ParallelPlan plan;
  plan.dp = 8;
  const double P = static_cast<double>(count_parameters(m).total);
  const auto at = [&](int zero) {
    plan.zero = zero;
    return stage_memory(m, plan, PrecisionPolicy{}, in);
  };
  EXPECT_DOUBLE_EQ(at(0).master_weights, 4 * P);
  EXPECT_DOUBLE_EQ(at(1).master_weights, 4 * P / 8);
  EXPECT_DOUBLE_EQ(at(1).optimizer_moments, 8 * P / 8);
  EXPECT_DOUBLE_EQ(at(1).gradients, 4 * P);
  EXPECT_DOUBLE_EQ(at(2).gradients, 4 * P / 8);
  EXPECT_DOUBLE_EQ(at(2).weights, 2 * P);
  EXPECT_DOUBLE_EQ(at(3).weights, 2 * P / 8);
  EXPECT_EQ(at(3).dense_dp_group, 8);
}

TEST(Memory, ExpertsShardOverEpAndReplicateOverDpTpCpOverEp) {
  // V3 PP16 stage of 4 MoE layers: routed experts 4 · 256 · 44.04M / 64 per rank; their DP
  // group is dp·tp·cp/ep = 128/64 = 2, so ZeRO-1 divides their optimizer state by 2 (× the 2
  // DualPipe copies), the dense part by 128 (× 2).
  const auto& m = model("deepseek-v3");
  StageMemoryInput in;
  in.layers = {4, 8};
  in.parameter_copies = 2;
  const auto mem = stage_memory(m, v3_plan(), v3_precision(), in);
  EXPECT_EQ(mem.expert_dp_group, 2);
  EXPECT_EQ(mem.dense_dp_group, 128);
  const double experts = 4.0 * 256 * 44'040'192 / 64;
  EXPECT_DOUBLE_EQ(mem.expert_parameters, experts);
  const double dense = 4.0 * (11'507'286'016.0 - 256 * 44'040'192.0);
  EXPECT_DOUBLE_EQ(mem.dense_parameters, dense);
  // master FP32 (4 B): 2 copies · 4 B · (dense / (2·128) + experts / (2·2)).
  EXPECT_DOUBLE_EQ(mem.master_weights, 2 * 4 * (dense / 256 + experts / 4));
  // moments: two BF16 moments.
  EXPECT_DOUBLE_EQ(mem.optimizer_moments, 2 * 4 * (dense / 256 + experts / 4));
  // weights (BF16) and gradients (FP32) are not sharded by ZeRO-1, and doubled by the copies.
  EXPECT_DOUBLE_EQ(mem.weights, 2 * 2 * (dense + experts));
  EXPECT_DOUBLE_EQ(mem.gradients, 2 * 4 * (dense + experts));
}

TEST(Memory, ExpertTensorParallelSplitsEachExpert) {
  // Mixtral 8x7B, one stage of all 32 layers, DP1 TP8 EP1: with expert_tp 1 every rank holds
  // all 8 experts (3·4096·14336 parameters each) per layer, replicated over dp·tp·cp/ep = 8 ranks;
  // with expert_tp 8 each rank holds 1/8 of each, and the expert DP group is 8/(1·8) = 1.
  const auto& m = model("mixtral-8x7b");
  StageMemoryInput in;
  in.layers = {0, m.layers};
  ParallelPlan plan;
  plan.tp = 8;
  const auto etp1 = stage_memory(m, plan, PrecisionPolicy{}, in);
  plan.expert_tp = 8;
  const auto etp8 = stage_memory(m, plan, PrecisionPolicy{}, in);
  const double experts = 32.0 * 8 * 3 * 4096 * 14336;
  EXPECT_DOUBLE_EQ(etp1.expert_parameters, experts);
  EXPECT_DOUBLE_EQ(etp8.expert_parameters, experts / 8);
  EXPECT_EQ(etp1.expert_dp_group, 8);
  EXPECT_EQ(etp8.expert_dp_group, 1);
  EXPECT_DOUBLE_EQ(etp8.dense_parameters, etp1.dense_parameters);
  // Without ZeRO sharding the expert weights (BF16) and gradients (FP32) shrink 8×.
  EXPECT_NEAR(etp1.weights - etp8.weights, 2.0 * experts * 7 / 8, 1.0);
  EXPECT_NEAR(etp1.gradients - etp8.gradients, 4.0 * experts * 7 / 8, 1.0);
  // The experts' cached input is the gathered expert_tp·T_e·k tokens: 8× larger.
  ParallelPlan plain = plan;
  plain.expert_tp = 1;
  const auto t1 = layer_activation_terms(m, 0, op_list_context(plain, {}, 4096));
  const auto t8 = layer_activation_terms(m, 0, op_list_context(plan, {}, 4096));
  auto term = [](const std::vector<ActivationTerm>& v, const std::string& n) {
    for (const auto& t : v)
      if (t.name == n) return t.bytes;
    return -1.0;
  };
  EXPECT_DOUBLE_EQ(term(t8, "moe.expert_input"), 8 * term(t1, "moe.expert_input"));
  EXPECT_DOUBLE_EQ(term(t8, "moe.expert_up_output"), term(t1, "moe.expert_up_output"));
}

TEST(Memory, UlyssesCachesHeadShardedKvReplicatingFewKvHeads) {
  // Ring and Ulysses cache the same Q/K/V bytes per rank when the KV heads divide by cp
  // (S·(H + 2·kv)/cp·h_d either way). Llama 3.1 8B (8 KV heads) at Ulysses CP16 replicates each
  // KV head to 2 ranks: attn.qkv = T·(32 + 2·16)·128·2 B instead of T·(32 + 2·8)·128·2 B.
  const auto& m = model("llama-3.1-8b");
  ParallelPlan plan;
  plan.cp = 16;
  auto term = [&](CpKind kind) {
    plan.cp_kind = kind;
    for (const auto& t : layer_activation_terms(m, 0, op_list_context(plan, {}, 65536)))
      if (t.name == "attn.qkv") return t.bytes;
    return -1.0;
  };
  const double T = 65536.0 / 16;
  EXPECT_DOUBLE_EQ(term(CpKind::Ring), T * (32 + 16) * 128 * 2);
  EXPECT_DOUBLE_EQ(term(CpKind::Ulysses), T * (32 + 32) * 128 * 2);
  plan.cp = 8;
  EXPECT_DOUBLE_EQ(term(CpKind::Ulysses), term(CpKind::Ring));
}

TEST(Memory, TensorParallelSplitsAllButReplicatedParameters) {
  // Llama 3.1 8B, TP 4: everything but the 2 norms per layer and the final norm is split.
  const auto& m = model("llama-3.1-8b");
  StageMemoryInput in;
  in.layers = {0, m.layers};
  in.embedding = in.head = true;
  ParallelPlan plan;
  plan.tp = 4;
  const auto mem = stage_memory(m, plan, PrecisionPolicy{}, in);
  const double norms = 32.0 * 2 * 4096 + 4096;
  const double P = static_cast<double>(count_parameters(m).total);
  EXPECT_DOUBLE_EQ(mem.dense_parameters, (P - norms) / 4 + norms);
}

TEST(Memory, V3ActivationTermsUnderSelectiveRecompute) {
  // Layer 5, 4,096 tokens, FP8 cached activations, BF16 norm inputs and latents:
  //   attn.norm_input 4096·7168·2 = 58.7 MB; attn.q_latent 4096·1536·2; attn.kv_latent
  //   4096·576·2; attn.core_output 4096·128·128·1; attn.softmax_lse 4096·128·4;
  //   ffn.norm_input 4096·7168·2; moe.router_probs 4096·256·4; moe.expert_input 4096·8·7168·1;
  //   moe.expert_up_output 4096·8·4096·1; moe.shared_up_output 4096·4096·1.
  const auto& m = model("deepseek-v3");
  const auto c = op_list_context(v3_plan(), v3_precision(), 4096);
  const auto terms = layer_activation_terms(m, 5, c);
  std::map<std::string, double> t;
  for (const auto& x : terms) t[x.name] = x.bytes;
  EXPECT_EQ(t.size(), 10u);
  EXPECT_DOUBLE_EQ(t["attn.norm_input"], 4096.0 * 7168 * 2);
  EXPECT_DOUBLE_EQ(t["attn.q_latent"], 4096.0 * 1536 * 2);
  EXPECT_DOUBLE_EQ(t["attn.kv_latent"], 4096.0 * 576 * 2);
  EXPECT_DOUBLE_EQ(t["attn.core_output"], 4096.0 * 128 * 128);
  EXPECT_DOUBLE_EQ(t["attn.softmax_lse"], 4096.0 * 128 * 4);
  EXPECT_DOUBLE_EQ(t["ffn.norm_input"], 4096.0 * 7168 * 2);
  EXPECT_DOUBLE_EQ(t["moe.router_probs"], 4096.0 * 256 * 4);
  EXPECT_DOUBLE_EQ(t["moe.expert_input"], 4096.0 * 8 * 7168);
  EXPECT_DOUBLE_EQ(t["moe.expert_up_output"], 4096.0 * 8 * 4096);
  EXPECT_DOUBLE_EQ(t["moe.shared_up_output"], 4096.0 * 4096);
  EXPECT_EQ(t.count("attn.qkv"), 0u);  // MLA up-projections recomputed
}

TEST(Memory, HiddenDropoutCachesAOneByteMaskPerSubLayer) {
  // GPT-3 175B, 2,048 tokens, TP1: with hidden dropout each of the two bias-dropout-adds keeps
  // a T·d·1 B mask for its backward: 2048·12288 B each, nothing else changes.
  ModelSpec m = model("gpt-3-175b");
  OpListContext c;
  c.seq_len = 2048;
  const double before = layer_activation_bytes(m, 0, c);
  m.hidden_dropout = 0.1;
  std::map<std::string, double> t;
  for (const auto& x : layer_activation_terms(m, 0, c)) t[x.name] = x.bytes;
  EXPECT_DOUBLE_EQ(t["attn.residual_mask"], 2048.0 * 12288);
  EXPECT_DOUBLE_EQ(t["ffn.residual_mask"], 2048.0 * 12288);
  EXPECT_DOUBLE_EQ(layer_activation_bytes(m, 0, c), before + 2 * 2048.0 * 12288);
}

TEST(Memory, CoreAttentionRecomputeDropsOnlyTheScoreTensors) {
  // Unfused attention, GPT-3 175B on TP8, 2,048 tokens, BF16 (Korthikanti et al. 2022): the
  // softmax output (2 B), dropout mask (1 B) and dropout output (2 B) of the a·s² scores per
  // sequence, 12·2048² elements on the rank, are recomputed, so not kept; every other term of
  // the no-recompute layer stays (selective recompute would also drop the norm outputs).
  ModelSpec m = model("gpt-3-175b");
  m.attention_kernel = AttentionKernel::Unfused;
  OpListContext c;
  c.seq_len = 2048;
  c.tp = 8;
  const double none = layer_activation_bytes(m, 0, c);
  c.recompute = Recompute::CoreAttention;
  const double scores = 12.0 * 2048 * 2048;
  EXPECT_DOUBLE_EQ(layer_activation_bytes(m, 0, c), none - scores * (2 + 1 + 2));
  c.recompute = Recompute::Selective;
  EXPECT_LT(layer_activation_bytes(m, 0, c), none - scores * (2 + 1 + 2));
}

TEST(Memory, RecomputeOrdersActivationMemory) {
  // Full < Selective < None; Full keeps exactly the layer input T·d·2.
  const auto& m = model("deepseek-v3");
  auto c = op_list_context(v3_plan(), v3_precision(), 4096);
  c.recompute = Recompute::None;
  const double none = layer_activation_bytes(m, 5, c);
  c.recompute = Recompute::Selective;
  const double sel = layer_activation_bytes(m, 5, c);
  c.recompute = Recompute::Full;
  const double full = layer_activation_bytes(m, 5, c);
  EXPECT_LT(full, sel);
  EXPECT_LT(sel, none);
  EXPECT_DOUBLE_EQ(full, 4096.0 * 7168 * 2);
  // The recompute workspace is one layer's (None − kept) difference.
  StageMemoryInput in;
  in.layers = {5, 6};
  auto plan = v3_plan();
  plan.recompute = Recompute::Full;
  EXPECT_DOUBLE_EQ(stage_memory(m, plan, v3_precision(), in).recompute_workspace, none - full);
  plan.recompute = Recompute::None;
  EXPECT_DOUBLE_EQ(stage_memory(m, plan, v3_precision(), in).recompute_workspace, 0.0);
}

TEST(Memory, ActivationsScaleWithInFlightMicroBatches) {
  const auto& m = model("llama-3.1-70b");
  StageMemoryInput in;
  in.layers = {0, 10};
  in.in_flight_micro_batches = 1;
  ParallelPlan plan;
  plan.tp = 8;
  plan.sequence_parallel = true;
  const auto one = stage_memory(m, plan, PrecisionPolicy{}, in);
  in.in_flight_micro_batches = 8;
  const auto eight = stage_memory(m, plan, PrecisionPolicy{}, in);
  EXPECT_DOUBLE_EQ(eight.activations, 8 * one.activations);
  EXPECT_DOUBLE_EQ(one.activations, one.activations_per_micro_batch);
  // Sequence parallelism divides the norm inputs by tp.
  const auto c = op_list_context(plan, PrecisionPolicy{}, 4096);
  EXPECT_DOUBLE_EQ(layer_activation_terms(m, 0, c).front().bytes, 4096.0 / 8 * 8192 * 2);
}

TEST(Memory, HeadHoldsTheLogits) {
  // Last stage of Llama 3.1 8B: head.norm_input + head.input (T·d·2 each) + FP32 logits T·V·4.
  const auto& m = model("llama-3.1-8b");
  StageMemoryInput in;
  in.layers = {31, 32};
  in.head = true;
  const auto mem = stage_memory(m, ParallelPlan{}, PrecisionPolicy{}, in);
  EXPECT_DOUBLE_EQ(mem.head_activations, 4096.0 * 4096 * 2 * 2 + 4096.0 * 128256 * 4);
  // An online-softmax kernel keeps no FP32 softmax: the BF16 logits become the gradient, T·V·2.
  ParallelPlan online;
  online.cross_entropy = CrossEntropyKernels::OnlineSoftmax;
  EXPECT_DOUBLE_EQ(stage_memory(m, online, PrecisionPolicy{}, in).head_activations,
                   4096.0 * 4096 * 2 * 2 + 4096.0 * 128256 * 2);
  // A tied head on its own stage holds a copy of the embedding table.
  const auto& g = model("gpt-3-175b");
  StageMemoryInput last;
  last.layers = {95, 96};
  last.head = true;
  last.seq_len = 2048;
  const auto gm = stage_memory(g, ParallelPlan{}, PrecisionPolicy{}, last);
  EXPECT_DOUBLE_EQ(gm.dense_parameters, static_cast<double>(layer_parameters(g, 95)) +
                                            static_cast<double>(count_parameters(g).embedding) +
                                            2 * 12288);
}

TEST(Memory, ErrorsNameTheProblem) {
  const auto& m = model("deepseek-v3");
  StageMemoryInput in;
  in.layers = {60, 63};
  EXPECT_CONTAINS(message_of([&] { (void)stage_memory(m, v3_plan(), v3_precision(), in); }),
                  "layer range [60, 63) is outside 'deepseek-v3' (layers 0..60, MTP 61..61)");
  in.layers = {0, 4};
  in.in_flight_micro_batches = 0;
  EXPECT_CONTAINS(message_of([&] { (void)stage_memory(m, v3_plan(), v3_precision(), in); }),
                  "in_flight_micro_batches 0 and parameter_copies 1 must be >= 1");
  in.in_flight_micro_batches = 1;
  auto plan = v3_plan();
  plan.ep = 3;
  EXPECT_CONTAINS(
      message_of([&] { (void)stage_memory(m, plan, v3_precision(), in); }),
      "cannot size the memory of 'deepseek-v3': ep = 3 does not divide 256 routed experts");
  plan = v3_plan();
  plan.zero = 4;
  EXPECT_CONTAINS(message_of([&] { (void)stage_memory(m, plan, v3_precision(), in); }),
                  "zero 4 in 0..3");
}

// ---------------------------------------------------------------- layer split

TEST(LayerSplit, CoversEveryLayerOnceWithMtpOnTheLastStage) {
  for (auto policy :
       {SplitPolicy::BalancedFlops, SplitPolicy::BalancedParameters, SplitPolicy::Uniform}) {
    const auto& m = model("deepseek-v3");
    const auto split = split_layers(m, 16, policy);
    ASSERT_EQ(split.size(), 16u);
    std::int64_t next = 0;
    for (const auto& r : split) {
      EXPECT_EQ(r.first, next);
      EXPECT_GE(r.count(), 1);
      next = r.last;
    }
    EXPECT_EQ(next, 62);  // 61 layers + 1 MTP module
  }
}

TEST(LayerSplit, BalancedFlopsForDeepSeekV3) {
  // Assumption (DeepSeek did not publish its split): per-token training cost of a layer ≈ 4.0
  // GFLOP at 4K; the head (6·7168·129280 = 5.6 GFLOP) and the MTP module (10.2 GFLOP) weigh
  // about four layers on the last stage, which then holds one layer; the other 60 layers fill
  // 15 stages of 4 — the min-max optimum, since the last stage (19.8 GFLOP) is the bottleneck.
  const auto& m = model("deepseek-v3");
  const auto split = split_layers(m, 16);
  for (std::size_t s = 0; s + 1 < split.size(); ++s) EXPECT_EQ(split[s].count(), 4) << s;
  EXPECT_EQ(split.back(), (LayerRange{60, 62}));
  // No other split has a smaller maximum: moving a layer off any 4-layer stage makes some stage
  // hold 5 layers (20 GFLOP > 19.8).
  double worst = 0;
  for (std::size_t s = 0; s < split.size(); ++s) {
    worst = std::max(
        worst, stage_cost(m, split[s], s == 0, s + 1 == split.size(), SplitPolicy::BalancedFlops));
  }
  EXPECT_NEAR(worst / 1e9, 19.8, 0.1);
}

TEST(LayerSplit, BalancedIsOptimalOnADenseModel) {
  // Llama 3.1 405B over 16 stages: 126 equal layers plus a 6·16384·128256 = 12.6 GFLOP head
  // (≈ 0.5 layer). The min-max split cannot beat ceil-based bounds: the largest stage holds 8
  // layers (126 = 14·8 + 14), and the last stage with the head holds fewer.
  const auto& m = model("llama-3.1-405b");
  const auto split = split_layers(m, 16, SplitPolicy::BalancedFlops, 8192);
  std::int64_t biggest = 0;
  for (const auto& r : split) biggest = std::max(biggest, r.count());
  EXPECT_EQ(biggest, 8);
  EXPECT_LT(split.back().count(), 8);
}

TEST(LayerSplit, UniformGivesTheRemainderToInnerStages) {
  // 61 layers over 16 stages: 3 each plus 13 extra for stages 1..13.
  const auto split = split_layers(model("deepseek-v3"), 16, SplitPolicy::Uniform);
  EXPECT_EQ(split[0].count(), 3);
  for (int s = 1; s <= 13; ++s) EXPECT_EQ(split[static_cast<std::size_t>(s)].count(), 4) << s;
  EXPECT_EQ(split[14].count(), 3);
  EXPECT_EQ(split[15], (LayerRange{58, 62}));  // 3 layers + MTP
  // One stage takes everything.
  EXPECT_EQ(split_layers(model("llama-3.1-8b"), 1).front(), (LayerRange{0, 32}));
}

TEST(LayerSplit, ByCostCountsTheHeadAndEmbedding) {
  // 32 layers of cost 1 over 4 stages. With a free head the split is 8/8/8/8. A head costing 2
  // layers on the last stage: total 34, so the min-max is 9 = ceil(34/4) and the last stage holds
  // at most 7 layers (ties leave more layers to earlier stages). An embedding costing 1 as well
  // (total 35, bound 9): the first stage at most 8 layers, the last at most 7.
  const auto& m = model("llama-3.1-8b");
  const std::vector<double> unit(32, 1.0);
  auto max_cost = [](const std::vector<LayerRange>& r, double first, double last) {
    double worst = 0;
    for (std::size_t s = 0; s < r.size(); ++s) {
      const double c =
          static_cast<double>(r[s].count()) + (s == 0 ? first : 0) + (s + 1 == r.size() ? last : 0);
      worst = std::max(worst, c);
    }
    return worst;
  };
  const auto free_head = split_layers_by_cost(m, 4, unit, 0, 0);
  for (const auto& r : free_head) EXPECT_EQ(r.count(), 8);
  const auto head = split_layers_by_cost(m, 4, unit, 0, 2);
  EXPECT_EQ(max_cost(head, 0, 2), 9.0);
  EXPECT_LE(head.back().count(), 7);
  EXPECT_EQ(head.front().first, 0);
  EXPECT_EQ(head.back().last, 32);
  const auto both = split_layers_by_cost(m, 4, unit, 1, 2);
  EXPECT_EQ(max_cost(both, 1, 2), 9.0);
  EXPECT_LE(both.front().count(), 8);
  EXPECT_LE(both.back().count(), 7);
  // The MTP modules stay on the last stage.
  const auto& v3 = model("deepseek-v3");
  const auto v = split_layers_by_cost(v3, 16, std::vector<double>(61, 1.0), 0, 1);
  EXPECT_EQ(v.back().last, 62);
  EXPECT_CONTAINS(message_of([&] {
                    (void)split_layers_by_cost(m, 4, {1.0, 2.0}, 0, 0);
                  }),
                  "split of 'llama-3.1-8b': 2 layer costs given for 32 layers");
  EXPECT_CONTAINS(message_of([&] { (void)split_layers_by_cost(m, 40, unit, 0, 0); }),
                  "over 40 pipeline stages: need 1 to 32 stages");
}

TEST(LayerSplit, PolicyNames) {
  SplitPolicy p{};
  EXPECT_TRUE(parse_split_policy("balanced-parameters", p));
  EXPECT_EQ(p, SplitPolicy::BalancedParameters);
  EXPECT_EQ(split_policy_name(SplitPolicy::Uniform), "uniform");
  EXPECT_FALSE(parse_split_policy("greedy", p));
}

TEST(LayerSplit, TooManyStagesIsAnError) {
  EXPECT_CONTAINS(
      message_of([] { (void)split_layers(model("llama-3.1-8b"), 33); }),
      "cannot split the 32 layers of 'llama-3.1-8b' over 33 pipeline stages: need 1 to 32 stages");
  EXPECT_CONTAINS(message_of([] { (void)split_layers(model("llama-3.1-8b"), 0); }),
                  "over 0 pipeline stages");
}

}  // namespace
}  // namespace trainsim::models
