#include "calibration/kernels/sustained_gemm.hpp"

#include <cuda_bf16.h>
#include <cuda_fp8.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ostream>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>

#include "calibration/kernels/cublaslt_gemm.hpp"
#include "calibration/kernels/device_buffer.hpp"
#include "calibration/kernels/harness.hpp"
#include "calibration/kernels/kernels.hpp"
#include "calibration/timing_stats.hpp"
#include "core/error.hpp"

namespace trainsim::calibration::kernels {
namespace {

/// Owns a CUDA event pair.
class EventPair {
 public:
  EventPair() {
    check_cuda(cudaEventCreate(&start), "cudaEventCreate");
    check_cuda(cudaEventCreate(&stop), "cudaEventCreate");
  }
  ~EventPair() {
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
  }
  EventPair(const EventPair&) = delete;
  EventPair& operator=(const EventPair&) = delete;
  cudaEvent_t start = nullptr, stop = nullptr;
};

/// Operands drawn as training data look after per-tensor scaling: N(0, 1) scaled so that the
/// largest magnitude reaches about the format's range (Transformer Engine's amax scaling).
/// The data matter: tensor-core power, hence the power-limited clock, depends on bit activity,
/// and zeros or constants would draw less than real operands.
std::vector<std::uint8_t> operand(bool fp8, std::int64_t count, std::mt19937_64& rng) {
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  const std::size_t elems = static_cast<std::size_t>(count);
  std::vector<std::uint8_t> out(elems * (fp8 ? 1 : 2));
  const float scale = fp8 ? 448.0f / 5.0f : 1.0f;  // e4m3's largest finite value over 5 sigma
  for (std::size_t i = 0; i < elems; ++i) {
    const float v = gauss(rng) * scale;
    if (fp8) {
      out[i] = __nv_cvt_float_to_fp8(v, __NV_SATFINITE, __NV_E4M3);
    } else {
      const __nv_bfloat16 h = __float2bfloat16_rn(v);
      std::memcpy(&out[2 * i], &h, 2);
    }
  }
  return out;
}

SustainRun sustain_one(bool fp8, const SustainOptions& o, CublasLtGemm& lt, std::ostream& log) {
  SustainRun run;
  run.dtype = fp8 ? "fp8_e4m3" : "bf16";
  run.m = o.m;
  run.n = o.n;
  run.k = o.k;
  std::mt19937_64 rng(o.seed + (fp8 ? 0 : 1));
  const auto a_host = operand(fp8, o.m * o.k, rng);
  const auto b_host = operand(fp8, o.n * o.k, rng);
  DeviceBuffer<std::uint8_t> a(static_cast<std::int64_t>(a_host.size()));
  DeviceBuffer<std::uint8_t> b(static_cast<std::int64_t>(b_host.size()));
  a.from_host(a_host);
  b.from_host(b_host);
  DeviceBuffer<std::uint16_t> d(o.m * o.n);
  DeviceBuffer<float> unit(2);
  unit.from_host({1.0f, 1.0f});
  auto launch = [&] {
    lt.run(fp8, o.m, o.n, o.k, a.get(), b.get(), d.get(), unit.get(), unit.get() + 1, nullptr);
  };
  EventPair ev;
  // Launches per window from a first timed batch of 10 (after 3 untimed ones).
  for (int i = 0; i < 3; ++i) launch();
  check_cuda(cudaDeviceSynchronize(), "warm-up");
  check_cuda(cudaEventRecord(ev.start, nullptr), "cudaEventRecord");
  for (int i = 0; i < 10; ++i) launch();
  check_cuda(cudaEventRecord(ev.stop, nullptr), "cudaEventRecord");
  check_cuda(cudaEventSynchronize(ev.stop), "cudaEventSynchronize");
  float probe_ms = 0;
  check_cuda(cudaEventElapsedTime(&probe_ms, ev.start, ev.stop), "cudaEventElapsedTime");
  const double per_launch_s = std::max(1e-7, static_cast<double>(probe_ms) * 1e-3 / 10.0);
  const int per_window = std::max(1, static_cast<int>(std::lround(o.window_s / per_launch_s)));
  const double flop =
      2.0 * static_cast<double>(o.m) * static_cast<double>(o.n) * static_cast<double>(o.k);

  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const auto since = [&] { return std::chrono::duration<double>(clock::now() - t0).count(); };
  while (since() < o.seconds) {
    SustainWindow w;
    w.start_s = since();
    w.launches = per_window;
    check_cuda(cudaEventRecord(ev.start, nullptr), "cudaEventRecord");
    for (int i = 0; i < per_window; ++i) launch();
    check_cuda(cudaEventRecord(ev.stop, nullptr), "cudaEventRecord");
    check_cuda(cudaEventSynchronize(ev.stop), "cudaEventSynchronize");
    float ms = 0;
    check_cuda(cudaEventElapsedTime(&ms, ev.start, ev.stop), "cudaEventElapsedTime");
    w.ms = static_cast<double>(ms);
    w.tflops = w.ms > 0 ? flop * per_window / (w.ms * 1e-3) * 1e-12 : 0;
    log << "  sustain " << run.dtype << " " << o.m << "x" << o.n << "x" << o.k << "  t "
        << w.start_s << " s  " << w.tflops << " TFLOP/s\n";
    run.windows.push_back(w);
  }
  std::vector<double> all, tail;
  for (const auto& w : run.windows) all.push_back(w.tflops);
  const std::size_t quarter = std::max<std::size_t>(1, all.size() / 4);
  tail.assign(all.end() - static_cast<std::ptrdiff_t>(std::min(quarter, all.size())), all.end());
  run.first_tflops = all.empty() ? 0 : all.front();
  run.last_tflops = summarize_timings(tail).median;
  run.median_tflops = summarize_timings(all).median;
  return run;
}

}  // namespace

void validate_sustain_options(const SustainOptions& o) {
  if (!(o.seconds > 0) || o.seconds > 600)
    throw Error("--sustain expects seconds in (0, 600], got " + std::to_string(o.seconds));
  if (!(o.window_s >= 0.01) || o.window_s > o.seconds)
    throw Error("the sustain window must be 0.01 s to --sustain long, got " +
                std::to_string(o.window_s));
  if (o.m < 1 || o.n < 8 || o.n % 8 != 0 || o.k < 16 || o.k % 16 != 0)
    throw Error("the sustained GEMM needs m >= 1, n a multiple of 8 and k of 16, got " +
                std::to_string(o.m) + "x" + std::to_string(o.n) + "x" + std::to_string(o.k));
}

std::vector<SustainRun> run_sustained_gemms(const SustainOptions& options, std::ostream& log) {
  validate_sustain_options(options);
  CublasLtGemm lt;
  std::vector<SustainRun> runs;
  for (bool fp8 : {true, false}) {
    try {
      runs.push_back(sustain_one(fp8, options, lt, log));
    } catch (const Error& e) {
      SustainRun r;
      r.dtype = fp8 ? "fp8_e4m3" : "bf16";
      r.m = options.m;
      r.n = options.n;
      r.k = options.k;
      r.error = e.what();
      runs.push_back(std::move(r));
    }
    const SustainRun& r = runs.back();
    log << "sustained " << r.dtype << ": first window " << r.first_tflops
        << " TFLOP/s, last quarter " << r.last_tflops << " TFLOP/s over " << r.windows.size()
        << " windows" << (r.error.empty() ? "" : "  error: " + r.error) << std::endl;
  }
  return runs;
}

std::string sustain_json(const DeviceInfo& device, const std::vector<SustainRun>& runs) {
  nlohmann::json out = nlohmann::json::array();
  for (const SustainRun& r : runs) {
    nlohmann::json windows = nlohmann::json::array();
    for (const SustainWindow& w : r.windows)
      windows.push_back(
          {{"start_s", w.start_s}, {"ms", w.ms}, {"launches", w.launches}, {"tflops", w.tflops}});
    out.push_back({{"dtype", r.dtype},
                   {"m", r.m},
                   {"n", r.n},
                   {"k", r.k},
                   {"kernel", "cuBLASLt " + std::to_string(CublasLtGemm::version()) +
                                  ", first heuristic pick"},
                   {"first_tflops", r.first_tflops},
                   {"last_quarter_tflops", r.last_tflops},
                   {"median_tflops", r.median_tflops},
                   {"error", r.error},
                   {"windows", std::move(windows)}});
  }
  const nlohmann::json dev = {{"name", device.name},
                              {"sm_count", device.sm_count},
                              {"peak_sm_clock_mhz", device.sm_clock_mhz},
                              {"peak_mem_clock_mhz", device.mem_clock_mhz},
                              {"driver", device.driver},
                              {"cuda", device.cuda},
                              {"cublaslt", device.cublaslt}};
  return nlohmann::json{{"device", dev}, {"sustained", std::move(out)}}.dump(2) + "\n";
}

}  // namespace trainsim::calibration::kernels
