#pragma once
// Which calibration profile times a scenario's compute ops, and how it is carried to the
// scenario's GPU.
//
// `calibration: auto` (the default): the bundled profile measured on the scenario's GPU (its
// `gpu:`; among several, the one marked `default_for_gpu: true`, else the first by name). When
// no bundled profile was measured on that GPU, the one measured on the nearest GPU, by
//   distance = |ln(peak_bf16(a) / peak_bf16(b))| + |ln(HBM(a) / HBM(b))|
// (ties to the GPU name that sorts first), with the transfer rule applied and a warning. An
// explicit profile (bundled name or file) measured on another GPU also warns and transfers.
// Transfer rule (cost_models.hpp): compute-bound times × peak_dtype(profile GPU) /
// peak_dtype(scenario GPU); memory-bound times × HBM(profile GPU) / HBM(scenario GPU).
#include <memory>
#include <string>

#include "calibration/cost_model.hpp"
#include "hardware/gpu_spec.hpp"

namespace trainsim::calibration {

struct CalibrationSelection {
  std::unique_ptr<CostModel> model;
  std::string requested;          ///< "auto", a bundled name, a file, or "roofline"
  std::string profile;            ///< the profile used (its name)
  std::string profile_gpu;        ///< catalog GPU it was measured on ("" for roofline)
  std::string scenario_gpu;       ///< the GPU simulated
  std::string transfer = "none";  ///< the transfer rule with its ratios, or "none"
  std::string warning;            ///< "" unless the profile's GPU differs from the scenario's
};

/// Resolves `requested` ("" means "auto") for `gpu`; ModelError for an unknown name (listing
/// the valid ones) and for `auto` when no bundled profile exists.
CalibrationSelection select_calibration(const std::string& requested, const hardware::GpuSpec& gpu);

/// The bundled profile `auto` picks for a catalog GPU measured on it ("" when none is).
std::string own_profile_for(const std::string& gpu_name);

/// The transfer rule between two GPUs in words, with the ratios of BF16 (and FP8 where both
/// have it) and of HBM bandwidth; "none" when the GPUs are the same.
std::string transfer_rule(const hardware::GpuSpec& from, const hardware::GpuSpec& to);

}  // namespace trainsim::calibration
