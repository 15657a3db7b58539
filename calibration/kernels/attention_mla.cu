// MLA attention core for training (DeepSeek-V3 §2.1.1): after the up-projections every head has
// its own q, k of 192 = 128 (nope) + 64 (rope) and v of 128, so the core is multi-head attention
// with head_dim_qk 192 ≠ head_dim_v 128. Baseline flash-style kernels on mma.sync (bf16 in,
// FP32 accumulate and softmax), after FlashAttention-2 (Dao, arXiv 2307.08691, Algorithms 1–2):
//   forward   S = scale·Q·Kᵀ, m = rowmax, P = exp(S − m), O = P·V / rowsum(P), LSE = m + log Σ
//   backward  P = exp(scale·Q·Kᵀ − LSE), dV = Pᵀ·dO, dP = dO·Vᵀ, D = rowsum(dO∘O),
//             dS = P∘(dP − D), dQ = scale·dS·K, dK = scale·dSᵀ·Q
// Causal masking hides key j from query i when j > i. seq must be a multiple of 64.
#include <cmath>
#include <string>

#include "calibration/kernels/device_common.cuh"
#include "core/error.hpp"

namespace trainsim::calibration::kernels {
namespace detail {
namespace {

constexpr int kDqk = kMlaHeadDimQk;  // 192
constexpr int kDv = kMlaHeadDimV;    // 128
constexpr int kRowQk = kDqk * 2;     // bytes of a 192-wide bf16 row: 384 = 24 chunks
constexpr int kRowV = kDv * 2;       // 256 bytes = 16 chunks
constexpr int kThreads = 128;        // 4 warps
constexpr float kLog2e = 1.4426950408889634f;

struct AttnParams {
  int batch, heads, seq;
  bool causal;
  float scale;  // softmax scale (natural units)
  const __nv_bfloat16* q;
  const __nv_bfloat16* k;
  const __nv_bfloat16* v;
  __nv_bfloat16* o;
  float* lse;
  const __nv_bfloat16* d_o;
  __nv_bfloat16* d_q;
  __nv_bfloat16* d_k;
  __nv_bfloat16* d_v;
  float* dq_acc;  // [b][s][h][192]
  float* dvec;    // [b][h][s]
};

// Element offset of (b, s, h, 0) in a [b][s][h][dim] tensor.
__device__ __forceinline__ std::int64_t row_offset(const AttnParams& p, int b, int s, int h,
                                                   int dim) {
  return ((static_cast<std::int64_t>(b) * p.seq + s) * p.heads + h) * dim;
}

// Copies `rows` rows of `row_bytes` (dim·2) starting at sequence position s0 into a swizzled tile.
__device__ __forceinline__ void load_rows(const AttnParams& p, const __nv_bfloat16* base, int b,
                                          int h, int s0, int rows, int dim, std::uint32_t dst) {
  const int chunks_per_row = dim / 8;
  const int total = rows * chunks_per_row;
  for (int c = static_cast<int>(threadIdx.x); c < total; c += kThreads) {
    const int row = c / chunks_per_row;
    const int ch = c - row * chunks_per_row;
    const __nv_bfloat16* src = base + row_offset(p, b, s0 + row, h, dim) + ch * 8;
    cp_async_16(dst + swz(row, ch, dim * 2), src, true);
  }
}

// ------------------------------------------------------------------------------------------
// Forward: CTA = 64 queries of one (batch, head); warp w owns query rows 16w..16w+15; key/value
// tiles of 64, double-buffered.
constexpr int kFwdBlockQ = 64;
constexpr int kFwdBlockKv = 64;
constexpr int kFwdSmemQ = kFwdBlockQ * kRowQk;                     // 24 KB
constexpr int kFwdSmemK = kFwdBlockKv * kRowQk;                    // 24 KB
constexpr int kFwdSmemV = kFwdBlockKv * kRowV;                     // 16 KB
constexpr int kFwdSmem = kFwdSmemQ + 2 * (kFwdSmemK + kFwdSmemV);  // 104 KB

__global__ void __launch_bounds__(kThreads) attn_fwd_kernel(const AttnParams p) {
  extern __shared__ __align__(128) std::uint8_t smem[];
  const int lane = static_cast<int>(threadIdx.x) & 31;
  const int warp = static_cast<int>(threadIdx.x) >> 5;
  const int g = lane >> 2;
  const int t2 = (lane & 3) * 2;
  const int q_tiles = p.seq / kFwdBlockQ;
  const int q_tile = q_tiles - 1 - static_cast<int>(blockIdx.x);  // longest causal rows first
  const int h = static_cast<int>(blockIdx.y);
  const int b = static_cast<int>(blockIdx.z);
  const int q0 = q_tile * kFwdBlockQ;
  const int kv_tiles = p.causal ? q_tile + 1 : p.seq / kFwdBlockKv;

  const std::uint32_t s_q = smem_addr(smem);
  auto s_k = [&](int buf) {
    return s_q + static_cast<std::uint32_t>(kFwdSmemQ + buf * (kFwdSmemK + kFwdSmemV));
  };
  auto s_v = [&](int buf) { return s_k(buf) + static_cast<std::uint32_t>(kFwdSmemK); };

  load_rows(p, p.q, b, h, q0, kFwdBlockQ, kDqk, s_q);
  load_rows(p, p.k, b, h, 0, kFwdBlockKv, kDqk, s_k(0));
  load_rows(p, p.v, b, h, 0, kFwdBlockKv, kDv, s_v(0));
  cp_async_commit();

  const float scale_log2 = p.scale * kLog2e;
  float o_acc[kDv / 8][4];
#pragma unroll
  for (int j = 0; j < kDv / 8; ++j)
#pragma unroll
    for (int e = 0; e < 4; ++e) o_acc[j][e] = 0.f;
  float row_max[2] = {-INFINITY, -INFINITY};  // log2 units, rows g and g+8
  float row_sum[2] = {0.f, 0.f};              // this thread's partial sums

  for (int jt = 0; jt < kv_tiles; ++jt) {
    const int buf = jt & 1;
    if (jt + 1 < kv_tiles) {
      load_rows(p, p.k, b, h, (jt + 1) * kFwdBlockKv, kFwdBlockKv, kDqk, s_k(buf ^ 1));
      load_rows(p, p.v, b, h, (jt + 1) * kFwdBlockKv, kFwdBlockKv, kDv, s_v(buf ^ 1));
      cp_async_commit();
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();

    // S (16 queries × 64 keys per warp) = Q·Kᵀ
    float s_acc[kFwdBlockKv / 8][4];
#pragma unroll
    for (int j = 0; j < kFwdBlockKv / 8; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) s_acc[j][e] = 0.f;
#pragma unroll 2
    for (int ks = 0; ks < kDqk / 16; ++ks) {
      std::uint32_t af[4];
      ldmatrix_x4(af, s_q + swz(warp * 16 + (lane & 15), ks * 2 + (lane >> 4), kRowQk));
#pragma unroll
      for (int j2 = 0; j2 < kFwdBlockKv / 16; ++j2) {
        std::uint32_t r[4];
        ldmatrix_x4(r, s_k(buf) + swz(j2 * 16 + (lane & 7) + ((lane >> 4) << 3),
                                      ks * 2 + ((lane >> 3) & 1), kRowQk));
        mma_bf16(s_acc[2 * j2], af, r[0], r[1]);
        mma_bf16(s_acc[2 * j2 + 1], af, r[2], r[3]);
      }
    }

    // Online softmax (log2 domain).
    const bool diagonal = p.causal && jt == q_tile;
    float tile_max[2] = {-INFINITY, -INFINITY};
#pragma unroll
    for (int j = 0; j < kFwdBlockKv / 8; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        float s = s_acc[j][e] * scale_log2;
        if (diagonal) {
          const int kv = jt * kFwdBlockKv + j * 8 + t2 + (e & 1);
          const int qi = q0 + warp * 16 + g + ((e >> 1) << 3);
          if (kv > qi) s = -INFINITY;
        }
        s_acc[j][e] = s;
        tile_max[e >> 1] = fmaxf(tile_max[e >> 1], s);
      }
    float corr[2];
    float use_max[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      tile_max[r] = fmaxf(tile_max[r], __shfl_xor_sync(0xffffffffu, tile_max[r], 1));
      tile_max[r] = fmaxf(tile_max[r], __shfl_xor_sync(0xffffffffu, tile_max[r], 2));
      const float new_max = fmaxf(row_max[r], tile_max[r]);
      use_max[r] = new_max == -INFINITY ? 0.f : new_max;  // a row with nothing visible yet
      corr[r] = exp2f(row_max[r] - use_max[r]);           // 0 when row_max was -inf
      row_max[r] = new_max;
      row_sum[r] *= corr[r];
    }
#pragma unroll
    for (int j = 0; j < kDv / 8; ++j) {
      o_acc[j][0] *= corr[0];
      o_acc[j][1] *= corr[0];
      o_acc[j][2] *= corr[1];
      o_acc[j][3] *= corr[1];
    }
    std::uint32_t pf[kFwdBlockKv / 16][4];  // P as A fragments (k = key)
#pragma unroll
    for (int j = 0; j < kFwdBlockKv / 8; ++j) {
      const float p0 = exp2f(s_acc[j][0] - use_max[0]);
      const float p1 = exp2f(s_acc[j][1] - use_max[0]);
      const float p2 = exp2f(s_acc[j][2] - use_max[1]);
      const float p3 = exp2f(s_acc[j][3] - use_max[1]);
      row_sum[0] += p0 + p1;
      row_sum[1] += p2 + p3;
      pf[j >> 1][(j & 1) * 2 + 0] = pack_bf16x2(p0, p1);
      pf[j >> 1][(j & 1) * 2 + 1] = pack_bf16x2(p2, p3);
    }

    // O (16 × 128 per warp) += P·V; V is [key][dv] so its B fragments come from ldmatrix.trans.
#pragma unroll
    for (int kk = 0; kk < kFwdBlockKv / 16; ++kk) {
#pragma unroll
      for (int jp = 0; jp < kDv / 16; ++jp) {
        const int mi = lane >> 3;
        std::uint32_t r[4];
        ldmatrix_x4_trans(
            r, s_v(buf) + swz(kk * 16 + (lane & 7) + ((mi & 1) << 3), jp * 2 + (mi >> 1), kRowV));
        mma_bf16(o_acc[2 * jp], pf[kk], r[0], r[1]);
        mma_bf16(o_acc[2 * jp + 1], pf[kk], r[2], r[3]);
      }
    }
    __syncthreads();  // everyone is done with buffer `buf` before it is refilled
  }

  float inv[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    row_sum[r] += __shfl_xor_sync(0xffffffffu, row_sum[r], 1);
    row_sum[r] += __shfl_xor_sync(0xffffffffu, row_sum[r], 2);
    inv[r] = row_sum[r] > 0.f ? 1.f / row_sum[r] : 0.f;
  }
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int qi = q0 + warp * 16 + g + r * 8;
    __nv_bfloat16* out = p.o + row_offset(p, b, qi, h, kDv);
#pragma unroll
    for (int j = 0; j < kDv / 8; ++j) {
      *reinterpret_cast<__nv_bfloat162*>(out + j * 8 + t2) =
          __floats2bfloat162_rn(o_acc[j][2 * r] * inv[r], o_acc[j][2 * r + 1] * inv[r]);
    }
    if ((lane & 3) == 0) {
      const float lse = row_sum[r] > 0.f ? (row_max[r] / kLog2e + logf(row_sum[r])) : -INFINITY;
      p.lse[(static_cast<std::int64_t>(b) * p.heads + h) * p.seq + qi] = lse;
    }
  }
}

// ------------------------------------------------------------------------------------------
// Backward pre-pass: D = rowsum(dO∘O) per (b, h, s) and dQ accumulator zeroed. One warp per row.
__global__ void attn_bwd_pre_kernel(const AttnParams p) {
  const std::int64_t rows = static_cast<std::int64_t>(p.batch) * p.seq * p.heads;
  const int lane = static_cast<int>(threadIdx.x) & 31;
  const std::int64_t warps = static_cast<std::int64_t>(gridDim.x) * (blockDim.x / 32);
  for (std::int64_t r = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
       r < rows; r += warps) {
    // r = (b·seq + s)·heads + h
    const int h = static_cast<int>(r % p.heads);
    const std::int64_t bs = r / p.heads;
    const int s = static_cast<int>(bs % p.seq);
    const int b = static_cast<int>(bs / p.seq);
    const uint2 ov = *reinterpret_cast<const uint2*>(p.o + r * kDv + lane * 4);
    const uint2 dv = *reinterpret_cast<const uint2*>(p.d_o + r * kDv + lane * 4);
    const __nv_bfloat162* o2 = reinterpret_cast<const __nv_bfloat162*>(&ov);
    const __nv_bfloat162* d2 = reinterpret_cast<const __nv_bfloat162*>(&dv);
    float acc = 0.f;
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const float2 a = __bfloat1622float2(o2[i]);
      const float2 c = __bfloat1622float2(d2[i]);
      acc = fmaf(a.x, c.x, fmaf(a.y, c.y, acc));
    }
    acc = warp_sum(acc);
    if (lane == 0) p.dvec[(static_cast<std::int64_t>(b) * p.heads + h) * p.seq + s] = acc;
    float* dq = p.dq_acc + r * kDqk;
    for (int i = lane; i < kDqk / 4; i += 32)
      reinterpret_cast<float4*>(dq)[i] = make_float4(0.f, 0.f, 0.f, 0.f);
  }
}

// Backward post-pass: dQ = bf16(scale · dq_acc).
__global__ void attn_bwd_post_kernel(const AttnParams p) {
  const std::int64_t n4 = static_cast<std::int64_t>(p.batch) * p.seq * p.heads * kDqk / 4;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n4;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const float4 v = reinterpret_cast<const float4*>(p.dq_acc)[i];
    __nv_bfloat162* out = reinterpret_cast<__nv_bfloat162*>(p.d_q + i * 4);
    out[0] = __floats2bfloat162_rn(v.x * p.scale, v.y * p.scale);
    out[1] = __floats2bfloat162_rn(v.z * p.scale, v.w * p.scale);
  }
}

// Backward main pass: CTA = 64 keys of one (batch, head); warp w owns key rows 16w..16w+15 and
// accumulates their dK, dV in registers over query tiles of 32; dQ goes to dq_acc by atomics.
constexpr int kBwdBlockKv = 64;
constexpr int kBwdBlockQ = 32;
constexpr int kDsRow = kBwdBlockQ * 2 + 16;  // 80 bytes: dSᵀ rows padded, conflict-free ldmatrix
constexpr int kBwdSmemK = kBwdBlockKv * kRowQk;   // 24 KB
constexpr int kBwdSmemV = kBwdBlockKv * kRowV;    // 16 KB
constexpr int kBwdSmemQ = kBwdBlockQ * kRowQk;    // 12 KB
constexpr int kBwdSmemDo = kBwdBlockQ * kRowV;    // 8 KB
constexpr int kBwdSmemDs = kBwdBlockKv * kDsRow;  // 5 KB
constexpr int kBwdSmem =
    kBwdSmemK + kBwdSmemV + kBwdSmemQ + kBwdSmemDo + kBwdSmemDs + 2 * kBwdBlockQ * 4;

__global__ void __launch_bounds__(kThreads, 1) attn_bwd_kernel(const AttnParams p) {
  extern __shared__ __align__(128) std::uint8_t smem[];
  const int tid = static_cast<int>(threadIdx.x);
  const int lane = tid & 31;
  const int warp = tid >> 5;
  const int g = lane >> 2;
  const int t2 = (lane & 3) * 2;
  const int kv_tile = static_cast<int>(blockIdx.x);  // tile 0 has the most causal work: first
  const int h = static_cast<int>(blockIdx.y);
  const int b = static_cast<int>(blockIdx.z);
  const int k0 = kv_tile * kBwdBlockKv;

  const std::uint32_t s_k = smem_addr(smem);
  const std::uint32_t s_v = s_k + kBwdSmemK;
  const std::uint32_t s_q = s_v + kBwdSmemV;
  const std::uint32_t s_do = s_q + kBwdSmemQ;
  const std::uint32_t s_ds = s_do + kBwdSmemDo;
  std::uint8_t* ds_ptr = smem + kBwdSmemK + kBwdSmemV + kBwdSmemQ + kBwdSmemDo;
  float* s_lse = reinterpret_cast<float*>(ds_ptr + kBwdSmemDs);
  float* s_d = s_lse + kBwdBlockQ;

  load_rows(p, p.k, b, h, k0, kBwdBlockKv, kDqk, s_k);
  load_rows(p, p.v, b, h, k0, kBwdBlockKv, kDv, s_v);
  cp_async_commit();

  const float scale_log2 = p.scale * kLog2e;
  float dk_acc[kDqk / 8][4];
  float dv_acc[kDv / 8][4];
#pragma unroll
  for (int j = 0; j < kDqk / 8; ++j)
#pragma unroll
    for (int e = 0; e < 4; ++e) dk_acc[j][e] = 0.f;
#pragma unroll
  for (int j = 0; j < kDv / 8; ++j)
#pragma unroll
    for (int e = 0; e < 4; ++e) dv_acc[j][e] = 0.f;

  const std::int64_t bh = static_cast<std::int64_t>(b) * p.heads + h;
  const int q_begin = p.causal ? k0 : 0;
  for (int q0 = q_begin; q0 < p.seq; q0 += kBwdBlockQ) {
    __syncthreads();  // the previous tile's readers of s_q, s_do, s_ds, s_lse are done
    load_rows(p, p.q, b, h, q0, kBwdBlockQ, kDqk, s_q);
    load_rows(p, p.d_o, b, h, q0, kBwdBlockQ, kDv, s_do);
    cp_async_commit();
    if (tid < kBwdBlockQ) {
      s_lse[tid] = p.lse[bh * p.seq + q0 + tid] * kLog2e;
      s_d[tid] = p.dvec[bh * p.seq + q0 + tid];
    }
    cp_async_wait<0>();
    __syncthreads();

    // Sᵀ (16 keys × 32 queries per warp) = K·Qᵀ, then Pᵀ = exp2(scale·log2e·Sᵀ − LSE·log2e).
    float st[kBwdBlockQ / 8][4];
#pragma unroll
    for (int j = 0; j < kBwdBlockQ / 8; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) st[j][e] = 0.f;
#pragma unroll 2
    for (int ks = 0; ks < kDqk / 16; ++ks) {
      std::uint32_t af[4];
      ldmatrix_x4(af, s_k + swz(warp * 16 + (lane & 15), ks * 2 + (lane >> 4), kRowQk));
#pragma unroll
      for (int j2 = 0; j2 < kBwdBlockQ / 16; ++j2) {
        std::uint32_t r[4];
        ldmatrix_x4(r, s_q + swz(j2 * 16 + (lane & 7) + ((lane >> 4) << 3),
                                 ks * 2 + ((lane >> 3) & 1), kRowQk));
        mma_bf16(st[2 * j2], af, r[0], r[1]);
        mma_bf16(st[2 * j2 + 1], af, r[2], r[3]);
      }
    }
    const bool diagonal = p.causal && q0 < k0 + kBwdBlockKv;
#pragma unroll
    for (int j = 0; j < kBwdBlockQ / 8; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int qc = j * 8 + t2 + (e & 1);
        float pv = exp2f(st[j][e] * scale_log2 - s_lse[qc]);
        if (diagonal) {
          const int kv = k0 + warp * 16 + g + ((e >> 1) << 3);
          if (kv > q0 + qc) pv = 0.f;
        }
        st[j][e] = pv;
      }
    std::uint32_t pf[kBwdBlockQ / 16][4];
#pragma unroll
    for (int j = 0; j < kBwdBlockQ / 8; ++j) {
      pf[j >> 1][(j & 1) * 2 + 0] = pack_bf16x2(st[j][0], st[j][1]);
      pf[j >> 1][(j & 1) * 2 + 1] = pack_bf16x2(st[j][2], st[j][3]);
    }

    // dV (16 keys × 128) += Pᵀ·dO; dO is [query][dv]: B fragments by ldmatrix.trans.
#pragma unroll
    for (int kk = 0; kk < kBwdBlockQ / 16; ++kk) {
#pragma unroll
      for (int jp = 0; jp < kDv / 16; ++jp) {
        const int mi = lane >> 3;
        std::uint32_t r[4];
        ldmatrix_x4_trans(
            r, s_do + swz(kk * 16 + (lane & 7) + ((mi & 1) << 3), jp * 2 + (mi >> 1), kRowV));
        mma_bf16(dv_acc[2 * jp], pf[kk], r[0], r[1]);
        mma_bf16(dv_acc[2 * jp + 1], pf[kk], r[2], r[3]);
      }
    }

    // dPᵀ (16 keys × 32 queries) = V·dOᵀ; dSᵀ = Pᵀ∘(dPᵀ − D).
    float dpt[kBwdBlockQ / 8][4];
#pragma unroll
    for (int j = 0; j < kBwdBlockQ / 8; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) dpt[j][e] = 0.f;
#pragma unroll 2
    for (int ks = 0; ks < kDv / 16; ++ks) {
      std::uint32_t af[4];
      ldmatrix_x4(af, s_v + swz(warp * 16 + (lane & 15), ks * 2 + (lane >> 4), kRowV));
#pragma unroll
      for (int j2 = 0; j2 < kBwdBlockQ / 16; ++j2) {
        std::uint32_t r[4];
        ldmatrix_x4(r, s_do + swz(j2 * 16 + (lane & 7) + ((lane >> 4) << 3),
                                  ks * 2 + ((lane >> 3) & 1), kRowV));
        mma_bf16(dpt[2 * j2], af, r[0], r[1]);
        mma_bf16(dpt[2 * j2 + 1], af, r[2], r[3]);
      }
    }
    std::uint32_t dsf[kBwdBlockQ / 16][4];
#pragma unroll
    for (int j = 0; j < kBwdBlockQ / 8; ++j) {
      const int qc = j * 8 + t2;
      const float d0 = s_d[qc];
      const float d1 = s_d[qc + 1];
      const std::uint32_t lo =
          pack_bf16x2(st[j][0] * (dpt[j][0] - d0), st[j][1] * (dpt[j][1] - d1));
      const std::uint32_t hi =
          pack_bf16x2(st[j][2] * (dpt[j][2] - d0), st[j][3] * (dpt[j][3] - d1));
      dsf[j >> 1][(j & 1) * 2 + 0] = lo;
      dsf[j >> 1][(j & 1) * 2 + 1] = hi;
      // dSᵀ to shared memory, [key][query], for the dQ product below.
      const int kr = warp * 16 + g;
      *reinterpret_cast<std::uint32_t*>(ds_ptr + kr * kDsRow + qc * 2) = lo;
      *reinterpret_cast<std::uint32_t*>(ds_ptr + (kr + 8) * kDsRow + qc * 2) = hi;
    }

    // dK (16 keys × 192) += dSᵀ·Q; Q is [query][dim]: B fragments by ldmatrix.trans.
#pragma unroll
    for (int kk = 0; kk < kBwdBlockQ / 16; ++kk) {
#pragma unroll
      for (int jp = 0; jp < kDqk / 16; ++jp) {
        const int mi = lane >> 3;
        std::uint32_t r[4];
        ldmatrix_x4_trans(
            r, s_q + swz(kk * 16 + (lane & 7) + ((mi & 1) << 3), jp * 2 + (mi >> 1), kRowQk));
        mma_bf16(dk_acc[2 * jp], dsf[kk], r[0], r[1]);
        mma_bf16(dk_acc[2 * jp + 1], dsf[kk], r[2], r[3]);
      }
    }
    __syncthreads();  // dSᵀ complete in shared memory

    // dQ (32 queries × 192) += dS·K over this CTA's 64 keys: warp w takes query rows
    // 16·(w&1).. and dims 96·(w>>1).., in two passes of 48 dims to stay clear of register
    // spills; dS fragments come from dSᵀ by ldmatrix.trans, K's likewise.
    {
      const int mt = warp & 1;
      constexpr int kPassTiles = kDqk / 32;  // 6 n-tiles of 8 dims per pass
#pragma unroll 1
      for (int pass = 0; pass < 2; ++pass) {
        const int nbase = (warp >> 1) * (kDqk / 16) + pass * kPassTiles;  // first n-tile
        float dq[kPassTiles][4];
#pragma unroll
        for (int j = 0; j < kPassTiles; ++j)
#pragma unroll
          for (int e = 0; e < 4; ++e) dq[j][e] = 0.f;
#pragma unroll
        for (int kk = 0; kk < kBwdBlockKv / 16; ++kk) {
          const int mi = lane >> 3;
          std::uint32_t af[4];
          // a0: (q 0-7, kv 0-7) a1: (q 8-15, kv 0-7) a2: (q 0-7, kv 8-15) a3: (q 8-15, kv 8-15)
          ldmatrix_x4_trans(af, s_ds + static_cast<std::uint32_t>(
                                           (kk * 16 + (lane & 7) + ((mi >> 1) << 3)) * kDsRow +
                                           (mt * 2 + (mi & 1)) * 16));
#pragma unroll
          for (int jp = 0; jp < kPassTiles / 2; ++jp) {
            std::uint32_t r[4];
            ldmatrix_x4_trans(r, s_k + swz(kk * 16 + (lane & 7) + ((mi & 1) << 3),
                                           (nbase / 2 + jp) * 2 + (mi >> 1), kRowQk));
            mma_bf16(dq[2 * jp], af, r[0], r[1]);
            mma_bf16(dq[2 * jp + 1], af, r[2], r[3]);
          }
        }
#pragma unroll
        for (int r = 0; r < 2; ++r) {
          const int qi = q0 + mt * 16 + g + r * 8;
          float* dst = p.dq_acc + row_offset(p, b, qi, h, kDqk) + nbase * 8;
#pragma unroll
          for (int j = 0; j < kPassTiles; ++j) {
            atomicAdd(dst + j * 8 + t2, dq[j][2 * r]);
            atomicAdd(dst + j * 8 + t2 + 1, dq[j][2 * r + 1]);
          }
        }
      }
    }
  }

#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int kv = k0 + warp * 16 + g + r * 8;
    __nv_bfloat16* dk = p.d_k + row_offset(p, b, kv, h, kDqk);
    __nv_bfloat16* dv = p.d_v + row_offset(p, b, kv, h, kDv);
#pragma unroll
    for (int j = 0; j < kDqk / 8; ++j)
      *reinterpret_cast<__nv_bfloat162*>(dk + j * 8 + t2) =
          __floats2bfloat162_rn(dk_acc[j][2 * r] * p.scale, dk_acc[j][2 * r + 1] * p.scale);
#pragma unroll
    for (int j = 0; j < kDv / 8; ++j)
      *reinterpret_cast<__nv_bfloat162*>(dv + j * 8 + t2) =
          __floats2bfloat162_rn(dv_acc[j][2 * r], dv_acc[j][2 * r + 1]);
  }
}

void require(bool ok, const std::string& what) {
  if (!ok) throw Error("attention: " + what);
}

AttnParams make_params(const AttentionProblem& p, bool backward) {
  require(p.batch >= 1 && p.heads >= 1 && p.seq >= 1,
          "batch, heads, seq must be >= 1, got batch=" + std::to_string(p.batch) +
              " heads=" + std::to_string(p.heads) + " seq=" + std::to_string(p.seq));
  require(p.seq % 64 == 0, "seq must be a multiple of 64, got " + std::to_string(p.seq));
  require(p.q && p.k && p.v && p.o && p.lse, "null q, k, v, o or lse");
  if (backward)
    require(p.d_o && p.d_q && p.d_k && p.d_v && p.workspace, "null dO, dQ, dK, dV or workspace");
  require(static_cast<std::int64_t>(p.batch) * p.seq * p.heads * kDqk < (1LL << 40),
          "tensor too large");
  AttnParams k{};
  k.batch = p.batch;
  k.heads = p.heads;
  k.seq = p.seq;
  k.causal = p.causal;
  k.scale = p.softmax_scale > 0 ? p.softmax_scale : 1.0f / std::sqrt(static_cast<float>(kDqk));
  k.q = reinterpret_cast<const __nv_bfloat16*>(p.q);
  k.k = reinterpret_cast<const __nv_bfloat16*>(p.k);
  k.v = reinterpret_cast<const __nv_bfloat16*>(p.v);
  k.o = reinterpret_cast<__nv_bfloat16*>(p.o);
  k.lse = p.lse;
  k.d_o = reinterpret_cast<const __nv_bfloat16*>(p.d_o);
  k.d_q = reinterpret_cast<__nv_bfloat16*>(p.d_q);
  k.d_k = reinterpret_cast<__nv_bfloat16*>(p.d_k);
  k.d_v = reinterpret_cast<__nv_bfloat16*>(p.d_v);
  k.dq_acc = p.workspace;
  k.dvec = p.workspace == nullptr
               ? nullptr
               : p.workspace + static_cast<std::int64_t>(p.batch) * p.seq * p.heads * kDqk;
  return k;
}

}  // namespace
}  // namespace detail

void attention_fwd(const AttentionProblem& p, cudaStream_t stream) {
  const detail::AttnParams k = detail::make_params(p, false);
  check_cuda(cudaFuncSetAttribute(detail::attn_fwd_kernel,
                                  cudaFuncAttributeMaxDynamicSharedMemorySize, detail::kFwdSmem),
             "attention_fwd");
  const dim3 grid(static_cast<unsigned>(p.seq / detail::kFwdBlockQ), static_cast<unsigned>(p.heads),
                  static_cast<unsigned>(p.batch));
  detail::attn_fwd_kernel<<<grid, detail::kThreads, detail::kFwdSmem, stream>>>(k);
  detail::check_launch("attention_fwd");
}

std::int64_t attention_bwd_workspace_bytes(const AttentionProblem& p) {
  const std::int64_t rows = static_cast<std::int64_t>(p.batch) * p.seq * p.heads;
  return rows * (kMlaHeadDimQk + 1) * static_cast<std::int64_t>(sizeof(float));
}

void attention_bwd(const AttentionProblem& p, cudaStream_t stream) {
  const detail::AttnParams k = detail::make_params(p, true);
  detail::attn_bwd_pre_kernel<<<1024, 256, 0, stream>>>(k);
  detail::check_launch("attention_bwd (pre)");
  check_cuda(cudaFuncSetAttribute(detail::attn_bwd_kernel,
                                  cudaFuncAttributeMaxDynamicSharedMemorySize, detail::kBwdSmem),
             "attention_bwd");
  const dim3 grid(static_cast<unsigned>(p.seq / detail::kBwdBlockKv),
                  static_cast<unsigned>(p.heads), static_cast<unsigned>(p.batch));
  detail::attn_bwd_kernel<<<grid, detail::kThreads, detail::kBwdSmem, stream>>>(k);
  detail::check_launch("attention_bwd");
  detail::attn_bwd_post_kernel<<<1024, 256, 0, stream>>>(k);
  detail::check_launch("attention_bwd (post)");
}

}  // namespace trainsim::calibration::kernels
