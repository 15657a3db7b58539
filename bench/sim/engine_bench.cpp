// Event-engine throughput: simple events per second (timers and lone activities), and the cost
// of re-solving shared rates as the number of concurrent flows on shared links grows.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>

#include "sim/engine/engine.hpp"

namespace {

using trainsim::sim::engine::ActivitySpec;
using trainsim::sim::engine::Engine;
using trainsim::sim::engine::ResourceId;

/// A chain of timers: each fires and schedules the next 1 ns later.
void BM_TimerEvents(benchmark::State& state) {
  const auto n = static_cast<std::int64_t>(state.range(0));
  for (auto _ : state) {
    Engine e;
    std::int64_t left = n;
    std::function<void()> tick = [&] {
      if (--left > 0) e.at(e.now() + 1, tick);
    };
    e.at(0, tick);
    e.run();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_TimerEvents)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

/// Activities on private resources (a compute stream per rank): each completion starts the next.
void BM_LoneActivities(benchmark::State& state) {
  const int streams = static_cast<int>(state.range(0));
  const int per_stream = 100'000 / streams;
  for (auto _ : state) {
    Engine e;
    std::vector<ResourceId> res;
    for (int i = 0; i < streams; ++i) res.push_back(e.add_resource(1.0));
    std::vector<int> left(static_cast<std::size_t>(streams), per_stream);
    std::function<void(int)> next = [&](int s) {
      if (left[static_cast<std::size_t>(s)]-- == 0) return;
      ActivitySpec spec;
      spec.work = 1e-6 * (1 + s % 7);
      spec.uses.push_back({res[static_cast<std::size_t>(s)], 1.0});
      e.start(spec, [&next, s] { next(s); });
    };
    for (int s = 0; s < streams; ++s) next(s);
    e.run();
  }
  state.SetItemsProcessed(state.iterations() * per_stream * streams);
}
BENCHMARK(BM_LoneActivities)->Arg(1)->Arg(2048)->Unit(benchmark::kMillisecond);

/// `flows` concurrent flows over a set of shared links (each flow crosses 3 of 64 links): the
/// cost per completion grows with the component re-solved.
void BM_SharedFlows(benchmark::State& state) {
  const int flows = static_cast<int>(state.range(0));
  for (auto _ : state) {
    Engine e;
    std::vector<ResourceId> links;
    for (int i = 0; i < 64; ++i) links.push_back(e.add_resource(50e9));
    for (int f = 0; f < flows; ++f) {
      ActivitySpec spec;
      spec.work = 1e6 * (1 + f % 13);
      for (int k = 0; k < 3; ++k)
        spec.uses.push_back({links[static_cast<std::size_t>((f * 7 + k * 11) % 64)], 1.0});
      e.start(spec, [] {});
    }
    e.run();
  }
  state.SetItemsProcessed(state.iterations() * flows);
}
BENCHMARK(BM_SharedFlows)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
