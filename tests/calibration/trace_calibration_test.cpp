// Calibration from a profiler trace: SHA-256, the kernel classifier, the Chrome-trace reader and
// its errors, matching to the op list (a synthetic trace with known sums), the measured-ops cost
// model, and DeepSeek's public V3 trace (the committed excerpt and profile).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "calibration/cost_models.hpp"
#include "calibration/profile.hpp"
#include "calibration/sha256.hpp"
#include "calibration/trace_calibration.hpp"
#include "calibration/trace_classifier.hpp"
#include "core/error.hpp"
#include "hardware/catalog.hpp"
#include "models/catalog.hpp"
#include "scenarios/scenario_loader.hpp"

namespace trainsim::calibration {
namespace {

using models::OpKind;
using models::Pass;
using nlohmann::json;

const std::string kExcerpt =
    std::string(TRAINSIM_TEST_DATA_DIR) + "/traces/deepseek-v3-train-excerpt.json";
const std::string kTraceProfile =
    std::string(TRAINSIM_SOURCE_DIR) + "/calibration/profiles/h800-deepseek-trace.yaml";
const std::string kV3 = std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/deepseek-v3.yaml";

/// The op-list context `trainsim step` builds for a scenario's first phase (sim/simulate.cpp).
models::OpListContext step_context(const scenarios::Scenario& sc) {
  models::OpListContext c;
  c.sequences = sc.plan.micro_batch;
  c.seq_len = sc.phases.front().seq_len;
  c.tp = sc.plan.tp;
  c.ep = sc.plan.ep;
  c.cp = sc.plan.cp;
  c.sequence_parallel = sc.plan.sequence_parallel;
  c.precision = sc.precision;
  c.recompute = sc.plan.recompute;
  c.gpus_per_node = sc.cluster.node.gpus_per_node;
  return c;
}

std::string expect_config_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ConfigError";
  return "";
}

TEST(Sha256, MatchesTheFipsExamples) {
  // FIPS 180-4 / NIST CSHS examples: "abc" (one block), the 56-byte message (two blocks), "".
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(TraceClassifier, ClassifiesTheKernelsOfDeepSeeksTraceAndCommonLibraries) {
  const std::map<std::string, std::string> cases{
      {"void cutlass::device_kernel<dpsk::grouped_gemm::cuda::fp8_ptp128c::GemmKernel>(dpsk::"
       "grouped_gemm::cuda::fp8_ptp128c::GemmKernel::Params)",
       "gemm.fp8.dense"},
      {"void cutlass::device_kernel<dpsk::grouped_gemm::cuda::m_grouped_fp8_ptp128c::GemmKernel>("
       "Params)",
       "gemm.fp8.grouped"},
      {"void cutlass::device_kernel<dpsk::grouped_gemm::cuda::fp8_dptp128c_acc::GemmKernel>(P)",
       "gemm.fp8.wgrad"},
      {"sm90_xmma_gemm_bf16bf16_bf16f32_f32_nn_n_tilesize128x128x64_warpgroupsize1x1x1",
       "gemm.bf16.dense"},
      {"void flash::compute_attn_ws<Flash_fwd_kernel_traits<192, 128, 128, 12, 2, false, 1, "
       "cutlass::bfloat16_t, 128>, true>(...)",
       "attention.forward"},
      {"void cutlass::device_kernel<flash::FlashAttnBwdPreprocess<cute::tuple<cute::C<64>>>>(P)",
       "attention.backward"},
      {"void cuda::per_channel_cast_and_transpose<__nv_bfloat16, 128>(...)", "quantize"},
      {"void dpsk::grouped_gemm::cuda::utils::transpose<float>(float const*, float*)", "quantize"},
      {"void layer_norm::ln_bwd_kernel<layer_norm::Kernel_traits<float>>(layer_norm::Params)",
       "norm"},
      {"void cuda::swiglu_forward_with_weight_and_per_token_cast_to_fp8_with_channels_impl<128>()",
       "elementwise"},
      {"void at::native::vectorized_elementwise_kernel<4, at::native::CUDAFunctor_add<float>, "
       "std::array<char*, 3ul> >(int, [lambda])",
       "elementwise"},
      {"void cuda::reduce_fused_impl<__nv_fp8_e4m3, 7168>(...)", "permute"},
      {"void at::native::sbtopk::gatherTopK<float, unsigned int, 2, false>(...)", "router"},
      {"void dpsk::ep::internode::combine<true, 8, 1>(...)", "all_to_all.combine"},
      {"void dpsk::ep::internode::dispatch<true, 8>(...)", "all_to_all.dispatch"},
      {"void dpsk::ep::internode::cached_notify<8>(...)", "all_to_all"},
      {"ncclDevKernel_AllReduce_Sum_bf16_RING_LL(ncclDevComm*, unsigned long, ncclWork*)", "nccl"},
      {"void multi_tensor_apply_kernel<TensorListMetadata<4>, AdamFunctor<float>>(...)",
       "optimizer"},
      {"mystery_kernel_v2", "other"},
  };
  for (const auto& [name, label] : cases) {
    EXPECT_EQ(class_label(classify_kernel(name)), label) << name;
  }
  EXPECT_EQ(class_label(classify_kernel("Memcpy DtoD (Device -> Device)", "gpu_memcpy")),
            "elementwise");
  EXPECT_EQ(
      short_kernel_name(
          "void cutlass::device_kernel<dpsk::grouped_gemm::cuda::fp8_ptp128c::GemmKernel>(x)"),
      "dpsk::grouped_gemm::cuda::fp8_ptp128c::GemmKernel");
  EXPECT_EQ(short_kernel_name("void (anonymous namespace)::elementwise_kernel_with_index<int>(x)"),
            "elementwise_kernel_with_index");
}

/// A small synthetic trace of Llama 3.1 8B (BF16, one layer): kernels under "(F)"/"(B)"
/// annotations, one launched from an autograd op without an annotation.
class SyntheticTrace {
 public:
  void annotate(const std::string& name, double ts, double dur) {
    events_.push_back({{"ph", "X"},
                       {"cat", "user_annotation"},
                       {"name", name},
                       {"pid", 1},
                       {"tid", 1},
                       {"ts", ts},
                       {"dur", dur}});
  }
  void autograd(double ts, double dur) {
    events_.push_back({{"ph", "X"},
                       {"cat", "cpu_op"},
                       {"name", "autograd::engine::evaluate_function: RMSNormBackward"},
                       {"pid", 1},
                       {"tid", 2},
                       {"ts", ts},
                       {"dur", dur}});
  }
  /// A kernel of `dur_us` launched at CPU time `launch_ts` on thread `tid`.
  void kernel(const std::string& name, double launch_ts, double dur_us, int tid = 1) {
    const int corr = next_++;
    events_.push_back({{"ph", "X"},
                       {"cat", "cuda_runtime"},
                       {"name", "cudaLaunchKernel"},
                       {"pid", 1},
                       {"tid", tid},
                       {"ts", launch_ts},
                       {"dur", 2},
                       {"args", {{"correlation", corr}}}});
    events_.push_back({{"ph", "X"},
                       {"cat", "kernel"},
                       {"name", name},
                       {"pid", 0},
                       {"tid", 7},
                       {"ts", gpu_ts_},
                       {"dur", dur_us},
                       {"args", {{"stream", 7}, {"correlation", corr}}}});
    gpu_ts_ += dur_us + 1;
  }
  std::string object() const { return json{{"traceEvents", events_}}.dump(); }
  std::string array() const { return json(events_).dump(); }

 private:
  json events_ = json::array();
  int next_ = 1;
  double gpu_ts_ = 100000;
};

SyntheticTrace llama_layer_trace() {
  SyntheticTrace t;
  t.annotate("layer(F)", 0, 100);
  t.kernel("flash_fwd_kernel<Flash_fwd_kernel_traits<128>>", 1, 1000);
  t.kernel("sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64", 2, 300);
  t.kernel("sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64", 3, 500);
  t.kernel("void rms_norm_kernel<c10::BFloat16>(...)", 4, 40);
  t.kernel("ncclDevKernel_AllReduce_Sum_bf16_RING_LL", 5, 200);
  t.kernel("mystery_kernel", 6, 7);
  t.kernel("void multi_tensor_apply_kernel<AdamFunctor<float>>(...)", 7, 50);
  t.annotate("layer(B)", 200, 100);
  t.kernel("flash_bwd_dq_dk_dv_loop_kernel<128>", 201, 2500);
  t.kernel("sm90_xmma_gemm_bf16bf16_bf16f32_f32_nn_n_tilesize128x128x64", 202, 800);
  t.kernel("cutlass_wgrad_gemm_bf16_128x128", 203, 600);
  t.autograd(400, 50);
  t.kernel("void rms_norm_bwd_kernel<c10::BFloat16>(...)", 410, 60, 2);
  return t;
}

struct Llama {
  models::ModelSpec model = models::ModelCatalog::bundled().get("llama-3.1-8b");
  models::OpListContext ctx;
  Llama() { ctx.seq_len = 4096; }
};

const MeasuredPoint& point(const MeasuredOps& m, const std::string& kind, Pass pass) {
  for (const auto& p : m.points)
    if (p.kind == kind && p.pass == pass) return p;
  throw std::runtime_error("no point " + kind);
}

TEST(TraceCalibration, SyntheticTraceGivesTheKnownSums) {
  // One layer (one forward attention kernel). Expected points, per layer per micro-batch:
  //   attention.forward 1000 us (attn.core), attention.backward 2500 us (attn.core.bwd);
  //   gemm.bf16.dense forward 300 + 500 = 800 us over the 4 forward GEMMs by FLOP;
  //   gemm.bf16.dense backward_input 800 us; gemm.bf16.wgrad backward_weight 600 us;
  //   norm forward 40 us over attn.norm and ffn.norm (equal bytes: 20 us each);
  //   norm backward_input 60 us (launched from an autograd op, no annotation).
  // Unmatched: NCCL 200 us (tp 1: no TP collective), mystery 7 us, optimizer 50 us.
  // Match rate (6057 − 257) / 6057 = 0.95757; over compute (without NCCL) 5800 / 5857 = 0.99027.
  constexpr double kTol = 1e-9;
  Llama l;
  const Trace trace = parse_chrome_trace(llama_layer_trace().object(), "synthetic.json");
  EXPECT_EQ(trace.kernels.size(), 11u);
  const auto cal = calibrate_from_trace(trace, l.model, l.ctx, {});
  const MeasuredOps& m = cal.measured;
  EXPECT_EQ(m.layers, 1);
  EXPECT_NEAR(point(m, "attention.forward", Pass::Forward).seconds, 1000e-6, kTol);
  EXPECT_NEAR(point(m, "attention.backward", Pass::BackwardInput).seconds, 2500e-6, kTol);
  const MeasuredPoint& fwd = point(m, "gemm.bf16.dense", Pass::Forward);
  EXPECT_NEAR(fwd.seconds, 800e-6, kTol);
  double flops = 0, sum = 0;
  for (const auto& o : fwd.ops) {
    flops += o.flops;
    sum += o.seconds;
  }
  EXPECT_EQ(fwd.ops.size(), 4u);  // qkv_proj, o_proj, gate_up_proj, down_proj
  EXPECT_NEAR(sum, 800e-6, kTol);
  for (const auto& o : fwd.ops) EXPECT_NEAR(o.seconds, 800e-6 * o.flops / flops, kTol) << o.op;
  EXPECT_NEAR(point(m, "gemm.bf16.dense", Pass::BackwardInput).seconds, 800e-6, kTol);
  EXPECT_NEAR(point(m, "gemm.bf16.wgrad", Pass::BackwardWeight).seconds, 600e-6, kTol);
  const MeasuredPoint& norm = point(m, "norm", Pass::Forward);
  ASSERT_EQ(norm.ops.size(), 2u);
  EXPECT_NEAR(norm.ops[0].seconds, 20e-6, kTol);
  EXPECT_NEAR(point(m, "norm", Pass::BackwardInput).seconds, 60e-6, kTol);
  EXPECT_NEAR(m.match_rate, 5800.0 / 6057.0, 1e-12);
  EXPECT_NEAR(m.compute_match_rate, 5800.0 / 5857.0, 1e-12);
  std::set<std::string> unmatched;
  for (const auto& u : m.unmatched) unmatched.insert(u.cls);
  EXPECT_EQ(unmatched, (std::set<std::string>{"nccl", "optimizer", "other"}));
  for (const auto& u : m.unmatched) {
    if (u.cls == "other") {
      EXPECT_EQ(u.kernel, "mystery_kernel");
      EXPECT_EQ(u.count, 1);
      EXPECT_NEAR(u.seconds, 7e-6, kTol);
      EXPECT_NE(u.reason.find("no classification rule"), std::string::npos);
    }
  }
  // Every point names its kernels and the trace's sha256.
  for (const auto& p : m.points) {
    EXPECT_FALSE(p.kernels.empty()) << p.kind;
    EXPECT_NE(p.source.find(trace.sha256), std::string::npos) << p.kind;
  }
  // The same events as a bare array give the same result.
  const Trace bare = parse_chrome_trace(llama_layer_trace().array(), "bare.json");
  EXPECT_NEAR(calibrate_from_trace(bare, l.model, l.ctx, {}).measured.match_rate, m.match_rate,
              1e-12);
}

TEST(TraceCalibration, ProfileRoundTripsAndPricesMatchingOpsByTheRule) {
  // Written, reloaded and priced: an op at the calibrated shape takes its measured time; at
  // twice the sequences (twice the FLOP) twice it; on 66 of 132 SMs (trace: all) twice again for
  // compute-bound ops; a memory-bound op scales by bytes; an op the trace did not measure
  // (the embedding) is timed by the fallback (here the profile's own roofline: ideal).
  constexpr double kTol = 1e-9;
  Llama l;
  const auto cal = calibrate_from_trace(
      parse_chrome_trace(llama_layer_trace().object(), "synthetic.json"), l.model, l.ctx, {});
  const auto dir = std::filesystem::temp_directory_path() / "trainsim-trace-test";
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "synthetic-profile.yaml").string();
  std::ofstream(file) << trace_profile_yaml("synthetic", "test", "H800", {"h800"}, "",
                                            cal.measured);
  const Profile p = load_profile(file);
  ASSERT_EQ(p.measured_ops.points.size(), cal.measured.points.size());
  EXPECT_EQ(p.measured_ops.sha256, cal.measured.sha256);
  EXPECT_EQ(p.measured_ops.unmatched.size(), cal.measured.unmatched.size());
  const auto& h800 = hardware::HardwareCatalog::bundled().gpu("h800");
  const auto model = make_cost_model(file, h800);
  EXPECT_EQ(model->name(), "synthetic");
  const ComputeContext all{&h800, 0}, half{&h800, 66};
  const auto layer = models::build_layer_ops(l.model, 0, l.ctx);
  const models::Op& core = layer.forward[static_cast<std::size_t>(
      std::find_if(layer.forward.begin(), layer.forward.end(),
                   [](const models::Op& o) { return o.kind == OpKind::Attention; }) -
      layer.forward.begin())];
  EXPECT_NEAR(model->time(core, all).seconds, 1000e-6, kTol);
  EXPECT_EQ(model->time(core, all).source, TimingSource::Profile);
  auto ctx2 = l.ctx;
  ctx2.sequences = 2;
  const auto layer2 = models::build_layer_ops(l.model, 5, ctx2);
  for (const auto& op : layer2.forward) {
    if (op.kind == OpKind::Gemm) {
      const auto* m = dynamic_cast<const MeasuredOpsCostModel*>(model.get())->find(op);
      ASSERT_NE(m, nullptr) << op.name;
      EXPECT_NEAR(model->time(op, all).seconds, 2 * m->seconds, kTol) << op.name;
    }
    if (op.kind == OpKind::Norm) {
      const auto* m = dynamic_cast<const MeasuredOpsCostModel*>(model.get())->find(op);
      ASSERT_NE(m, nullptr) << op.name;
      EXPECT_NEAR(model->time(op, half).seconds, m->seconds * op.bytes / m->bytes, kTol);
    }
  }
  // compute_sms recorded as 132 (all): 66 available doubles a compute-bound op.
  auto measured = cal.measured;
  measured.compute_sms = 132;
  MeasuredOpsCostModel scaled("s", measured, make_cost_model("roofline", h800));
  EXPECT_NEAR(scaled.time(core, half).seconds, 2 * 1000e-6, kTol);
  const auto embed = models::embedding_ops(l.model, l.ctx);
  EXPECT_EQ(model->time(embed.forward.front(), all).source, TimingSource::Roofline);
}

TEST(TraceCalibration, BadTracesAreConfigErrorsNamingTheFile) {
  Llama l;
  std::string msg = expect_config_error([] { parse_chrome_trace("{not json", "bad.json"); });
  EXPECT_NE(msg.find("bad.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a Chrome trace: not valid JSON"), std::string::npos) << msg;
  msg = expect_config_error([] { parse_chrome_trace(R"({"events": []})", "obj.json"); });
  EXPECT_NE(msg.find("obj.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'traceEvents' array"), std::string::npos) << msg;
  msg = expect_config_error([] {
    parse_chrome_trace(R"({"traceEvents": [{"ph": "X", "cat": "cpu_op", "name": "aten::mm",
                        "ts": 1, "dur": 2}]})",
                       "cpu-only.json");
  });
  EXPECT_NE(msg.find("cpu-only.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no GPU kernels"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ProfilerActivity.CUDA"), std::string::npos) << msg;
  SyntheticTrace t;
  t.kernel("mystery_kernel", 1, 10);
  const Trace odd = parse_chrome_trace(t.object(), "odd.json");
  msg = expect_config_error([&] { calibrate_from_trace(odd, l.model, l.ctx, {}); });
  EXPECT_NE(msg.find("odd.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot tell how many transformer layers"), std::string::npos) << msg;
  TraceCalibrationOptions one;
  one.layers = 1;
  msg = expect_config_error([&] { calibrate_from_trace(odd, l.model, l.ctx, one); });
  EXPECT_NE(msg.find("none of the trace's 1 GPU kernels matches an op of llama-3.1-8b"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("unmatched classes: other"), std::string::npos) << msg;
}

TEST(TraceCalibration, BadMeasuredOpsSectionsAreErrors) {
  // A point without a source is a located ConfigError; a profile that is its own base stops
  // after 4 links with a ModelError naming it.
  Llama l;
  const auto cal = calibrate_from_trace(
      parse_chrome_trace(llama_layer_trace().object(), "synthetic.json"), l.model, l.ctx, {});
  const auto dir = std::filesystem::temp_directory_path() / "trainsim-trace-test";
  std::filesystem::create_directories(dir);
  auto unsourced = cal.measured;
  unsourced.points.front().source.clear();
  const std::string bad = (dir / "unsourced.yaml").string();
  std::ofstream(bad) << trace_profile_yaml("unsourced", "t", "H800", {"h800"}, "", unsourced);
  const std::string msg = expect_config_error([&] { load_profile(bad); });
  EXPECT_NE(msg.find("unsourced.yaml"), std::string::npos) << msg;
  EXPECT_NE(msg.find("every measured point needs a non-empty source"), std::string::npos) << msg;
  const std::string self = (dir / "self.yaml").string();
  std::ofstream(self) << trace_profile_yaml("self", "t", "H800", {"h800"}, self, cal.measured);
  const auto& h800 = hardware::HardwareCatalog::bundled().gpu("h800");
  try {
    make_cost_model(self, h800);
    ADD_FAILURE() << "expected a ModelError";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("'self': its `base:` chain is deeper than 4"),
              std::string::npos)
        << e.what();
  }
}

/// The DeepSeek-V3 plan of scenarios/deepseek-v3.yaml: its first MoE layer and op context.
struct V3 {
  scenarios::Scenario sc = scenarios::load_scenario(kV3);
  models::OpListContext ctx = step_context(sc);
  TraceCalibrationOptions options() const {
    TraceCalibrationOptions o;
    o.compute_sms = sc.cluster.gpu.sm_count - sc.plan.comm_sms;
    return o;
  }
};

TEST(DeepSeekTrace, ExcerptParsesAndEveryKernelClassMatches) {
  // The excerpt: the first MoE layer of the chunk pair, 246 kernels (stream 7 compute 29.222 ms,
  // stream 23 weight-gradient GEMMs 2.845 ms, stream 27 DeepEP 25.066 ms).
  constexpr double kTol = 1e-9;
  V3 v;
  const Trace trace = read_chrome_trace(kExcerpt);
  EXPECT_EQ(trace.kernels.size(), 246u);
  EXPECT_EQ(trace.device, "NVIDIA H800");
  EXPECT_EQ(trace.sha256.size(), 64u);
  const auto cal = calibrate_from_trace(trace, v.sc.model, v.ctx, v.options());
  EXPECT_EQ(cal.measured.layers, 1);
  EXPECT_EQ(cal.layer, 3);  // the first MoE layer (3 dense layers)
  EXPECT_NEAR(cal.stream_s.at(7), 29.222e-3, kTol);
  EXPECT_NEAR(cal.stream_s.at(23), 2.845e-3, kTol);
  EXPECT_NEAR(cal.stream_s.at(27), 25.066e-3, kTol);
  std::set<std::string> classes;
  for (const auto& [c, s] : cal.class_s) classes.insert(c);
  EXPECT_EQ(classes,
            (std::set<std::string>{"all_to_all", "all_to_all.combine", "all_to_all.dispatch",
                                   "attention.backward", "attention.forward", "elementwise",
                                   "gemm.bf16.dense", "gemm.fp8.dense", "gemm.fp8.grouped",
                                   "gemm.fp8.wgrad", "norm", "permute", "quantize", "router"}));
  EXPECT_GT(cal.measured.match_rate, 0.95);
}

TEST(DeepSeekTrace, V3StepPricedWithTheTraceProfileMatchesTheTraceKernelSums) {
  // Target of issue 13: the DeepSeek-V3 MoE layer as `trainsim step` prices it (micro-batch
  // 1 x 4096, EP64, 112 of 132 SMs for compute) with the committed trace profile: per op kind and
  // pass within 10% of the excerpt's kernel sums (its one layer; the profile averages the trace's
  // four, which differ by up to ~9% per kind); the ops with a measured twin sum to the profile's
  // own figures. (The one op without a twin, moe.router.wgrad: the BF16 weight-gradient GEMM
  // runs under attn(B) and so feeds the backward_input point; the base profile times it.)
  constexpr double kTargetTol = 0.10;
  constexpr double kExact = 1e-6;  // relative: the profile writes times to 0.1 ns
  V3 v;
  const auto& gpu = v.sc.cluster.gpu;
  const auto excerpt =
      calibrate_from_trace(read_chrome_trace(kExcerpt), v.sc.model, v.ctx, v.options());
  const auto model = make_cost_model(kTraceProfile, gpu);
  const auto published = make_cost_model("h800-published", gpu);
  const Profile profile = load_profile(kTraceProfile);
  const ComputeContext cctx{&gpu, gpu.sm_count - v.sc.plan.comm_sms};
  const auto layer = models::build_layer_ops(v.sc.model, 3, v.ctx);
  const auto& measured = dynamic_cast<const MeasuredOpsCostModel&>(*model);
  std::map<std::pair<int, int>, double> priced, priced_measured, today;
  for (const auto* list : {&layer.forward, &layer.backward_input, &layer.backward_weight}) {
    for (const auto& op : *list) {
      if (models::is_communication(op.kind)) continue;
      const double t = model->time(op, cctx).seconds;
      priced[{static_cast<int>(op.kind), static_cast<int>(op.pass)}] += t;
      if (measured.find(op) != nullptr)
        priced_measured[{static_cast<int>(op.kind), static_cast<int>(op.pass)}] += t;
      today[{static_cast<int>(op.kind), static_cast<int>(op.pass)}] +=
          published->time(op, cctx).seconds;
    }
  }
  double trace_sum = 0, priced_sum = 0, today_sum = 0;
  for (const auto& k : excerpt.per_kind) {
    if (models::is_communication(k.kind)) continue;
    const double p = priced[{static_cast<int>(k.kind), static_cast<int>(k.pass)}];
    EXPECT_NEAR(p, k.seconds, kTargetTol * k.seconds)
        << models::op_kind_name(k.kind) << " " << models::pass_name(k.pass);
    trace_sum += k.seconds;
    priced_sum += p;
    today_sum += today[{static_cast<int>(k.kind), static_cast<int>(k.pass)}];
  }
  std::cout << "per MoE layer, ms: kind pass | trace profile kernels | priced (trace profile) | "
               "priced (h800-published)\n";
  for (const auto& k : measured_kind_times(profile.measured_ops)) {
    if (models::is_communication(k.kind)) continue;
    const std::pair<int, int> key{static_cast<int>(k.kind), static_cast<int>(k.pass)};
    std::cout << "  " << models::op_kind_name(k.kind) << " " << models::pass_name(k.pass) << " | "
              << k.seconds * 1e3 << " | " << priced[key] * 1e3 << " | " << today[key] * 1e3 << "\n";
    const double p = priced_measured[{static_cast<int>(k.kind), static_cast<int>(k.pass)}];
    EXPECT_NEAR(p, k.seconds, kExact * k.seconds)
        << models::op_kind_name(k.kind) << " " << models::pass_name(k.pass);
  }
  EXPECT_NEAR(priced_sum, trace_sum, kTargetTol * trace_sum);
  std::cout << "per MoE layer (F + B + W compute): excerpt kernels " << trace_sum * 1e3
            << " ms, trace profile " << priced_sum * 1e3 << " ms, h800-published "
            << today_sum * 1e3 << " ms\n";
}

TEST(DeepSeekTrace, OnAnotherGpuMeasuredTimesFollowTheTransferRule) {
  // The trace profile (H800) on an A100, all 108 SMs: the attention core's measured time scales
  // by the SMs (112 in the trace / 108) and the BF16 peak ratio (H800 / A100); a norm by the HBM
  // bandwidth ratio (H800 / A100).
  constexpr double kTol = 1e-9;
  V3 v;
  const auto& catalog = hardware::HardwareCatalog::bundled();
  const auto& h800 = catalog.gpu("h800");
  const auto& a100 = catalog.gpu("a100");
  const auto model = make_cost_model(kTraceProfile, a100);
  const auto& measured = dynamic_cast<const MeasuredOpsCostModel&>(*model);
  const auto layer = models::build_layer_ops(v.sc.model, 3, v.ctx);
  const ComputeContext ctx{&a100, 0};
  for (const auto& op : layer.forward) {
    const MeasuredOp* m = measured.find(op);
    if (op.kind == OpKind::Attention) {
      ASSERT_NE(m, nullptr);
      const double expected = m->seconds * 112.0 / a100.sm_count *
                              h800.peak(hardware::Dtype::BF16) / a100.peak(hardware::Dtype::BF16);
      EXPECT_NEAR(model->time(op, ctx).seconds, expected, expected * kTol);
    }
    if (op.kind == OpKind::Norm) {
      ASSERT_NE(m, nullptr);
      const double expected = m->seconds * h800.hbm_bw_Bps / a100.hbm_bw_Bps;
      EXPECT_NEAR(model->time(op, ctx).seconds, expected, expected * kTol);
    }
  }
}

}  // namespace
}  // namespace trainsim::calibration
