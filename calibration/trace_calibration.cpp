#include "calibration/trace_calibration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "calibration/trace_classifier.hpp"
#include "core/error.hpp"

namespace trainsim::calibration {
namespace {

using models::Op;
using models::OpKind;
using models::Pass;

bool compute_bound(OpKind k) {
  return k == OpKind::Gemm || k == OpKind::GroupedGemm || k == OpKind::Attention ||
         k == OpKind::Router;
}

bool communication_class(KernelClass c) {
  return c == KernelClass::AllToAll || c == KernelClass::Nccl;
}

/// The main kernel of a FlashAttention backward, not its pre/post-processing.
bool main_attention_kernel(const std::string& name) {
  return name.find("Preprocess") == std::string::npos &&
         name.find("Postprocess") == std::string::npos &&
         name.find("Convert") == std::string::npos && name.find("dot_do_o") == std::string::npos;
}

const std::vector<Op>& ops_of(const models::LayerOps& l, Pass p) {
  return p == Pass::Forward ? l.forward
                            : (p == Pass::BackwardInput ? l.backward_input : l.backward_weight);
}

std::string what_class_needs(const KernelClassification& c) {
  switch (c.cls) {
    case KernelClass::GemmDense:
      return fmt::format("{} gemm or router", hardware::dtype_name(c.dtype));
    case KernelClass::GemmGrouped:
      return fmt::format("{} grouped_gemm", hardware::dtype_name(c.dtype));
    case KernelClass::GemmWeightGrad:
      return fmt::format("{} gemm or grouped_gemm", hardware::dtype_name(c.dtype));
    case KernelClass::AttentionForward:
    case KernelClass::AttentionBackward:
      return "attention";
    case KernelClass::AllToAll:
      return "dispatch or combine";
    case KernelClass::Nccl:
      return "tensor- or context-parallel collective";
    default:
      return class_label(c);
  }
}

std::string unmatched_reason(const KernelClassification& c, Pass p, const std::string& model,
                             std::int64_t layer) {
  if (c.cls == KernelClass::Other)
    return "no classification rule matches the kernel name (trace_classifier.cpp)";
  if (c.cls == KernelClass::Optimizer) return "optimizer kernels are not per-layer ops";
  if (c.cls == KernelClass::Nccl)
    return fmt::format(
        "no tensor- or context-parallel collective in the {} pass of {} layer {} (data- and "
        "pipeline-parallel traffic is simulated as flows)",
        models::pass_name(p), model, layer);
  return fmt::format("trainsim's op list has no {} op in the {} pass of {} layer {}",
                     what_class_needs(c), models::pass_name(p), model, layer);
}

struct Group {
  KernelClassification cls;
  Pass pass = Pass::Forward;
  double seconds = 0;  ///< over the whole trace
  int count = 0;
  std::set<std::string> annotations;
  /// (short name, stream) → (count, seconds)
  std::map<std::pair<std::string, std::int64_t>, std::pair<int, double>> kernels;
};

}  // namespace

std::vector<KindTime> measured_kind_times(const MeasuredOps& m) {
  std::map<std::pair<int, int>, double> sums;
  for (const auto& p : m.points) {
    for (const auto& o : p.ops)
      sums[{static_cast<int>(o.kind), static_cast<int>(p.pass)}] += o.seconds;
  }
  std::vector<KindTime> out;
  for (const auto& [k, s] : sums)
    out.push_back({static_cast<OpKind>(k.first), static_cast<Pass>(k.second), s});
  return out;
}

TraceCalibration calibrate_from_trace(const Trace& trace, const models::ModelSpec& model,
                                      const models::OpListContext& ctx,
                                      const TraceCalibrationOptions& options) {
  TraceCalibration out;
  std::vector<KernelClassification> cls;
  cls.reserve(trace.kernels.size());
  int attn_fwd = 0, attn_bwd = 0;
  bool moe_kernels = false;
  for (const auto& k : trace.kernels) {
    cls.push_back(classify_kernel(k.name, k.category));
    const KernelClass c = cls.back().cls;
    attn_fwd += c == KernelClass::AttentionForward ? 1 : 0;
    attn_bwd += c == KernelClass::AttentionBackward && main_attention_kernel(k.name) ? 1 : 0;
    moe_kernels = moe_kernels || c == KernelClass::GemmGrouped || c == KernelClass::AllToAll;
    out.kernel_seconds += k.duration_s;
    out.kernel_count += 1;
    out.stream_s[k.stream] += k.duration_s;
    out.class_s[class_label(cls.back())] += k.duration_s;
  }
  const int layers = options.layers > 0 ? options.layers : (attn_fwd > 0 ? attn_fwd : attn_bwd);
  if (layers <= 0) {
    throw ConfigError(trace.file, 0, 0, "",
                      "cannot tell how many transformer layers the trace covers: it has no "
                      "attention kernels (FlashAttention, FlashMLA, cuDNN SDPA); pass --layers N");
  }
  // The layer the kernels are matched to.
  std::int64_t layer = 0;
  const bool want_moe = moe_kernels && model.is_moe();
  while (layer + 1 < model.layers && model.is_moe_layer(layer) != want_moe) ++layer;
  out.layer = layer;
  const models::LayerOps ops = models::build_layer_ops(model, layer, ctx);

  // Kernels grouped by class and pass.
  std::map<std::pair<std::string, int>, Group> groups;
  for (std::size_t i = 0; i < trace.kernels.size(); ++i) {
    const auto& k = trace.kernels[i];
    Pass pass = k.pass;
    if (cls[i].cls == KernelClass::GemmWeightGrad) pass = Pass::BackwardWeight;
    Group& g = groups[{class_label(cls[i]), static_cast<int>(pass)}];
    g.cls = cls[i];
    g.pass = pass;
    g.seconds += k.duration_s;
    g.count += 1;
    if (!k.annotation.empty()) g.annotations.insert(k.annotation);
    auto& kk = g.kernels[{short_kernel_name(k.name), k.stream}];
    kk.first += 1;
    kk.second += k.duration_s;
  }

  // Each group's ops; groups reaching the same ops merge into one point.
  MeasuredOps& m = out.measured;
  m.trace = trace.file.substr(trace.file.find_last_of('/') + 1);
  m.sha256 = trace.sha256;
  m.source = options.source.empty() ? trace.file : options.source;
  m.model = model.name;
  m.sequences = ctx.sequences;
  m.seq_len = ctx.seq_len;
  m.tp = ctx.tp;
  m.ep = ctx.ep;
  m.cp = ctx.cp;
  m.compute_sms = options.compute_sms;
  m.layers = layers;
  std::map<std::pair<int, std::vector<std::string>>, std::size_t> point_of;
  std::vector<std::vector<const Op*>> point_ops;
  std::vector<std::vector<const Group*>> point_groups;
  double matched = 0, compute_total = 0, compute_matched = 0;
  for (const auto& [key, g] : groups) {
    const bool comm = communication_class(g.cls.cls);
    if (!comm) compute_total += g.seconds;
    std::vector<const Op*> targets;
    std::vector<std::string> names;
    for (const Op& op : ops_of(ops, g.pass)) {
      if (class_matches_op(g.cls, op)) {
        targets.push_back(&op);
        names.push_back(op.name);
      }
    }
    if (targets.empty()) {
      for (const auto& [kn, cs] : g.kernels) {
        m.unmatched.push_back({kn.first, key.first, g.pass, cs.first, cs.second,
                               unmatched_reason(g.cls, g.pass, model.name, layer)});
      }
      continue;
    }
    matched += g.seconds;
    if (!comm) compute_matched += g.seconds;
    const auto pk = std::make_pair(static_cast<int>(g.pass), names);
    auto it = point_of.find(pk);
    if (it == point_of.end()) {
      it = point_of.emplace(pk, point_ops.size()).first;
      point_ops.push_back(targets);
      point_groups.emplace_back();
    }
    point_groups[it->second].push_back(&g);
  }
  if (point_ops.empty()) {
    throw ConfigError(
        trace.file, 0, 0, "",
        fmt::format("none of the trace's {} GPU kernels matches an op of {} layer {} (micro-batch "
                    "{} x {} tokens): check --model and the plan, or the kernel names "
                    "(unmatched classes: {})",
                    trace.kernels.size(), model.name, layer, ctx.sequences, ctx.seq_len, [&] {
                      std::set<std::string> c;
                      for (const auto& u : m.unmatched) c.insert(u.cls);
                      std::string s;
                      for (const auto& x : c) s += (s.empty() ? "" : ", ") + x;
                      return s;
                    }()));
  }
  m.match_rate = out.kernel_seconds > 0 ? matched / out.kernel_seconds : 0.0;
  m.compute_match_rate = compute_total > 0 ? compute_matched / compute_total : 0.0;

  const std::string origin = fmt::format("{} ({}, sha256 {})", m.source, m.trace, m.sha256);
  for (std::size_t i = 0; i < point_ops.size(); ++i) {
    MeasuredPoint p;
    p.pass = point_groups[i].front()->pass;
    double total = 0;
    int count = 0;
    std::set<std::string> annotations;
    for (const Group* g : point_groups[i]) {
      const std::string label = class_label(g->cls);
      p.kind += (p.kind.empty() ? "" : "+") + label;
      total += g->seconds;
      count += g->count;
      annotations.insert(g->annotations.begin(), g->annotations.end());
      for (const auto& [kn, cs] : g->kernels) {
        p.kernels.push_back(fmt::format("{} x{} on stream {} ({:.3f} ms)", kn.first, cs.first,
                                        kn.second, cs.second * 1e3));
      }
    }
    p.seconds = total / layers;
    std::string ann;
    for (const auto& a : annotations) ann += (ann.empty() ? "" : ", ") + a;
    p.source = fmt::format("{}: {} {} kernels{} in the {} pass, {:.3f} ms summed over {} layers",
                           origin, count, p.kind, ann.empty() ? "" : " under " + ann,
                           models::pass_name(p.pass), total * 1e3, layers);
    // Split over the ops by work: FLOP when any is compute-bound, else bytes.
    const auto& targets = point_ops[i];
    const bool by_flops = std::any_of(targets.begin(), targets.end(), [](const Op* o) {
      return compute_bound(o->kind) && o->flops > 0;
    });
    double work = 0;
    for (const Op* o : targets) work += by_flops ? o->flops : o->bytes;
    for (const Op* o : targets) {
      MeasuredOp mo;
      mo.op = op_name_without_layer(o->name);
      mo.kind = o->kind;
      mo.dtype = o->dtype;
      mo.flops = o->flops;
      mo.bytes = o->bytes;
      const double w = by_flops ? o->flops : o->bytes;
      mo.seconds =
          work > 0 ? p.seconds * w / work : p.seconds / static_cast<double>(targets.size());
      p.ops.push_back(std::move(mo));
    }
    m.points.push_back(std::move(p));
  }
  std::stable_sort(m.points.begin(), m.points.end(),
                   [](const MeasuredPoint& a, const MeasuredPoint& b) {
                     return static_cast<int>(a.pass) < static_cast<int>(b.pass);
                   });
  std::sort(
      m.unmatched.begin(), m.unmatched.end(),
      [](const UnmatchedKernel& a, const UnmatchedKernel& b) { return a.seconds > b.seconds; });
  out.per_kind = measured_kind_times(m);
  return out;
}

std::string trace_profile_yaml(const std::string& name, const std::string& description,
                               const std::string& device,
                               const std::vector<std::string>& applies_to, const std::string& base,
                               const MeasuredOps& measured) {
  const auto q = [](const std::string& s) {
    std::string o = "\"";
    for (char c : s) o += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    return o + "\"";
  };
  std::string out = fmt::format("name: {}\ndescription: {}\ndevice: {}\napplies_to: [", name,
                                q(description), q(device));
  for (std::size_t i = 0; i < applies_to.size(); ++i) out += (i ? ", " : "") + applies_to[i];
  out += "]\n";
  if (!base.empty()) out += fmt::format("base: {}\n", base);
  return out + measured_ops_to_yaml(measured);
}

std::string trace_calibration_report(const TraceCalibration& c) {
  const MeasuredOps& m = c.measured;
  std::string out = fmt::format(
      "{}: {} GPU kernels, {:.3f} ms of kernel time; matched to {} layer {} ({} x {} tokens, "
      "tp {}, ep {}, cp {}), {} layers in the trace\n",
      m.trace, c.kernel_count, c.kernel_seconds * 1e3, m.model, c.layer, m.sequences, m.seq_len,
      m.tp, m.ep, m.cp, m.layers);
  out += "kernel time per stream:";
  for (const auto& [s, t] : c.stream_s) out += fmt::format("  stream {} {:.3f} ms", s, t * 1e3);
  out += "\nkernel time per class:\n";
  for (const auto& [k, t] : c.class_s) out += fmt::format("  {:<22} {:>10.3f} ms\n", k, t * 1e3);
  out += fmt::format("match rate {:.1f}% of kernel time ({:.1f}% of compute kernel time)\n",
                     100 * m.match_rate, 100 * m.compute_match_rate);
  out += "measured per layer per micro-batch, by op kind and pass:\n";
  for (const auto& k : c.per_kind) {
    out += fmt::format("  {:<13} {:<16} {:>9.3f} ms\n", models::op_kind_name(k.kind),
                       models::pass_name(k.pass), k.seconds * 1e3);
  }
  if (!m.unmatched.empty()) {
    out += "unmatched kernels (whole trace):\n";
    for (const auto& u : m.unmatched) {
      out += fmt::format("  {:>4} x {:<60} {:<16} {:>9.3f} ms  {}\n", u.count, u.kernel,
                         models::pass_name(u.pass), u.seconds * 1e3, u.reason);
    }
  }
  return out;
}

}  // namespace trainsim::calibration
