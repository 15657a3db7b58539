#include "hardware/dtype.hpp"

namespace trainsim::hardware {

std::string_view dtype_name(Dtype d) {
  switch (d) {
    case Dtype::FP8:
      return "fp8";
    case Dtype::BF16:
      return "bf16";
    case Dtype::FP16:
      return "fp16";
    case Dtype::TF32:
      return "tf32";
    case Dtype::FP32:
      return "fp32";
  }
  return "?";
}

bool parse_dtype(std::string_view name, Dtype& out) {
  for (Dtype d : kAllDtypes) {
    if (dtype_name(d) == name) {
      out = d;
      return true;
    }
  }
  return false;
}

double dtype_bytes(Dtype d) {
  switch (d) {
    case Dtype::FP8:
      return 1.0;
    case Dtype::BF16:
    case Dtype::FP16:
      return 2.0;
    case Dtype::TF32:
    case Dtype::FP32:
      return 4.0;
  }
  return 4.0;
}

}  // namespace trainsim::hardware
