#pragma once
// Human-readable description of a resolved scenario (for `validate` and the head of `run`).
#include <string>

#include "scenarios/scenario.hpp"

namespace trainsim::cli {

/// Model, cluster, plan, precision, phases (with steps), price and stated assumptions.
std::string describe_scenario(const scenarios::Scenario& s);

}  // namespace trainsim::cli
