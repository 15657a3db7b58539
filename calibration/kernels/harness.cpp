// The device measuring harness (see harness.hpp). Method (after /work/.library/device/METHOD.md):
// fresh random inputs per point (never zeros), output poisoned with NaN before the checked run,
// every output element tested for NaN/Inf on the device, sampled elements compared with a
// float64 host reference by ‖out − ref‖/‖ref‖; then warm-up, and per repetition an L2 flush
// (a memset of 2× the L2 size, outside the timed region) and a CUDA-event-timed launch.
#include "calibration/kernels/harness.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <ostream>
#include <random>
#include <set>
#include <sstream>
#include <utility>

#include "calibration/kernels/cublaslt_gemm.hpp"
#include "calibration/kernels/device_buffer.hpp"
#include "calibration/kernels/kernels.hpp"
#include "calibration/timing_stats.hpp"
#include "core/error.hpp"

namespace trainsim::calibration::kernels {
namespace {

std::size_t sz(std::int64_t v) {
  return static_cast<std::size_t>(v);
}

double bf16_to_double(std::uint16_t b) {
  const std::uint32_t u = static_cast<std::uint32_t>(b) << 16;
  float f = 0;
  std::memcpy(&f, &u, sizeof(f));
  return static_cast<double>(f);
}

double fp8_e4m3_to_double(std::uint8_t b) {
  const int e = (b >> 3) & 15;
  const int m = b & 7;
  if (e == 15 && m == 7) return std::numeric_limits<double>::quiet_NaN();
  const double v = e == 0 ? std::ldexp(m, -9) : std::ldexp(1.0 + m / 8.0, e - 7);
  return (b & 0x80) != 0 ? -v : v;
}

/// Round-to-nearest-even, saturating (to ±448) e4m3 encoding of v, as __NV_SATFINITE does.
std::uint8_t fp8_e4m3_encode(double v) {
  const std::uint8_t sign = std::signbit(v) ? 0x80 : 0x00;
  const double a = std::fabs(v);
  std::uint8_t best = 0;
  double best_err = std::numeric_limits<double>::infinity();
  for (int code = 0; code <= 0x7E; ++code) {  // all finite non-negative codes, ascending
    const double err = std::fabs(fp8_e4m3_to_double(static_cast<std::uint8_t>(code)) - a);
    // ties go to the even code (mantissa LSB 0); ascending order makes '<' keep the lower one
    if (err < best_err || (err == best_err && (code & 1) == 0)) {
      best = static_cast<std::uint8_t>(code);
      best_err = err;
    }
  }
  return static_cast<std::uint8_t>(sign | best);
}

/// Accumulates out-vs-reference errors.
struct ErrAcc {
  double se = 0, sr = 0, max_diff = 0, max_ref = 0;
  std::int64_t n = 0, bad = 0;
  void add(double out, double ref) {
    if (!std::isfinite(out) || !std::isfinite(ref)) {
      ++bad;
      return;
    }
    const double d = out - ref;
    se += d * d;
    sr += ref * ref;
    max_diff = std::max(max_diff, std::fabs(d));
    max_ref = std::max(max_ref, std::fabs(ref));
    ++n;
  }
  ReferenceCheck finish(double tolerance, std::string note,
                        std::int64_t nonfinite_on_device = 0) const {
    ReferenceCheck c;
    c.rel_l2_err = sr > 0 ? std::sqrt(se / sr) : (se > 0 ? 1.0 : 0.0);
    c.max_rel_err = max_ref > 0 ? max_diff / max_ref : max_diff;
    c.tolerance = tolerance;
    c.checked = n;
    c.nonfinite = bad + nonfinite_on_device;
    c.passed = n > 0 && c.nonfinite == 0 && c.rel_l2_err <= tolerance;
    c.note = std::move(note);
    return c;
  }
};

std::int64_t nonfinite_bf16(const std::uint16_t* p, std::int64_t n) {
  DeviceBuffer<int> count(1);
  count_nonfinite_bf16(p, n, count.get(), nullptr);
  return count.to_host()[0];
}

// Tolerances on ‖out − ref‖/‖ref‖ (METHOD.md: bf16 operands land between 1e-3 and 1e-2).
constexpr double kTolBf16Out = 1e-2;  // one bf16 rounding of the output (~2e-3 rms) plus FP32 sums
constexpr double kTolAttnBwd = 2e-2;  // P and dS are rounded to bf16 inside the kernel
constexpr double kTolFp32 = 1e-5;

class Timer {
 public:
  explicit Timer(const DeviceInfo& dev)
      : flush_(std::max<std::int64_t>(2 * dev.l2_bytes, 64LL << 20)) {
    check_cuda(cudaEventCreate(&start_), "cudaEventCreate");
    check_cuda(cudaEventCreate(&stop_), "cudaEventCreate");
  }
  ~Timer() {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  std::int64_t flush_bytes() const { return flush_.count(); }

  /// Times `launch` (everything it enqueues on the default stream) `reps` times.
  std::vector<double> time(const std::function<void()>& launch, int warmup, int reps) {
    for (int i = 0; i < warmup; ++i) launch();
    check_cuda(cudaDeviceSynchronize(), "warm-up");
    std::vector<double> ms;
    ms.reserve(sz(reps));
    for (int r = 0; r < reps; ++r) {
      check_cuda(cudaMemsetAsync(flush_.get(), r & 0xFF, flush_.bytes(), nullptr), "L2 flush");
      check_cuda(cudaEventRecord(start_, nullptr), "cudaEventRecord");
      launch();
      check_cuda(cudaEventRecord(stop_, nullptr), "cudaEventRecord");
      check_cuda(cudaEventSynchronize(stop_), "cudaEventSynchronize");
      float t = 0;
      check_cuda(cudaEventElapsedTime(&t, start_, stop_), "cudaEventElapsedTime");
      ms.push_back(static_cast<double>(t));
    }
    return ms;
  }

 private:
  DeviceBuffer<std::uint8_t> flush_;
  cudaEvent_t start_ = nullptr;
  cudaEvent_t stop_ = nullptr;
};

void set_times(Point& p, std::vector<double> ms) {
  const TimingSummary t = summarize_timings(ms);
  p.median_ms = t.median;
  p.p10_ms = t.p10;
  p.p90_ms = t.p90;
  p.min_ms = t.min;
  p.max_ms = t.max;
  p.times_ms = std::move(ms);
}

struct Ctx {
  const HarnessOptions& opt;
  const DeviceInfo& dev;
  Timer& timer;
  std::mt19937_64 rng;
  std::uint64_t next_seed() { return rng(); }
  std::int64_t uniform_index(std::int64_t n) {
    return std::uniform_int_distribution<std::int64_t>(0, n - 1)(rng);
  }
  std::vector<double> time(const std::function<void()>& f) {
    if (opt.check_only) return {};
    return timer.time(f, opt.warmup, opt.reps);
  }
};

/// Sample indices in [0, n): the ends, some fixed interior points and random ones, deduplicated.
std::vector<std::int64_t> sample_indices(Ctx& c, std::int64_t n, int random_count) {
  std::set<std::int64_t> s{0, n - 1, n / 2};
  for (std::int64_t v :
       {std::int64_t{1}, std::int64_t{63}, std::int64_t{64}, std::int64_t{127}, std::int64_t{128}})
    if (v < n) s.insert(v);
  for (int i = 0; i < random_count; ++i) s.insert(c.uniform_index(n));
  return {s.begin(), s.end()};
}

// ------------------------------------------------------------------------------------------
// GEMM

struct GemmCase {
  std::vector<std::int64_t> group_rows;  // rows of each group (multiples of 128 when grouped)
  std::int64_t n = 0, k = 0;
  bool padding_tile = false;  // append one 128-row tile marked -1 (contiguous-layout padding)
};

Point run_gemm(Ctx& c, bool fp8, const GemmCase& gc, bool grouped) {
  const std::int64_t groups = static_cast<std::int64_t>(gc.group_rows.size());
  const std::int64_t valid_m =
      std::accumulate(gc.group_rows.begin(), gc.group_rows.end(), std::int64_t{0});
  const std::int64_t m = valid_m + (gc.padding_tile ? 128 : 0);
  const std::int64_t n = gc.n;
  const std::int64_t k = gc.k;
  const std::int64_t elem = fp8 ? 1 : 2;
  Point p;
  p.op = std::string(grouped ? "grouped_gemm_" : "gemm_") + (fp8 ? "fp8" : "bf16");
  p.kind = grouped ? "grouped_gemm" : "gemm";
  p.dtype = fp8 ? "fp8_e4m3" : "bf16";
  p.kernel = fp8 ? "mma.sync m16n8k32 e4m3, 128x128 tiles, 3-stage cp.async, 1x128/128x128 scales, "
                   "FP32 promotion every 128 of K"
                 : "mma.sync m16n8k16 bf16, 128x128 tiles, 3-stage cp.async";
  p.shape.m =
      grouped ? valid_m / groups : m;  // per group for grouped (OpKind::GroupedGemm convention)
  p.shape.n = n;
  p.shape.k = k;
  p.shape.groups = groups;
  const std::int64_t kb = k / 128;
  const std::int64_t nb = (n + 127) / 128;
  p.flops = 2.0 * static_cast<double>(valid_m) * static_cast<double>(n) * static_cast<double>(k);
  p.bytes = static_cast<double>(valid_m * k * elem + groups * n * k * elem + valid_m * n * 2 +
                                (fp8 ? (valid_m * kb + groups * nb * kb) * 4 : 0));

  DeviceBuffer<std::uint8_t> a(m * k * elem);
  DeviceBuffer<std::uint8_t> b(groups * n * k * elem);
  DeviceBuffer<std::uint16_t> d(m * n);
  DeviceBuffer<std::uint16_t> dv(m * n);
  DeviceBuffer<float> sa(fp8 ? m * kb : 1);
  DeviceBuffer<float> sb(fp8 ? groups * nb * kb : 1);
  DeviceBuffer<float> unit(2);
  unit.from_host({1.0f, 1.0f});
  std::vector<int> tile_group_h;
  for (std::int64_t g = 0; g < groups; ++g)
    for (std::int64_t r = 0; r < gc.group_rows[sz(g)]; r += 128)
      tile_group_h.push_back(static_cast<int>(g));
  if (gc.padding_tile) tile_group_h.push_back(-1);
  DeviceBuffer<int> tile_group(static_cast<std::int64_t>(tile_group_h.size()));
  tile_group.from_host(tile_group_h);

  if (fp8) {
    fill_random_fp8(a.get(), a.count(), c.next_seed(), nullptr);
    fill_random_fp8(b.get(), b.count(), c.next_seed(), nullptr);
    fill_uniform_f32(sa.get(), sa.count(), c.next_seed(), 0.5f, 2.0f, nullptr);
    fill_uniform_f32(sb.get(), sb.count(), c.next_seed(), 0.5f, 2.0f, nullptr);
  } else {
    fill_uniform_bf16(reinterpret_cast<std::uint16_t*>(a.get()), m * k, c.next_seed(), -1.f, 1.f,
                      nullptr);
    fill_uniform_bf16(reinterpret_cast<std::uint16_t*>(b.get()), groups * n * k, c.next_seed(),
                      -1.f, 1.f, nullptr);
  }
  GemmProblem prob;
  prob.m = m;
  prob.n = n;
  prob.k = k;
  prob.groups = groups;
  prob.a = a.get();
  prob.b = b.get();
  prob.d = d.get();
  prob.a_scale = fp8 ? sa.get() : nullptr;
  prob.b_scale = fp8 ? sb.get() : nullptr;
  prob.m_tile_group = grouped ? tile_group.get() : nullptr;
  auto launch = [&] {
    if (fp8) {
      gemm_fp8_blockscaled(prob, nullptr);
    } else {
      gemm_bf16(prob, nullptr);
    }
  };
  static CublasLtGemm lt_handle;  // one handle for the process, created on first use
  CublasLtGemm* lt = &lt_handle;
  auto launch_vendor =
      [&] {  // grouped: one cuBLASLt call per group (no grouped FP8 in cuBLASLt 13.0)
        std::int64_t row = 0;
        for (std::int64_t g = 0; g < groups; ++g) {
          const std::int64_t mg = gc.group_rows[sz(g)];
          lt->run(fp8, mg, n, k, a.get() + row * k * elem, b.get() + g * n * k * elem,
                  dv.get() + row * n, unit.get(), unit.get() + 1, nullptr);
          row += mg;
        }
      };

  d.poison();
  dv.poison();
  launch();
  bool vendor_ok = true;
  std::string vendor_error;
  try {
    launch_vendor();
  } catch (const Error& e) {
    vendor_ok = false;
    vendor_error = e.what();
  }
  check_cuda(cudaDeviceSynchronize(), p.op.c_str());
  const std::int64_t bad = nonfinite_bf16(d.get(), valid_m * n);
  const std::int64_t bad_vendor = vendor_ok ? nonfinite_bf16(dv.get(), valid_m * n) : 0;

  // Reference on sampled (row, col) pairs, float64 over the exact (dequantized) inputs.
  ErrAcc acc;
  ErrAcc acc_vendor;
  const std::vector<std::int64_t> rows = sample_indices(c, valid_m, c.opt.small ? 24 : 40);
  const std::vector<std::int64_t> cols = sample_indices(c, n, 8);
  auto row_group = [&](std::int64_t r) { return tile_group_h[sz(r / 128)]; };
  for (std::int64_t r : rows) {
    const std::vector<std::uint8_t> arow = a.slice(r * k * elem, k * elem);
    const std::vector<float> srow = fp8 ? sa.slice(r * kb, kb) : std::vector<float>{};
    const std::vector<std::uint16_t> drow = d.slice(r * n, n);
    const std::vector<std::uint16_t> dvrow = dv.slice(r * n, n);
    const std::int64_t g = row_group(r);
    for (std::int64_t col : cols) {
      const std::vector<std::uint8_t> brow = b.slice((g * n + col) * k * elem, k * elem);
      const std::vector<float> sbrow =
          fp8 ? sb.slice((g * nb + col / 128) * kb, kb) : std::vector<float>{};
      double ref = 0;
      double ref_unit = 0;
      for (std::int64_t blk = 0; blk < kb; ++blk) {
        double part = 0;
        for (std::int64_t i = blk * 128; i < blk * 128 + 128; ++i) {
          if (fp8) {
            part += fp8_e4m3_to_double(arow[sz(i)]) * fp8_e4m3_to_double(brow[sz(i)]);
          } else {
            std::uint16_t x = 0;
            std::uint16_t y = 0;
            std::memcpy(&x, &arow[sz(2 * i)], 2);
            std::memcpy(&y, &brow[sz(2 * i)], 2);
            part += bf16_to_double(x) * bf16_to_double(y);
          }
        }
        ref_unit += part;
        ref += fp8 ? part * static_cast<double>(srow[sz(blk)]) * static_cast<double>(sbrow[sz(blk)])
                   : part;
      }
      acc.add(bf16_to_double(drow[sz(col)]), ref);
      if (vendor_ok) acc_vendor.add(bf16_to_double(dvrow[sz(col)]), ref_unit);
    }
  }
  p.check =
      acc.finish(kTolBf16Out,
                 fp8 ? "sampled elements vs float64 sum of dequantized e4m3 products (block scales)"
                     : "sampled elements vs float64 sum of bf16 products",
                 bad);
  if (vendor_ok) {
    p.vendor_check = acc_vendor.finish(
        kTolBf16Out, fp8 ? "same inputs, per-tensor scales 1.0" : "same inputs", bad_vendor);
  }
  if (p.check.passed) set_times(p, c.time(launch));
  if (vendor_ok) {
    p.vendor_name = std::string("cuBLASLt ") + std::to_string(CublasLtGemm::version()) +
                    (fp8 ? " fp8 e4m3 per-tensor scale" : " bf16") +
                    (groups > 1 ? ", one call per group" : "");
    if (p.vendor_check.passed && !c.opt.check_only)
      p.vendor_median_ms = percentile(c.time(launch_vendor), 0.5);
  } else {
    p.vendor_name = "cuBLASLt unavailable: " + vendor_error;
  }
  return p;
}

// ------------------------------------------------------------------------------------------
// Attention

struct HeadCopy {  // one (batch, head) slice on the host, [seq][dim]
  std::vector<std::uint16_t> v;
  int dim = 0;
  double at(std::int64_t s, int i) const { return bf16_to_double(v[sz(s * dim + i)]); }
};

HeadCopy copy_head(const std::uint16_t* base, int batch_index, int head, int heads, int seq,
                   int dim) {
  HeadCopy h;
  h.dim = dim;
  h.v.resize(sz(static_cast<std::int64_t>(seq) * dim));
  const std::uint16_t* src =
      base + (static_cast<std::int64_t>(batch_index) * seq * heads + head) * dim;
  check_cuda(
      cudaMemcpy2D(h.v.data(), sz(dim) * 2, src, sz(static_cast<std::int64_t>(heads) * dim) * 2,
                   sz(dim) * 2, sz(seq), cudaMemcpyDeviceToHost),
      "copy head");
  return h;
}

std::vector<Point> run_attention(Ctx& c, int batch, int heads, int seq, bool with_bwd,
                                 bool with_fwd) {
  constexpr int dqk = kMlaHeadDimQk;
  constexpr int dv = kMlaHeadDimV;
  const std::int64_t rows = static_cast<std::int64_t>(batch) * seq * heads;
  DeviceBuffer<std::uint16_t> q(rows * dqk), k(rows * dqk), v(rows * dv), o(rows * dv),
      d_o(rows * dv);
  DeviceBuffer<std::uint16_t> dq(with_bwd ? rows * dqk : 0), dk(with_bwd ? rows * dqk : 0),
      dvv(with_bwd ? rows * dv : 0);
  DeviceBuffer<float> lse(rows);
  AttentionProblem prob;
  prob.batch = batch;
  prob.heads = heads;
  prob.seq = seq;
  prob.causal = true;
  prob.q = q.get();
  prob.k = k.get();
  prob.v = v.get();
  prob.o = o.get();
  prob.lse = lse.get();
  prob.d_o = d_o.get();
  prob.d_q = dq.get();
  prob.d_k = dk.get();
  prob.d_v = dvv.get();
  DeviceBuffer<float> ws(with_bwd ? attention_bwd_workspace_bytes(prob) / 4 : 0);
  prob.workspace = ws.get();
  fill_uniform_bf16(q.get(), q.count(), c.next_seed(), -2.f, 2.f, nullptr);
  fill_uniform_bf16(k.get(), k.count(), c.next_seed(), -2.f, 2.f, nullptr);
  fill_uniform_bf16(v.get(), v.count(), c.next_seed(), -1.f, 1.f, nullptr);
  fill_uniform_bf16(d_o.get(), d_o.count(), c.next_seed(), -1.f, 1.f, nullptr);
  const double scale = 1.0 / std::sqrt(static_cast<double>(dqk));
  const double pairs =
      static_cast<double>(batch) * heads * (static_cast<double>(seq) * (seq + 1) / 2.0);

  Shape shape;
  shape.batch = batch;
  shape.heads = heads;
  shape.seq_q = seq;
  shape.seq_kv = seq;
  shape.head_dim_qk = dqk;
  shape.head_dim_v = dv;
  shape.causal = true;

  o.poison();
  lse.poison();
  attention_fwd(prob, nullptr);
  check_cuda(cudaDeviceSynchronize(), "attention_fwd");
  const std::int64_t bad_o = nonfinite_bf16(o.get(), o.count());
  std::int64_t bad_dq = 0, bad_dk = 0, bad_dv = 0;
  if (with_bwd) {
    dq.poison();
    dk.poison();
    dvv.poison();
    attention_bwd(prob, nullptr);
    check_cuda(cudaDeviceSynchronize(), "attention_bwd");
    bad_dq = nonfinite_bf16(dq.get(), dq.count());
    bad_dk = nonfinite_bf16(dk.get(), dk.count());
    bad_dv = nonfinite_bf16(dvv.get(), dvv.count());
  }

  ErrAcc acc_o, acc_lse, acc_dq, acc_dk, acc_dv;
  std::vector<std::pair<int, int>> bh{{0, 0}, {batch - 1, heads - 1}, {0, heads / 2}};
  const std::vector<float> lse_all = lse.to_host();
  for (auto [bi, hi] : bh) {
    const HeadCopy hq = copy_head(q.get(), bi, hi, heads, seq, dqk);
    const HeadCopy hk = copy_head(k.get(), bi, hi, heads, seq, dqk);
    const HeadCopy hv = copy_head(v.get(), bi, hi, heads, seq, dv);
    const HeadCopy ho = copy_head(o.get(), bi, hi, heads, seq, dv);
    const HeadCopy hdo = copy_head(d_o.get(), bi, hi, heads, seq, dv);
    const float* lse_head = lse_all.data() + (static_cast<std::int64_t>(bi) * heads + hi) * seq;
    auto score = [&](std::int64_t qi, std::int64_t kj) {
      double s = 0;
      for (int i = 0; i < dqk; ++i) s += hq.at(qi, i) * hk.at(kj, i);
      return s * scale;
    };
    for (std::int64_t qi : sample_indices(c, seq, 6)) {  // forward rows
      std::vector<double> s(sz(qi + 1));
      double mx = -std::numeric_limits<double>::infinity();
      for (std::int64_t j = 0; j <= qi; ++j) mx = std::max(mx, s[sz(j)] = score(qi, j));
      double sum = 0;
      for (double& x : s) sum += (x = std::exp(x - mx));
      for (int i = 0; i < dv; ++i) {
        double out = 0;
        for (std::int64_t j = 0; j <= qi; ++j) out += s[sz(j)] * hv.at(j, i);
        acc_o.add(ho.at(qi, i), out / sum);
      }
      acc_lse.add(static_cast<double>(lse_head[qi]), mx + std::log(sum));
    }
    if (!with_bwd) continue;
    // Backward reference from the kernel's own O and LSE (the forward check above covers them).
    const HeadCopy hdq = copy_head(dq.get(), bi, hi, heads, seq, dqk);
    const HeadCopy hdk = copy_head(dk.get(), bi, hi, heads, seq, dqk);
    const HeadCopy hdv = copy_head(dvv.get(), bi, hi, heads, seq, dv);
    std::vector<double> dvec(sz(seq));
    for (std::int64_t s = 0; s < seq; ++s) {
      double x = 0;
      for (int i = 0; i < dv; ++i) x += hdo.at(s, i) * ho.at(s, i);
      dvec[sz(s)] = x;
    }
    auto prob_ds = [&](std::int64_t qi, std::int64_t kj, double& pr, double& ds) {
      pr = std::exp(score(qi, kj) - static_cast<double>(lse_head[qi]));
      double dp = 0;
      for (int i = 0; i < dv; ++i) dp += hdo.at(qi, i) * hv.at(kj, i);
      ds = pr * (dp - dvec[sz(qi)]);
    };
    for (std::int64_t qi : sample_indices(c, seq, 3)) {
      std::vector<double> ref(dqk, 0.0);
      for (std::int64_t j = 0; j <= qi; ++j) {
        double pr = 0, ds = 0;
        prob_ds(qi, j, pr, ds);
        for (int i = 0; i < dqk; ++i) ref[sz(i)] += ds * hk.at(j, i) * scale;
      }
      for (int i = 0; i < dqk; ++i) acc_dq.add(hdq.at(qi, i), ref[sz(i)]);
    }
    for (std::int64_t kj : sample_indices(c, seq, 3)) {
      std::vector<double> rk(dqk, 0.0), rv(dv, 0.0);
      for (std::int64_t qi = kj; qi < seq; ++qi) {
        double pr = 0, ds = 0;
        prob_ds(qi, kj, pr, ds);
        for (int i = 0; i < dqk; ++i) rk[sz(i)] += ds * hq.at(qi, i) * scale;
        for (int i = 0; i < dv; ++i) rv[sz(i)] += pr * hdo.at(qi, i);
      }
      for (int i = 0; i < dqk; ++i) acc_dk.add(hdk.at(kj, i), rk[sz(i)]);
      for (int i = 0; i < dv; ++i) acc_dv.add(hdv.at(kj, i), rv[sz(i)]);
    }
  }

  std::vector<Point> out;
  const ReferenceCheck fwd_o = acc_o.finish(kTolBf16Out, "", bad_o);
  const ReferenceCheck fwd_lse = acc_lse.finish(kTolFp32 * 10, "");
  if (with_fwd) {
    Point p;
    p.op = "attention_fwd";
    p.kind = "attention";
    p.dtype = "bf16";
    p.kernel = "flash-style mma.sync bf16, 64x64 tiles, FP32 online softmax (baseline)";
    p.shape = shape;
    p.flops = 2.0 * pairs * (dqk + dv);
    p.bytes = static_cast<double>(rows) * (2 * dqk + 2 * dv) * 2 + static_cast<double>(rows) * 4;
    const ReferenceCheck& co = fwd_o;
    const ReferenceCheck& cl = fwd_lse;
    p.check = co;
    p.check.passed = co.passed && cl.passed;
    p.check.note = "sampled rows of O vs float64 softmax(QK^T/sqrt(192))V; LSE rel_l2_err " +
                   std::to_string(cl.rel_l2_err) + (cl.passed ? "" : " FAILED");
    if (p.check.passed) set_times(p, c.time([&] { attention_fwd(prob, nullptr); }));
    out.push_back(std::move(p));
  }
  if (with_bwd) {
    Point p;
    p.op = "attention_bwd";
    p.kind = "attention";
    p.dtype = "bf16";
    p.kernel =
        "FA2-style mma.sync bf16: 64-key CTAs, 32-query steps, dQ by FP32 atomics (baseline)";
    p.shape = shape;
    p.flops = 2.0 * pairs * (3 * dqk + 2 * dv);
    p.bytes = static_cast<double>(rows) * ((2 * dqk + 3 * dv) * 2 + 4 + (2 * dqk + dv) * 2);
    const ReferenceCheck cq = acc_dq.finish(kTolAttnBwd, "", bad_dq);
    const ReferenceCheck ck = acc_dk.finish(kTolAttnBwd, "", bad_dk);
    const ReferenceCheck cv = acc_dv.finish(kTolAttnBwd, "", bad_dv);
    p.check = cq;
    for (const ReferenceCheck* r : {&ck, &cv}) {
      p.check.rel_l2_err = std::max(p.check.rel_l2_err, r->rel_l2_err);
      p.check.max_rel_err = std::max(p.check.max_rel_err, r->max_rel_err);
      p.check.checked += r->checked;
      p.check.nonfinite += r->nonfinite;
      p.check.passed = p.check.passed && r->passed;
    }
    // The reference uses the kernel's own O and LSE, so the forward must pass too.
    p.check.passed = p.check.passed && fwd_o.passed && fwd_lse.passed;
    p.check.note =
        std::string(fwd_o.passed && fwd_lse.passed ? "" : "FORWARD CHECK FAILED; ") +
        "sampled rows of dQ, dK, dV vs float64 from the kernel's O and LSE (worst of three: dQ " +
        std::to_string(cq.rel_l2_err) + ", dK " + std::to_string(ck.rel_l2_err) + ", dV " +
        std::to_string(cv.rel_l2_err) + ")";
    if (p.check.passed) set_times(p, c.time([&] { attention_bwd(prob, nullptr); }));
    out.push_back(std::move(p));
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// Row-wise and memory ops

Point row_point(const char* op, const char* kind, const char* dtype, const char* kernel,
                std::int64_t rows, std::int64_t dim) {
  Point p;
  p.op = op;
  p.kind = kind;
  p.dtype = dtype;
  p.kernel = kernel;
  p.shape.rows = rows;
  p.shape.dim = dim;
  return p;
}

Point run_rmsnorm(Ctx& c, std::int64_t rows, int dim) {
  Point p = row_point("rmsnorm", "norm", "bf16", "one CTA per row, 16-byte accesses, FP32 sum",
                      rows, dim);
  p.flops = 4.0 * static_cast<double>(rows * dim);
  p.bytes = static_cast<double>(2 * rows * dim * 2 + dim * 2);
  DeviceBuffer<std::uint16_t> x(rows * dim), w(dim), y(rows * dim);
  fill_uniform_bf16(x.get(), x.count(), c.next_seed(), -3.f, 3.f, nullptr);
  fill_uniform_bf16(w.get(), w.count(), c.next_seed(), 0.5f, 1.5f, nullptr);
  constexpr float eps = 1e-6f;
  auto launch = [&] { rmsnorm(x.get(), w.get(), y.get(), rows, dim, eps, nullptr); };
  y.poison();
  launch();
  check_cuda(cudaDeviceSynchronize(), "rmsnorm");
  const std::int64_t bad = nonfinite_bf16(y.get(), y.count());
  const std::vector<std::uint16_t> wh = w.to_host();
  ErrAcc acc;
  for (std::int64_t r : sample_indices(c, rows, 16)) {
    const std::vector<std::uint16_t> xr = x.slice(r * dim, dim);
    const std::vector<std::uint16_t> yr = y.slice(r * dim, dim);
    double ss = 0;
    for (int i = 0; i < dim; ++i) ss += bf16_to_double(xr[sz(i)]) * bf16_to_double(xr[sz(i)]);
    const double inv = 1.0 / std::sqrt(ss / dim + static_cast<double>(eps));
    for (int i = 0; i < dim; ++i)
      acc.add(bf16_to_double(yr[sz(i)]),
              bf16_to_double(xr[sz(i)]) * inv * bf16_to_double(wh[sz(i)]));
  }
  p.check = acc.finish(kTolBf16Out, "sampled rows vs float64", bad);
  if (p.check.passed) set_times(p, c.time(launch));
  return p;
}

Point run_swiglu(Ctx& c, std::int64_t rows, int inter) {
  Point p =
      row_point("swiglu", "elementwise", "bf16", "grid-stride, 16-byte accesses", rows, inter);
  p.flops = 5.0 * static_cast<double>(rows * inter);
  p.bytes = static_cast<double>(rows * inter * 3 * 2);
  DeviceBuffer<std::uint16_t> gu(rows * 2 * inter), y(rows * inter);
  fill_uniform_bf16(gu.get(), gu.count(), c.next_seed(), -4.f, 4.f, nullptr);
  auto launch = [&] { swiglu(gu.get(), y.get(), rows, inter, nullptr); };
  y.poison();
  launch();
  check_cuda(cudaDeviceSynchronize(), "swiglu");
  const std::int64_t bad = nonfinite_bf16(y.get(), y.count());
  ErrAcc acc;
  for (std::int64_t r : sample_indices(c, rows, 16)) {
    const std::vector<std::uint16_t> in = gu.slice(r * 2 * inter, 2 * inter);
    const std::vector<std::uint16_t> yr = y.slice(r * inter, inter);
    for (int i = 0; i < inter; ++i) {
      const double g = bf16_to_double(in[sz(i)]);
      const double u = bf16_to_double(in[sz(inter + i)]);
      acc.add(bf16_to_double(yr[sz(i)]), g / (1.0 + std::exp(-g)) * u);
    }
  }
  p.check = acc.finish(kTolBf16Out, "sampled rows vs float64", bad);
  if (p.check.passed) set_times(p, c.time(launch));
  return p;
}

Point run_quantize(Ctx& c, std::int64_t rows, int dim) {
  Point p = row_point("quantize_fp8", "quantize", "fp8_e4m3",
                      "16 threads per 1x128 tile, shuffle amax", rows, dim);
  p.flops = 2.0 * static_cast<double>(rows * dim);
  p.bytes = static_cast<double>(rows * dim * 3 + rows * (dim / 128) * 4);
  DeviceBuffer<std::uint16_t> x(rows * dim);
  DeviceBuffer<std::uint8_t> q(rows * dim);
  DeviceBuffer<float> s(rows * (dim / 128));
  fill_uniform_bf16(x.get(), x.count(), c.next_seed(), -8.f, 8.f, nullptr);
  auto launch = [&] { quantize_fp8_1x128(x.get(), q.get(), s.get(), rows, dim, nullptr); };
  q.poison();  // 0xFF is NaN in e4m3
  s.poison();
  launch();
  check_cuda(cudaDeviceSynchronize(), "quantize_fp8");
  // Two checks on sampled rows: (1) exact codes: each q must be the round-to-nearest-even
  // saturating e4m3 encoding of the float product x·(448/amax) the kernel forms; (2) q·scale vs x
  // in float64 (e4m3 keeps 3 mantissa bits: bound 2^-4 relative).
  ErrAcc acc;
  ErrAcc acc_scale;
  std::int64_t bad = 0;
  std::int64_t wrong_codes = 0;
  for (std::int64_t r : sample_indices(c, rows, 16)) {
    const std::vector<std::uint16_t> xr = x.slice(r * dim, dim);
    const std::vector<std::uint8_t> qr = q.slice(r * dim, dim);
    const std::vector<float> sr = s.slice(r * (dim / 128), dim / 128);
    for (int t = 0; t < dim / 128; ++t) {
      float amax = 0;
      for (int i = t * 128; i < t * 128 + 128; ++i)
        amax = std::max(amax, std::fabs(static_cast<float>(bf16_to_double(xr[sz(i)]))));
      amax = std::max(amax, 1e-4f);
      acc_scale.add(static_cast<double>(sr[sz(t)]), static_cast<double>(amax) / 448.0);
      const float mul = 448.f / amax;
      for (int i = t * 128; i < t * 128 + 128; ++i) {
        const double dq = fp8_e4m3_to_double(qr[sz(i)]);
        if (!std::isfinite(dq)) ++bad;
        const float v = static_cast<float>(bf16_to_double(xr[sz(i)])) * mul;
        wrong_codes += qr[sz(i)] != fp8_e4m3_encode(static_cast<double>(v)) ? 1 : 0;
        acc.add(dq * static_cast<double>(sr[sz(t)]), bf16_to_double(xr[sz(i)]));
      }
    }
  }
  const ReferenceCheck cs = acc_scale.finish(kTolFp32, "");
  p.check = acc.finish(
      0.0625,
      "sampled rows: e4m3 codes vs host RNE encoding (" + std::to_string(wrong_codes) +
          " differ); q*scale vs x (bound 2^-4); scale rel err " + std::to_string(cs.rel_l2_err),
      bad);
  p.check.passed = p.check.passed && cs.passed && wrong_codes == 0;
  if (p.check.passed) set_times(p, c.time(launch));
  return p;
}

Point run_copy(Ctx& c, std::int64_t bytes) {
  Point p;
  p.op = "copy";
  p.kind = "copy";
  p.dtype = "bytes";
  p.kernel = "grid-stride uint4 copy, 4 loads in flight";
  p.shape.bytes = bytes;
  p.bytes = 2.0 * static_cast<double>(bytes);
  DeviceBuffer<float> src(bytes / 4), dst(bytes / 4);
  fill_uniform_f32(src.get(), src.count(), c.next_seed(), -1.f, 1.f, nullptr);
  auto launch = [&] { copy_bytes(src.get(), dst.get(), bytes, nullptr); };
  dst.poison();
  launch();
  check_cuda(cudaDeviceSynchronize(), "copy");
  ErrAcc acc;
  for (std::int64_t at : sample_indices(c, src.count() / 1024, 30)) {
    const std::vector<float> a = src.slice(at * 1024, 1024);
    const std::vector<float> b = dst.slice(at * 1024, 1024);
    for (std::size_t i = 0; i < a.size(); ++i)
      acc.add(static_cast<double>(b[i]), static_cast<double>(a[i]));
  }
  p.check = acc.finish(0.0, "sampled 4 KiB windows must be identical");
  if (p.check.passed) set_times(p, c.time(launch));
  p.vendor_name = "cudaMemcpyAsync device-to-device";
  if (!c.opt.check_only) {
    p.vendor_median_ms = percentile(c.time([&] {
      check_cuda(
          cudaMemcpyAsync(dst.get(), src.get(), sz(bytes), cudaMemcpyDeviceToDevice, nullptr),
          "cudaMemcpyAsync");
    }),
                                    0.5);
  }
  return p;
}

// Host float mirror of router_topk for the check (double math; ties to the lower index).
void router_reference(const float* logits, const float* bias, float scaling, int* idx, double* w) {
  double s[kRouterExperts], cs[kRouterExperts];
  for (int e = 0; e < kRouterExperts; ++e) {
    s[e] = 1.0 / (1.0 + std::exp(-static_cast<double>(logits[e])));
    cs[e] = s[e] + static_cast<double>(bias[e]);
  }
  constexpr int per_group = kRouterExperts / kRouterGroups;
  double gscore[kRouterGroups];
  for (int g = 0; g < kRouterGroups; ++g) {
    std::vector<double> v(cs + g * per_group, cs + (g + 1) * per_group);
    std::partial_sort(v.begin(), v.begin() + 2, v.end(), std::greater<>());
    gscore[g] = v[0] + v[1];
  }
  bool chosen[kRouterGroups] = {};
  for (int r = 0; r < kRouterTopGroups; ++r) {
    int best = -1;
    for (int g = 0; g < kRouterGroups; ++g)
      if (!chosen[g] && (best < 0 || gscore[g] > gscore[best])) best = g;
    chosen[best] = true;
  }
  bool taken[kRouterExperts] = {};
  double sum = 0;
  for (int k = 0; k < kRouterTopK; ++k) {
    int best = -1;
    for (int e = 0; e < kRouterExperts; ++e)
      if (chosen[e / per_group] && !taken[e] && (best < 0 || cs[e] > cs[best])) best = e;
    taken[best] = true;
    idx[k] = best;
    w[k] = s[best];
    sum += s[best];
  }
  for (int k = 0; k < kRouterTopK; ++k) w[k] = w[k] / sum * static_cast<double>(scaling);
}

Point run_router(Ctx& c, std::int64_t tokens) {
  Point p = row_point("router", "router", "fp32", "one warp per token, shuffle top-k", tokens,
                      kRouterExperts);
  p.flops = 0;
  p.bytes = static_cast<double>(tokens * kRouterExperts * 4 + tokens * kRouterTopK * 8);
  DeviceBuffer<float> logits(tokens * kRouterExperts), bias(kRouterExperts),
      w(tokens * kRouterTopK);
  DeviceBuffer<int> idx(tokens * kRouterTopK);
  fill_uniform_f32(logits.get(), logits.count(), c.next_seed(), -4.f, 4.f, nullptr);
  fill_uniform_f32(bias.get(), bias.count(), c.next_seed(), -0.1f, 0.1f, nullptr);
  constexpr float scaling = 2.5f;  // DeepSeek-V3 routed_scaling_factor (config.json)
  auto launch = [&] {
    router_topk(logits.get(), bias.get(), idx.get(), w.get(), tokens, scaling, nullptr);
  };
  idx.poison();
  w.poison();
  launch();
  check_cuda(cudaDeviceSynchronize(), "router");
  const std::vector<float> lh = logits.to_host(), bh = bias.to_host(), wh = w.to_host();
  const std::vector<int> ih = idx.to_host();
  ErrAcc acc;
  std::int64_t mismatched = 0;
  for (std::int64_t t = 0; t < tokens; ++t) {
    int ri[kRouterTopK];
    double rw[kRouterTopK];
    router_reference(lh.data() + t * kRouterExperts, bh.data(), scaling, ri, rw);
    bool same = true;
    for (int k = 0; k < kRouterTopK; ++k) same = same && ri[k] == ih[sz(t * kRouterTopK + k)];
    if (!same) {
      ++mismatched;
      continue;
    }
    for (int k = 0; k < kRouterTopK; ++k)
      acc.add(static_cast<double>(wh[sz(t * kRouterTopK + k)]), rw[k]);
  }
  p.check =
      acc.finish(kTolFp32, "all tokens: expert ids must match the float64 reference exactly; " +
                               std::to_string(mismatched) + " tokens differ");
  p.check.passed = p.check.passed && mismatched == 0;
  if (p.check.passed) set_times(p, c.time(launch));
  return p;
}

std::vector<int> random_topk(Ctx& c, std::int64_t tokens, int topk, int experts) {
  std::vector<int> idx(sz(tokens * topk));
  std::vector<int> perm(sz(experts));
  std::iota(perm.begin(), perm.end(), 0);
  for (std::int64_t t = 0; t < tokens; ++t) {
    for (int j = 0; j < topk; ++j) {  // partial Fisher–Yates: distinct experts per token
      const auto pick = static_cast<std::size_t>(j + c.uniform_index(experts - j));
      std::swap(perm[sz(j)], perm[pick]);
      idx[sz(t * topk + j)] = perm[sz(j)];
    }
  }
  return idx;
}

Point run_permute(Ctx& c, std::int64_t tokens, std::int64_t row_bytes) {
  constexpr int topk = kRouterTopK;
  constexpr int experts = kRouterExperts;
  Point p = row_point("permute", "permute", "fp8_e4m3",
                      "histogram + scan + one CTA per token scatter", tokens, row_bytes);
  p.bytes = static_cast<double>(tokens * row_bytes * (1 + topk) + tokens * topk * 12);
  DeviceBuffer<float> x(tokens * row_bytes / 4);
  DeviceBuffer<std::uint8_t> out(tokens * topk * row_bytes);
  DeviceBuffer<int> idx(tokens * topk), offset(experts + 1), src(tokens * topk),
      dest(tokens * topk);
  DeviceBuffer<std::uint8_t> ws(permute_workspace_bytes(experts));
  fill_uniform_f32(x.get(), x.count(), c.next_seed(), -1.f, 1.f, nullptr);
  const std::vector<int> ih = random_topk(c, tokens, topk, experts);
  idx.from_host(ih);
  auto launch = [&] {
    permute_tokens(x.get(), idx.get(), tokens, topk, experts, row_bytes, out.get(), offset.get(),
                   src.get(), dest.get(), ws.get(), nullptr);
  };
  out.poison();
  src.poison();
  dest.poison();
  launch();
  check_cuda(cudaDeviceSynchronize(), "permute");
  const std::vector<int> off = offset.to_host(), sh = src.to_host(), dh = dest.to_host();
  std::vector<int> count(experts, 0);
  for (int e : ih) ++count[sz(e)];
  std::int64_t errors = 0;
  int run = 0;
  for (int e = 0; e < experts; ++e) {
    errors += off[sz(e)] != run ? 1 : 0;
    run += count[sz(e)];
  }
  errors += off[experts] != run ? 1 : 0;
  std::vector<int> seen(sz(tokens * topk), 0);
  for (std::int64_t t = 0; t < tokens; ++t) {
    for (int j = 0; j < topk; ++j) {
      const int pos = dh[sz(t * topk + j)];
      const int e = ih[sz(t * topk + j)];
      if (pos < 0 || pos >= tokens * topk || pos < off[sz(e)] || pos >= off[sz(e + 1)] ||
          sh[sz(pos)] != t) {
        ++errors;
        continue;
      }
      ++seen[sz(pos)];
    }
  }
  for (int s : seen) errors += s != 1 ? 1 : 0;
  ErrAcc acc;
  if (errors == 0) {
    for (std::int64_t r : sample_indices(c, tokens * topk, 40)) {
      const std::vector<float> a = x.slice(sh[sz(r)] * row_bytes / 4, row_bytes / 4);
      std::vector<float> b(a.size());
      check_cuda(
          cudaMemcpy(b.data(), out.get() + r * row_bytes, sz(row_bytes), cudaMemcpyDeviceToHost),
          "copy");
      for (std::size_t i = 0; i < a.size(); ++i)
        acc.add(static_cast<double>(b[i]), static_cast<double>(a[i]));
    }
  }
  p.check = acc.finish(0.0, "offsets, row maps exhaustively; sampled rows byte-identical; " +
                                std::to_string(errors) + " map errors");
  p.check.passed = p.check.passed && errors == 0;
  if (p.check.passed) set_times(p, c.time(launch));
  return p;
}

Point run_unpermute(Ctx& c, std::int64_t tokens, int dim) {
  constexpr int topk = kRouterTopK;
  Point p = row_point("unpermute", "permute", "bf16",
                      "one CTA per token, FP32 weighted sum of top-k rows", tokens, dim);
  p.flops = 2.0 * static_cast<double>(tokens * topk * dim);
  p.bytes = static_cast<double>(tokens * dim * 2 * (topk + 1) + tokens * topk * 8);
  DeviceBuffer<std::uint16_t> y(tokens * topk * dim), out(tokens * dim);
  DeviceBuffer<int> dest(tokens * topk);
  DeviceBuffer<float> w(tokens * topk);
  fill_uniform_bf16(y.get(), y.count(), c.next_seed(), -2.f, 2.f, nullptr);
  fill_uniform_f32(w.get(), w.count(), c.next_seed(), 0.f, 1.f, nullptr);
  std::vector<int> perm(sz(tokens * topk));
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), c.rng);
  dest.from_host(perm);
  auto launch = [&] {
    unpermute_tokens(y.get(), dest.get(), w.get(), tokens, topk, dim, out.get(), nullptr);
  };
  out.poison();
  launch();
  check_cuda(cudaDeviceSynchronize(), "unpermute");
  const std::int64_t bad = nonfinite_bf16(out.get(), out.count());
  const std::vector<float> wh = w.to_host();
  ErrAcc acc;
  for (std::int64_t t : sample_indices(c, tokens, 16)) {
    std::vector<double> ref(sz(dim), 0.0);
    for (int j = 0; j < topk; ++j) {
      const std::vector<std::uint16_t> row =
          y.slice(static_cast<std::int64_t>(perm[sz(t * topk + j)]) * dim, dim);
      for (int i = 0; i < dim; ++i)
        ref[sz(i)] += static_cast<double>(wh[sz(t * topk + j)]) * bf16_to_double(row[sz(i)]);
    }
    const std::vector<std::uint16_t> o = out.slice(t * dim, dim);
    for (int i = 0; i < dim; ++i) acc.add(bf16_to_double(o[sz(i)]), ref[sz(i)]);
  }
  p.check = acc.finish(kTolBf16Out, "sampled tokens vs float64 weighted sum", bad);
  if (p.check.passed) set_times(p, c.time(launch));
  return p;
}

// ------------------------------------------------------------------------------------------

const std::vector<std::pair<std::int64_t, std::int64_t>>& v3_dense_nk() {
  // DeepGEMM's table of DeepSeek-V3 shapes: N × K.
  static const std::vector<std::pair<std::int64_t, std::int64_t>> nk{
      {2112, 7168}, {24576, 1536}, {32768, 512}, {7168, 16384}, {4096, 7168}, {7168, 2048}};
  return nk;
}

std::vector<Point> run_op(Ctx& c, const std::string& op) {
  const bool small = c.opt.small;
  std::vector<Point> out;
  if (op == "gemm_fp8" || op == "gemm_bf16") {
    const bool fp8 = op == "gemm_fp8";
    if (small) {
      for (auto [m, n, k] : {std::tuple<std::int64_t, std::int64_t, std::int64_t>{64, 2112, 512},
                             {200, 384, 1024},
                             {256, 264, 128}})
        out.push_back(run_gemm(c, fp8, GemmCase{{m}, n, k, false}, false));
    } else if (!c.opt.gemm_shapes.empty()) {
      for (const auto& [m, n, k] : c.opt.gemm_shapes)
        out.push_back(run_gemm(c, fp8, GemmCase{{m}, n, k, false}, false));
    } else {
      for (std::int64_t m : {64, 128, 4096})
        for (auto [n, k] : v3_dense_nk())
          out.push_back(run_gemm(c, fp8, GemmCase{{m}, n, k, false}, false));
    }
  } else if (op == "grouped_gemm_fp8" || op == "grouped_gemm_bf16") {
    const bool fp8 = op == "grouped_gemm_fp8";
    if (small) {
      out.push_back(run_gemm(c, fp8, GemmCase{{256, 128, 384}, 520, 256, true}, true));
    } else {
      // DeepGEMM §6.2 contiguous-layout rows: 4 experts × 8192 tokens (EP64, balanced routing).
      out.push_back(run_gemm(c, fp8, GemmCase{{8192, 8192, 8192, 8192}, 4096, 7168, false}, true));
      out.push_back(run_gemm(c, fp8, GemmCase{{8192, 8192, 8192, 8192}, 7168, 2048, false}, true));
    }
  } else if (op == "attention_fwd" || op == "attention_bwd") {
    const bool bwd = op == "attention_bwd";
    for (Point& p :
         small ? run_attention(c, 2, 3, 256, bwd, !bwd) : run_attention(c, 1, 128, 4096, bwd, !bwd))
      out.push_back(std::move(p));
  } else if (op == "rmsnorm") {
    out.push_back(run_rmsnorm(c, small ? 300 : 4096, 7168));
  } else if (op == "swiglu") {
    out.push_back(run_swiglu(c, small ? 300 : 32768, 2048));  // 4 experts × 8192 tokens, inter 2048
  } else if (op == "quantize_fp8") {
    out.push_back(run_quantize(c, small ? 300 : 4096, 7168));
  } else if (op == "router") {
    out.push_back(run_router(c, small ? 1000 : 4096));
  } else if (op == "permute") {
    out.push_back(
        run_permute(c, small ? 500 : 4096, 7168 + 7168 / 128 * 4));  // fp8 row + its 56 scales
  } else if (op == "unpermute") {
    out.push_back(run_unpermute(c, small ? 500 : 4096, 7168));
  } else if (op == "copy") {
    out.push_back(run_copy(c, small ? (16LL << 20) : (1LL << 30)));
  }
  return out;
}

std::string shape_text(const Point& p) {
  const Shape& s = p.shape;
  std::ostringstream o;
  if (p.kind == "gemm" || p.kind == "grouped_gemm") {
    if (s.groups > 1 || p.kind == "grouped_gemm") o << s.groups << "x";
    o << s.m << "x" << s.n << "x" << s.k;
  } else if (p.kind == "attention") {
    o << "b" << s.batch << " h" << s.heads << " s" << s.seq_q << (s.causal ? " causal" : "");
  } else if (p.kind == "copy") {
    o << s.bytes << " B";
  } else {
    o << s.rows << "x" << s.dim;
  }
  return o.str();
}

void json_string(std::ostringstream& o, const std::string& s) {
  o << '"';
  for (const char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      o << '\\' << ch;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", u);
      o << buf;
    } else {
      o << ch;
    }
  }
  o << '"';
}

void json_number(std::ostringstream& o, double v) {
  if (!std::isfinite(v)) {
    o << "null";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  o << buf;
}

void json_check(std::ostringstream& o, const ReferenceCheck& c) {
  o << "{\"max_rel_err\": ";
  json_number(o, c.max_rel_err);
  o << ", \"rel_l2_err\": ";
  json_number(o, c.rel_l2_err);
  o << ", \"tolerance\": ";
  json_number(o, c.tolerance);
  o << ", \"checked\": " << c.checked << ", \"nonfinite\": " << c.nonfinite
    << ", \"passed\": " << (c.passed ? "true" : "false") << ", \"note\": ";
  json_string(o, c.note);
  o << "}";
}

}  // namespace

const std::vector<std::string>& harness_op_names() {
  static const std::vector<std::string> names{
      "copy",          "gemm_fp8",      "gemm_bf16", "grouped_gemm_fp8", "grouped_gemm_bf16",
      "attention_fwd", "attention_bwd", "rmsnorm",   "swiglu",           "quantize_fp8",
      "router",        "permute",       "unpermute"};
  return names;
}

DeviceInfo query_device() {
  int count = 0;
  const cudaError_t st = cudaGetDeviceCount(&count);
  if (st != cudaSuccess || count == 0) {
    const std::string why = st != cudaSuccess
                                ? std::string(cudaGetErrorName(st)) + ", " + cudaGetErrorString(st)
                                : std::string("0 devices");
    throw UnavailableError("no CUDA device found (cudaGetDeviceCount: " + why + ")");
  }
  int dev = 0;
  check_cuda(cudaGetDevice(&dev), "cudaGetDevice");
  cudaDeviceProp prop{};
  check_cuda(cudaGetDeviceProperties(&prop, dev), "cudaGetDeviceProperties");
  DeviceInfo info;
  info.name = prop.name;
  info.sm_count = prop.multiProcessorCount;
  info.cc_major = prop.major;
  info.cc_minor = prop.minor;
  info.l2_bytes = prop.l2CacheSize;
  info.memory_bytes = static_cast<std::int64_t>(prop.totalGlobalMem);
  int khz = 0;
  check_cuda(cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, dev), "clock rate");
  info.sm_clock_mhz = khz / 1000;
  check_cuda(cudaDeviceGetAttribute(&khz, cudaDevAttrMemoryClockRate, dev), "memory clock rate");
  info.mem_clock_mhz = khz / 1000;
  int v = 0;
  check_cuda(cudaDriverGetVersion(&v), "cudaDriverGetVersion");
  info.driver = std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
  check_cuda(cudaRuntimeGetVersion(&v), "cudaRuntimeGetVersion");
  info.cuda = std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
  info.cublaslt = std::to_string(CublasLtGemm::version());
  return info;
}

std::vector<std::array<std::int64_t, 3>> parse_gemm_shapes(const std::string& text) {
  std::vector<std::array<std::int64_t, 3>> out;
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    std::array<std::int64_t, 3> s{};
    char x1 = 0, x2 = 0;
    std::istringstream in(item);
    in >> s[0] >> x1 >> s[1] >> x2 >> s[2];
    const bool read = !in.fail() && x1 == 'x' && x2 == 'x' && (in >> std::ws).eof();
    if (!read || s[0] < 1 || s[1] < 8 || s[2] < 128) {
      throw Error("--gemm-shapes: '" + item + "' is not MxNxK with m >= 1, n >= 8, k >= 128");
    }
    if (s[1] % 8 != 0 || s[2] % 128 != 0) {
      throw Error("--gemm-shapes: '" + item +
                  "': the kernels need n a multiple of 8 and k a multiple of 128");
    }
    out.push_back(s);
  }
  if (out.empty()) throw Error("--gemm-shapes needs at least one MxNxK");
  return out;
}

void validate_options(const HarnessOptions& options) {
  if (options.reps < 1) throw Error("--reps must be >= 1, got " + std::to_string(options.reps));
  if (options.warmup < 0)
    throw Error("--warmup must be >= 0, got " + std::to_string(options.warmup));
  if (options.small && !options.gemm_shapes.empty())
    throw Error("--small and --gemm-shapes exclude each other: --small replaces every shape");
  const std::vector<std::string>& known = harness_op_names();
  for (const std::string& op : options.ops) {
    if (std::find(known.begin(), known.end(), op) == known.end()) {
      std::string valid;
      for (const std::string& k : known) valid += (valid.empty() ? "" : ", ") + k;
      throw Error("unknown op '" + op + "' in --ops; valid: " + valid);
    }
  }
}

std::vector<Point> run_harness(const HarnessOptions& options, const DeviceInfo& device,
                               std::ostream& log) {
  validate_options(options);
  const std::vector<std::string>& known = harness_op_names();
  const std::vector<std::string>& ops = options.ops.empty() ? known : options.ops;
  Timer timer(device);
  Ctx ctx{options, device, timer, std::mt19937_64(options.seed)};
  std::vector<Point> points;
  for (const std::string& op : ops) {
    log << "== " << op << std::endl;
    std::vector<Point> got;
    try {
      got = run_op(ctx, op);
    } catch (const Error& e) {
      Point p;
      p.op = op;
      p.error = e.what();
      got.push_back(std::move(p));
    }
    for (Point& p : got) {
      char line[256];
      const double s = p.median_ms * 1e-3;
      std::snprintf(
          line, sizeof(line), "  %-18s %-26s %10.4f ms %8.1f TFLOP/s %8.1f GB/s  check %.2e %s",
          p.op.c_str(), shape_text(p).c_str(), p.median_ms, s > 0 ? p.flops / s * 1e-12 : 0.0,
          s > 0 ? p.bytes / s * 1e-9 : 0.0, p.check.rel_l2_err, p.check.passed ? "ok" : "FAILED");
      log << line;
      if (!p.vendor_name.empty() && p.vendor_median_ms > 0) {
        std::snprintf(line, sizeof(line), "  vendor %.4f ms", p.vendor_median_ms);
        log << line;
      }
      if (!p.error.empty()) log << "  error: " << p.error;
      if (!p.check.passed && p.error.empty()) log << "  (" << p.check.note << ")";
      log << std::endl;
      points.push_back(std::move(p));
    }
  }
  return points;
}

std::string to_json(const DeviceInfo& device, const HarnessOptions& options,
                    const std::vector<Point>& points) {
  std::ostringstream o;
  o << "{\n  \"schema\": \"trainsim.device_measurements.v0\",\n  \"device\": {\"name\": ";
  json_string(o, device.name);
  o << ", \"sm_count\": " << device.sm_count << ", \"sm_clock_mhz\": " << device.sm_clock_mhz
    << ", \"mem_clock_mhz\": " << device.mem_clock_mhz << ", \"compute_capability\": \""
    << device.cc_major << "." << device.cc_minor << "\", \"l2_bytes\": " << device.l2_bytes
    << ", \"memory_bytes\": " << device.memory_bytes << ", \"driver\": ";
  json_string(o, device.driver);
  o << ", \"cuda\": ";
  json_string(o, device.cuda);
  o << ", \"cublaslt\": ";
  json_string(o, device.cublaslt);
  o << "},\n  \"method\": {\"reps\": " << options.reps << ", \"warmup\": " << options.warmup
    << ", \"seed\": " << options.seed
    << ", \"small_shapes\": " << (options.small ? "true" : "false")
    << ", \"gemm_shapes\": " << (options.gemm_shapes.empty() ? "\"v3\"" : "\"given\"")
    << ", \"timing\": \"CUDA events around the launch; L2 flushed by a memset of max(2 x L2, 64 "
       "MiB) before each "
       "repetition\"},\n  \"points\": [";
  for (std::size_t i = 0; i < points.size(); ++i) {
    const Point& p = points[i];
    const Shape& s = p.shape;
    o << (i ? ",\n" : "\n") << "    {\"op\": ";
    json_string(o, p.op);
    o << ", \"kind\": ";
    json_string(o, p.kind);
    o << ", \"dtype\": ";
    json_string(o, p.dtype);
    o << ", \"kernel\": ";
    json_string(o, p.kernel);
    o << ", \"shape\": {";
    if (p.kind == "gemm" || p.kind == "grouped_gemm") {
      o << "\"m\": " << s.m << ", \"n\": " << s.n << ", \"k\": " << s.k
        << ", \"groups\": " << s.groups;
    } else if (p.kind == "attention") {
      o << "\"batch\": " << s.batch << ", \"heads\": " << s.heads << ", \"seq_q\": " << s.seq_q
        << ", \"seq_kv\": " << s.seq_kv << ", \"head_dim_qk\": " << s.head_dim_qk
        << ", \"head_dim_v\": " << s.head_dim_v
        << ", \"causal\": " << (s.causal ? "true" : "false");
    } else if (p.kind == "copy") {
      o << "\"bytes\": " << s.bytes;
    } else if (!p.kind.empty()) {
      o << "\"rows\": " << s.rows << ", \"dim\": " << s.dim;
    }
    o << "}, \"times_ms\": [";
    for (std::size_t t = 0; t < p.times_ms.size(); ++t) {
      if (t) o << ", ";
      json_number(o, p.times_ms[t]);
    }
    o << "], \"median_ms\": ";
    json_number(o, p.median_ms);
    o << ", \"min_ms\": ";
    json_number(o, p.min_ms);
    o << ", \"p10_ms\": ";
    json_number(o, p.p10_ms);
    o << ", \"p90_ms\": ";
    json_number(o, p.p90_ms);
    o << ", \"max_ms\": ";
    json_number(o, p.max_ms);
    o << ", \"flops\": ";
    json_number(o, p.flops);
    o << ", \"bytes\": ";
    json_number(o, p.bytes);
    o << ", \"reference_check\": ";
    json_check(o, p.check);
    o << ", \"vendor\": ";
    if (p.vendor_name.empty()) {
      o << "null";
    } else {
      o << "{\"name\": ";
      json_string(o, p.vendor_name);
      o << ", \"median_ms\": ";
      json_number(o, p.vendor_median_ms > 0 ? p.vendor_median_ms : std::nan(""));
      if (p.kind == "gemm" || p.kind == "grouped_gemm") {
        o << ", \"reference_check\": ";
        json_check(o, p.vendor_check);
      }
      o << "}";
    }
    if (!p.error.empty()) {
      o << ", \"error\": ";
      json_string(o, p.error);
    }
    o << "}";
  }
  o << "\n  ]\n}\n";
  return o.str();
}

}  // namespace trainsim::calibration::kernels
