#pragma once
// Runs one training step of every rank on the event engine: each rank executes its pipeline
// schedule's work items in order; a work item's passes run as threads of segments (two threads
// for DualPipe's overlapped F&B pair); compute segments share the rank's SMs (fluid sharing, so
// two overlapped computes each slow down), collectives are flows on the cluster's links with a
// barrier over their group, pipeline P2P transfers are flows (asynchronous, or blocking the
// sender under StepSetup::p2p_blocking), and the data-parallel gradient reduce-scatter,
// optimizer step and parameter all-gather close the step.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hardware/topology.hpp"
#include "sim/schedules/schedule.hpp"
#include "sim/step/rank_layout.hpp"
#include "sim/step/stage_work.hpp"
#include "sim/step/step_result.hpp"

namespace trainsim::sim {

/// Network volumes per byte of MoE payload, from sim/moe/traffic.hpp.
struct MoeRouting {
  double ib_per_byte = 0;      ///< IB bytes out (and in) per payload byte
  double nvlink_per_byte = 0;  ///< NVLink bytes out (and in) per payload byte
  /// NVLink bytes per second one GPU's dispatch (combine) kernel puts on the wire
  /// (GpuSpec::ep_dispatch_nvlink_Bps, ep_combine_nvlink_Bps); 0 = only the links limit it.
  double dispatch_nvlink_kernel_Bps = 0;
  double combine_nvlink_kernel_Bps = 0;
  double latency_s = 0;  ///< fixed cost of one all-to-all (kernel + network latency)
};

/// Data-parallel synchronisation at the end of the step, per rank.
struct DpSync {
  double dense_grad_bytes = 0;   ///< non-expert gradients a rank holds (communication dtype)
  double expert_grad_bytes = 0;  ///< expert gradients a rank holds
  /// Non-expert (expert) parameters a rank holds, in the training dtype: what the ZeRO parameter
  /// all-gather moves after the optimizer step (the updated working weights, not FP32 gradients).
  double dense_param_bytes = 0;
  double expert_param_bytes = 0;
  int dense_group = 1;   ///< ranks sharing the dense parameters (dp · cp)
  int expert_group = 1;  ///< ranks sharing the same expert shard (dp·cp·tp / (ep·expert_tp))
  bool all_gather_params = true;  ///< ZeRO ≥ 1: all-gather updated parameters after the step
  bool all_reduce = false;        ///< ZeRO-0: all-reduce instead of reduce-scatter
  double optimizer_s = 0;         ///< optimizer step on the local shard, seconds
  /// Each chunk's gradients are reduced as soon as its last backward on the rank ends, beside
  /// the rest of the step; the optimizer waits for all of them (ParallelPlan::overlap_grad_reduce).
  bool overlap_grad_reduce = false;
  /// The parameter all-gather runs behind the next step's forward: modelled in the steady state
  /// as each chunk's gather starting with the step and its first forward waiting for it.
  bool overlap_param_gather = false;
  /// ZeRO-3 (DeepSpeed ZeRO stage 3, FSDP full sharding): parameters stay sharded over the DP
  /// group; every forward and backward-for-input pass all-gathers its chunk's parameters beside
  /// its compute (prefetched layer by layer: the pass cannot end before its gather), and every
  /// pass that produces weight gradients reduce-scatters them as it ends (DeepSpeed reduces per
  /// micro-batch). The step then ends with the optimizer, with no gather after it.
  bool zero3 = false;
};

struct StepSetup {
  const hardware::Topology* topology = nullptr;
  RankLayout layout;
  const schedules::PipelineSchedule* schedule = nullptr;
  schedules::ScheduleShape shape;
  std::vector<StageWork> stages;    ///< one per model stage (pp · chunks per rank)
  std::vector<double> load_factor;  ///< per rank expert-load factor (mean 1)
  MoeRouting moe;
  DpSync dp;
  double p2p_latency_s = 0;
  double collective_latency_s = 0;  ///< α per ring step
  std::vector<int> trace_ranks;     ///< ranks whose timeline is recorded
  /// Symmetry shortcut: simulate only data-parallel replica 0 (all its pipeline, tensor and
  /// context ranks). Exact when replicas are identical (balanced experts) and share no modelled
  /// link; oversubscribed fabric trunks and load imbalance are where it differs. Off by default.
  bool symmetric = false;
  /// TP folding (opt-in): the ranks of a tensor-parallel group run the same segments in
  /// lockstep (a TP collective after every compute segment holds them together), so when they
  /// are identical (no expert parallelism, equal load factors) the group can be simulated once
  /// (TP index 0). Each of its flows stands for every member's mirrored flow: it loads lane 0's
  /// links, a link that k members' routes share k times, and leaves out the links only other
  /// members cross (their mirrored private links). Exact on symmetric fabrics (tested); where
  /// ECMP hashes members onto different spines of an oversubscribed tier it differs slightly
  /// (Llama 3.1 405B on its 1:7 fabric: 0.2% shorter 8K step, 5–8% shorter 32K–128K CP steps,
  /// where ECMP collisions slow some rings). Members' RankTimes are copies.
  bool fold_tensor_parallel = false;
  /// TP collectives do not block their pass: it goes on to the next compute segment, and waits
  /// for the collective only at its next collective or its end (ParallelPlan::tp_comm_overlap).
  bool tp_comm_overlap = false;
  /// A rank starts its next work item only once the pipeline sends of its last pass have arrived
  /// (ParallelPlan::p2p_blocking); the rank counts that wait as exposed communication.
  bool p2p_blocking = false;
  /// Seconds between a pipeline transfer's arrival and its input being ready: the receiving
  /// stage's all-gather of the scattered pieces (ParallelPlan::p2p_scatter_gather); 0 = none.
  double p2p_gather_s = 0;
};

/// Simulates the step; fills times, breakdowns, timeline and event counts of `out`.
void execute_step(const StepSetup& setup, StepResult& out);

}  // namespace trainsim::sim
