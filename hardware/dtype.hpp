#pragma once
// Numeric formats that set a GPU's peak FLOP rate and the bytes per element moved.
#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace trainsim::hardware {

enum class Dtype { FP8, BF16, FP16, TF32, FP32 };

inline constexpr std::array<Dtype, 5> kAllDtypes{Dtype::FP8, Dtype::BF16, Dtype::FP16, Dtype::TF32,
                                                 Dtype::FP32};

/// Lower-case name as written in YAML: "fp8", "bf16", "fp16", "tf32", "fp32".
std::string_view dtype_name(Dtype d);
/// Parses a lower-case name; returns false if unknown.
bool parse_dtype(std::string_view name, Dtype& out);
/// Storage size of one element in bytes (FP8 = 1, BF16/FP16 = 2, TF32/FP32 = 4).
double dtype_bytes(Dtype d);

}  // namespace trainsim::hardware
