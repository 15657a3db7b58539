#pragma once
// The achieved rate of an attention core from a profile's measured points (`attention:`).
//
// Lookup rule, in order:
//  0. library: points of the op's kernel library (AttentionShape::library: FlashAttention or
//     cuDNN); a profile with none of it takes the other library's points (named: the two run
//     one algorithm with the same traffic, but differ by up to ~20% at one shape in
//     FlashAttention-3's own comparison on the H100).
//  1. dtype: points of the op's dtype; a BF16 op with none takes FP16 points and vice versa (the
//     two share one tensor-core rate on Ampere and Hopper: A100 and H100 datasheets).
//  2. direction: points of the op's pass (forward → `fwd`, backward → `bwd`); else `fwd_bwd`
//     points (the rate of the pair, applied to either pass); else the other pass's points.
//  3. mask: points with the op's causal flag; else the other mask's, times the ratio of the two
//     masks' rates (steps 4-5 for each) in a pass where both were measured (the other pass, then
//     fwd_bwd): e.g. FlashAttention-3's causal backward from its non-causal backward and the
//     causal/non-causal ratio of its forward.
//  4. head dimension: the points whose effective head dim (d_qk + d_v)/2 is nearest the op's in
//     log2 distance; a tie takes the smaller (the slower kernel).
//  5. sequence length: among those, the rate is interpolated linearly in ln(S_kv) between the
//     two points that bracket the op's S_kv, and held at the end point's rate outside them.
// Every substitution in 0-3 is named in AttentionRate::fallback (the step output lists it).
// The rate is the measuring GPU's with all its SMs; the cost model applies the SM reservation
// and, on another GPU, the transfer rule (cost_models.hpp).
#include <optional>
#include <string>
#include <vector>

#include "calibration/profile.hpp"
#include "models/op.hpp"

namespace trainsim::calibration {

struct AttentionRate {
  double flops_per_s = 0;  ///< achieved FLOP/s on the profile's GPU
  std::string fallback;    ///< "" when dtype, pass and mask matched; else what was substituted
};

/// The rate for an OpKind::Attention op, or nullopt when no point has a usable dtype.
std::optional<AttentionRate> attention_rate(const std::vector<AttentionPoint>& points,
                                            const models::Op& op);

}  // namespace trainsim::calibration
