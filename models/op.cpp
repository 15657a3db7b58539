#include "models/op.hpp"

namespace trainsim::models {

std::string_view op_kind_name(OpKind k) {
  switch (k) {
    case OpKind::Gemm:
      return "gemm";
    case OpKind::GroupedGemm:
      return "grouped_gemm";
    case OpKind::Attention:
      return "attention";
    case OpKind::Norm:
      return "norm";
    case OpKind::Elementwise:
      return "elementwise";
    case OpKind::Router:
      return "router";
    case OpKind::Permute:
      return "permute";
    case OpKind::Quantize:
      return "quantize";
    case OpKind::Embedding:
      return "embedding";
    case OpKind::Loss:
      return "loss";
    case OpKind::Dispatch:
      return "dispatch";
    case OpKind::Combine:
      return "combine";
    case OpKind::TpCollective:
      return "tp_collective";
    case OpKind::CpCollective:
      return "cp_collective";
  }
  return "?";
}

std::string_view pass_name(Pass p) {
  switch (p) {
    case Pass::Forward:
      return "forward";
    case Pass::BackwardInput:
      return "backward_input";
    case Pass::BackwardWeight:
      return "backward_weight";
  }
  return "?";
}

bool is_communication(OpKind k) {
  return k == OpKind::Dispatch || k == OpKind::Combine || k == OpKind::TpCollective ||
         k == OpKind::CpCollective;
}

}  // namespace trainsim::models
