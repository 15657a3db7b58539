#include "sim/moe/traffic.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "core/error.hpp"

namespace trainsim::sim::moe {
namespace {

/// C(a − r, k)/C(a, k) for real k (product form, interpolated between integer k): the chance
/// that k draws without replacement from a items all miss r given items.
double miss_probability(double a, double r, double k) {
  if (k <= 0) return 1.0;
  if (r <= 0) return 1.0;
  if (r >= a) return 0.0;
  auto integer_miss = [&](int kk) {
    double p = 1.0;
    for (int i = 0; i < kk; ++i) {
      const double num = a - r - i;
      const double den = a - i;
      if (num <= 0) return 0.0;
      p *= num / den;
    }
    return p;
  };
  const int lo = static_cast<int>(std::floor(k));
  const double frac = k - lo;
  const double p_lo = integer_miss(lo);
  return frac == 0 ? p_lo : p_lo + (integer_miss(lo + 1) - p_lo) * frac;
}

void check(const RoutingShape& s) {
  if (s.tokens_per_rank < 0 || s.hidden <= 0 || s.top_k <= 0 || s.routed_experts <= 0 || s.ep < 1 ||
      s.gpus_per_node < 1) {
    throw ModelError(
        "MoE routing shape needs positive hidden, top_k, experts, ep and gpus_per_node");
  }
  if (s.routed_experts % s.ep != 0) throw ModelError("ep must divide the routed experts");
}

int ep_nodes(const RoutingShape& s) {
  return std::max(1, s.ep / std::min(s.ep, s.gpus_per_node));
}

}  // namespace

double nodes_per_token(const RoutingShape& s) {
  check(s);
  const int n = ep_nodes(s);
  double nu = 0;
  if (s.mean_nodes_per_token > 0) {
    nu = s.mean_nodes_per_token;
  } else {
    const double e = static_cast<double>(s.routed_experts);
    nu = n * (1.0 - miss_probability(e, e / n, static_cast<double>(s.top_k)));
  }
  if (s.limited_nodes > 0) nu = std::min(nu, static_cast<double>(s.limited_nodes));
  return std::clamp(nu, 1.0, static_cast<double>(n));
}

double gpus_per_destination_node(const RoutingShape& s) {
  const double nu = nodes_per_token(s);
  const int n = ep_nodes(s);
  const int g = std::min(s.ep, s.gpus_per_node);
  const double experts_per_node = static_cast<double>(s.routed_experts) / n;
  const double experts_per_gpu = static_cast<double>(s.routed_experts) / s.ep;
  const double k_per_node = static_cast<double>(s.top_k) / nu;
  return g * (1.0 - miss_probability(experts_per_node, experts_per_gpu, k_per_node));
}

RankTraffic balanced_traffic(const RoutingShape& s, double b) {
  check(s);
  const double t = static_cast<double>(s.tokens_per_rank);
  const double h = static_cast<double>(s.hidden);
  const int n = ep_nodes(s);
  const int g = std::min(s.ep, s.gpus_per_node);
  const double nu = nodes_per_token(s);
  const double g_hit = gpus_per_destination_node(s);
  RankTraffic r;
  r.ib_out_bytes = n > 1 ? t * nu * (n - 1.0) / n * h * b : 0.0;
  r.ib_in_bytes = r.ib_out_bytes;
  r.nvlink_out_bytes = g > 1 ? t * nu * g_hit * (1.0 - 1.0 / g) * h * b : 0.0;
  r.nvlink_in_bytes = r.nvlink_out_bytes;
  // Every rank hosts E/P experts; balanced routing gives each T·k/P·... : the EP group routes
  // P·T tokens × k experts over P ranks, so each rank's experts see T·k tokens in total.
  r.expert_tokens = t * static_cast<double>(s.top_k);
  return r;
}

std::vector<double> rank_load_factors(const RoutingShape& s, double cv, std::uint64_t seed,
                                      double capacity_factor) {
  check(s);
  if (!(capacity_factor >= 0) || !std::isfinite(capacity_factor)) {
    throw ModelError("MoE capacity factor must be finite and >= 0 (0 = no token dropping)");
  }
  const double cap =
      capacity_factor > 0 ? capacity_factor : std::numeric_limits<double>::infinity();
  std::vector<double> out(static_cast<std::size_t>(s.ep), std::min(1.0, cap));
  if (!(cv > 0)) return out;
  if (!std::isfinite(cv)) throw ModelError("MoE imbalance must be finite");
  const int per_rank = static_cast<int>(s.routed_experts / s.ep);
  const double shape = 1.0 / (cv * cv);
  std::mt19937_64 rng(seed);
  std::gamma_distribution<double> gamma(shape, 1.0 / shape);
  std::vector<double> expert(static_cast<std::size_t>(s.routed_experts));
  double sum = 0;
  for (auto& x : expert) {
    x = gamma(rng);
    sum += x;
  }
  const double mean = sum / static_cast<double>(expert.size());
  for (int r = 0; r < s.ep; ++r) {
    double load = 0;
    for (int e = 0; e < per_rank; ++e) {
      // An expert's load relative to the balanced load, capped at its capacity.
      load += std::min(expert[static_cast<std::size_t>(r * per_rank + e)] / mean, cap);
    }
    out[static_cast<std::size_t>(r)] = load / per_rank;
  }
  return out;
}

double payload_bytes_per_element(double dtype_bytes) {
  // FP8 payloads carry one FP32 scale per 1×128 tile: 4/128 B per element (V3 §3.3).
  return dtype_bytes <= 1.0 ? dtype_bytes + 4.0 / 128.0 : dtype_bytes;
}

}  // namespace trainsim::sim::moe
