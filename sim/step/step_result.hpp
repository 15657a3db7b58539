#pragma once
// What one simulated training step produced. Times in seconds, memory in bytes, FLOP as FLOP.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace trainsim::sim {

/// Per-rank accounting over the step. Invariant (up to rounding):
/// compute_s + exposed_comm_s + bubble_s == step time.
/// Where one rank's step goes, in the terms DualPipe's paper compares schedules by: every
/// instant of the step counted once, so the fields sum to the step time. A pass's interval
/// includes the communication it waits on; an unpaired full backward (1F1B's B) is split between
/// backward_input_s and backward_weight_s in the ratio of its stage's B and W compute.
struct StepPhases {
  double forward_s = 0;          ///< an unpaired forward pass runs
  double backward_input_s = 0;   ///< an unpaired backward-for-input pass runs
  double backward_weight_s = 0;  ///< an unpaired weight-gradient pass runs
  double overlapped_fb_s = 0;    ///< a forward and a backward run as an overlapped pair
  double bubble_s = 0;           ///< no pass runs: waiting for pipeline inputs, or done early
  double dp_sync_s = 0;          ///< waiting on the data-parallel gradient/parameter sync
  double optimizer_s = 0;        ///< the optimizer step (and FP8 weight casts)
  double total() const {
    return forward_s + backward_input_s + backward_weight_s + overlapped_fb_s + bubble_s +
           dp_sync_s + optimizer_s;
  }
};

struct RankTime {
  int rank = 0;
  int stage = 0;
  double compute_s = 0;       ///< time with at least one compute kernel running
  double comm_s = 0;          ///< time with at least one communication transfer running
  double exposed_comm_s = 0;  ///< communication running while no compute runs
  double bubble_s = 0;        ///< neither computing nor communicating (waiting on others)
  StepPhases phases;
};

/// The layers one model stage holds, [first_layer, last_layer) (MTP modules are layers past the
/// model's last), with the embedding on the first stage and the head on the last.
struct StageLayers {
  int stage = 0;
  std::int64_t first_layer = 0, last_layer = 0;
  bool embedding = false, head = false;
};

/// Summary over ranks: min, mean, max.
struct Spread {
  double min = 0, mean = 0, max = 0;
};

/// One interval of the timeline of one rank, for traces and the pipeline chart.
struct TimelineEvent {
  int rank = 0;
  std::string stream;  ///< "compute", "compute-side", "comm", "p2p", "dp"
  std::string name;    ///< "F", "B", "W", "dispatch", "combine", "reduce-scatter" …
  int micro_batch = -1;
  int chunk = -1;
  double start_s = 0;
  double end_s = 0;
};

struct MemoryBreakdown {
  double weights = 0;
  double gradients = 0;
  double optimizer = 0;
  double activations = 0;  ///< peak in-flight activations over the step
  double other = 0;        ///< communication buffers, workspace
  double total() const { return weights + gradients + optimizer + activations + other; }
};

/// Which calibration profile timed the compute ops and how it was carried to the simulated GPU
/// (result JSON `calibration`; rules in calibration/calibration_select.hpp).
struct CalibrationUse {
  std::string requested = "auto";  ///< the scenario's or --calibration's value
  std::string profile;             ///< the profile used ("roofline" for the ideal bound)
  std::string gpu;                 ///< the catalog GPU it was measured on ("" for roofline)
  std::string transfer = "none";   ///< the transfer rule applied, with its ratios, or "none"
  std::string warning;             ///< "" unless the profile's GPU differs from the scenario's
};

struct StepResult {
  double step_time_s = 0;
  std::int64_t micro_batches = 0;  ///< per DP rank, all pipeline passes together
  int pipeline_passes = 1;         ///< pipeline passes per optimizer step (grad_accum_passes)
  std::int64_t global_batch = 0;   ///< sequences per step
  std::int64_t seq_len = 0;
  double tokens = 0;             ///< global_batch × seq_len
  double model_flops = 0;        ///< useful FLOP of the step (accounting, causal)
  double hardware_flops = 0;     ///< FLOP executed, including recompute
  double mfu = 0;                ///< model_flops / (time × GPUs × peak_flops)
  double hfu = 0;                ///< hardware_flops / (time × GPUs × peak_flops)
  double peak_flops = 0;         ///< per GPU, FLOP/s, the peak MFU divides by
  std::string peak_basis;        ///< e.g. "dense BF16 peak (989 TFLOP/s)"
  double mfu_vs_gemm_dtype = 0;  ///< MFU against the GEMM dtype's dense peak (FP8)
  /// Compute-bound op times were scaled by this: the job's slowest GPU (hardware/slowest_gpu.hpp;
  /// 1 + perf_variation · E[max of the job's GPUs standard normals]); 1 for identical GPUs.
  double slowest_gpu_factor = 1.0;
  Spread compute_s, exposed_comm_s, bubble_s, comm_s;
  std::vector<RankTime> ranks;  ///< every rank (or the simulated ones, see `ranks_simulated`)
  int critical_rank = 0;        ///< the rank that ends the step (the first one, on a tie)
  int critical_stage = 0;       ///< its pipeline position
  StepPhases critical_phases;   ///< the critical rank's phases (they sum to step_time_s)
  std::vector<StageLayers> stage_layers;  ///< how the layers were split over the model stages
  int ranks_simulated = 0;
  /// Compute seconds per op kind on the busiest rank, e.g. {"gemm": 12.1, "attention": 3.2}.
  std::map<std::string, double> compute_by_kind_s;
  /// Communication seconds (transfer time while active) per kind on the busiest rank.
  std::map<std::string, double> comm_by_kind_s;
  MemoryBreakdown memory;      ///< the rank with the largest total
  double memory_capacity = 0;  ///< HBM per GPU
  bool fits_in_memory = true;
  std::string infeasible_reason;          ///< non-empty when the plan cannot run (memory, shape)
  std::string cost_model;                 ///< calibration profile used
  std::vector<std::string> roofline_ops;  ///< op kinds timed by the roofline fallback
  /// What priced each op kind the profile does not measure, and at what rate (OpTiming::fallback).
  std::vector<std::string> fallbacks;
  CalibrationUse calibration;
  std::vector<TimelineEvent> timeline;  ///< only for the ranks requested
  std::uint64_t events = 0;             ///< engine events processed
  double wall_s = 0;                    ///< host time to simulate the step
};

}  // namespace trainsim::sim
