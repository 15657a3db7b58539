#pragma once
// Per-rank MoE all-to-all volumes the way DeepSeek-V3 routes them (V3 §3.2.2): a token crosses
// InfiniBand at most once per destination node, to the GPU with the sender's in-node index, and
// is then forwarded over NVLink to the GPUs holding its experts. Node-limited routing caps the
// destination nodes per token at `limited_groups` (4 for V3).
//
// Per rank and micro-batch, with T tokens on the rank, hidden size H, payload bytes b per element
// (FP8 dispatch: 1 B + one FP32 scale per 128 channels; BF16 combine: 2 B), N EP nodes, G GPUs
// per node, ν mean destination nodes per token and g mean distinct GPUs hit per destination node:
//   IB bytes out  = T · ν · (N−1)/N · H · b          (destination nodes other than its own)
//   IB bytes in   = the same under balanced routing (every rank is a sender and a receiver)
//   NVLink out    = T · ν · g · (1 − 1/G) · H · b    (delivery inside each destination node,
//                                                     skipping the GPU that already holds it)
// Expert load imbalance scales each rank's received tokens by its experts' mean load factor,
// drawn from a seeded Gamma(1/cv², cv²) distribution (mean 1, coefficient of variation cv).
#include <cstdint>
#include <vector>

namespace trainsim::sim::moe {

struct RoutingShape {
  std::int64_t tokens_per_rank = 0;  ///< T: tokens entering the MoE layer on one rank
  std::int64_t hidden = 0;           ///< H
  std::int64_t top_k = 0;            ///< experts per token (routed only)
  std::int64_t routed_experts = 0;   ///< E
  int ep = 1;                        ///< EP degree (ranks sharing the experts)
  int gpus_per_node = 8;             ///< G
  int limited_nodes = 0;             ///< node-limited routing cap (0 = none)
  /// Mean destination nodes per token if published (V3: 8 experts / 3.2 per node = 2.5); 0 =
  /// derive from uniform routing.
  double mean_nodes_per_token = 0;
};

/// Expected distinct nodes per token: published value if given, else uniform routing without
/// replacement, N·(1 − C(E − E/N, k)/C(E, k)), capped by limited_nodes.
double nodes_per_token(const RoutingShape& s);

/// Expected distinct GPUs hit inside one destination node per token: with k' = k/ν experts per
/// node among E/N experts spread over G GPUs, G·(1 − C(E/N − E/P, k')/C(E/N, k')).
double gpus_per_destination_node(const RoutingShape& s);

struct RankTraffic {
  double ib_out_bytes = 0;
  double ib_in_bytes = 0;
  double nvlink_out_bytes = 0;
  double nvlink_in_bytes = 0;
  double expert_tokens = 0;  ///< routed tokens the rank's local experts process (sum over experts)
};

/// Balanced per-rank volumes for one all-to-all with `bytes_per_element` payload.
RankTraffic balanced_traffic(const RoutingShape& s, double bytes_per_element);

/// Per-rank load factors (mean 1) for the `ep` ranks of one EP group: each rank's experts' loads
/// are drawn from Gamma(1/cv², cv²) with a generator seeded by `seed`; cv = 0 gives all ones.
/// With `capacity_factor` c > 0 tokens beyond an expert's capacity are dropped (GShard, Lepikhin
/// et al. 2020 §2.2; Switch Transformer, Fedus et al. 2021 §2.2): capacity = c·T·k/E tokens, so
/// each expert's load factor (relative to the balanced load) is min(x_e, c) before the rank's
/// mean is taken; the factors' mean is then ≤ 1. 0 = no dropping (DeepSeek-V3 §3.2.2).
std::vector<double> rank_load_factors(const RoutingShape& s, double cv, std::uint64_t seed,
                                      double capacity_factor = 0);

/// Payload bytes per element: FP8 (1 B) plus one FP32 scale per 128-channel tile (V3 §3.3),
/// or the dtype's size for BF16/FP32.
double payload_bytes_per_element(double dtype_bytes);

}  // namespace trainsim::sim::moe
