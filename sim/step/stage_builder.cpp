#include "sim/step/stage_builder.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "core/error.hpp"

namespace trainsim::sim {
namespace {

SegmentKind comm_kind(models::OpKind k) {
  switch (k) {
    case models::OpKind::Dispatch:
      return SegmentKind::EpDispatch;
    case models::OpKind::Combine:
      return SegmentKind::EpCombine;
    case models::OpKind::TpCollective:
      return SegmentKind::TpCollective;
    case models::OpKind::CpCollective:
      return SegmentKind::CpCollective;
    default:
      return SegmentKind::Compute;
  }
}

/// Segments of one layer's pass: compute ops merged until a communication op. With
/// `side_expert_gemms` (a weight-gradient pass under ParallelPlan::expert_wgrad_side_stream) the
/// expert GEMMs form SideCompute segments of their own, consecutive ones merged.
SegmentList layer_segments(const std::vector<models::Op>& ops, const StageBuildContext& ctx,
                           StageBuildStats& stats, bool side_expert_gemms) {
  SegmentList out;
  Segment current;
  double expert_s = 0;
  auto flush = [&] {
    if (current.compute_s > 0) {
      current.expert_fraction = expert_s / current.compute_s;
      out.push_back(std::move(current));
    }
    current = Segment{};
    expert_s = 0;
  };
  for (const auto& op : ops) {
    if (models::is_communication(op.kind)) {
      flush();
      Segment c;
      c.kind = comm_kind(op.kind);
      if (c.kind == SegmentKind::CpCollective && op.name.find("all_to_all") != std::string::npos)
        c.kind = SegmentKind::CpAllToAll;  // Ulysses (models/op_list.cpp)
      if (c.kind == SegmentKind::TpCollective && op.name.find("etp_") != std::string::npos)
        c.kind = SegmentKind::EtpCollective;  // expert TP (models/op_list.cpp)
      c.bytes = ctx.payload_bytes ? ctx.payload_bytes(op) : op.bytes;
      c.all_reduce = op.name.find("all_reduce") != std::string::npos;
      c.overlapped = op.overlapped;
      out.push_back(c);
      continue;
    }
    const SegmentKind kind = side_expert_gemms && op.kind == models::OpKind::GroupedGemm &&
                                     op.pass == models::Pass::BackwardWeight
                                 ? SegmentKind::SideCompute
                                 : SegmentKind::Compute;
    if (kind != current.kind || op.waits_for_comm) {
      flush();
      current.kind = kind;
      current.waits = op.waits_for_comm;  // the segment starts at the op that reads the data
    }
    const calibration::OpTiming t = calibration::time_op(*ctx.cost, op, ctx.compute);
    if (!(t.seconds >= 0) || !std::isfinite(t.seconds)) {
      throw ModelError("cost model '" + ctx.cost->name() + "' returned an invalid time for op " +
                       op.name);
    }
    if (t.source == calibration::TimingSource::Roofline) {
      stats.roofline_kinds.insert(std::string(models::op_kind_name(op.kind)));
    }
    if (!t.fallback.empty()) stats.fallbacks.insert(t.fallback);
    current.compute_s += t.seconds;
    current.flops += op.flops;
    current.by_kind_s[static_cast<std::size_t>(op.kind)] += t.seconds;
    if (op.kind == models::OpKind::GroupedGemm) expert_s += t.seconds;
  }
  flush();
  return out;
}

void add_into(Segment& into, const Segment& from) {
  const double total = into.compute_s + from.compute_s;
  if (total > 0) {
    into.expert_fraction =
        (into.expert_fraction * into.compute_s + from.expert_fraction * from.compute_s) / total;
  }
  into.compute_s = total;
  into.flops += from.flops;
  into.bytes += from.bytes;
  into.all_reduce = into.all_reduce || from.all_reduce;
  into.overlapped = into.overlapped || from.overlapped;
  into.waits = into.waits || from.waits;
  for (std::size_t k = 0; k < kOpKinds; ++k) into.by_kind_s[k] += from.by_kind_s[k];
}

/// Folds per-layer segment lists into one pattern: slot = (kind, ordinal of that kind in its
/// layer), ordered as in the layer with the most segments.
SegmentList fold(const std::vector<SegmentList>& per_layer) {
  using Slot = std::pair<int, int>;
  const SegmentList* longest = nullptr;
  for (const auto& l : per_layer) {
    if (longest == nullptr || l.size() > longest->size()) longest = &l;
  }
  if (longest == nullptr) return {};
  std::vector<Slot> order;
  std::map<Slot, Segment> sums;
  auto slots_of = [](const SegmentList& l) {
    std::vector<Slot> s;
    std::map<int, int> count;
    for (const auto& seg : l) {
      const int k = static_cast<int>(seg.kind);
      s.emplace_back(k, count[k]++);
    }
    return s;
  };
  for (const Slot& s : slots_of(*longest)) order.push_back(s);
  for (const auto& l : per_layer) {
    const auto slots = slots_of(l);
    for (std::size_t i = 0; i < l.size(); ++i) {
      Slot s = slots[i];
      if (std::find(order.begin(), order.end(), s) == order.end()) {
        order.push_back(s);  // a pattern the longest layer lacks: appended, keeps its work
      }
      auto [it, inserted] = sums.try_emplace(s, Segment{});
      if (inserted) it->second.kind = l[i].kind;
      add_into(it->second, l[i]);
    }
  }
  SegmentList out;
  for (const Slot& s : order) out.push_back(sums[s]);
  return out;
}

/// One pass of the stage from its layers' segment lists: folded into one pattern (Chunk
/// granularity) or concatenated with adjacent compute segments of one stream merged (Layer).
SegmentList join_layers(std::vector<SegmentList> per_layer, Granularity granularity) {
  if (granularity == Granularity::Chunk) return fold(per_layer);
  SegmentList out;
  for (auto& l : per_layer) {
    for (auto& seg : l) {
      if (!out.empty() && out.back().kind == seg.kind && is_compute(seg.kind) && !seg.waits) {
        add_into(out.back(), seg);
      } else {
        out.push_back(std::move(seg));
      }
    }
  }
  return out;
}

SegmentList build_pass(const std::vector<models::LayerOps>& layers, const StageBuildContext& ctx,
                       StageBuildStats& stats,
                       const std::vector<models::Op> models::LayerOps::*pass) {
  const bool side = pass == &models::LayerOps::backward_weight && ctx.expert_wgrad_side_stream;
  std::vector<SegmentList> per_layer;
  for (const auto& l : layers) per_layer.push_back(layer_segments(l.*pass, ctx, stats, side));
  return join_layers(std::move(per_layer), ctx.granularity);
}

/// Per layer: backward-for-input segments, then that layer's backward-for-weight segments; or
/// the layer's own interleaved order (LayerOps::backward_full) where it has one.
SegmentList build_full_backward(const std::vector<models::LayerOps>& layers,
                                const StageBuildContext& ctx, StageBuildStats& stats) {
  std::vector<SegmentList> per_layer;
  per_layer.reserve(layers.size());
  for (const auto& l : layers) {
    if (!l.backward_full.empty()) {
      per_layer.push_back(
          layer_segments(l.backward_full, ctx, stats, ctx.expert_wgrad_side_stream));
      continue;
    }
    SegmentList segs = layer_segments(l.backward_input, ctx, stats, false);
    SegmentList w = layer_segments(l.backward_weight, ctx, stats, ctx.expert_wgrad_side_stream);
    if (!segs.empty() && !w.empty() && segs.back().kind == SegmentKind::Compute &&
        w.front().kind == SegmentKind::Compute) {
      add_into(segs.back(), w.front());  // B's last compute runs straight into W's first
      w.erase(w.begin());
    }
    segs.insert(segs.end(), std::make_move_iterator(w.begin()), std::make_move_iterator(w.end()));
    per_layer.push_back(std::move(segs));
  }
  return join_layers(std::move(per_layer), ctx.granularity);
}

}  // namespace

void build_stage_segments(const std::vector<models::LayerOps>& layers, const StageBuildContext& ctx,
                          StageWork& out, StageBuildStats& stats) {
  if (ctx.cost == nullptr) throw ModelError("stage builder needs a cost model");
  out.backward_full = build_full_backward(layers, ctx, stats);
  out.forward = build_pass(layers, ctx, stats, &models::LayerOps::forward);
  out.backward_input = build_pass(layers, ctx, stats, &models::LayerOps::backward_input);
  out.backward_weight = build_pass(layers, ctx, stats, &models::LayerOps::backward_weight);
}

}  // namespace trainsim::sim
