#pragma once
// Validation cases (`validation/*.yaml`, `trainsim validation`): one measured configuration each,
// with the published figure, its source and the metric it is stated in. These figures are checks
// only — nothing in trainsim is ever fitted to them (DESIGN.md principle 10).
//
// A case file is a YAML map — `kind` (step or collective; the dispatch on it is in
// cli/cmd_validation.cpp), optional `name` (default: the file name), `description`, `measured`
// {value, metric, flops, source}, optional `not_expressible` and `assumptions`, and `scenario`
// (one phase) or `collective`; validation/README.md documents every key.
//
// Metrics and their conversion from a simulated step of t seconds on G GPUs, B sequences of s
// tokens:
//   iteration-s             t
//   tokens-per-s-per-gpu    B·s / (G·t)
//   tflops-per-gpu          F / (G·t) / 1e12, F from the case's FLOP convention (`flops:`):
//     megatron-2021         Narayanan et al. 2021 (arXiv 2104.04473) §5.1 / Appendix:
//                           F = 96·B·s·l·h²·(1 + s/(6h) + V/(16·l·h)), l layers, h hidden,
//                           V vocabulary. It counts forward, backward (2×) and the recomputed
//                           forward (activation recomputation on), attention scores over the full
//                           s×s matrix, and the logit layer; it omits biases, norms and softmax.
// Since both figures go through the same conversion, the error (simulated − measured)/measured
// of a TFLOP/s or tokens/s case is measured_time/simulated_time − 1.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/scenario.hpp"

namespace trainsim::scenarios {

/// What a case simulates. Adding a kind: a value here, its block in the loader
/// (validation_case.cpp, read_case) and its branch in cli/cmd_validation.cpp (evaluate_case).
enum class CaseKind {
  Step,        ///< one training step of a scenario
  Collective,  ///< one collective or MoE dispatch/combine alone (sim/collective/collective.hpp)
};

enum class Metric {
  IterationSeconds,  ///< seconds per training step
  TokensPerSecondPerGpu,
  TflopsPerGpu,   ///< model TFLOP/s per GPU under a stated FLOP convention
  BandwidthGBps,  ///< a collective's bandwidth, GB/s (1e9 B/s), as the case's `figure` counts it
};

enum class FlopConvention {
  None,          ///< no FLOP count (metrics other than tflops-per-gpu)
  Megatron2021,  ///< Narayanan et al. 2021: 96·B·s·l·h²·(1 + s/(6h) + V/(16·l·h))
};

/// "step", "collective".
std::string case_kind_name(CaseKind k);
/// "iteration-s", "tokens-per-s-per-gpu", "tflops-per-gpu".
std::string metric_name(Metric m);
/// Human unit of a metric: "s", "tokens/s per GPU", "TFLOP/s per GPU".
std::string metric_unit(Metric m);
/// "megatron-2021" ("" for None).
std::string flop_convention_name(FlopConvention f);

/// The published figure.
struct Measured {
  double value = 0;  ///< in metric_unit(metric)
  Metric metric = Metric::IterationSeconds;
  FlopConvention flops = FlopConvention::None;
  std::string source;  ///< the original paper / repository, table and row
};

/// kind == Collective: the case's `collective:` block, what `trainsim collective SCENARIO --op …
/// --group …` runs on the case's `scenario:` (its cluster, model, precision and plan), e.g.
/// `collective: {op: ep-dispatch, group: 16, tokens: 4096, figure: rdma}`.
struct CollectiveCase {
  std::string op;           ///< an op name (sim::collective::op_names())
  std::string group;        ///< a group name or rank count (sim::collective::kGroupNames)
  double bytes = 0;         ///< ring and all-to-all ops (`bytes:`): nccl-tests' size, bytes
  std::int64_t tokens = 0;  ///< EP ops (`tokens:`): tokens per rank
  std::string figure;       ///< "rdma", "nvl", "algbw" or "busbw" (figure_names())
};

struct ValidationCase {
  std::string name;
  std::string file;
  int line = 0;  ///< line of the case's first key
  CaseKind kind = CaseKind::Step;
  std::string description;
  Measured measured;
  /// Non-empty: the case cannot be simulated faithfully yet (a feature trainsim lacks); it is
  /// reported with this reason and left out of the error statistics.
  std::string not_expressible;
  /// Non-empty: the measured figure is an input of the named catalog or profile field (a
  /// kernel-level rate), so agreeing with it proves nothing; shown, never in the statistics.
  std::string calibrates;
  std::vector<std::string> assumptions;
  /// kind == Step: the scenario; its single phase is simulated at its batch. kind == Collective:
  /// the cluster, model and precision the collective runs on.
  std::optional<Scenario> scenario;
  std::optional<CollectiveCase> collective;  ///< kind == Collective
};

/// Reads and validates one case file. Throws IoError or ConfigError (file:line:column, key).
ValidationCase load_validation_case(const std::string& path);
/// Same, from text; `origin` names it in errors.
ValidationCase load_validation_case_text(const std::string& text, const std::string& origin);
/// Every `*.yaml` directly in `dir`, sorted by file name. Throws IoError if `dir` is not a
/// readable directory or holds no case.
std::vector<ValidationCase> load_validation_cases(const std::string& dir);

/// Narayanan et al. 2021 (arXiv 2104.04473) FLOPs of one iteration with activation recomputation:
/// 96·B·s·l·h²·(1 + s/(6h) + V/(16·l·h)). B sequences, s tokens each, l layers, h hidden, V vocab.
double megatron2021_flops(std::int64_t batch, std::int64_t seq_len, std::int64_t layers,
                          std::int64_t hidden, std::int64_t vocab);

/// The FLOPs a case's convention assigns to one step of its scenario's phase (0 for None).
double convention_flops(FlopConvention f, const Scenario& s);

/// GPUs the case's phase runs on (the phase's `gpus`, else the cluster's).
int case_gpus(const Scenario& s);

/// A simulated step time of the case's scenario expressed in the case's metric (see the file
/// comment for the formulas). `step_s` must be positive.
double step_metric(const Measured& m, const Scenario& s, double step_s);

/// One line stating the conversion of `m`, e.g. "TFLOP/s per GPU = F/(G·t), F = 96·B·s·l·h²·…".
std::string conversion_text(const Measured& m);

}  // namespace trainsim::scenarios
