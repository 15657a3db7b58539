#pragma once
// A lower bound on a phase's wall-clock from its kernels alone, for pruning plans before they are
// simulated (plan_search.hpp). It prices the op lists with the cost model and splits the layers
// over the model stages exactly as a step does (sim/step/stage_compute.hpp), then, without running
// the schedule, bounds each step from the busiest pipeline rank's compute: a rank runs its compute
// segments one at a time, never faster than their full-speed time (communication only slows
// them), so with t_q the compute seconds of rank q's chunks per micro-batch and m micro-batches per
// data-parallel rank,
// Without DualPipe's F&B pairs a rank runs one pass at a time, so its tensor-parallel collectives
// that are not overlapped count in t_q too, at the NVLink port's achievable rate.
//   every schedule:              T ≥ m · max_q t_q
//   1F1B and interleaved 1F1B:   T ≥ (m − 1) · max_q t_q + Σ_q t_q / v
// (a micro-batch crosses every stage before the last one can leave the busiest rank: the
// fill-and-drain of Narayanan et al. 2021, arXiv 2104.04473 §2.2, which DualPipe and the
// zero-bubble schedules shorten; they get the first form). Optimizer, casts and communication
// are left out, so a simulated step is never shorter (tests/sim/plan/compute_floor_test.cpp).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "calibration/cost_model.hpp"
#include "models/memory.hpp"
#include "scenarios/scenario.hpp"
#include "sim/step/stage_compute.hpp"

namespace trainsim::sim::plan {

struct PhaseFloor {
  /// Why the plan cannot run this phase (the op list's or the schedule's rule at the phase's
  /// first or last batch, as a step would say), or "".
  std::string problem;
  /// The largest batch the run simulates for the phase: its final batch, or the schedule's
  /// minimum when the final batch is below it (replay.hpp extrapolates from there).
  std::int64_t simulated_batch = 0;
  double busiest_rank_s = 0;     ///< max_q t_q: seconds per micro-batch on the busiest rank
  double busiest_compute_s = 0;  ///< the same of its compute kernels alone
  double wall_s = 0;             ///< the phase's lower bound, summed over its steps
  /// Least memory of the heaviest pipeline rank: its chunks' weights, gradients and optimizer
  /// states plus the activations its work list holds at its peak (a forward caches its
  /// micro-batch's activations until that micro-batch's backward; an F&B pair counted as
  /// freeing before caching). The step adds the head logits and the recompute workspace.
  double min_memory_bytes = 0;
  int min_memory_rank = 0;
  double min_memory_states = 0;       ///< of that rank
  double min_memory_activations = 0;  ///< of that rank
};

/// Caches cost models by (profile, GPU) and layer compute by the op-list context, so the plans
/// of a search that differ only in PP, schedule or ZeRO stage price their op lists once. Not
/// thread-safe: one per thread.
class ComputeFloor {
 public:
  PhaseFloor phase(const scenarios::Scenario& scenario, std::size_t phase_index);

 private:
  const calibration::CostModel& cost_model(const std::string& profile,
                                           const hardware::GpuSpec& gpu);
  std::map<std::string, std::unique_ptr<calibration::CostModel>> models_;
  struct LayerWork {
    std::string problem;  ///< models::op_list_problem, or ""
    LayerCompute compute;
    LayerCompute tp_comm;   ///< serial TP collectives' least seconds (hidden by tp_comm_overlap)
    LayerCompute etp_comm;  ///< expert-TP collectives' least seconds (never overlapped)
  };
  std::map<std::string, LayerWork> layers_;
  /// What a pipeline shape gives a phase, whatever the ZeRO stage: the batch the run simulates,
  /// the stages' layer ranges, and per pipeline rank the stages it holds, its seconds per
  /// micro-batch (with and without serial collectives) and its peak activations in flight.
  struct ShapeWork {
    std::string problem;
    std::int64_t batch = 0;
    std::int64_t steps = 0;  ///< the phase's step count under this plan
    std::vector<models::LayerRange> ranges;
    std::vector<std::vector<std::size_t>> rank_stages;
    std::vector<double> rank_s, rank_compute_s, rank_peak_activations;
  };
  std::map<std::string, ShapeWork> shapes_;
  ShapeWork shape_work(const scenarios::Scenario& s, std::size_t phase_index, const LayerWork& lw);
  static models::StageMemoryInput memory_input(const scenarios::Scenario& s,
                                               const scenarios::Phase& ph, const ShapeWork& w,
                                               std::size_t stage);
};

}  // namespace trainsim::sim::plan
