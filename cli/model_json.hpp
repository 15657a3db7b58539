#pragma once
// The machine-readable views of a model (`inspect --json`, "trainsim.model/1") and of a checked
// scenario (`validate --json`, "trainsim.scenario/1"); keys in docs/result-schema.md.
#include <cstdint>
#include <string>

#include "models/model_spec.hpp"
#include "scenarios/scenario.hpp"

namespace trainsim::cli {

/// `inspect --json`: architecture, parameter counts, FLOP and KV cache per token at `seq_len`.
std::string model_to_json(const models::ModelSpec& model, std::int64_t seq_len);

/// `validate --json`: the resolved scenario (model with its parameter counts, cluster, plan,
/// precision, phases with their steps).
std::string scenario_to_json(const scenarios::Scenario& scenario);

/// "671B total, 37.5B active per token" (and the MTP modules' unique parameters when any), for
/// `validate` and `inspect` text.
std::string parameter_summary(const models::ModelSpec& model);

}  // namespace trainsim::cli
