#include "cli/op_cost_printer.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/program_options/errors.hpp>
#include <charconv>

#include "hardware/dtype.hpp"
#include "models/op_list.hpp"
#include "reports/text_table.hpp"

namespace trainsim::cli {
namespace {

std::string shape_of(const models::Op& op) {
  switch (op.kind) {
    case models::OpKind::Gemm:
    case models::OpKind::GroupedGemm: {
      const auto& g = op.gemm;
      return g.groups > 1 ? fmt::format("{}x{}x{} x{}", g.m, g.n, g.k, g.groups)
                          : fmt::format("{}x{}x{}", g.m, g.n, g.k);
    }
    case models::OpKind::Attention: {
      const auto& a = op.attention;
      return fmt::format("b{} h{} s{}/{} d{}{}{}", a.batch, a.heads, a.seq_q, a.seq_kv,
                         a.head_dim_qk, a.causal ? " causal" : "",
                         a.library == models::AttentionLibrary::Cudnn ? " cudnn" : "");
    }
    default:
      return "";
  }
}

}  // namespace

std::int64_t parse_ops_layer(const std::string& text) {
  if (text == "embedding") return models::kEmbeddingLayer;
  if (text == "head") return models::kHeadLayer;
  std::int64_t v = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v < 0) {
    throw boost::program_options::error(fmt::format(
        "--ops '{}' is not a layer: give a layer index (0, 1, ...), 'embedding' or 'head'", text));
  }
  return v;
}

std::string describe_op_costs(const sim::LayerOpCosts& c) {
  const std::string which = c.layer == models::kEmbeddingLayer ? "the embedding"
                            : c.layer == models::kHeadLayer    ? "the output head and loss"
                                                               : fmt::format("layer {}", c.layer);
  std::string out = fmt::format(
      "\nops of {}, one micro-batch on one rank ({} tokens), priced by '{}'\n"
      "(GEMM shape m x n x k; MB: ideal HBM traffic, or bytes sent for communication):\n",
      which, reports::with_commas(static_cast<double>(c.tokens)), c.profile);
  reports::TextTable t(
      {"pass", "op", "kind", "dtype", "shape", "GFLOP", "MB", "ms", "TFLOP/s", "of peak",
       "timed by"},
      {reports::Align::Left, reports::Align::Left, reports::Align::Left, reports::Align::Left,
       reports::Align::Left, reports::Align::Right, reports::Align::Right, reports::Align::Right,
       reports::Align::Right, reports::Align::Right, reports::Align::Left});
  std::array<double, 3> pass_s{};
  for (const sim::OpCost& oc : c.ops) {
    const models::Op& op = oc.op;
    const bool comm = models::is_communication(op.kind);
    pass_s[static_cast<std::size_t>(op.pass)] += oc.seconds;
    t.add_row(
        {std::string(models::pass_name(op.pass)), op.name,
         std::string(models::op_kind_name(op.kind)), std::string(hardware::dtype_name(op.dtype)),
         shape_of(op), op.flops > 0 ? fmt::format("{:.2f}", op.flops / 1e9) : "",
         fmt::format("{:.1f}", op.bytes / 1e6), comm ? "" : fmt::format("{:.3f}", oc.seconds * 1e3),
         oc.peak_fraction > 0 ? fmt::format("{:.0f}", op.flops / oc.seconds / 1e12) : "",
         oc.peak_fraction > 0 ? fmt::format("{:.1f}%", 100 * oc.peak_fraction) : "", oc.timed_by});
  }
  out += t.render();
  out += fmt::format(
      "compute per micro-batch: forward {:.3f} ms, backward for inputs {:.3f} ms (recomputed "
      "forward ops included), backward for weights {:.3f} ms; communication is simulated as "
      "flows in the step\n",
      pass_s[0] * 1e3, pass_s[1] * 1e3, pass_s[2] * 1e3);
  return out;
}

}  // namespace trainsim::cli
