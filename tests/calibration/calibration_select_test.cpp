// Per-GPU profiles: the `attention:` and `gpu:` profile fields, attention timing from measured
// points, weight-gradient fits, `calibration: auto` and the transfer rule between GPUs.
#include "calibration/calibration_select.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

#include "calibration/attention_rates.hpp"
#include "calibration/cost_models.hpp"
#include "calibration/profile.hpp"
#include "core/error.hpp"
#include "hardware/catalog.hpp"
#include "tests/support/test_temp_path.hpp"

namespace trainsim::calibration {
namespace {

using hardware::Dtype;

const hardware::GpuSpec& gpu(const char* name) {
  return hardware::HardwareCatalog::bundled().gpu(name);
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = trainsim::test::test_temp_path(name);
  FILE* f = std::fopen(path.c_str(), "w");
  EXPECT_NE(f, nullptr);
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  return path;
}

/// A profile header on `gpu_line` with the given body sections.
std::string profile_text(const std::string& gpu_line, const std::string& body) {
  return "name: t\ndevice: test\n" + gpu_line +
         "roofline:\n"
         "  compute_efficiency: {value: 0.5, source: s}\n"
         "  memory_efficiency: {value: 0.5, source: s}\n"
         "  launch_overhead: {value: 1us, source: s}\n" +
         body;
}

models::Op attention(Dtype d, std::int64_t head_dim, std::int64_t seq, bool causal,
                     models::Pass pass = models::Pass::Forward) {
  models::Op op;
  op.kind = models::OpKind::Attention;
  op.pass = pass;
  op.dtype = d;
  op.attention = {1, 16, seq, seq, head_dim, head_dim, causal};
  // FlashAttention FLOP convention: 4·B·H·S²·d, halved when causal; backward 2.5×.
  const double fwd = 4.0 * 16 * static_cast<double>(seq) * static_cast<double>(seq) *
                     static_cast<double>(head_dim) / (causal ? 2.0 : 1.0);
  op.flops = pass == models::Pass::Forward ? fwd : 2.5 * fwd;
  op.bytes = 4.0 * 16 * static_cast<double>(seq * head_dim) * 2;
  return op;
}

models::Op gemm(std::int64_t m, std::int64_t n, std::int64_t k, Dtype d,
                models::Pass pass = models::Pass::Forward) {
  models::Op op;
  op.kind = models::OpKind::Gemm;
  op.pass = pass;
  op.dtype = d;
  op.gemm = {m, n, k, 1};
  op.flops = 2.0 * static_cast<double>(m * n * k);
  op.bytes = static_cast<double>(m * k + k * n) + 2.0 * static_cast<double>(m * n);
  return op;
}

AttentionPoint point(std::int64_t d, std::int64_t s, bool causal, AttentionDirection dir,
                     double tflops, Dtype dt = Dtype::BF16,
                     models::AttentionLibrary lib = models::AttentionLibrary::FlashAttention) {
  AttentionPoint p;
  p.library = lib;
  p.dtype = dt;
  p.head_dim = p.head_dim_v = d;
  p.seq_len = s;
  p.causal = causal;
  p.direction = dir;
  p.flops_per_s = tflops * 1e12;
  p.source = "test";
  return p;
}

// --- the profile format ---------------------------------------------------------------------

TEST(ProfileFormat, AttentionAndGpuFieldsLoad) {
  const std::string path = write_temp(
      "attn.yaml",
      profile_text(
          "gpu: h100\n",
          "attention:\n"
          "  - {dtype: bf16, head_dim: 192, head_dim_v: 128, seq_len: 4096, causal: "
          "true, direction: bwd, tflops: 500, source: paper}\n"
          "gemm:\n"
          "  - {dtype: fp8, m: 128, n: 256, k: 512, wgrad: true, tflops: 100, source: x}\n"));
  const Profile p = load_profile(path);
  EXPECT_EQ(p.gpu, "h100");
  EXPECT_FALSE(p.default_for_gpu);
  ASSERT_EQ(p.attention.size(), 1u);
  EXPECT_EQ(p.attention[0].head_dim, 192);
  EXPECT_EQ(p.attention[0].head_dim_v, 128);
  EXPECT_EQ(p.attention[0].seq_len, 4096);
  EXPECT_TRUE(p.attention[0].causal);
  EXPECT_EQ(p.attention[0].direction, AttentionDirection::Backward);
  EXPECT_DOUBLE_EQ(p.attention[0].flops_per_s, 500e12);
  ASSERT_EQ(p.gemm.size(), 1u);
  EXPECT_TRUE(p.gemm[0].wgrad);
}

TEST(ProfileFormat, AttentionKernelLibraryLoadsAndBadValuesListTheValidOnes) {
  const Profile p = load_profile(write_temp(
      "lib.yaml", profile_text("gpu: h100\n",
                               "attention:\n"
                               "  - {dtype: bf16, head_dim: 128, seq_len: 4096, causal: true, "
                               "direction: fwd, kernel: cudnn, tflops: 518, source: paper}\n"
                               "  - {dtype: bf16, head_dim: 128, seq_len: 4096, causal: true, "
                               "direction: fwd, tflops: 579, source: paper}\n")));
  ASSERT_EQ(p.attention.size(), 2u);
  EXPECT_EQ(p.attention[0].library, models::AttentionLibrary::Cudnn);
  EXPECT_EQ(p.attention[1].library, models::AttentionLibrary::FlashAttention);  // the default
  try {
    load_profile(
        write_temp("badlib.yaml",
                   profile_text("gpu: h100\n",
                                "attention:\n"
                                "  - {dtype: bf16, head_dim: 128, seq_len: 4096, causal: true, "
                                "direction: fwd, kernel: xformers, tflops: 500, source: s}\n")));
    FAIL();
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.line(), 9) << msg;
    EXPECT_NE(msg.find("xformers"), std::string::npos) << msg;
    EXPECT_NE(msg.find("flash, cudnn"), std::string::npos) << msg;
  }
}

TEST(ProfileFormat, AFileIsParsedOnceButAnEditIsReadAfresh) {
  // The same bytes give the same profile (from the parse cache); an edit of the same size,
  // written at once, gives the new value; a broken edit is an error every time, never the
  // previous parse.
  const auto body = [](const char* tflops) {
    return profile_text("gpu: h100\n", std::string("attention:\n  - {dtype: bf16, head_dim: 128, "
                                                   "seq_len: 4096, causal: true, direction: fwd, "
                                                   "tflops: ") +
                                           tflops + ", source: paper}\n");
  };
  const std::string path = write_temp("cached.yaml", body("500"));
  const Profile first = load_profile(path);
  EXPECT_DOUBLE_EQ(first.attention.at(0).flops_per_s, 500e12);
  EXPECT_FALSE(first.content_key.empty());
  const Profile again = load_profile(path);
  EXPECT_EQ(again.content_key, first.content_key);
  EXPECT_DOUBLE_EQ(again.attention.at(0).flops_per_s, 500e12);
  write_temp("cached.yaml", body("600"));  // same size
  const Profile edited = load_profile(path);
  EXPECT_DOUBLE_EQ(edited.attention.at(0).flops_per_s, 600e12);
  EXPECT_NE(edited.content_key, first.content_key);
  write_temp("cached.yaml", body("6x0"));
  for (int i = 0; i < 2; ++i) EXPECT_THROW((void)load_profile(path), ConfigError);
}

TEST(ProfileFormat, OlderFilesTakeTheirGpuFromAppliesTo) {
  const Profile p =
      load_profile(write_temp("old.yaml", profile_text("applies_to: [h800, h100]\n", "")));
  EXPECT_EQ(p.gpu, "h800");
}

TEST(ProfileFormat, BadAttentionDirectionNamesFileLineAndValidValues) {
  const std::string path = write_temp(
      "baddir.yaml",
      profile_text("gpu: h100\n",
                   "attention:\n"
                   "  - {dtype: bf16, head_dim: 128, seq_len: 4096, causal: true, direction: "
                   "sideways, tflops: 500, source: paper}\n"));
  try {
    load_profile(path);
    FAIL();
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.line(), 9) << msg;
    EXPECT_NE(msg.find("baddir.yaml"), std::string::npos) << msg;
    EXPECT_NE(msg.find("direction"), std::string::npos) << msg;
    EXPECT_NE(msg.find("sideways"), std::string::npos) << msg;
    EXPECT_NE(msg.find("fwd_bwd"), std::string::npos) << msg;
  }
}

TEST(ProfileFormat, AttentionPointWithoutSourceIsAnError) {
  const std::string path = write_temp(
      "nosrc.yaml", profile_text("gpu: h100\n",
                                 "attention:\n"
                                 "  - {dtype: bf16, head_dim: 128, seq_len: 4096, causal: true, "
                                 "direction: fwd, tflops: 500, source: \"\"}\n"));
  try {
    load_profile(path);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("non-empty source"), std::string::npos) << e.what();
  }
}

TEST(ProfileFormat, UnknownGpuListsTheCatalog) {
  try {
    load_profile(write_temp("badgpu.yaml", profile_text("gpu: h900\n", "")));
    FAIL();
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.line(), 3) << msg;
    EXPECT_NE(msg.find("h900"), std::string::npos) << msg;
    EXPECT_NE(msg.find("h800"), std::string::npos) << msg;
    EXPECT_NE(msg.find("a100"), std::string::npos) << msg;
  }
}

TEST(ProfileFormat, MissingGpuIsAnError) {
  try {
    load_profile(write_temp("nogpu.yaml", profile_text("", "")));
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("needs `gpu:`"), std::string::npos) << e.what();
  }
}

TEST(ProfileFormat, UnknownAttentionKeyIsRejected) {
  try {
    load_profile(write_temp(
        "badkey.yaml", profile_text("gpu: h100\n",
                                    "attention:\n"
                                    "  - {dtype: bf16, head_dim: 128, seq_len: 4096, causal: true, "
                                    "direction: fwd, tflops: 500, heads: 8, source: s}\n")));
    FAIL();
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("heads"), std::string::npos) << msg;
    EXPECT_NE(msg.find("seq_len"), std::string::npos) << msg;  // lists the valid keys
  }
}

// --- attention rates from points ------------------------------------------------------------

TEST(AttentionRates, InterpolatesLinearlyInLogSeqLen) {
  // Points at S = 1024 (400) and 4096 (600): at S = 2048, halfway in ln S, the rate is 500;
  // at S = 1448 (ln-fraction ln(1448/1024)/ln 4 = 0.25) it is 450.
  constexpr double kTol = 1e-6;
  const std::vector<AttentionPoint> pts{point(128, 1024, true, AttentionDirection::Forward, 400),
                                        point(128, 4096, true, AttentionDirection::Forward, 600)};
  EXPECT_NEAR(attention_rate(pts, attention(Dtype::BF16, 128, 2048, true))->flops_per_s, 500e12,
              500e12 * kTol);
  const double w = std::log(1448.0 / 1024.0) / std::log(4.0);
  EXPECT_NEAR(attention_rate(pts, attention(Dtype::BF16, 128, 1448, true))->flops_per_s,
              (400 + w * 200) * 1e12, 1e6);
  // Outside the measured range the end point's rate holds.
  EXPECT_DOUBLE_EQ(attention_rate(pts, attention(Dtype::BF16, 128, 512, true))->flops_per_s,
                   400e12);
  EXPECT_DOUBLE_EQ(attention_rate(pts, attention(Dtype::BF16, 128, 131072, true))->flops_per_s,
                   600e12);
  EXPECT_EQ(attention_rate(pts, attention(Dtype::BF16, 128, 2048, true))->fallback, "");
}

TEST(AttentionRates, NearestHeadDimInLog2TiesToTheSmaller) {
  const std::vector<AttentionPoint> pts{point(64, 4096, true, AttentionDirection::Forward, 400),
                                        point(128, 4096, true, AttentionDirection::Forward, 600),
                                        point(256, 4096, true, AttentionDirection::Forward, 700)};
  // d = 100: |log2(64/100)| = 0.64 > |log2(128/100)| = 0.36 → 128.
  EXPECT_DOUBLE_EQ(attention_rate(pts, attention(Dtype::BF16, 100, 4096, true))->flops_per_s,
                   600e12);
  // MLA d_qk 192, d_v 128: effective (192 + 128)/2 = 160 → 128 (log2 0.32 vs 0.68).
  auto mla = attention(Dtype::BF16, 192, 4096, true);
  mla.attention.head_dim_v = 128;
  EXPECT_DOUBLE_EQ(attention_rate(pts, mla)->flops_per_s, 600e12);
  // d = 181.02 = 128·√2 is equidistant from 128 and 256 in log2: the smaller wins.
  const std::vector<AttentionPoint> two{point(128, 4096, true, AttentionDirection::Forward, 600),
                                        point(256, 4096, true, AttentionDirection::Forward, 700)};
  auto mid = attention(Dtype::BF16, 181, 4096, true);
  mid.attention.head_dim_v = 181;
  EXPECT_DOUBLE_EQ(attention_rate(two, mid)->flops_per_s, 600e12);
}

TEST(AttentionRates, SubstitutionsAreNamed) {
  const std::vector<AttentionPoint> fwd_only{
      point(128, 4096, false, AttentionDirection::Forward, 600)};
  const auto bwd = attention_rate(
      fwd_only, attention(Dtype::BF16, 128, 4096, true, models::Pass::BackwardInput));
  ASSERT_TRUE(bwd);
  EXPECT_DOUBLE_EQ(bwd->flops_per_s, 600e12);
  EXPECT_NE(bwd->fallback.find("attention bwd bf16"), std::string::npos) << bwd->fallback;
  EXPECT_NE(bwd->fallback.find("the fwd points"), std::string::npos) << bwd->fallback;
  EXPECT_NE(bwd->fallback.find("non-causal points for a causal op"), std::string::npos)
      << bwd->fallback;
  // The pair's rate is preferred over the other pass's points.
  const std::vector<AttentionPoint> pair{
      point(128, 4096, true, AttentionDirection::Forward, 600),
      point(128, 4096, true, AttentionDirection::ForwardBackward, 300)};
  const auto b2 =
      attention_rate(pair, attention(Dtype::BF16, 128, 4096, true, models::Pass::BackwardInput));
  EXPECT_DOUBLE_EQ(b2->flops_per_s, 300e12);
  EXPECT_NE(b2->fallback.find("fwd+bwd pair"), std::string::npos) << b2->fallback;
  // FP16 points serve BF16 ops silently (one tensor-core rate); no FP8 point → no rate.
  const std::vector<AttentionPoint> fp16{
      point(128, 4096, true, AttentionDirection::Forward, 610, Dtype::FP16)};
  EXPECT_DOUBLE_EQ(attention_rate(fp16, attention(Dtype::BF16, 128, 4096, true))->flops_per_s,
                   610e12);
  EXPECT_FALSE(attention_rate(fp16, attention(Dtype::FP8, 128, 4096, true)));
}

TEST(AttentionRates, MissingMaskTakesTheOtherPassMaskRatio) {
  // Backward measured without a causal mask only (600), forward with both masks: causal 450,
  // non-causal 500 at the same head dim and S. A causal backward is priced at the non-causal
  // backward rate times the forward's causal/non-causal ratio: 600 · 450/500 = 540 TFLOP/s.
  const std::vector<AttentionPoint> pts{point(128, 4096, false, AttentionDirection::Backward, 600),
                                        point(128, 4096, true, AttentionDirection::Forward, 450),
                                        point(128, 4096, false, AttentionDirection::Forward, 500)};
  const auto bwd =
      attention_rate(pts, attention(Dtype::BF16, 128, 4096, true, models::Pass::BackwardInput));
  ASSERT_TRUE(bwd);
  EXPECT_NEAR(bwd->flops_per_s, 540e12, 1e3);
  EXPECT_NE(bwd->fallback.find("non-causal points for a causal op, times the fwd causal/non-causal "
                               "rate ratio 0.900"),
            std::string::npos)
      << bwd->fallback;
  // Without a pass that has both masks, the other mask's rate is used as it is (and named).
  const std::vector<AttentionPoint> one_mask{
      point(128, 4096, false, AttentionDirection::Backward, 600),
      point(128, 4096, false, AttentionDirection::Forward, 500)};
  const auto plain = attention_rate(
      one_mask, attention(Dtype::BF16, 128, 4096, true, models::Pass::BackwardInput));
  EXPECT_DOUBLE_EQ(plain->flops_per_s, 600e12);
  EXPECT_EQ(plain->fallback, "attention bwd bf16: non-causal points for a causal op");
}

TEST(AttentionRates, EachLibraryIsPricedByItsOwnPoints) {
  // FlashAttention 600 and cuDNN 500 TFLOP/s at one shape: an op takes its own library's rate;
  // a profile without points of the op's library lends the other's, and says so.
  using models::AttentionLibrary;
  const std::vector<AttentionPoint> both{point(128, 4096, true, AttentionDirection::Forward, 600),
                                         point(128, 4096, true, AttentionDirection::Forward, 500,
                                               Dtype::BF16, AttentionLibrary::Cudnn)};
  auto flash = attention(Dtype::BF16, 128, 4096, true);
  auto cudnn = flash;
  cudnn.attention.library = AttentionLibrary::Cudnn;
  EXPECT_DOUBLE_EQ(attention_rate(both, flash)->flops_per_s, 600e12);
  EXPECT_EQ(attention_rate(both, flash)->fallback, "");
  EXPECT_DOUBLE_EQ(attention_rate(both, cudnn)->flops_per_s, 500e12);
  EXPECT_EQ(attention_rate(both, cudnn)->fallback, "");
  const std::vector<AttentionPoint> flash_only{both[0]};
  const auto lent = attention_rate(flash_only, cudnn);
  ASSERT_TRUE(lent);
  EXPECT_DOUBLE_EQ(lent->flops_per_s, 600e12);
  EXPECT_EQ(lent->fallback,
            "attention fwd bf16 cudnn: FlashAttention points for a cuDNN kernel (no cuDNN points)");
  // The mask ratio comes from the op's own library: cuDNN backward non-causal 450, cuDNN forward
  // causal 400 / non-causal 500 (FlashAttention's 600/600 would give 1.0): 450 · 0.8 = 360.
  const std::vector<AttentionPoint> masks{
      point(128, 4096, true, AttentionDirection::Forward, 600),
      point(128, 4096, false, AttentionDirection::Forward, 600),
      point(128, 4096, false, AttentionDirection::Backward, 550),
      point(128, 4096, true, AttentionDirection::Forward, 400, Dtype::BF16,
            AttentionLibrary::Cudnn),
      point(128, 4096, false, AttentionDirection::Forward, 500, Dtype::BF16,
            AttentionLibrary::Cudnn),
      point(128, 4096, false, AttentionDirection::Backward, 450, Dtype::BF16,
            AttentionLibrary::Cudnn)};
  auto bwd = attention(Dtype::BF16, 128, 4096, true, models::Pass::BackwardInput);
  bwd.attention.library = AttentionLibrary::Cudnn;
  EXPECT_NEAR(attention_rate(masks, bwd)->flops_per_s, 360e12, 1e3);
}

TEST(AttentionCost, H100ProfileTimesCudnnAttentionAtItsOwnBars) {
  // FlashAttention-3's figures, cuDNN bars, BF16, head dim 128, S = 4096: forward causal 518,
  // non-causal 609; backward non-causal 499, so causal backward 499 · 518/609 = 424.4 TFLOP/s.
  constexpr double kTol = 1e-9;
  const auto model = make_cost_model("h100-published", gpu("h100"));
  auto op = attention(Dtype::BF16, 128, 4096, true);
  op.attention.library = models::AttentionLibrary::Cudnn;
  const auto t = model->time(op, ComputeContext{&gpu("h100"), 0});
  EXPECT_EQ(t.fallback, "");
  EXPECT_NEAR(t.seconds, op.flops / 518e12, op.flops / 518e12 * kTol);
  auto bwd = attention(Dtype::BF16, 128, 4096, true, models::Pass::BackwardInput);
  bwd.attention.library = models::AttentionLibrary::Cudnn;
  const double rate = 499e12 * 518.0 / 609.0;
  EXPECT_NEAR(model->time(bwd, ComputeContext{&gpu("h100"), 0}).seconds, bwd.flops / rate,
              bwd.flops / rate * kTol);
}

TEST(AttentionCost, H100ProfileTimesAttentionAtFlashAttention3Rates) {
  // FA3 forward, BF16, head dim 128, causal, S = 4096: 579 TFLOP/s on 132 SMs. With 112 of 132
  // SMs left to compute, t scales by 132/112.
  constexpr double kTol = 1e-9;
  const auto model = make_cost_model("h100-published", gpu("h100"));
  const auto op = attention(Dtype::BF16, 128, 4096, true);
  const auto t = model->time(op, ComputeContext{&gpu("h100"), 0});
  EXPECT_EQ(t.source, TimingSource::Profile);
  EXPECT_EQ(t.fallback, "");
  EXPECT_NEAR(t.seconds, op.flops / 579e12, op.flops / 579e12 * kTol);
  const auto reserved = model->time(op, ComputeContext{&gpu("h100"), 112});
  EXPECT_NEAR(reserved.seconds, op.flops / 579e12 * 132.0 / 112.0, op.flops / 579e12 * kTol);
  // Backward, causal: FA3 published no causal backward → the non-causal 542 TFLOP/s times the
  // forward's causal/non-causal ratio at the same head dim and S, 579/638: 491.9 TFLOP/s, named.
  const auto bwd = attention(Dtype::BF16, 128, 4096, true, models::Pass::BackwardInput);
  const auto tb = model->time(bwd, ComputeContext{&gpu("h100"), 0});
  const double rate = 542e12 * 579.0 / 638.0;
  EXPECT_NEAR(tb.seconds, bwd.flops / rate, bwd.flops / rate * kTol);
  EXPECT_NE(tb.fallback.find("non-causal points for a causal op, times the fwd"), std::string::npos)
      << tb.fallback;
}

/// The fit of `dtype` among a profile cost model's fits (fails the test when there is none).
const GemmEfficiencyModel* fit_of(const CostModel& model, Dtype dtype) {
  for (const auto& f : static_cast<const ProfileCostModel&>(model).fits()) {
    if (f.dtype() == dtype && !f.wgrad()) return &f;
  }
  ADD_FAILURE() << "no " << hardware::dtype_name(dtype) << " fit";
  return nullptr;
}

TEST(H100Profile, Bf16GemmFitCrossValidates) {
  // 20 dense BF16 points (XLA's sm_90 table). The held-out error is finite and below 50% (a
  // sanity bound, not a target: the value is reported and printed for the README).
  constexpr double kSanity = 0.5;
  const auto model = make_cost_model("h100-published", gpu("h100"));
  EXPECT_EQ(static_cast<const ProfileCostModel&>(*model).fits().size(), 2u);  // bf16 and fp8
  const auto* fit = fit_of(*model, Dtype::BF16);
  ASSERT_NE(fit, nullptr);
  const FitReport& r = fit->report();
  EXPECT_EQ(r.dense_points, 20);
  EXPECT_LT(r.cv_rms_error, kSanity);
  const auto& c = r.coef;
  std::cout << "h100-published: " << r.summary() << " (worst " << r.cv_worst_point
            << "); 1/a_dense " << 1 / c.a_dense << ", b " << c.b_k << ", L " << c.launch_s * 1e6
            << " us\n";
  // A BF16 GEMM of the table is priced near its rate: 4096 x 2048 x 4096 at 764.1 TFLOP/s,
  // within the fit's held-out error bound.
  const auto op = gemm(4096, 2048, 4096, Dtype::BF16);
  const auto t = model->time(op, ComputeContext{&gpu("h100"), 0});
  EXPECT_EQ(t.source, TimingSource::Profile);
  EXPECT_NEAR(t.seconds, op.flops / 764.1e12, op.flops / 764.1e12 * r.cv_max_error);
}

TEST(H100Profile, Fp8GemmsUseTheDeepGemmFitMeasuredOnTheH800) {
  // 18 dense + 4 grouped FP8 points (DeepGEMM's H800 tables; the H800 has the H100's SMs,
  // clocks and tensor cores, so the fit is the H800 profile's: same points, same device
  // numbers). A table GEMM, 4096 x 7168 x 16384 at 1520 TFLOP/s, is priced within the fit's
  // held-out error bound.
  constexpr double kSanity = 0.5;
  const auto model = make_cost_model("h100-published", gpu("h100"));
  const auto* fit = fit_of(*model, Dtype::FP8);
  ASSERT_NE(fit, nullptr);
  const FitReport& r = fit->report();
  EXPECT_EQ(r.dense_points, 18);
  EXPECT_EQ(r.grouped_points, 4);
  EXPECT_LT(r.cv_rms_error, kSanity);
  const auto h800 = make_cost_model("h800-published", gpu("h800"));
  const auto* h800_fit = fit_of(*h800, Dtype::FP8);
  ASSERT_NE(h800_fit, nullptr);
  EXPECT_DOUBLE_EQ(r.cv_rms_error, h800_fit->report().cv_rms_error);
  std::cout << "h100-published: " << r.summary() << " (worst " << r.cv_worst_point << ")\n";
  const auto op = gemm(4096, 7168, 16384, Dtype::FP8);
  const auto t = model->time(op, ComputeContext{&gpu("h100"), 0});
  EXPECT_EQ(t.source, TimingSource::Profile);
  EXPECT_EQ(t.fallback, "");
  EXPECT_NEAR(t.seconds, op.flops / 1520e12, op.flops / 1520e12 * r.cv_max_error);
}

TEST(ProfileFormat, ComputeEfficiencyByDtypeSetsTheRooflineOfThatDtype) {
  // No FP8 GEMM points: the roofline at the FP8 fraction 0.709 (not the profile-wide 0.803):
  // t = F / (1979e12 · 0.709) + 2 µs launch, when compute-bound.
  constexpr double kTol = 1e-9;
  const std::string text =
      "name: t\ndevice: test\ngpu: h100\nroofline:\n"
      "  compute_efficiency: {value: 0.803, source: s}\n"
      "  compute_efficiency_by_dtype:\n"
      "    fp8: {value: 0.709, source: s}\n"
      "  memory_efficiency: {value: 0.796, source: s}\n"
      "  launch_overhead: {value: 2us, source: s}\n";
  const auto model = make_cost_model(write_temp("fp8-roofline.yaml", text), gpu("h100"));
  const auto op = gemm(8192, 8192, 8192, Dtype::FP8);
  const auto t = model->time(op, ComputeContext{&gpu("h100"), 0});
  EXPECT_EQ(t.source, TimingSource::Roofline);
  const double expected = op.flops / (1979e12 * 0.709) + 2e-6;
  EXPECT_NEAR(t.seconds, expected, expected * kTol);
  EXPECT_NE(t.fallback.find("gemm fp8: roofline (70.9% of the dense peak"), std::string::npos)
      << t.fallback;
}

TEST(A100Profile, Fp16GemmFitCrossValidatesAndServesBf16) {
  // 5 dense FP16 points (Triton's A100 regression table, square shapes). The held-out error is
  // finite and below 50% (a sanity bound, not a target); per-point errors are printed for the
  // README. A table GEMM, 8192^3 at its measured 0.839 of the 1,350 MHz peak (108 SMs · 2,048
  // FLOP/clk · 1.35 GHz = 298.6 TFLOP/s) = 250.5 TFLOP/s, is priced within the held-out bound, and
  // a BF16 GEMM of the same shape takes the same time (one tensor-core rate).
  constexpr double kSanity = 0.5;
  const auto model = make_cost_model("a100-published", gpu("a100"));
  const auto* fit = fit_of(*model, Dtype::FP16);
  ASSERT_NE(fit, nullptr);
  const FitReport& r = fit->report();
  EXPECT_EQ(r.dense_points, 5);
  EXPECT_LT(r.cv_rms_error, kSanity);
  const auto& c = r.coef;
  std::cout << "a100-published: " << r.summary() << " (worst " << r.cv_worst_point
            << "); 1/a_dense " << 1 / c.a_dense << ", b " << c.b_k << ", L " << c.launch_s * 1e6
            << " us\n";
  for (const auto& e : r.point_errors) {
    std::cout << "  " << e.shape << ": fit " << e.fit * 100 << "%, held out " << e.held_out * 100
              << "%\n";
  }
  const ComputeContext ctx{&gpu("a100"), 0};
  const auto op = gemm(8192, 8192, 8192, Dtype::FP16);
  const auto t = model->time(op, ctx);
  EXPECT_EQ(t.source, TimingSource::Profile);
  EXPECT_NEAR(t.seconds, op.flops / 250.5e12, op.flops / 250.5e12 * r.cv_max_error);
  EXPECT_DOUBLE_EQ(model->time(gemm(8192, 8192, 8192, Dtype::BF16), ctx).seconds, t.seconds);
}

TEST(ProfileFormat, UnknownDtypeInComputeEfficiencyByDtypeIsAnError) {
  const std::string text =
      "name: t\ndevice: test\ngpu: h100\nroofline:\n"
      "  compute_efficiency_by_dtype:\n"
      "    fp4: {value: 0.5, source: s}\n";
  try {
    load_profile(write_temp("fp4.yaml", text));
    FAIL();
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.line(), 6) << msg;
    EXPECT_NE(msg.find("unknown dtype 'fp4'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("valid: fp8, bf16"), std::string::npos) << msg;
  }
}

// --- weight-gradient GEMMs ------------------------------------------------------------------

TEST(WgradGemm, UsesWgradPointsWhenPresentElseTheForwardFitNamed) {
  // Forward points at 600-1000 TFLOP/s and wgrad points at half those rates: a wgrad op is timed
  // by the wgrad fit (about 2x the forward time), a forward op by the forward fit.
  std::string fwd, wg;
  const int shapes[][3] = {{4096, 4096, 1024},
                           {4096, 4096, 4096},
                           {4096, 7168, 2048},
                           {2048, 4096, 8192},
                           {4096, 2048, 16384}};
  const double rates[] = {600, 900, 800, 850, 1000};
  for (int i = 0; i < 5; ++i) {
    fwd += fmt::format("  - {{dtype: fp8, m: {}, n: {}, k: {}, tflops: {}, source: s}}\n",
                       shapes[i][0], shapes[i][1], shapes[i][2], rates[i]);
    wg +=
        fmt::format("  - {{dtype: fp8, m: {}, n: {}, k: {}, wgrad: true, tflops: {}, source: s}}\n",
                    shapes[i][0], shapes[i][1], shapes[i][2], rates[i] / 2);
  }
  const auto both = make_cost_model(
      write_temp("wg.yaml", profile_text("gpu: h800\n", "gemm:\n" + fwd + wg)), gpu("h800"));
  const auto fwd_only = make_cost_model(
      write_temp("nowg.yaml", profile_text("gpu: h800\n", "gemm:\n" + fwd)), gpu("h800"));
  const ComputeContext ctx{&gpu("h800"), 0};
  const auto f = both->time(gemm(4096, 4096, 4096, Dtype::FP8), ctx);
  const auto w = both->time(gemm(4096, 4096, 4096, Dtype::FP8, models::Pass::BackwardWeight), ctx);
  EXPECT_EQ(w.fallback, "");
  EXPECT_NEAR(w.seconds / f.seconds, 2.0, 0.25);
  const auto w0 =
      fwd_only->time(gemm(4096, 4096, 4096, Dtype::FP8, models::Pass::BackwardWeight), ctx);
  EXPECT_DOUBLE_EQ(w0.seconds, fwd_only->time(gemm(4096, 4096, 4096, Dtype::FP8), ctx).seconds);
  EXPECT_EQ(w0.fallback, "gemm fp8 wgrad: the forward fit (no wgrad points)");
}

// --- calibration: auto and the transfer rule ------------------------------------------------

TEST(CalibrationAuto, PicksTheProfileOfTheScenariosGpu) {
  for (const auto& [g, profile] :
       {std::pair{"h800", "h800-published"}, std::pair{"h100", "h100-published"},
        std::pair{"a100", "a100-published"}}) {
    const auto s = select_calibration("auto", gpu(g));
    EXPECT_EQ(s.profile, profile) << g;
    EXPECT_EQ(s.profile_gpu, g);
    EXPECT_EQ(s.transfer, "none");
    EXPECT_EQ(s.warning, "");
  }
  EXPECT_EQ(select_calibration("", gpu("h800")).requested, "auto");
  EXPECT_EQ(own_profile_for("h800"), "h800-published");  // not h800-cutlass-2024
}

TEST(CalibrationAuto, AGpuWithoutAProfileTakesTheNearestAndWarns) {
  // b200 (2250 TFLOP/s BF16, 8 TB/s): distance |ln(989/2250)| + |ln(3.35/8)| = 1.69 to h100 and
  // h800 (tie: h100 sorts first), 1.98 + 1.37 = 3.35 to a100.
  const auto s = select_calibration("auto", gpu("b200"));
  EXPECT_EQ(s.profile, "h100-published");
  EXPECT_EQ(s.profile_gpu, "h100");
  EXPECT_NE(s.transfer.find("bf16 989/2250 = 0.440"), std::string::npos) << s.transfer;
  EXPECT_NE(s.transfer.find("3350/8000 GB/s = 0.419"), std::string::npos) << s.transfer;
  EXPECT_NE(s.warning.find("no bundled profile was measured on b200"), std::string::npos)
      << s.warning;
  EXPECT_NE(s.warning.find("transfer rule"), std::string::npos) << s.warning;
  // h200: the H100's compute, 4.8 TB/s: compute ratio 1, memory 3350/4800.
  const auto h200 = select_calibration("auto", gpu("h200"));
  EXPECT_EQ(h200.profile, "h100-published");
  EXPECT_NE(h200.transfer.find("bf16 989/989 = 1.000"), std::string::npos) << h200.transfer;
  EXPECT_NE(h200.transfer.find("3350/4800 GB/s = 0.698"), std::string::npos) << h200.transfer;
}

TEST(CalibrationAuto, AnExplicitProfileOfAnotherGpuWarnsToo) {
  const auto s = select_calibration("h800-published", gpu("h100"));
  EXPECT_EQ(s.profile, "h800-published");
  EXPECT_NE(s.warning.find("measured on h800, the scenario runs on h100"), std::string::npos)
      << s.warning;
  EXPECT_NE(s.transfer, "none");
  const auto own = select_calibration("h800-published", gpu("h800"));
  EXPECT_EQ(own.warning, "");
  EXPECT_EQ(own.transfer, "none");
  const auto ideal = select_calibration("roofline", gpu("b200"));
  EXPECT_EQ(ideal.profile_gpu, "");
  EXPECT_EQ(ideal.transfer, "none");
  EXPECT_EQ(ideal.warning, "");
}

TEST(CalibrationAuto, UnknownNamesListAuto) {
  try {
    select_calibration("h900-measured", gpu("h800"));
    FAIL();
  } catch (const ModelError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("valid: auto, roofline"), std::string::npos) << msg;
    EXPECT_NE(msg.find("h100-published"), std::string::npos) << msg;
  }
}

TEST(TransferRule, ComputeBoundScalesByPeakMemoryBoundByHbm) {
  // h100-published on a b200:
  //   attention (compute-bound, from points): t_b200 = t_h100 · peak_bf16(h100)/peak_bf16(b200)
  //                                                  = t_h100 · 989/2250;
  //   a norm (memory-bound roofline): (t − L)_b200 = (t − L)_h100 · HBM(h100)/HBM(b200)
  //                                                = · 3.35/8; the launch overhead L is kept.
  constexpr double kTol = 1e-9;
  const auto model = make_cost_model("h100-published", gpu("b200"));
  const auto op = attention(Dtype::BF16, 128, 8192, true);
  const double t_h100 = model->time(op, ComputeContext{&gpu("h100"), 0}).seconds;
  const double t_b200 = model->time(op, ComputeContext{&gpu("b200"), 0}).seconds;
  EXPECT_NEAR(t_b200, t_h100 * 989.0 / 2250.0, t_h100 * kTol);
  models::Op norm;
  norm.kind = models::OpKind::Norm;
  norm.dtype = Dtype::BF16;
  norm.flops = 4e9;
  norm.bytes = 4e9;
  const double launch = 2e-6;  // h100-published's launch_overhead
  const double n_h100 = model->time(norm, ComputeContext{&gpu("h100"), 0}).seconds - launch;
  const double n_b200 = model->time(norm, ComputeContext{&gpu("b200"), 0}).seconds - launch;
  EXPECT_NEAR(n_b200, n_h100 * 3350.0 / 8000.0, n_h100 * kTol);
  EXPECT_DOUBLE_EQ(compute_transfer(gpu("h100"), gpu("b200"), Dtype::FP8), 1979.0 / 4500.0);
  EXPECT_DOUBLE_EQ(memory_transfer(gpu("h100"), gpu("b200")), 3.35e12 / 8e12);
  // A dtype one GPU cannot run (the A100 has no FP8 tensor cores) transfers at ratio 1.
  EXPECT_DOUBLE_EQ(compute_transfer(gpu("a100"), gpu("h100"), Dtype::FP8), 1.0);
}

}  // namespace
}  // namespace trainsim::calibration
