#pragma once
// Test support: the --set overrides that put the bundled scenarios at the limits (used by
// the simulate-level and the CLI limit tests alike).
#include <string>
#include <vector>

namespace trainsim::test {

/// Llama 3.1 8B on one B200 (it fits; an H200 does not), every parallel degree 1.
inline const std::vector<std::string> kOneGpuDense = {
    "model=llama-3.1-8b", "cluster.gpu=b200", "cluster.gpus=1",
    "parallelism={pp: 1, dp: 1, ep: 1, schedule: 1f1b, zero: 1, micro_batch: 1, "
    "recompute: full}"};

/// DeepSeek-V3 squeezed onto one H800: every degree 1, and the long-context phases' own plans too.
inline std::vector<std::string> v3_on_one_gpu(const std::string& schedule) {
  return {"cluster.gpus=1",
          "parallelism.pp=1",
          "parallelism.dp=1",
          "parallelism.ep=1",
          "parallelism.schedule=" + schedule,
          "phases[1].parallelism={dp: 1, cp: 1}",
          "phases[2].parallelism={dp: 1, cp: 1}"};
}

/// small-moe (PP2, EP8) on 100,000 GPUs: DP 50,000, two micro-batches per DP rank.
inline const std::vector<std::string> kHundredThousand = {
    "cluster.gpus=100000", "parallelism.dp=50000", "phases[0].batch=100000",
    "phases[1].batch=50000"};

}  // namespace trainsim::test
