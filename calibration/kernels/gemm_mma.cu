// GEMM D[m][n] = sum_k A[m][k]·B[n][k] on Hopper tensor cores through mma.sync (baseline; the
// wgmma/TMA path is future work, see README.md).
//
// FP8 (DeepSeek-V3 report §3.3, "Fine-Grained Quantization" and "Increasing Accumulation
// Precision"): A is e4m3 with one scale per 1×128 tile (a_scale[m][k/128]); B is e4m3 with one
// scale per 128×128 block (b_scale[g][n/128][k/128]). For each 128-wide K block kb:
//   part  = sum_{k in kb} qA[m][k]·qB[n][k]          (tensor cores, FP32 accumulate)
//   acc  += part · a_scale[m][kb] · b_scale[n/128][kb]  (CUDA cores, FP32 — the promotion)
// so D = sum_k (qA·sA)(qB·sB) exactly up to FP32 rounding, then rounded once to BF16.
//
// Tiling: a CTA of 8 warps computes a 128×128 tile of D; each warp 64×32 (4×4 mma tiles). Each
// pipeline stage holds 128 bytes of K for 128 rows of A and of B (128 fp8 or 64 bf16 values)
// in 32 KB of shared memory, 3 stages deep through cp.async; rows are 128 bytes with the 16-byte
// chunks XOR-swizzled by row % 8 so that ldmatrix reads are bank-conflict free. Blocks are
// rasterized in bands of 8 M tiles so that neighbouring CTAs share B tiles in L2.
#include <string>

#include "calibration/kernels/device_common.cuh"
#include "core/error.hpp"

namespace trainsim::calibration::kernels {
namespace detail {
namespace {

constexpr int kBlockM = 128;
constexpr int kBlockN = 128;
constexpr int kTileBytesK = 128;  // bytes of K per stage and row
constexpr int kStages = 3;
constexpr int kThreads = 256;
constexpr int kStageBytes = (kBlockM + kBlockN) * kTileBytesK;  // 32 KB
constexpr int kSmemBytes = kStages * kStageBytes;               // 96 KB
constexpr int kRasterBand = 8;

struct GemmParams {
  int m, n, k;
  int m_tiles, n_tiles;
  int k_bytes;   // k · sizeof(element)
  int k_blocks;  // k / 128: scale blocks along K
  int n_blocks;  // ceil(n / 128): scale blocks along N
  const std::uint8_t* a;
  const std::uint8_t* b;
  __nv_bfloat16* d;
  const float* a_scale;
  const float* b_scale;
  const int* m_tile_group;
};

template <bool kFp8>
__global__ void __launch_bounds__(kThreads, 1) gemm_mma_kernel(const GemmParams p) {
  extern __shared__ __align__(128) std::uint8_t smem[];
  const int tid = static_cast<int>(threadIdx.x);
  const int lane = tid & 31;
  const int warp = tid >> 5;
  const int warp_m = warp >> 2;  // 0..1: 64 rows each
  const int warp_n = warp & 3;   // 0..3: 32 columns each

  // Raster: bands of kRasterBand M tiles, N tiles sweeping inside a band.
  const int pid = static_cast<int>(blockIdx.x);
  const int per_band = kRasterBand * p.n_tiles;
  const int band = pid / per_band;
  const int first_m = band * kRasterBand;
  const int band_rows = min(p.m_tiles - first_m, kRasterBand);
  const int in_band = pid - band * per_band;
  const int m_tile = first_m + in_band % band_rows;
  const int n_tile = in_band / band_rows;

  int group = 0;
  if (p.m_tile_group != nullptr) {
    group = p.m_tile_group[m_tile];
    if (group < 0) return;  // padding tile of the contiguous grouped layout
  }
  const int m0 = m_tile * kBlockM;
  const int n0 = n_tile * kBlockN;
  const std::uint8_t* a = p.a + static_cast<std::int64_t>(m0) * p.k_bytes;
  const std::uint8_t* b =
      p.b + (static_cast<std::int64_t>(group) * p.n + n0) * static_cast<std::int64_t>(p.k_bytes);
  const std::uint32_t smem_base = smem_addr(smem);
  const int k_tiles = p.k_bytes / kTileBytesK;

  auto load_stage = [&](int stage, int kt) {
    const std::uint32_t sa = smem_base + static_cast<std::uint32_t>(stage * kStageBytes);
    const std::uint32_t sb = sa + kBlockM * kTileBytesK;
    const std::int64_t kofs = static_cast<std::int64_t>(kt) * kTileBytesK;
#pragma unroll
    for (int i = 0; i < (kBlockM * kTileBytesK / 16) / kThreads; ++i) {
      const int c = tid + i * kThreads;
      const int row = c >> 3;
      const int ch = c & 7;
      const bool va = m0 + row < p.m;
      const std::uint8_t* src_a =
          va ? a + row * static_cast<std::int64_t>(p.k_bytes) + kofs + ch * 16 : p.a;
      cp_async_16(sa + swz(row, ch, kTileBytesK), src_a, va);
      const bool vb = n0 + row < p.n;
      const std::uint8_t* src_b =
          vb ? b + row * static_cast<std::int64_t>(p.k_bytes) + kofs + ch * 16 : p.b;
      cp_async_16(sb + swz(row, ch, kTileBytesK), src_b, vb);
    }
  };

  float acc[4][4][4];
  float part[4][4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        acc[i][j][e] = 0.f;
        part[i][j][e] = 0.f;
      }

#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < k_tiles) load_stage(s, s);
    cp_async_commit();
  }

  const int g = lane >> 2;
  for (int kt = 0; kt < k_tiles; ++kt) {
    cp_async_wait<kStages - 2>();
    __syncthreads();
    {
      const int nk = kt + kStages - 1;
      if (nk < k_tiles) load_stage(nk % kStages, nk);
      cp_async_commit();
    }

    // Scales of this K block, fetched before the MMAs so that their latency is hidden.
    float scale_row[4][2] = {};
    float scale_b = 0.f;
    if constexpr (kFp8) {
      scale_b =
          p.b_scale[(static_cast<std::int64_t>(group) * p.n_blocks + n_tile) * p.k_blocks + kt];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int row = m0 + warp_m * 64 + i * 16 + g + h * 8;
          scale_row[i][h] =
              row < p.m ? p.a_scale[static_cast<std::int64_t>(row) * p.k_blocks + kt] : 0.f;
        }
    }

    const std::uint32_t sa = smem_base + static_cast<std::uint32_t>((kt % kStages) * kStageBytes);
    const std::uint32_t sb = sa + kBlockM * kTileBytesK;
    // FP8 holds two accumulator sets (part and acc): keeping the K steps rolled there avoids
    // register spills (ptxas: 254 registers, no spill; unrolled it spills 64 bytes).
#pragma unroll(kFp8 ? 1 : 4)
    for (int ks = 0; ks < kTileBytesK / 32; ++ks) {
      std::uint32_t af[4][4];
      std::uint32_t bfr[4][2];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int row = warp_m * 64 + i * 16 + (lane & 15);
        const int ch = ks * 2 + (lane >> 4);
        ldmatrix_x4(af[i], sa + swz(row, ch, kTileBytesK));
      }
#pragma unroll
      for (int j2 = 0; j2 < 2; ++j2) {
        const int row = warp_n * 32 + j2 * 16 + (lane & 7) + ((lane >> 4) << 3);
        const int ch = ks * 2 + ((lane >> 3) & 1);
        std::uint32_t r[4];
        ldmatrix_x4(r, sb + swz(row, ch, kTileBytesK));
        bfr[2 * j2][0] = r[0];
        bfr[2 * j2][1] = r[1];
        bfr[2 * j2 + 1][0] = r[2];
        bfr[2 * j2 + 1][1] = r[3];
      }
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          if constexpr (kFp8) {
            mma_e4m3(part[i][j], af[i], bfr[j][0], bfr[j][1]);
          } else {
            mma_bf16(acc[i][j], af[i], bfr[j][0], bfr[j][1]);
          }
        }
    }

    if constexpr (kFp8) {  // promotion of this 128-wide K block into the FP32 accumulator
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const float s0 = scale_row[i][0] * scale_b;
        const float s1 = scale_row[i][1] * scale_b;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          acc[i][j][0] = fmaf(part[i][j][0], s0, acc[i][j][0]);
          acc[i][j][1] = fmaf(part[i][j][1], s0, acc[i][j][1]);
          acc[i][j][2] = fmaf(part[i][j][2], s1, acc[i][j][2]);
          acc[i][j][3] = fmaf(part[i][j][3], s1, acc[i][j][3]);
#pragma unroll
          for (int e = 0; e < 4; ++e) part[i][j][e] = 0.f;
        }
      }
    }
  }
  cp_async_wait<0>();

  const int t2 = (lane & 3) * 2;
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int row = m0 + warp_m * 64 + i * 16 + g + h * 8;
      if (row >= p.m) continue;
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int col = n0 + warp_n * 32 + j * 8 + t2;
        if (col >= p.n) continue;  // n % 8 == 0, so col + 1 < n as well
        *reinterpret_cast<__nv_bfloat162*>(p.d + static_cast<std::int64_t>(row) * p.n + col) =
            __floats2bfloat162_rn(acc[i][j][2 * h], acc[i][j][2 * h + 1]);
      }
    }
}

void require(bool ok, const std::string& what) {
  if (!ok) throw Error("gemm: " + what);
}

bool aligned16(const void* ptr) {
  return (reinterpret_cast<std::uintptr_t>(ptr) & 15u) == 0;
}

template <bool kFp8>
void launch_gemm(const GemmProblem& p, cudaStream_t stream) {
  const char* name = kFp8 ? "gemm_fp8_blockscaled" : "gemm_bf16";
  require(p.m >= 1 && p.n >= 1 && p.k >= 1,
          std::string(name) + ": m, n, k must be >= 1, got m=" + std::to_string(p.m) +
              " n=" + std::to_string(p.n) + " k=" + std::to_string(p.k));
  require(p.k % 128 == 0,
          std::string(name) + ": k must be a multiple of 128, got " + std::to_string(p.k));
  require(p.n % 8 == 0,
          std::string(name) + ": n must be a multiple of 8, got " + std::to_string(p.n));
  require(p.groups >= 1,
          std::string(name) + ": groups must be >= 1, got " + std::to_string(p.groups));
  require(p.groups == 1 || p.m_tile_group != nullptr,
          std::string(name) + ": groups > 1 needs m_tile_group (contiguous layout)");
  require(p.a != nullptr && p.b != nullptr && p.d != nullptr,
          std::string(name) + ": null A, B or D");
  require(aligned16(p.a) && aligned16(p.b),
          std::string(name) + ": A and B must be 16-byte aligned");
  if (kFp8) {
    require(p.a_scale != nullptr && p.b_scale != nullptr,
            std::string(name) + ": FP8 needs a_scale and b_scale");
  }
  const std::int64_t elem = kFp8 ? 1 : 2;
  const std::int64_t m_tiles = (p.m + kBlockM - 1) / kBlockM;
  const std::int64_t n_tiles = (p.n + kBlockN - 1) / kBlockN;
  require(p.m < (1LL << 31) && p.n * p.groups < (1LL << 31) && p.k * elem < (1LL << 31) &&
              m_tiles * n_tiles < (1LL << 31),
          std::string(name) + ": problem too large for 32-bit tile indexing");

  GemmParams kp{};
  kp.m = static_cast<int>(p.m);
  kp.n = static_cast<int>(p.n);
  kp.k = static_cast<int>(p.k);
  kp.m_tiles = static_cast<int>(m_tiles);
  kp.n_tiles = static_cast<int>(n_tiles);
  kp.k_bytes = static_cast<int>(p.k * elem);
  kp.k_blocks = static_cast<int>(p.k / 128);
  kp.n_blocks = static_cast<int>((p.n + 127) / 128);
  kp.a = static_cast<const std::uint8_t*>(p.a);
  kp.b = static_cast<const std::uint8_t*>(p.b);
  kp.d = reinterpret_cast<__nv_bfloat16*>(p.d);
  kp.a_scale = p.a_scale;
  kp.b_scale = p.b_scale;
  kp.m_tile_group = p.m_tile_group;

  check_cuda(cudaFuncSetAttribute(gemm_mma_kernel<kFp8>,
                                  cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes),
             name);
  const dim3 grid(static_cast<unsigned>(m_tiles * n_tiles));
  gemm_mma_kernel<kFp8><<<grid, kThreads, kSmemBytes, stream>>>(kp);
  check_launch(name);
}

}  // namespace
}  // namespace detail

void gemm_fp8_blockscaled(const GemmProblem& p, cudaStream_t stream) {
  detail::launch_gemm<true>(p, stream);
}

void gemm_bf16(const GemmProblem& p, cudaStream_t stream) {
  detail::launch_gemm<false>(p, stream);
}

}  // namespace trainsim::calibration::kernels
