// Topology build and route-query cost for the two reference clusters: DeepSeek-V3's 2,048 H800s
// on the multi-plane fat-tree and Llama 3's 16,384 H100s on the RoCE fabric. The brief requires
// builds well under a second; route queries sit in the simulator's inner loop.
#include "hardware/catalog.hpp"
#include "hardware/topology.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

namespace {

using trainsim::hardware::ClusterSpec;
using trainsim::hardware::HardwareCatalog;
using trainsim::hardware::LinkId;
using trainsim::hardware::Topology;

ClusterSpec cluster(const char* gpu, const char* fabric, int gpus) {
  const auto& c = HardwareCatalog::bundled();
  ClusterSpec s;
  s.gpu = c.gpu(gpu);
  s.fabric = c.fabric(fabric);
  s.gpus = gpus;
  s.node.gpus_per_node = 8;
  return s;
}

ClusterSpec deepseek() {
  return cluster("h800", "mpft-ib-400g", 2048);
}
ClusterSpec llama() {
  return cluster("h100", "rail-roce-400g", 16384);
}

void BM_BuildDeepSeekMpft2048(benchmark::State& state) {
  const ClusterSpec c = deepseek();
  for (auto _ : state) benchmark::DoNotOptimize(Topology::build(c));
}
BENCHMARK(BM_BuildDeepSeekMpft2048)->Unit(benchmark::kMillisecond);

void BM_BuildLlamaRoce16384(benchmark::State& state) {
  const ClusterSpec c = llama();
  for (auto _ : state) benchmark::DoNotOptimize(Topology::build(c));
}
BENCHMARK(BM_BuildLlamaRoce16384)->Unit(benchmark::kMillisecond);

/// Pseudo-random (src, dst) pairs, fixed seed, so that every run measures the same queries.
std::vector<std::pair<int, int>> pairs(int gpus) {
  std::vector<std::pair<int, int>> out;
  std::uint64_t x = 12345;
  for (int i = 0; i < 4096; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    out.emplace_back(static_cast<int>((x >> 33) % static_cast<std::uint64_t>(gpus)),
                     static_cast<int>((x >> 13) % static_cast<std::uint64_t>(gpus)));
  }
  return out;
}

void route_bench(benchmark::State& state, const Topology& t) {
  const auto ps = pairs(t.gpus());
  std::vector<LinkId> out;
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& [s, d] = ps[i++ % ps.size()];
    t.route_into(s, d, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RouteDeepSeekMpft2048(benchmark::State& state) {
  static const Topology t = Topology::build(deepseek());
  route_bench(state, t);
}
BENCHMARK(BM_RouteDeepSeekMpft2048);

void BM_RouteLlamaRoce16384(benchmark::State& state) {
  static const Topology t = Topology::build(llama());
  route_bench(state, t);
}
BENCHMARK(BM_RouteLlamaRoce16384);

void BM_RouteAllocatingDeepSeek(benchmark::State& state) {
  static const Topology t = Topology::build(deepseek());
  const auto ps = pairs(t.gpus());
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& [s, d] = ps[i++ % ps.size()];
    benchmark::DoNotOptimize(t.route(s, d));
  }
}
BENCHMARK(BM_RouteAllocatingDeepSeek);

void BM_BottleneckDeepSeek(benchmark::State& state) {
  static const Topology t = Topology::build(deepseek());
  const auto ps = pairs(t.gpus());
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& [s, d] = ps[i++ % ps.size()];
    benchmark::DoNotOptimize(t.bottleneck_bandwidth(s, d));
  }
}
BENCHMARK(BM_BottleneckDeepSeek);

void BM_ShortestPathBfsDeepSeek(benchmark::State& state) {
  static const Topology t = Topology::build(deepseek());
  const auto ps = pairs(t.gpus());
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& [s, d] = ps[i++ % ps.size()];
    benchmark::DoNotOptimize(t.shortest_path(s, d));
  }
}
BENCHMARK(BM_ShortestPathBfsDeepSeek)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
