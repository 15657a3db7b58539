#include "models/tp_overlap.hpp"

namespace trainsim::models {

std::string_view ub_gemm_name(UbGemm g) {
  switch (g) {
    case UbGemm::QkvFprop:
      return "qkv_fprop";
    case UbGemm::QkvDgrad:
      return "qkv_dgrad";
    case UbGemm::QkvWgrad:
      return "qkv_wgrad";
    case UbGemm::ProjFprop:
      return "proj_fprop";
    case UbGemm::ProjDgrad:
      return "proj_dgrad";
    case UbGemm::Fc1Fprop:
      return "fc1_fprop";
    case UbGemm::Fc1Dgrad:
      return "fc1_dgrad";
    case UbGemm::Fc1Wgrad:
      return "fc1_wgrad";
    case UbGemm::Fc2Fprop:
      return "fc2_fprop";
    case UbGemm::Fc2Dgrad:
      return "fc2_dgrad";
  }
  return "";
}

std::string_view ub_method_name(UbMethod m) {
  switch (m) {
    case UbMethod::RingExchange:
      return "ring_exchange";
    case UbMethod::Pipeline:
      return "pipeline";
    case UbMethod::Bulk:
      return "bulk";
  }
  return "";
}

UbGemmOverlap default_ub_overlap(UbGemm g) {
  return kDefaultUbConfig[static_cast<std::size_t>(g)];
}

UbGemmOverlap ub_method_defaults(UbMethod m) {
  switch (m) {
    case UbMethod::RingExchange:
      return detail::kRing;
    case UbMethod::Pipeline:
      return detail::kPipeline;
    case UbMethod::Bulk:
      return detail::kBulk;
  }
  return detail::kBulk;
}

bool ub_reduce_scatter(UbGemm g) {
  return g == UbGemm::ProjFprop || g == UbGemm::Fc2Fprop || g == UbGemm::QkvWgrad ||
         g == UbGemm::Fc1Wgrad;
}

int ub_chunks(const UbGemmOverlap& o, int tp, bool reduce_scatter) {
  switch (o.method) {
    case UbMethod::RingExchange:
      return tp < 2 ? 1 : (o.aggregate && !reduce_scatter ? tp / 2 : tp);
    case UbMethod::Pipeline:
      return o.num_splits < 1 ? 1 : o.num_splits;
    case UbMethod::Bulk:
      return 1;
  }
  return 1;
}

int ub_reserved_sms(const UbGemmOverlap& o) {
  if (o.method == UbMethod::Bulk) return o.num_sm;
  return o.set_sm_margin ? o.num_sm : 0;
}

std::optional<UbGemm> ub_gemm_of(std::string_view name) {
  const auto ends_with = [&](std::string_view s) {
    return name.size() >= s.size() && name.substr(name.size() - s.size()) == s;
  };
  struct Entry {
    std::string_view suffix;
    UbGemm gemm;
  };
  static constexpr Entry kEntries[] = {
      {".attn.qkv_proj", UbGemm::QkvFprop},
      {".attn.qkv_proj.recompute", UbGemm::QkvFprop},
      {".attn.qkv_proj.dgrad", UbGemm::QkvDgrad},
      {".attn.qkv_proj.wgrad", UbGemm::QkvWgrad},
      {".attn.o_proj", UbGemm::ProjFprop},
      {".attn.o_proj.recompute", UbGemm::ProjFprop},
      {".attn.o_proj.dgrad", UbGemm::ProjDgrad},
      {".ffn.gate_up_proj", UbGemm::Fc1Fprop},
      {".ffn.gate_up_proj.recompute", UbGemm::Fc1Fprop},
      {".ffn.gate_up_proj.dgrad", UbGemm::Fc1Dgrad},
      {".ffn.gate_up_proj.wgrad", UbGemm::Fc1Wgrad},
      {".ffn.up_proj", UbGemm::Fc1Fprop},
      {".ffn.up_proj.recompute", UbGemm::Fc1Fprop},
      {".ffn.up_proj.dgrad", UbGemm::Fc1Dgrad},
      {".ffn.up_proj.wgrad", UbGemm::Fc1Wgrad},
      {".ffn.down_proj", UbGemm::Fc2Fprop},
      {".ffn.down_proj.recompute", UbGemm::Fc2Fprop},
      {".ffn.down_proj.dgrad", UbGemm::Fc2Dgrad},
  };
  for (const Entry& e : kEntries)
    if (ends_with(e.suffix)) return e.gemm;
  return std::nullopt;
}

}  // namespace trainsim::models
