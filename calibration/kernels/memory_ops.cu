// Memory-bound ops of a DeepSeek-V3 layer (baselines: 16-byte accesses, one pass, FP32 math):
//   RMSNorm   y = x · rsqrt(mean(x²) + eps) · w                   (Zhang & Sennrich 2019)
//   SwiGLU    y = silu(gate) · up, silu(z) = z / (1 + e^−z)        (Shazeer 2020)
//   FP8 cast  per 1×128 tile: s = max(amax, 1e-4)/448, q = e4m3(x·448/max(amax, 1e-4))
//             (DeepSeek-V3 report §3.3.1; the 1e-4 floor as in DeepGEMM's test helper)
//   copy      dst = src, the device-memory bandwidth ceiling
// and the test-data helpers (hash-based fills, non-finite count).
#include <cuda_fp8.h>

#include <string>

#include "calibration/kernels/device_common.cuh"
#include "core/error.hpp"

namespace trainsim::calibration::kernels {
namespace detail {
namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw Error(what);
}

unsigned blocks_for(std::int64_t items, int threads) {
  const std::int64_t b = (items + threads - 1) / threads;
  return static_cast<unsigned>(b < 1 ? 1 : (b > 65535LL * 16 ? 65535LL * 16 : b));
}

__device__ __forceinline__ void unpack8(const uint4& v, float (&f)[8]) {
  const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&v);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 p = __bfloat1622float2(h[i]);
    f[2 * i] = p.x;
    f[2 * i + 1] = p.y;
  }
}
__device__ __forceinline__ uint4 pack8(const float (&f)[8]) {
  uint4 v;
  v.x = pack_bf16x2(f[0], f[1]);
  v.y = pack_bf16x2(f[2], f[3]);
  v.z = pack_bf16x2(f[4], f[5]);
  v.w = pack_bf16x2(f[6], f[7]);
  return v;
}

constexpr int kNormThreads = 256;

__global__ void __launch_bounds__(kNormThreads)
    rmsnorm_kernel(const uint4* x, const uint4* w, uint4* y, int chunks, float inv_dim, float eps) {
  __shared__ float partial[kNormThreads / 32];
  const std::int64_t row = blockIdx.x;
  const uint4* xr = x + row * chunks;
  float ss = 0.f;
  for (int c = static_cast<int>(threadIdx.x); c < chunks; c += kNormThreads) {
    float f[8];
    unpack8(xr[c], f);
#pragma unroll
    for (int i = 0; i < 8; ++i) ss = fmaf(f[i], f[i], ss);
  }
  ss = warp_sum(ss);
  if ((threadIdx.x & 31) == 0) partial[threadIdx.x >> 5] = ss;
  __syncthreads();
  float total = 0.f;
#pragma unroll
  for (int i = 0; i < kNormThreads / 32; ++i) total += partial[i];
  const float r = rsqrtf(total * inv_dim + eps);
  for (int c = static_cast<int>(threadIdx.x); c < chunks; c += kNormThreads) {
    float f[8];
    float g[8];
    unpack8(xr[c], f);  // second read hits L1/L2: one row is 14 KB
    unpack8(w[c], g);
#pragma unroll
    for (int i = 0; i < 8; ++i) f[i] = f[i] * r * g[i];
    y[row * chunks + c] = pack8(f);
  }
}

__global__ void swiglu_kernel(const uint4* gu, uint4* y, std::int64_t rows, int chunks) {
  const std::int64_t total = rows * chunks;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t row = i / chunks;
    const std::int64_t c = i - row * chunks;
    float gt[8];
    float up[8];
    unpack8(gu[row * 2 * chunks + c], gt);
    unpack8(gu[row * 2 * chunks + chunks + c], up);
#pragma unroll
    for (int k = 0; k < 8; ++k) gt[k] = gt[k] / (1.f + __expf(-gt[k])) * up[k];
    y[i] = pack8(gt);
  }
}

// 16 threads per 128-wide tile, 8 values each.
__global__ void quantize_kernel(const uint4* x, uint2* q, float* scale, std::int64_t tiles) {
  const std::int64_t thread = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::int64_t tile = thread >> 4;
  const bool active = tile < tiles;
  float f[8] = {};
  if (active) unpack8(x[thread], f);
  float amax = 0.f;
#pragma unroll
  for (int i = 0; i < 8; ++i) amax = fmaxf(amax, fabsf(f[i]));
#pragma unroll
  for (int o = 8; o > 0; o >>= 1) amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, o));
  if (!active) return;
  amax = fmaxf(amax, 1e-4f);
  const float mul = 448.f / amax;
  std::uint32_t lo = 0;
  std::uint32_t hi = 0;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const __nv_fp8x2_storage_t a = __nv_cvt_float2_to_fp8x2(
        make_float2(f[2 * i] * mul, f[2 * i + 1] * mul), __NV_SATFINITE, __NV_E4M3);
    const std::uint32_t bits = static_cast<std::uint32_t>(a) << (16 * (i & 1));
    if (i < 2) {
      lo |= bits;
    } else {
      hi |= bits;
    }
  }
  q[thread] = make_uint2(lo, hi);
  if ((threadIdx.x & 15) == 0) scale[tile] = amax / 448.f;
}

__global__ void copy_kernel(const uint4* src, uint4* dst, std::int64_t n) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (; i + 3 * stride < n; i += 4 * stride) {  // four independent loads in flight
    const uint4 a = src[i];
    const uint4 b = src[i + stride];
    const uint4 c = src[i + 2 * stride];
    const uint4 d = src[i + 3 * stride];
    dst[i] = a;
    dst[i + stride] = b;
    dst[i + 2 * stride] = c;
    dst[i + 3 * stride] = d;
  }
  for (; i < n; i += stride) dst[i] = src[i];
}

__device__ __forceinline__ std::uint64_t splitmix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
__device__ __forceinline__ float hash_uniform(std::uint64_t seed, std::int64_t i, float lo,
                                              float hi) {
  const std::uint64_t r = splitmix64(seed * 0x2545F4914F6CDD1Dull + static_cast<std::uint64_t>(i));
  const float u = static_cast<float>(r >> 40) * (1.0f / 16777216.0f);  // [0, 1), 24 bits
  return lo + (hi - lo) * u;
}

__global__ void fill_bf16_kernel(__nv_bfloat16* p, std::int64_t n, std::uint64_t seed, float lo,
                                 float hi) {
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    p[i] = __float2bfloat16_rn(hash_uniform(seed, i, lo, hi));
}
__global__ void fill_f32_kernel(float* p, std::int64_t n, std::uint64_t seed, float lo, float hi) {
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    p[i] = hash_uniform(seed, i, lo, hi);
}
__global__ void fill_fp8_kernel(std::uint8_t* p, std::int64_t n, std::uint64_t seed) {
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::uint64_t r =
        splitmix64(seed * 0x2545F4914F6CDD1Dull + static_cast<std::uint64_t>(i));
    const unsigned e = 1u + static_cast<unsigned>(r % 15u);  // exponent field 1..15: normal values
    unsigned m = static_cast<unsigned>((r >> 8) & 7u);
    if (e == 15u && m == 7u) m = 6u;  // 0x7F/0xFF is NaN in e4m3
    const unsigned s = static_cast<unsigned>((r >> 16) & 1u);
    p[i] = static_cast<std::uint8_t>((s << 7) | (e << 3) | m);
  }
}
__global__ void count_nonfinite_kernel(const std::uint16_t* p, std::int64_t n, int* count) {
  int local = 0;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    local += (p[i] & 0x7F80u) == 0x7F80u ? 1 : 0;
  for (int o = 16; o > 0; o >>= 1) local += __shfl_xor_sync(0xffffffffu, local, o);
  if ((threadIdx.x & 31) == 0 && local != 0) atomicAdd(count, local);
}

bool aligned16(const void* p) {
  return (reinterpret_cast<std::uintptr_t>(p) & 15u) == 0;
}

}  // namespace
}  // namespace detail

void rmsnorm(const std::uint16_t* x, const std::uint16_t* w, std::uint16_t* y, std::int64_t rows,
             int dim, float eps, cudaStream_t stream) {
  detail::require(rows >= 1 && rows < (1LL << 31) && dim >= 8 && dim % 8 == 0,
                  "rmsnorm: rows in [1, 2^31) and dim a positive multiple of 8 needed, got rows=" +
                      std::to_string(rows) + " dim=" + std::to_string(dim));
  detail::require(detail::aligned16(x) && detail::aligned16(w) && detail::aligned16(y),
                  "rmsnorm: x, w, y must be 16-byte aligned");
  detail::rmsnorm_kernel<<<static_cast<unsigned>(rows), detail::kNormThreads, 0, stream>>>(
      reinterpret_cast<const uint4*>(x), reinterpret_cast<const uint4*>(w),
      reinterpret_cast<uint4*>(y), dim / 8, 1.0f / static_cast<float>(dim), eps);
  detail::check_launch("rmsnorm");
}

void swiglu(const std::uint16_t* gate_up, std::uint16_t* y, std::int64_t rows, int inter,
            cudaStream_t stream) {
  detail::require(rows >= 1 && inter >= 8 && inter % 8 == 0,
                  "swiglu: rows >= 1 and inter a positive multiple of 8 needed, got rows=" +
                      std::to_string(rows) + " inter=" + std::to_string(inter));
  detail::require(detail::aligned16(gate_up) && detail::aligned16(y),
                  "swiglu: pointers must be 16-byte aligned");
  const std::int64_t items = rows * (inter / 8);
  detail::swiglu_kernel<<<detail::blocks_for(items, 256), 256, 0, stream>>>(
      reinterpret_cast<const uint4*>(gate_up), reinterpret_cast<uint4*>(y), rows, inter / 8);
  detail::check_launch("swiglu");
}

void quantize_fp8_1x128(const std::uint16_t* x, std::uint8_t* q, float* scale, std::int64_t rows,
                        int dim, cudaStream_t stream) {
  detail::require(
      rows >= 1 && dim >= 128 && dim % 128 == 0,
      "quantize_fp8_1x128: rows >= 1 and dim a positive multiple of 128 needed, got rows=" +
          std::to_string(rows) + " dim=" + std::to_string(dim));
  detail::require(detail::aligned16(x) && detail::aligned16(q),
                  "quantize_fp8_1x128: x, q must be 16-byte aligned");
  const std::int64_t tiles = rows * (dim / 128);
  const std::int64_t threads = tiles * 16;
  const std::int64_t blocks = (threads + 255) / 256;
  detail::require(blocks < (1LL << 31), "quantize_fp8_1x128: tensor too large");
  detail::quantize_kernel<<<static_cast<unsigned>(blocks), 256, 0, stream>>>(
      reinterpret_cast<const uint4*>(x), reinterpret_cast<uint2*>(q), scale, tiles);
  detail::check_launch("quantize_fp8_1x128");
}

void copy_bytes(const void* src, void* dst, std::int64_t bytes, cudaStream_t stream) {
  detail::require(
      bytes >= 16 && bytes % 16 == 0,
      "copy_bytes: bytes must be a positive multiple of 16, got " + std::to_string(bytes));
  detail::require(detail::aligned16(src) && detail::aligned16(dst),
                  "copy_bytes: pointers must be 16-byte aligned");
  int sms = 0;
  int dev = 0;
  check_cuda(cudaGetDevice(&dev), "copy_bytes");
  check_cuda(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev), "copy_bytes");
  const std::int64_t n = bytes / 16;
  const std::int64_t want = (n + 1023) / 1024;
  const std::int64_t blocks =
      want < static_cast<std::int64_t>(sms) * 8 ? want : static_cast<std::int64_t>(sms) * 8;
  detail::copy_kernel<<<static_cast<unsigned>(blocks < 1 ? 1 : blocks), 256, 0, stream>>>(
      static_cast<const uint4*>(src), static_cast<uint4*>(dst), n);
  detail::check_launch("copy_bytes");
}

void fill_uniform_bf16(std::uint16_t* p, std::int64_t n, std::uint64_t seed, float lo, float hi,
                       cudaStream_t stream) {
  detail::fill_bf16_kernel<<<detail::blocks_for(n, 256), 256, 0, stream>>>(
      reinterpret_cast<__nv_bfloat16*>(p), n, seed, lo, hi);
  detail::check_launch("fill_uniform_bf16");
}
void fill_uniform_f32(float* p, std::int64_t n, std::uint64_t seed, float lo, float hi,
                      cudaStream_t stream) {
  detail::fill_f32_kernel<<<detail::blocks_for(n, 256), 256, 0, stream>>>(p, n, seed, lo, hi);
  detail::check_launch("fill_uniform_f32");
}
void fill_random_fp8(std::uint8_t* p, std::int64_t n, std::uint64_t seed, cudaStream_t stream) {
  detail::fill_fp8_kernel<<<detail::blocks_for(n, 256), 256, 0, stream>>>(p, n, seed);
  detail::check_launch("fill_random_fp8");
}
void count_nonfinite_bf16(const std::uint16_t* p, std::int64_t n, int* count, cudaStream_t stream) {
  check_cuda(cudaMemsetAsync(count, 0, sizeof(int), stream), "count_nonfinite_bf16");
  detail::count_nonfinite_kernel<<<detail::blocks_for(n, 256), 256, 0, stream>>>(p, n, count);
  detail::check_launch("count_nonfinite_bf16");
}

}  // namespace trainsim::calibration::kernels
