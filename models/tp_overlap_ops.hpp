#pragma once
// Transformer Engine's userbuffers applied to a layer's op lists (OpListContext::tp_comm_overlap,
// tp > 1): each overlapped TP GEMM as its method runs it, and each forward reduce-scatter beside
// the GEMM that produces it.
//
// GEMMs: serial_chunks and sms_reserved from the GEMM's UbGemmOverlap (models/tp_overlap.hpp).
//
// Forward reduce-scatters of the row-parallel GEMMs (proj_fprop, fc2_fprop, under sequence
// parallelism) overlap their own GEMM, not what follows it (transformer_engine/common/
// comm_gemm_overlap/comm_gemm_overlap.cpp @d0067d0d):
// - ring_exchange (CommOverlapP2PBase::split_overlap_rs): tp GEMM chunks, each chunk but the
//   rank's own sent to its destination while the next chunk computes; then `reduce_bf16` on the
//   main stream sums the tp partial chunks: the collective is issued with the GEMM, and a
//   `.reduce` kernel after it (reads tp chunks of T/tp × d, writes one) waits for it;
// - pipeline (CommOverlapBase::split_overlap_rs): num_splits GEMM chunks, each chunk's
//   reduce-scatter after it on the communication stream, the last one after the GEMM: (c−1)/c of
//   the bytes are issued with the GEMM, a `.tail` of 1/c after it;
// - bulk: not a reduce-scatter overlap in TE; the collective stays after the GEMM.
// The op after the reduce-scatter reads its output and waits for it (Op::waits_for_comm).
// Timing: max(GEMM, collective) + tail, against TE's max(GEMM, first chunk + collective): the
// first chunk is not waited for (≤ 1/chunks of the GEMM, and only when communication-bound).
#include "models/op_list.hpp"

namespace trainsim::models {

/// Applies the userbuffers overlap to every pass of `ops`; no-op unless c.tp_comm_overlap and
/// c.tp > 1.
void apply_userbuffers(LayerOps& ops, const OpListContext& c);

}  // namespace trainsim::models
