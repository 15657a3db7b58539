#include "models/tp_overlap_ops.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "hardware/dtype.hpp"

namespace trainsim::models {
namespace {

const UbGemmOverlap& overlap_of(const OpListContext& c, UbGemm g) {
  return c.tp_overlap[static_cast<std::size_t>(g)];
}

/// Each overlapped TP GEMM runs as its method's chunks on the SMs its kernels leave it.
void mark_gemms(std::vector<Op>& ops, const OpListContext& c) {
  for (Op& op : ops) {
    if (op.kind != OpKind::Gemm) continue;
    const auto g = ub_gemm_of(op.name);
    if (!g) continue;
    const UbGemmOverlap& o = overlap_of(c, *g);
    op.serial_chunks = static_cast<int>(std::clamp<std::int64_t>(
        ub_chunks(o, c.tp, ub_reduce_scatter(*g)), 1, std::max<std::int64_t>(1, op.gemm.m)));
    op.sms_reserved = ub_reserved_sms(o);
  }
}

/// A forward (or recomputed forward) reduce-scatter of a row-parallel output (op_list.cpp,
/// Builder::tp_reduce under sequence parallelism).
bool is_forward_reduce_scatter(const Op& op) {
  return op.kind == OpKind::TpCollective && (op.name.ends_with(".tp_reduce_scatter") ||
                                             op.name.ends_with(".tp_reduce_scatter.recompute"));
}

/// The GEMM whose output the reduce-scatter at `rs` reduces, if TE overlaps the two: the nearest
/// earlier GEMM with only non-GEMM compute ops (a bias) between, a proj_fprop or fc2_fprop
/// GEMM under a ring_exchange or pipeline overlap.
std::optional<std::size_t> producing_gemm(const std::vector<Op>& ops, std::size_t rs,
                                          const OpListContext& c) {
  std::size_t j = rs;
  while (j > 0) {
    --j;
    if (ops[j].kind == OpKind::Gemm) break;
    if (is_communication(ops[j].kind) || ops[j].kind == OpKind::GroupedGemm) return std::nullopt;
  }
  if (ops[j].kind != OpKind::Gemm) return std::nullopt;
  const auto g = ub_gemm_of(ops[j].name);
  if (!g || !(*g == UbGemm::ProjFprop || *g == UbGemm::Fc2Fprop)) return std::nullopt;
  if (overlap_of(c, *g).method == UbMethod::Bulk) return std::nullopt;
  return j;
}

/// Moves each forward reduce-scatter beside its GEMM (see tp_overlap_ops.hpp).
void place_reduce_scatters(std::vector<Op>& ops, const OpListContext& c) {
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (!is_forward_reduce_scatter(ops[i])) continue;
    const auto j = producing_gemm(ops, i, c);
    if (!j) continue;
    const UbGemmOverlap& o = overlap_of(c, *ub_gemm_of(ops[*j].name));
    Op rs = std::move(ops[i]);
    ops.erase(ops.begin() + static_cast<std::ptrdiff_t>(i));
    rs.overlapped = true;
    Op after;
    bool next_waits = false;
    if (o.method == UbMethod::RingExchange) {
      // reduce_bf16 (userbuffers.cu): sums the tp partial chunks of T/tp × d, reading all tp of
      // them (the reduce-scatter's T × d buffer) and writing one, 1 FLOP per input element past
      // the first.
      const double elems = rs.bytes / hardware::dtype_bytes(rs.dtype);
      after = rs;
      after.name = rs.name + ".reduce";
      after.kind = OpKind::Elementwise;
      after.overlapped = false;
      after.flops = elems * (c.tp - 1) / c.tp;
      after.bytes = rs.bytes * (1.0 + 1.0 / c.tp);
      after.waits_for_comm = true;
    } else {
      // Pipeline: the last split's reduce-scatter runs after the GEMM, the others beside it.
      const int chunks = std::max(1, ub_chunks(o, c.tp, true));
      after = rs;
      after.name = rs.name + ".tail";
      after.bytes = rs.bytes / chunks;
      rs.bytes -= after.bytes;
      next_waits = true;
    }
    const auto at = ops.begin() + static_cast<std::ptrdiff_t>(*j);
    ops.insert(at, std::move(rs));  // now [rs, GEMM, ...] from *j
    ops.insert(ops.begin() + static_cast<std::ptrdiff_t>(*j + 2), std::move(after));
    // The op reading the reduced output waits for it (a collective waits for the one before).
    const std::size_t next = *j + 3;
    if (next_waits && next < ops.size() && !is_communication(ops[next].kind))
      ops[next].waits_for_comm = true;
    i = *j + 2;  // past the inserted op
  }
}

}  // namespace

void apply_userbuffers(LayerOps& ops, const OpListContext& c) {
  if (!c.tp_comm_overlap || c.tp <= 1) return;
  for (auto* pass : {&ops.forward, &ops.backward_input, &ops.backward_weight, &ops.backward_full}) {
    mark_gemms(*pass, c);
    place_reduce_scatters(*pass, c);
  }
}

}  // namespace trainsim::models
