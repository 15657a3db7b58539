#pragma once
// Test support for the step executor's tests: an H800 cluster of a given size on the MPFT
// InfiniBand fabric (8 GPUs a node), a compute segment of a given duration, an expert dispatch,
// and the one-node, one-micro-batch 1F1B setting of the single-stage cases.
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "hardware/catalog.hpp"
#include "hardware/topology.hpp"
#include "sim/schedules/schedule.hpp"
#include "sim/step/stage_work.hpp"
#include "sim/step/step_executor.hpp"

namespace trainsim::test {

/// `gpus` H800s, 8 per node, on the bundled mpft-ib-400g fabric.
inline hardware::ClusterSpec h800_cluster(int gpus) {
  const auto& hw = hardware::HardwareCatalog::bundled();
  hardware::ClusterSpec c;
  c.gpu = hw.gpu("h800");
  c.fabric = hw.fabric("mpft-ib-400g");
  c.gpus = gpus;
  c.node.gpus_per_node = 8;
  return c;
}

/// A compute segment of `seconds`, all of it ops of `op` (a dense GEMM unless said).
inline sim::Segment compute_segment(double seconds, models::OpKind op = models::OpKind::Gemm,
                                    sim::SegmentKind kind = sim::SegmentKind::Compute) {
  sim::Segment s;
  s.kind = kind;
  s.compute_s = seconds;
  s.by_kind_s[static_cast<std::size_t>(op)] = seconds;
  return s;
}

/// An expert all-to-all dispatch of `bytes` per rank (before routing).
inline sim::Segment ep_dispatch_segment(double bytes) {
  sim::Segment s;
  s.kind = sim::SegmentKind::EpDispatch;
  s.bytes = bytes;
  return s;
}

/// DP `dp` × EP `ep` ranks in one H800 node running 1F1B over one micro-batch of one stage: the
/// setting of the single-stage cases. setup() points at the topology and schedule held here.
struct OneNodeStep {
  explicit OneNodeStep(int dp, int ep = 1)
      : topo(hardware::Topology::build(h800_cluster(dp))), plan([&] {
          models::ParallelPlan p;
          p.dp = dp;
          p.ep = ep;
          return p;
        }()) {}

  sim::StepSetup setup(std::vector<sim::StageWork> stages, const sim::DpSync& dp = {},
                       const sim::MoeRouting& moe = {}, std::vector<double> load = {}) const {
    return sim::StepSetup{&topo,
                          sim::RankLayout(plan, 8),
                          schedule.get(),
                          sim::schedules::ScheduleShape{1, 1, 1},
                          std::move(stages),
                          std::move(load),
                          moe,
                          dp,
                          0,
                          0,
                          {}};
  }

  hardware::Topology topo;
  models::ParallelPlan plan;
  std::unique_ptr<sim::schedules::PipelineSchedule> schedule =
      sim::schedules::make_schedule("1f1b");
};

}  // namespace trainsim::test
