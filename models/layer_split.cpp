// Pipeline layer split. Balanced: the classic linear-partition problem — split the sequence of
// layer costs c_0..c_{n-1} into S contiguous non-empty parts minimising the largest part's cost,
// solved exactly by dynamic programming, best[s][i] = min_j max(best[s-1][j], cost(j..i)),
// O(S·n²) (n ≤ a few hundred, S ≤ n). The first part also carries the embedding and the last the
// head and MTP modules (their costs added to those parts).
// Costs: BalancedFlops uses flops_per_token's per-layer terms, 6·N_matmul(l) + 3·attention_fwd(S)
// (an MTP module adds its pass through the head); the head costs 6·d·V; the embedding lookup 0.
// BalancedParameters uses layer_parameters and the embedding/head tables.
#include "models/layer_split.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "core/error.hpp"
#include "models/accounting.hpp"

namespace trainsim::models {

namespace {

double layer_cost(const ModelSpec& m, std::int64_t l, SplitPolicy p, std::int64_t seq_len) {
  switch (p) {
    case SplitPolicy::BalancedFlops: {
      double f = 6.0 * static_cast<double>(layer_matmul_parameters_per_token(m, l)) +
                 3.0 * layer_attention_flops_per_token(m, seq_len);
      if (l >= m.layers) f += 6.0 * static_cast<double>(m.hidden * m.vocab);  // MTP head pass
      return f;
    }
    case SplitPolicy::BalancedParameters:
      return static_cast<double>(layer_parameters(m, l));
    case SplitPolicy::Uniform:
      return l < m.layers ? 1.0 : 0.0;
  }
  return 0;
}

double embedding_cost(const ModelSpec& m, SplitPolicy p) {
  if (p == SplitPolicy::BalancedParameters)
    return static_cast<double>(count_parameters(m).embedding);
  return 0;  // a lookup: no FLOP
}

double head_cost(const ModelSpec& m, SplitPolicy p) {
  switch (p) {
    case SplitPolicy::BalancedFlops:
      return 6.0 * static_cast<double>(m.hidden * m.vocab);
    case SplitPolicy::BalancedParameters: {
      const auto c = count_parameters(m);
      return static_cast<double>(c.head + c.final_norm);
    }
    case SplitPolicy::Uniform:
      return 0;
  }
  return 0;
}

}  // namespace

std::string_view split_policy_name(SplitPolicy p) {
  switch (p) {
    case SplitPolicy::BalancedFlops:
      return "balanced-flops";
    case SplitPolicy::BalancedParameters:
      return "balanced-parameters";
    case SplitPolicy::Uniform:
      return "uniform";
  }
  return "?";
}

bool parse_split_policy(std::string_view name, SplitPolicy& out) {
  for (SplitPolicy p :
       {SplitPolicy::BalancedFlops, SplitPolicy::BalancedParameters, SplitPolicy::Uniform}) {
    if (split_policy_name(p) == name) {
      out = p;
      return true;
    }
  }
  return false;
}

double stage_cost(const ModelSpec& m, LayerRange r, bool first, bool last, SplitPolicy policy,
                  std::int64_t seq_len) {
  double c = 0;
  for (std::int64_t l = r.first; l < r.last; ++l) c += layer_cost(m, l, policy, seq_len);
  if (first) c += embedding_cost(m, policy);
  if (last) c += head_cost(m, policy);
  return c;
}

std::vector<LayerRange> split_layers(const ModelSpec& m, int stages, SplitPolicy policy,
                                     std::int64_t seq_len) {
  if (stages < 1 || stages > m.layers) {
    throw ModelError(
        fmt::format("cannot split the {} layers of '{}' over {} pipeline stages: "
                    "need 1 to {} stages",
                    m.layers, m.name, stages, m.layers));
  }
  const std::int64_t n = m.layers;
  const auto S = static_cast<std::size_t>(stages);
  std::vector<LayerRange> out(S);
  if (policy == SplitPolicy::Uniform) {
    const std::int64_t base = n / stages, extra = n % stages;
    std::vector<std::int64_t> counts(S, base);
    // Remainder to the inner stages first (the outer ones carry the embedding and head).
    std::int64_t left = extra;
    for (std::size_t s = 1; s + 1 < S && left > 0; ++s, --left) ++counts[s];
    if (left > 0) {
      ++counts[0];
      --left;
    }
    if (left > 0) ++counts[S - 1];
    std::int64_t first = 0;
    for (std::size_t s = 0; s < S; ++s) {
      out[s] = {first, first + counts[s]};
      first += counts[s];
    }
    out[S - 1].last = n + m.mtp_depth;
    return out;
  }
  std::vector<double> costs(static_cast<std::size_t>(n));
  for (std::int64_t l = 0; l < n; ++l)
    costs[static_cast<std::size_t>(l)] = layer_cost(m, l, policy, seq_len);
  double mtp = 0;
  for (std::int64_t l = n; l < n + m.mtp_depth; ++l) mtp += layer_cost(m, l, policy, seq_len);
  return split_layers_by_cost(m, stages, costs, embedding_cost(m, policy),
                              head_cost(m, policy) + mtp);
}

std::vector<LayerRange> split_layers_by_cost(const ModelSpec& m, int stages,
                                             const std::vector<double>& layer_costs,
                                             double first_extra, double last_extra) {
  if (stages < 1 || stages > m.layers) {
    throw ModelError(
        fmt::format("cannot split the {} layers of '{}' over {} pipeline stages: "
                    "need 1 to {} stages",
                    m.layers, m.name, stages, m.layers));
  }
  if (static_cast<std::int64_t>(layer_costs.size()) != m.layers) {
    throw ModelError(fmt::format("split of '{}': {} layer costs given for {} layers", m.name,
                                 layer_costs.size(), m.layers));
  }
  const std::int64_t n = m.layers;
  const auto S = static_cast<std::size_t>(stages);
  std::vector<LayerRange> out(S);
  // prefix[i] = cost of layers [0, i)
  const auto N = static_cast<std::size_t>(n);
  std::vector<double> prefix(N + 1, 0.0);
  for (std::size_t i = 0; i < N; ++i) prefix[i + 1] = prefix[i] + layer_costs[i];
  const double emb = first_extra, head = last_extra;
  const auto part = [&](std::size_t j, std::size_t i, std::size_t s) {  // layers [j, i) as stage s
    double c = prefix[i] - prefix[j];
    if (s == 0) c += emb;
    if (s + 1 == S) c += head;
    return c;
  };
  constexpr double kInf = std::numeric_limits<double>::infinity();
  // best[s][i]: min over splits of layers [0, i) into stages 0..s of the largest stage cost.
  std::vector<std::vector<double>> best(S, std::vector<double>(N + 1, kInf));
  std::vector<std::vector<std::size_t>> cut(S, std::vector<std::size_t>(N + 1, 0));
  for (std::size_t i = 1; i <= N; ++i) best[0][i] = part(0, i, 0);
  for (std::size_t s = 1; s < S; ++s) {
    for (std::size_t i = s + 1; i <= N; ++i) {
      // Later j first, so that ties leave more layers to earlier stages.
      for (std::size_t j = i - 1; j >= s; --j) {
        const double v = std::max(best[s - 1][j], part(j, i, s));
        if (v < best[s][i] * (1 - 1e-12)) {
          best[s][i] = v;
          cut[s][i] = j;
        }
        if (j == s) break;
      }
    }
  }
  std::size_t i = N;
  for (std::size_t s = S; s-- > 0;) {
    const std::size_t j = s == 0 ? 0 : cut[s][i];
    out[s] = {static_cast<std::int64_t>(j), static_cast<std::int64_t>(i)};
    i = j;
  }
  out[S - 1].last = n + m.mtp_depth;
  return out;
}

}  // namespace trainsim::models
