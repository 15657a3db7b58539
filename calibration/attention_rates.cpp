#include "calibration/attention_rates.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string_view>

namespace trainsim::calibration {
namespace {

using hardware::Dtype;

double effective_head_dim(std::int64_t d_qk, std::int64_t d_v) {
  return 0.5 * static_cast<double>(d_qk + (d_v > 0 ? d_v : d_qk));
}

std::vector<const AttentionPoint*> with_dtype(const std::vector<const AttentionPoint*>& in,
                                              Dtype d) {
  std::vector<const AttentionPoint*> out;
  for (const auto* p : in)
    if (p->dtype == d) out.push_back(p);
  return out;
}

std::vector<const AttentionPoint*> of_library(const std::vector<AttentionPoint>& points,
                                              models::AttentionLibrary lib) {
  std::vector<const AttentionPoint*> out;
  for (const auto& p : points)
    if (p.library == lib) out.push_back(&p);
  return out;
}

std::string_view library_name(models::AttentionLibrary lib) {
  return lib == models::AttentionLibrary::Cudnn ? "cuDNN" : "FlashAttention";
}

std::vector<const AttentionPoint*> filter(const std::vector<const AttentionPoint*>& in,
                                          AttentionDirection dir) {
  std::vector<const AttentionPoint*> out;
  for (const auto* p : in)
    if (p->direction == dir) out.push_back(p);
  return out;
}

/// Steps 4-5 of the lookup (attention_rates.hpp) over points of one dtype, pass and mask.
double rate_at(const std::vector<const AttentionPoint*>& masked, const models::Op& op) {
  double rate = 0;
  // 4. nearest effective head dim (log2 distance; ties to the smaller).
  const double want_d = effective_head_dim(op.attention.head_dim_qk, op.attention.head_dim_v);
  double best_d = 0, best_dist = 0;
  for (const auto* p : masked) {
    const double d = effective_head_dim(p->head_dim, p->head_dim_v);
    const double dist = std::fabs(std::log2(d / std::max(want_d, 1.0)));
    if (best_d == 0 || dist < best_dist - 1e-12 ||
        (std::fabs(dist - best_dist) <= 1e-12 && d < best_d)) {
      best_d = d;
      best_dist = dist;
    }
  }
  std::vector<const AttentionPoint*> row;
  for (const auto* p : masked)
    if (effective_head_dim(p->head_dim, p->head_dim_v) == best_d) row.push_back(p);
  std::stable_sort(row.begin(), row.end(),
                   [](const auto* a, const auto* b) { return a->seq_len < b->seq_len; });

  // 5. log-linear in S_kv, held outside the measured range.
  const double s = static_cast<double>(std::max<std::int64_t>(op.attention.seq_kv, 1));
  if (s <= static_cast<double>(row.front()->seq_len)) {
    rate = row.front()->flops_per_s;
  } else if (s >= static_cast<double>(row.back()->seq_len)) {
    rate = row.back()->flops_per_s;
  } else {
    std::size_t hi = 1;
    while (static_cast<double>(row[hi]->seq_len) < s) ++hi;
    const AttentionPoint& a = *row[hi - 1];
    const AttentionPoint& b = *row[hi];
    const double la = std::log(static_cast<double>(a.seq_len));
    const double lb = std::log(static_cast<double>(b.seq_len));
    const double w = lb > la ? (std::log(s) - la) / (lb - la) : 0.0;
    rate = a.flops_per_s + w * (b.flops_per_s - a.flops_per_s);
  }
  return rate;
}

std::vector<const AttentionPoint*> with_mask(const std::vector<const AttentionPoint*>& in,
                                             bool causal) {
  std::vector<const AttentionPoint*> out;
  for (const auto* p : in)
    if (p->causal == causal) out.push_back(p);
  return out;
}

}  // namespace

std::optional<AttentionRate> attention_rate(const std::vector<AttentionPoint>& points,
                                            const models::Op& op) {
  // 0. library, then 1. dtype (BF16 and FP16 stand in for each other) within it.
  const auto by_dtype = [&](const std::vector<const AttentionPoint*>& lib) {
    auto c = with_dtype(lib, op.dtype);
    if (c.empty() && op.dtype == Dtype::BF16) c = with_dtype(lib, Dtype::FP16);
    if (c.empty() && op.dtype == Dtype::FP16) c = with_dtype(lib, Dtype::BF16);
    return c;
  };
  const auto wanted_lib = op.attention.library;
  const auto other_lib = wanted_lib == models::AttentionLibrary::Cudnn
                             ? models::AttentionLibrary::FlashAttention
                             : models::AttentionLibrary::Cudnn;
  std::vector<std::string> subs;
  auto candidates = by_dtype(of_library(points, wanted_lib));
  if (candidates.empty()) {
    candidates = by_dtype(of_library(points, other_lib));
    if (!candidates.empty())
      subs.push_back(fmt::format("{} points for a {} kernel (no {} points)",
                                 library_name(other_lib), library_name(wanted_lib),
                                 library_name(wanted_lib)));
  }
  if (candidates.empty()) return std::nullopt;

  AttentionRate out;
  const bool forward = op.pass == models::Pass::Forward;
  const std::string what =
      fmt::format("attention {} {}{}", forward ? "fwd" : "bwd", hardware::dtype_name(op.dtype),
                  wanted_lib == models::AttentionLibrary::Cudnn ? " cudnn" : "");

  // 2. direction.
  const auto wanted = forward ? AttentionDirection::Forward : AttentionDirection::Backward;
  const auto other = forward ? AttentionDirection::Backward : AttentionDirection::Forward;
  auto dir = filter(candidates, wanted);
  if (dir.empty()) {
    dir = filter(candidates, AttentionDirection::ForwardBackward);
    if (!dir.empty()) {
      subs.emplace_back("the fwd+bwd pair's rate");
    } else {
      dir = filter(candidates, other);
      subs.push_back(fmt::format("the {} points (no {} points)", forward ? "bwd" : "fwd",
                                 forward ? "fwd" : "bwd"));
    }
  }

  // 3. mask.
  const bool causal = op.attention.causal;
  std::vector<const AttentionPoint*> masked = with_mask(dir, causal);
  double mask_ratio = 1.0;
  if (masked.empty()) {
    masked = dir;
    // The other mask's points, scaled by the mask's measured effect on another pass of the same
    // kernels where both masks were measured (e.g. FlashAttention-3's forward, for its backward,
    // which the paper shows without a causal mask only). The mask changes which tiles run: a
    // causal kernel skips the tiles above the diagonal and masks those on it, whose lower work and
    // uneven per-row load cost efficiency in the forward and the backward kernel alike. That the
    // loss is the same fraction in both passes is an assumption, named in the fallback.
    for (const auto d : {other, AttentionDirection::ForwardBackward, wanted}) {
      const auto pass = filter(candidates, d);
      const auto same = with_mask(pass, causal), opposite = with_mask(pass, !causal);
      if (same.empty() || opposite.empty()) continue;
      const double r_same = rate_at(same, op), r_opposite = rate_at(opposite, op);
      if (!(r_same > 0) || !(r_opposite > 0)) continue;
      mask_ratio = r_same / r_opposite;
      subs.push_back(fmt::format("{} points for a {} op, times the {} {}/{} rate ratio {:.3f}",
                                 causal ? "non-causal" : "causal", causal ? "causal" : "non-causal",
                                 d == AttentionDirection::Forward    ? "fwd"
                                 : d == AttentionDirection::Backward ? "bwd"
                                                                     : "fwd+bwd",
                                 causal ? "causal" : "non-causal", causal ? "non-causal" : "causal",
                                 mask_ratio));
      break;
    }
    if (mask_ratio == 1.0)
      subs.push_back(fmt::format("{} points for a {} op", causal ? "non-causal" : "causal",
                                 causal ? "causal" : "non-causal"));
  }

  out.flops_per_s = rate_at(masked, op);
  if (mask_ratio != 1.0) out.flops_per_s *= mask_ratio;
  if (!subs.empty()) {
    std::string joined;
    for (const auto& x : subs) joined += (joined.empty() ? "" : ", ") + x;
    out.fallback = fmt::format("{}: {}", what, joined);
  }
  return out;
}

}  // namespace trainsim::calibration
