// How long the models module takes for what the simulator asks of it per stage and phase.
#include <benchmark/benchmark.h>

#include <string>

#include "models/accounting.hpp"
#include "models/catalog.hpp"
#include "models/layer_split.hpp"
#include "models/memory.hpp"
#include "models/op_list.hpp"

namespace {

using namespace trainsim::models;

const ModelSpec& v3() {
  static const ModelCatalog c =
      ModelCatalog::load(std::string(TRAINSIM_SOURCE_DIR) + "/models/catalog");
  static const ModelSpec m = c.get("deepseek-v3");
  return m;
}

OpListContext v3_context() {
  OpListContext c;
  c.ep = 64;
  c.precision.gemm = c.precision.dispatch = c.precision.activations =
      trainsim::hardware::Dtype::FP8;
  c.recompute = Recompute::Selective;
  return c;
}

/// One MoE layer's op list (three passes).
void BM_BuildMoeLayerOps(benchmark::State& state) {
  const auto c = v3_context();
  for (auto _ : state) benchmark::DoNotOptimize(build_layer_ops(v3(), 10, c));
}
BENCHMARK(BM_BuildMoeLayerOps);

/// The whole model: embedding, 61 layers, MTP, head (what a full PP16 stage set needs).
void BM_BuildAllV3Ops(benchmark::State& state) {
  const auto c = v3_context();
  for (auto _ : state) {
    benchmark::DoNotOptimize(embedding_ops(v3(), c));
    for (std::int64_t l = 0; l < v3().layers + v3().mtp_depth; ++l) {
      benchmark::DoNotOptimize(build_layer_ops(v3(), l, c));
    }
    benchmark::DoNotOptimize(head_ops(v3(), c));
  }
}
BENCHMARK(BM_BuildAllV3Ops)->Unit(benchmark::kMicrosecond);

void BM_FlopsPerToken(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(flops_per_token(v3(), 4096));
}
BENCHMARK(BM_FlopsPerToken);

void BM_SplitLayersPP16(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(split_layers(v3(), 16));
}
BENCHMARK(BM_SplitLayersPP16)->Unit(benchmark::kMicrosecond);

void BM_StageMemory(benchmark::State& state) {
  ParallelPlan p;
  p.dp = 128;
  p.pp = 16;
  p.ep = 64;
  p.recompute = Recompute::Selective;
  PrecisionPolicy pr;
  StageMemoryInput in;
  in.layers = {4, 8};
  in.in_flight_micro_batches = 17;
  in.parameter_copies = 2;
  for (auto _ : state) benchmark::DoNotOptimize(stage_memory(v3(), p, pr, in));
}
BENCHMARK(BM_StageMemory);

}  // namespace

BENCHMARK_MAIN();
