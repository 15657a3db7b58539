#pragma once
// A fully resolved, validated scenario: everything a run needs, in SI units. Produced only by
// the loader (scenario_loader.hpp), which checks every field and states every assumption.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hardware/cluster_spec.hpp"
#include "hardware/dtype.hpp"
#include "models/model_spec.hpp"

namespace trainsim::scenarios {

enum class Recompute {
  None,       ///< keep every activation
  Selective,  ///< recompute norms and cheap up-projections (DeepSeek-V3 §3.2.3)
  Full,       ///< keep only each layer's input; recompute the whole layer in backward
};

struct ParallelPlan {
  int dp = 1;
  int tp = 1;
  int pp = 1;
  int ep = 1;   ///< expert parallel degree (carved out of dp × tp ranks of a stage)
  int cp = 1;   ///< context parallel degree
  std::string schedule = "1f1b";   ///< pipeline schedule registry name
  int virtual_stages = 1;          ///< chunks per rank for interleaved schedules
  int zero = 1;                    ///< ZeRO stage 0-3
  int micro_batch = 1;             ///< sequences per micro-batch
  bool sequence_parallel = false;  ///< TP with reduce-scatter/all-gather instead of all-reduce
  Recompute recompute = Recompute::None;
  int comm_sms = 0;                ///< SMs reserved for communication kernels per GPU
};

/// Which dtype each class of work uses.
struct PrecisionPolicy {
  hardware::Dtype gemm = hardware::Dtype::BF16;       ///< linear layers (incl. experts)
  hardware::Dtype attention = hardware::Dtype::BF16;  ///< attention core
  hardware::Dtype dispatch = hardware::Dtype::BF16;   ///< MoE dispatch payload
  hardware::Dtype combine = hardware::Dtype::BF16;    ///< MoE combine payload
  hardware::Dtype activations = hardware::Dtype::BF16;///< cached activations
  hardware::Dtype grads = hardware::Dtype::FP32;      ///< gradient accumulation buffers
  hardware::Dtype master_weights = hardware::Dtype::FP32;
  hardware::Dtype optimizer_moments = hardware::Dtype::FP32;  ///< DeepSeek-V3: BF16
  hardware::Dtype weights = hardware::Dtype::BF16;    ///< working copy of the weights
  std::string name = "bf16";                          ///< the preset it came from
};

/// Global batch in sequences, constant or ramped linearly over the first `ramp_tokens`.
struct BatchSchedule {
  std::int64_t start = 0;       ///< sequences per step at the start
  std::int64_t end = 0;         ///< sequences per step after the ramp (== start if constant)
  double ramp_tokens = 0;       ///< tokens over which start → end (0: constant)
  bool ramped() const { return ramp_tokens > 0 && start != end; }
};

struct Phase {
  std::string name;
  double tokens = 0;                    ///< tokens processed in this phase
  std::optional<std::int64_t> steps;    ///< if given, tokens = steps × batch × seq_len
  std::int64_t seq_len = 0;
  BatchSchedule batch;
  std::optional<ParallelPlan> plan;     ///< phase-specific plan, else the scenario's
  std::optional<PrecisionPolicy> precision;
  /// Published GPU-hours for this phase, only to set beside the result (never an input).
  std::optional<double> published_gpu_hours;
  /// When a phase cannot be simulated bottom-up (e.g. post-training with no published volume),
  /// the reason, shown in the result.
  std::string note;
};

/// Published totals the result is set beside. Never an input to any computation.
struct PublishedClaim {
  std::optional<double> gpu_hours;
  std::optional<double> cost_usd;
  std::optional<double> wall_days;
  std::string source;
};

struct Scenario {
  std::string name;
  std::string description;
  std::string file;  ///< where it was loaded from ("" for built in)
  models::ModelSpec model;
  hardware::ClusterSpec cluster;
  ParallelPlan plan;
  PrecisionPolicy precision;
  std::vector<Phase> phases;
  double price_per_gpu_hour = 0;  ///< USD
  std::string calibration = "h800-published";  ///< profile name or file; "roofline" for none
  std::uint64_t seed = 1;         ///< MoE routing imbalance draws
  double moe_imbalance = 0.0;     ///< 0 = balanced; coefficient of variation of expert load
  PublishedClaim published;
  /// Assumptions the scenario states (missing published inputs), shown in every result.
  std::vector<std::string> assumptions;
};

}  // namespace trainsim::scenarios
