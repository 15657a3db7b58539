#include "scenarios/validation_case.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <system_error>

#include "core/yaml_reader.hpp"
#include "scenarios/scenario_loader.hpp"
#include "sim/collective/scenario_collective.hpp"

namespace trainsim::scenarios {
namespace {

constexpr double kMaxMeasured = 1e12;  // no published step figure comes near it in any unit

ConfigNode missing_source_guard(const ConfigNode& measured) {
  if (auto s = measured.find("source"); s && !s->as_string().empty()) return *s;
  throw measured.error(
      "missing required key 'source': every measured figure names its original source (paper "
      "and table/row, or repository, file and commit)");
}

Measured read_measured(const ConfigNode& node) {
  if (!node.is_map()) {
    throw node.error(
        "measured must be a mapping: {value: ..., metric: ..., source: \"...\"} (and flops: for "
        "tflops-per-gpu)");
  }
  node.check_keys({"value", "metric", "flops", "source"});
  Measured m;
  m.value = node.at("value").as_number(std::numeric_limits<double>::min(), kMaxMeasured);
  const std::string metric = node.at("metric").as_choice(
      {"iteration-s", "tokens-per-s-per-gpu", "tflops-per-gpu", "bandwidth-gbps"});
  if (metric == "bandwidth-gbps") {
    m.metric = Metric::BandwidthGBps;
  } else if (metric == "iteration-s") {
    m.metric = Metric::IterationSeconds;
  } else if (metric == "tokens-per-s-per-gpu") {
    m.metric = Metric::TokensPerSecondPerGpu;
  } else {
    m.metric = Metric::TflopsPerGpu;
  }
  if (auto f = node.find("flops")) {
    if (m.metric != Metric::TflopsPerGpu) {
      throw f->error(fmt::format(
          "'flops' (a FLOP convention) applies only to metric tflops-per-gpu, not {}", metric));
    }
    f->as_choice({"megatron-2021"});
    m.flops = FlopConvention::Megatron2021;
  } else if (m.metric == Metric::TflopsPerGpu) {
    throw node.error(
        "metric tflops-per-gpu needs 'flops': the FLOP convention the source counts with "
        "(valid: megatron-2021)");
  }
  m.source = missing_source_guard(node).as_string();
  return m;
}

/// The kind-specific part of a case. One branch per CaseKind.
void read_kind_block(const ConfigNode& root, ValidationCase& c) {
  switch (c.kind) {
    case CaseKind::Step: {
      const ConfigNode sc = root.at("scenario");
      Scenario s = parse_scenario(sc);
      if (s.phases.size() != 1) {
        throw sc.at("phases").error(
            fmt::format("a step case simulates exactly one phase (the measured batch and "
                        "sequence length); this scenario has {}",
                        s.phases.size()));
      }
      if (s.phases[0].batch.ramped()) {
        throw sc.at("phases").error("a step case needs a constant batch, not a ramp");
      }
      c.scenario = std::move(s);
      return;
    }
    case CaseKind::Collective: {
      // The collective runs on the scenario's cluster, model and precision; its group is placed
      // by the scenario's plan (sim/collective/scenario_collective.hpp). Checked here so a bad
      // case fails at its line, not in the middle of the table.
      c.scenario = parse_scenario(root.at("scenario"));
      const ConfigNode k = root.at("collective");
      k.check_keys({"op", "group", "bytes", "tokens", "figure"});
      CollectiveCase cc;
      cc.op = k.at("op").as_choice(sim::collective::op_names());
      cc.group = k.at("group").as_string();
      cc.figure = k.at("figure").as_choice(sim::collective::figure_names());
      const auto op = sim::collective::parse_op(cc.op);
      if (sim::collective::is_ep_op(op)) {
        if (k.has("bytes")) throw k.at("bytes").error(cc.op + " takes tokens:, not bytes:");
        cc.tokens = k.at("tokens").as_integer(1, std::int64_t{1} << 40);
      } else {
        if (k.has("tokens")) throw k.at("tokens").error(cc.op + " takes bytes:, not tokens:");
        cc.bytes = k.at("bytes").as_quantity(units::Quantity::Bytes, 1, 1e18);
      }
      if (c.measured.metric != Metric::BandwidthGBps) {
        throw root.at("measured")
            .at("metric")
            .error("a collective case states a bandwidth: metric bandwidth-gbps");
      }
      try {
        sim::collective::scenario_collective_spec(*c.scenario, 0, op, cc.group, cc.tokens);
      } catch (const ModelError& e) {
        throw k.at("group").error(e.what());
      }
      c.collective = std::move(cc);
      return;
    }
  }
}

ValidationCase read_case(const ConfigNode& root) {
  if (!root.is_map()) {
    throw root.error("a validation case must be a YAML mapping (kind, measured, scenario, ...)");
  }
  root.check_keys({"kind", "name", "description", "measured", "not_expressible", "calibrates",
                   "assumptions", "scenario", "collective"});
  ValidationCase c;
  c.file = root.file();
  c.line = root.line();
  c.kind = root.at("kind").as_choice({"step", "collective"}) == "collective" ? CaseKind::Collective
                                                                             : CaseKind::Step;
  if (auto n = root.find("name")) {
    c.name = n->as_string();
  } else {
    c.name = std::filesystem::path(root.file()).stem().string();
  }
  if (auto d = root.find("description")) c.description = d->as_string();
  c.measured = read_measured(root.at("measured"));
  if (auto n = root.find("not_expressible")) {
    c.not_expressible = n->as_string();
    if (c.not_expressible.empty()) throw n->error("not_expressible needs a reason (or remove it)");
  }
  if (auto n = root.find("calibrates")) {
    c.calibrates = n->as_string();
    if (c.calibrates.empty())
      throw n->error("calibrates needs the catalog or profile field it is an input of");
  }
  if (auto a = root.find("assumptions")) {
    for (std::size_t i = 0; i < a->size(); ++i) c.assumptions.push_back((*a)[i].as_string());
  }
  read_kind_block(root, c);
  if (c.measured.flops == FlopConvention::Megatron2021 && c.scenario) {
    // The formula is derived for a dense GPT with a 4h GELU FFN and full multi-head attention.
    const models::ModelSpec& m = c.scenario->model;
    if (m.is_moe() || m.activation != models::FfnActivation::Gelu || m.ffn_dim != 4 * m.hidden ||
        m.kv_heads != m.heads) {
      throw root.at("measured")
          .at("flops")
          .error(fmt::format(
              "megatron-2021 counts the FLOPs of a dense GPT (GELU FFN of 4·hidden, one K/V per "
              "head); model '{}' is not one (ffn_dim {}, hidden {}, kv_heads {} of {} heads{})",
              m.name, m.ffn_dim, m.hidden, m.kv_heads, m.heads, m.is_moe() ? ", experts" : ""));
    }
  }
  return c;
}

ValidationCase read_guarded(const ConfigNode& root) {
  try {
    return read_case(root);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw ConfigError(root.file(), 0, 0, "", std::string("malformed validation case: ") + e.what());
  }
}

}  // namespace

std::string case_kind_name(CaseKind k) {
  switch (k) {
    case CaseKind::Step:
      return "step";
    case CaseKind::Collective:
      return "collective";
  }
  return "?";
}

std::string metric_name(Metric m) {
  switch (m) {
    case Metric::IterationSeconds:
      return "iteration-s";
    case Metric::TokensPerSecondPerGpu:
      return "tokens-per-s-per-gpu";
    case Metric::TflopsPerGpu:
      return "tflops-per-gpu";
    case Metric::BandwidthGBps:
      return "bandwidth-gbps";
  }
  return "?";
}

std::string metric_unit(Metric m) {
  switch (m) {
    case Metric::IterationSeconds:
      return "s/iteration";
    case Metric::TokensPerSecondPerGpu:
      return "tokens/s per GPU";
    case Metric::TflopsPerGpu:
      return "TFLOP/s per GPU";
    case Metric::BandwidthGBps:
      return "GB/s";
  }
  return "?";
}

std::string flop_convention_name(FlopConvention f) {
  switch (f) {
    case FlopConvention::None:
      return "";
    case FlopConvention::Megatron2021:
      return "megatron-2021";
  }
  return "?";
}

ValidationCase load_validation_case(const std::string& path) {
  return read_guarded(ConfigNode::load_file(path));
}

ValidationCase load_validation_case_text(const std::string& text, const std::string& origin) {
  return read_guarded(ConfigNode::load_string(text, origin));
}

std::vector<ValidationCase> load_validation_cases(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw IoError(fmt::format("{}: not a directory of validation cases (*.yaml)", dir));
  }
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") {
      files.push_back(entry.path().string());
    }
  }
  if (ec) throw IoError(fmt::format("{}: cannot list the directory: {}", dir, ec.message()));
  if (files.empty()) throw IoError(fmt::format("{}: no validation case (*.yaml) in it", dir));
  std::sort(files.begin(), files.end());
  std::vector<ValidationCase> cases;
  cases.reserve(files.size());
  for (const auto& f : files) cases.push_back(load_validation_case(f));
  return cases;
}

double megatron2021_flops(std::int64_t batch, std::int64_t seq_len, std::int64_t layers,
                          std::int64_t hidden, std::int64_t vocab) {
  const double B = static_cast<double>(batch), s = static_cast<double>(seq_len);
  const double l = static_cast<double>(layers), h = static_cast<double>(hidden);
  const double V = static_cast<double>(vocab);
  return 96.0 * B * s * l * h * h * (1.0 + s / (6.0 * h) + V / (16.0 * l * h));
}

double convention_flops(FlopConvention f, const Scenario& s) {
  switch (f) {
    case FlopConvention::None:
      return 0.0;
    case FlopConvention::Megatron2021: {
      const Phase& ph = s.phases.at(0);
      return megatron2021_flops(ph.batch.end, ph.seq_len, s.model.layers, s.model.hidden,
                                s.model.vocab);
    }
  }
  return 0.0;
}

int case_gpus(const Scenario& s) {
  const Phase& ph = s.phases.at(0);
  return ph.gpus ? *ph.gpus : s.cluster.gpus;
}

double step_metric(const Measured& m, const Scenario& s, double step_s) {
  if (!(step_s > 0)) {
    throw ModelError(fmt::format("a step time must be positive to convert it, not {} s", step_s));
  }
  const Phase& ph = s.phases.at(0);
  const double gpus = static_cast<double>(case_gpus(s));
  switch (m.metric) {
    case Metric::IterationSeconds:
      return step_s;
    case Metric::TokensPerSecondPerGpu:
      return static_cast<double>(ph.batch.end) * static_cast<double>(ph.seq_len) / (gpus * step_s);
    case Metric::TflopsPerGpu:
      return convention_flops(m.flops, s) / (gpus * step_s) / 1e12;
    case Metric::BandwidthGBps:
      throw ModelError("bandwidth-gbps is a collective case's metric, not a step's");
  }
  return 0.0;
}

std::string conversion_text(const Measured& m) {
  switch (m.metric) {
    case Metric::IterationSeconds:
      return "simulated step time t, compared directly";
    case Metric::TokensPerSecondPerGpu:
      return "tokens/s per GPU = B·s/(G·t) (B sequences of s tokens, G GPUs, step time t)";
    case Metric::TflopsPerGpu:
      return "TFLOP/s per GPU = F/(G·t)/1e12 with the Narayanan et al. 2021 count "
             "F = 96·B·s·l·h²·(1 + s/(6h) + V/(16·l·h)) (includes the recomputed forward)";
    case Metric::BandwidthGBps:
      return "GB/s = counted bytes / simulated time t (trainsim collective: rdma and nvl as "
             "DeepEP's tests count them, algbw and busbw as nccl-tests does)";
  }
  return "";
}

}  // namespace trainsim::scenarios
