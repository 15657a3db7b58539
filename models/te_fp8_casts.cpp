#include "models/te_fp8_casts.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hardware/dtype.hpp"
#include "models/tp_overlap.hpp"

namespace trainsim::models {
namespace {

using hardware::Dtype;

std::string strip(std::string name, std::string_view suffix) {
  if (name.ends_with(suffix)) name.resize(name.size() - suffix.size());
  return name;
}

/// The GEMM a transpose is made for: its op name without pass suffixes ("L3.attn.qkv_proj").
std::string gemm_base(const std::string& gemm_name) {
  return strip(strip(gemm_name, ".recompute"), ".dgrad");
}

/// A transpose of a gathered FP8 operand, made before `gemm`'s weight-gradient GEMM.
struct Transpose {
  std::string gemm;    ///< gemm_base of the GEMM
  std::string suffix;  ///< ".input_transpose" or ".grad_transpose"
  double elements = 0;
  Dtype dtype = Dtype::BF16;  ///< the op's nominal dtype (the high-precision one it replaces)
};

void add_transpose(std::vector<Transpose>& out, Transpose t) {
  for (const Transpose& have : out)
    if (have.gemm == t.gemm && have.suffix == t.suffix) return;
  out.push_back(std::move(t));
}

/// The all-gather `ag` moves the FP8 row-wise data of its `elements`: 1 B each (the 4 B scale
/// is negligible).
double to_fp8(Op& ag) {
  const double elements = ag.bytes / hardware::dtype_bytes(ag.dtype);
  ag.bytes = elements;
  ag.dtype = Dtype::FP8;
  return elements;
}

/// One pass's FP8 all-gathers; collects the transposes its weight gradients need.
void gather_in_fp8(std::vector<Op>& ops, int tp, std::vector<Transpose>& transposes) {
  for (std::size_t i = 0; i < ops.size(); ++i) {
    Op& ag = ops[i];
    if (ag.kind != OpKind::TpCollective) continue;
    const bool forward =
        ag.name.ends_with(".tp_all_gather") || ag.name.ends_with(".tp_all_gather.recompute");
    const bool grad = ag.name.ends_with(".tp_all_gather.bwd");
    if (forward || grad) {
      // gather → quantise → FP8 GEMM becomes quantise (local tokens, row-wise) → FP8 gather.
      if (i + 2 >= ops.size()) continue;
      Op& q = ops[i + 1];
      const Op& gemm = ops[i + 2];
      if (q.kind != OpKind::Quantize || gemm.kind != OpKind::Gemm || gemm.dtype != Dtype::FP8)
        continue;
      const Dtype hp = ag.dtype;
      const double elements = to_fp8(ag);
      const double local = elements / tp;
      q.flops = 2 * local;  // abs-max and scale per element (op_list.cpp)
      q.bytes = local * (hardware::dtype_bytes(q.dtype) + 1.0) + 8.0;  // + scale-inverse, amax
      add_transpose(transposes, {gemm_base(gemm.name),
                                 grad ? ".grad_transpose" : ".input_transpose", elements, hp});
      std::swap(ops[i], ops[i + 1]);
      i += 2;
    } else if (ag.name.ends_with(".tp_all_gather.bwd_input")) {
      // The backward re-gather of a column-parallel GEMM's input (tp_backward_overlap): the FP8
      // shard its forward kept, for the weight gradient.
      for (std::size_t k = i + 1; k < ops.size(); ++k) {
        if (ops[k].kind != OpKind::Gemm || !ops[k].name.ends_with(".dgrad")) continue;
        if (ops[k].dtype == Dtype::FP8) {
          const Dtype hp = ag.dtype;
          const double elements = to_fp8(ag);
          add_transpose(transposes, {gemm_base(ops[k].name), ".input_transpose", elements, hp});
        }
        break;
      }
    }
  }
}

/// Puts each transpose right before its GEMM's `.wgrad` in `ops`.
void insert_transposes(std::vector<Op>& ops, const std::vector<Transpose>& transposes) {
  for (const Transpose& t : transposes) {
    const std::string wgrad = t.gemm + ".wgrad";
    for (std::size_t k = 0; k < ops.size(); ++k) {
      if (ops[k].name != wgrad) continue;
      Op op;
      op.name = t.gemm + t.suffix;
      op.kind = OpKind::Quantize;
      op.pass = ops[k].pass;
      op.dtype = t.dtype;
      op.flops = t.elements;        // nominal: the cost model times it by its bytes
      op.bytes = 2.0 * t.elements;  // FP8 read, FP8 transposed write
      ops.insert(ops.begin() + static_cast<std::ptrdiff_t>(k), std::move(op));
      break;
    }
  }
}

/// Whether `gemm` is the GEMM of a LayerNormLinear: a forward (or recomputed) QKV or dense-FFN up
/// projection (their UbGemm names, qkv_fprop and fc1_fprop).
bool layernorm_linear(const Op& gemm) {
  const auto g = ub_gemm_of(gemm.name);
  return gemm.kind == OpKind::Gemm && gemm.dtype == Dtype::FP8 &&
         (g == UbGemm::QkvFprop || g == UbGemm::Fc1Fprop);
}

/// The norm before a LayerNormLinear's cast writes FP8 and the cast goes: [norm, quantize,
/// (all-gather,) GEMM] → [norm (FP8 out), (all-gather,) GEMM], or [norm, quantize, GEMM] →
/// [norm (FP8 out), input_transpose, GEMM] where no gather separates them (the forward cast
/// wrote the transpose too).
void fuse_norm_casts(std::vector<Op>& ops) {
  for (std::size_t i = 0; i + 2 < ops.size(); ++i) {
    Op& norm = ops[i];
    Op& q = ops[i + 1];
    if (norm.kind != OpKind::Norm || q.kind != OpKind::Quantize) continue;
    if (!q.name.ends_with(".quantize") && !q.name.ends_with(".quantize.recompute")) continue;
    const bool gathered = ops[i + 2].kind == OpKind::TpCollective;
    const std::size_t g = gathered ? i + 3 : i + 2;
    if (g >= ops.size() || !layernorm_linear(ops[g])) continue;
    const double elements = norm.flops / 4;  // RMSNorm/LayerNorm: 4 FLOP per element forward
    norm.bytes += elements * (1.0 - hardware::dtype_bytes(norm.dtype)) + 8.0;
    if (gathered) {
      ops.erase(ops.begin() + static_cast<std::ptrdiff_t>(i + 1));
    } else {
      const double gemm_input = q.flops / 2;  // the cast's elements (2 FLOP each)
      q.name = gemm_base(ops[g].name) + ".input_transpose";
      q.flops = gemm_input;
      q.bytes = 2.0 * gemm_input;  // FP8 read, FP8 transposed write
    }
  }
}

void quantize_before_all_gather(LayerOps& ops, const OpListContext& c) {
  if (!c.sequence_parallel || c.tp <= 1) return;
  std::vector<Transpose> transposes;
  for (auto* pass : {&ops.forward, &ops.backward_input, &ops.backward_full})
    gather_in_fp8(*pass, c.tp, transposes);
  insert_transposes(ops.backward_weight, transposes);
  insert_transposes(ops.backward_full, transposes);
}

}  // namespace

void apply_te_fp8_casts(LayerOps& ops, const OpListContext& c) {
  if (fp8_scaling(c.precision) != Fp8Scaling::PerTensor) return;
  quantize_before_all_gather(ops, c);
  for (auto* pass : {&ops.forward, &ops.backward_input, &ops.backward_full}) fuse_norm_casts(*pass);
}

}  // namespace trainsim::models
