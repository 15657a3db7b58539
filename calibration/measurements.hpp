#pragma once
// Turning the device harness's measurements (trainsim-calibrate-device --out FILE, schema
// "trainsim.device_measurements.v0": see calibration/kernels/README.md) into a profile: every
// GEMM point whose reference check passed becomes a measured point at its median time; the copy
// kernel's achieved bandwidth sets the roofline memory efficiency and the attention forward's
// achieved rate its compute efficiency, each with "measured by trainsim calibrate on <device>".
#include <string>

#include "calibration/profile.hpp"
#include "hardware/gpu_spec.hpp"

namespace trainsim::calibration {

/// Parses the harness JSON; throws ConfigError (origin = `origin`) on malformed input.
Profile profile_from_measurements(const std::string& json_text, const std::string& origin,
                                  const std::string& name, const hardware::GpuSpec& gpu,
                                  const std::string& date);

/// The profile as YAML in the bundled format (calibration/profiles/*.yaml).
std::string profile_to_yaml(const Profile& profile);

}  // namespace trainsim::calibration
