#pragma once
// Test support for the step executor's tests: an H800 cluster of a given size on the MPFT
// InfiniBand fabric (8 GPUs a node), and a compute segment of a given duration.
#include <cstddef>

#include "hardware/catalog.hpp"
#include "sim/step/stage_work.hpp"

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

}  // namespace trainsim::test
