#include "calibration/measured_ops.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "calibration/cost_models.hpp"
#include "core/error.hpp"
#include "core/units.hpp"
#include "core/yaml_reader.hpp"

namespace trainsim::calibration {
namespace {

using models::OpKind;
using models::Pass;

constexpr OpKind kKinds[] = {OpKind::Gemm,         OpKind::GroupedGemm, OpKind::Attention,
                             OpKind::Norm,         OpKind::Elementwise, OpKind::Router,
                             OpKind::Permute,      OpKind::Quantize,    OpKind::Embedding,
                             OpKind::Loss,         OpKind::Dispatch,    OpKind::Combine,
                             OpKind::TpCollective, OpKind::CpCollective};
constexpr Pass kPasses[] = {Pass::Forward, Pass::BackwardInput, Pass::BackwardWeight};

std::vector<std::string> kind_names() {
  std::vector<std::string> v;
  for (OpKind k : kKinds) v.emplace_back(models::op_kind_name(k));
  return v;
}
std::vector<std::string> pass_names() {
  std::vector<std::string> v;
  for (Pass p : kPasses) v.emplace_back(models::pass_name(p));
  return v;
}

OpKind parse_kind(const ConfigNode& n) {
  const std::string s = n.as_choice(kind_names());
  for (OpKind k : kKinds)
    if (models::op_kind_name(k) == s) return k;
  return OpKind::Gemm;
}
Pass parse_pass(const ConfigNode& n) {
  const std::string s = n.as_choice(pass_names());
  for (Pass p : kPasses)
    if (models::pass_name(p) == s) return p;
  return Pass::Forward;
}
hardware::Dtype parse_dtype_node(const ConfigNode& n) {
  hardware::Dtype d = hardware::Dtype::BF16;
  hardware::parse_dtype(n.as_choice({"fp8", "bf16", "fp16", "tf32", "fp32"}), d);
  return d;
}

bool compute_bound(OpKind k) {
  return k == OpKind::Gemm || k == OpKind::GroupedGemm || k == OpKind::Attention ||
         k == OpKind::Router;
}

std::string key(Pass p, const std::string& op, hardware::Dtype d) {
  return fmt::format("{}|{}|{}", models::pass_name(p), op, hardware::dtype_name(d));
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return out + "\"";
}

std::string duration(double s) {
  return fmt::format("{:.4f}us", s * 1e6);
}

}  // namespace

std::string op_name_without_layer(const std::string& name) {
  const auto dot = name.find('.');
  if (dot == std::string::npos) return name;
  const std::string head = name.substr(0, dot);
  const auto digits_from = head.rfind("MTP", 0) == 0 ? 3u : (head.rfind('L', 0) == 0 ? 1u : 0u);
  if (digits_from == 0 || head.size() == digits_from) return name;
  for (std::size_t i = digits_from; i < head.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(head[i]))) return name;
  return name.substr(dot + 1);
}

MeasuredOps parse_measured_ops(const ConfigNode& node) {
  node.check_keys({"trace", "sha256", "source", "model", "shape", "compute_sms", "layers",
                   "match_rate", "compute_match_rate", "points", "unmatched"});
  MeasuredOps m;
  m.trace = node.at("trace").as_string();
  m.sha256 = node.at("sha256").as_string();
  m.source = node.at("source").as_string();
  if (m.source.empty()) throw node.at("source").error("the trace needs a non-empty source");
  m.model = node.at("model").as_string();
  const ConfigNode shape = node.at("shape");
  shape.check_keys({"sequences", "seq_len", "tp", "ep", "cp"});
  m.sequences = shape.at("sequences").as_integer(1, 1 << 20);
  m.seq_len = shape.at("seq_len").as_integer(1, std::int64_t{1} << 30);
  m.tp = static_cast<int>(shape.has("tp") ? shape.at("tp").as_integer(1, 1 << 16) : 1);
  m.ep = static_cast<int>(shape.has("ep") ? shape.at("ep").as_integer(1, 1 << 16) : 1);
  m.cp = static_cast<int>(shape.has("cp") ? shape.at("cp").as_integer(1, 1 << 16) : 1);
  m.compute_sms =
      static_cast<int>(node.has("compute_sms") ? node.at("compute_sms").as_integer(0, 1 << 16) : 0);
  m.layers = static_cast<int>(node.at("layers").as_integer(1, 1 << 16));
  m.match_rate = node.has("match_rate") ? node.at("match_rate").as_number(0, 1) : 0.0;
  m.compute_match_rate =
      node.has("compute_match_rate") ? node.at("compute_match_rate").as_number(0, 1) : 0.0;
  const ConfigNode points = node.at("points");
  for (std::size_t i = 0; i < points.size(); ++i) {
    const ConfigNode p = points[i];
    p.check_keys({"kind", "pass", "time", "kernels", "source", "ops"});
    MeasuredPoint pt;
    pt.kind = p.at("kind").as_string();
    pt.pass = parse_pass(p.at("pass"));
    pt.seconds = p.at("time").as_quantity(units::Quantity::Duration, 0, 10);
    pt.source = p.at("source").as_string();
    if (pt.source.empty())
      throw p.at("source").error("every measured point needs a non-empty source");
    const ConfigNode kernels = p.at("kernels");
    for (std::size_t j = 0; j < kernels.size(); ++j) pt.kernels.push_back(kernels[j].as_string());
    if (pt.kernels.empty()) throw kernels.error("a measured point names the kernels that fed it");
    const ConfigNode ops = p.at("ops");
    for (std::size_t j = 0; j < ops.size(); ++j) {
      const ConfigNode o = ops[j];
      o.check_keys({"op", "kind", "dtype", "time", "flops", "bytes"});
      MeasuredOp op;
      op.op = o.at("op").as_string();
      op.kind = parse_kind(o.at("kind"));
      op.dtype = parse_dtype_node(o.at("dtype"));
      op.seconds = o.at("time").as_quantity(units::Quantity::Duration, 0, 10);
      op.flops = o.at("flops").as_number(0, 1e24);
      op.bytes = o.at("bytes").as_number(0, 1e24);
      pt.ops.push_back(std::move(op));
    }
    m.points.push_back(std::move(pt));
  }
  if (auto u = node.find("unmatched")) {
    for (std::size_t i = 0; i < u->size(); ++i) {
      const ConfigNode e = (*u)[i];
      e.check_keys({"kernel", "class", "pass", "count", "time", "reason"});
      UnmatchedKernel k;
      k.kernel = e.at("kernel").as_string();
      k.cls = e.at("class").as_string();
      k.pass = parse_pass(e.at("pass"));
      k.count = static_cast<int>(e.at("count").as_integer(1, 1 << 30));
      k.seconds = e.at("time").as_quantity(units::Quantity::Duration, 0, 1e6);
      k.reason = e.at("reason").as_string();
      m.unmatched.push_back(std::move(k));
    }
  }
  return m;
}

std::string measured_ops_to_yaml(const MeasuredOps& m) {
  std::string out = "measured_ops:\n";
  out += fmt::format("  trace: {}\n  sha256: {}\n  source: {}\n  model: {}\n", quoted(m.trace),
                     quoted(m.sha256), quoted(m.source), m.model);
  out += fmt::format("  shape: {{sequences: {}, seq_len: {}, tp: {}, ep: {}, cp: {}}}\n",
                     m.sequences, m.seq_len, m.tp, m.ep, m.cp);
  out += fmt::format("  compute_sms: {}\n  layers: {}\n  match_rate: {:.4f}\n", m.compute_sms,
                     m.layers, m.match_rate);
  out += fmt::format("  compute_match_rate: {:.4f}\n  points:\n", m.compute_match_rate);
  for (const auto& p : m.points) {
    out += fmt::format("    - kind: {}\n      pass: {}\n      time: {}\n      source: {}\n", p.kind,
                       models::pass_name(p.pass), duration(p.seconds), quoted(p.source));
    out += "      kernels:\n";
    for (const auto& k : p.kernels) out += fmt::format("        - {}\n", quoted(k));
    out += "      ops:\n";
    for (const auto& o : p.ops) {
      out += fmt::format(
          "        - {{op: {}, kind: {}, dtype: {}, time: {}, flops: {:.10g}, bytes: {:.10g}}}\n",
          o.op, models::op_kind_name(o.kind), hardware::dtype_name(o.dtype), duration(o.seconds),
          o.flops, o.bytes);
    }
  }
  if (!m.unmatched.empty()) {
    out += "  unmatched:\n";
    for (const auto& u : m.unmatched) {
      out += fmt::format(
          "    - {{kernel: {}, class: {}, pass: {}, count: {}, time: {}, reason: {}}}\n",
          quoted(u.kernel), u.cls, models::pass_name(u.pass), u.count, duration(u.seconds),
          quoted(u.reason));
    }
  }
  return out;
}

MeasuredOpsCostModel::MeasuredOpsCostModel(std::string name, MeasuredOps measured,
                                           std::unique_ptr<CostModel> fallback,
                                           const hardware::GpuSpec* device)
    : name_(std::move(name)),
      measured_(std::move(measured)),
      fallback_(std::move(fallback)),
      device_(device) {
  if (!fallback_) throw ModelError("the measured-ops cost model needs a fallback cost model");
  for (const auto& p : measured_.points) {
    if (p.kind.rfind("all_to_all", 0) == 0 || p.kind.rfind("nccl", 0) == 0) continue;
    for (const auto& o : p.ops) by_key_[key(p.pass, o.op, o.dtype)] = o;
  }
}

const MeasuredOp* MeasuredOpsCostModel::find(const models::Op& op) const {
  if (models::is_communication(op.kind)) return nullptr;
  const auto it = by_key_.find(key(op.pass, op_name_without_layer(op.name), op.dtype));
  if (it == by_key_.end() || it->second.kind != op.kind) return nullptr;
  return &it->second;
}

OpTiming MeasuredOpsCostModel::time(const models::Op& op, const ComputeContext& ctx) const {
  const MeasuredOp* m = find(op);
  if (m == nullptr) return fallback_->time(op, ctx);
  double scale = 1.0;
  if (compute_bound(op.kind) && m->flops > 0) {
    scale = op.flops / m->flops;
    if (measured_.compute_sms > 0 && ctx.gpu != nullptr && ctx.gpu->sm_count > 0) {
      const int sms = ctx.sms_available > 0 ? std::min(ctx.sms_available, ctx.gpu->sm_count)
                                            : ctx.gpu->sm_count;
      scale *= static_cast<double>(measured_.compute_sms) / sms;
    }
  } else if (m->bytes > 0) {
    scale = op.bytes / m->bytes;
  }
  if (device_ != nullptr && ctx.gpu != nullptr && device_->name != ctx.gpu->name) {
    if (compute_bound(op.kind)) {
      const double from = device_->peak(op.dtype), to = ctx.gpu->peak(op.dtype);
      if (from > 0 && to > 0) scale *= from / to;
    } else if (device_->hbm_bw_Bps > 0 && ctx.gpu->hbm_bw_Bps > 0) {
      scale *= device_->hbm_bw_Bps / ctx.gpu->hbm_bw_Bps;
    }
  }
  // A trace times one GPU of its run; the job waits for its slowest (ComputeContext).
  if (compute_bound(op.kind)) scale *= ctx.compute_scale;
  OpTiming t;
  t.seconds = m->seconds * scale;
  t.source = TimingSource::Profile;
  return t;
}

std::unique_ptr<CostModel> make_measured_cost_model(Profile profile, const hardware::GpuSpec& gpu) {
  thread_local int depth = 0;
  std::unique_ptr<CostModel> fallback;
  if (!profile.base.empty()) {
    if (depth >= 4) {
      throw ModelError(
          fmt::format("calibration profile '{}': its `base:` chain is deeper than 4 "
                      "(a profile that is its own base?)",
                      profile.name));
    }
    ++depth;
    try {
      fallback = make_cost_model(profile.base, gpu);
    } catch (...) {
      --depth;
      throw;
    }
    --depth;
  } else {
    Profile own = profile;
    own.measured_ops = {};
    const hardware::GpuSpec& device = profile_device(own, gpu);
    fallback = std::make_unique<ProfileCostModel>(std::move(own), device);
  }
  const hardware::GpuSpec& own = profile_device(profile, gpu);
  const hardware::GpuSpec* device = &own == &gpu ? nullptr : &own;  // catalog entries outlive it
  return std::make_unique<MeasuredOpsCostModel>(profile.name, std::move(profile.measured_ops),
                                                std::move(fallback), device);
}

}  // namespace trainsim::calibration
