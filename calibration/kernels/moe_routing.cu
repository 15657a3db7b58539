// MoE routing of DeepSeek-V3 (report §2.1.2, eqs. 12–16, and the node/group-limited routing
// of §2.1.2 "Node-Limited Routing" as in the released inference code's MoEGate):
//   s_i = sigmoid(u·e_i);  selection score c_i = s_i + b_i (bias used only for selection);
//   group score = sum of the top-2 c_i of each of the 8 groups of 32 experts; keep the 4 best
//   groups; top-8 experts by c_i among them; g_i = s_i / Σ_{top-8} s_j · routed_scaling.
// and the token permute / unpermute around the grouped expert GEMMs (baselines).
#include <climits>
#include <string>

#include "calibration/kernels/device_common.cuh"
#include "core/error.hpp"

namespace trainsim::calibration::kernels {
namespace detail {
namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw Error(what);
}

// (value, index) maximum with ties to the lower index: a total order, so a butterfly reduction
// leaves the same winner in every lane.
__device__ __forceinline__ bool beats(float v, int i, float ov, int oi) {
  return v > ov || (v == ov && i < oi);
}

constexpr int kPerLane = kRouterExperts / 32;  // 8 experts per lane, 4 lanes per group

__global__ void router_kernel(const float* logits, const float* bias, int* topk_idx, float* topk_w,
                              std::int64_t tokens, float routed_scaling) {
  const int lane = static_cast<int>(threadIdx.x) & 31;
  const std::int64_t token =
      (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  if (token >= tokens) return;  // whole warps leave together
  const float4* lg =
      reinterpret_cast<const float4*>(logits + token * kRouterExperts + lane * kPerLane);
  const float4* bs = reinterpret_cast<const float4*>(bias + lane * kPerLane);
  float s[kPerLane];
  float c[kPerLane];
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const float4 l4 = lg[h];
    const float4 b4 = bs[h];
    const float lv[4] = {l4.x, l4.y, l4.z, l4.w};
    const float bv[4] = {b4.x, b4.y, b4.z, b4.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      s[h * 4 + i] = 1.f / (1.f + expf(-lv[i]));
      c[h * 4 + i] = s[h * 4 + i] + bv[i];
    }
  }
  // Group score: top-2 of the group's 32 selection scores.
  float b1 = -INFINITY;
  float b2 = -INFINITY;
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    if (c[i] > b1) {
      b2 = b1;
      b1 = c[i];
    } else if (c[i] > b2) {
      b2 = c[i];
    }
  }
#pragma unroll
  for (int o = 1; o <= 2; o <<= 1) {
    const float o1 = __shfl_xor_sync(0xffffffffu, b1, o);
    const float o2 = __shfl_xor_sync(0xffffffffu, b2, o);
    b2 = fmaxf(fminf(b1, o1), fmaxf(b2, o2));
    b1 = fmaxf(b1, o1);
  }
  const int my_group = lane / (32 / kRouterGroups);
  const float group_score = b1 + b2;
  unsigned chosen_groups = 0;
  for (int round = 0; round < kRouterTopGroups; ++round) {
    float v = (chosen_groups >> my_group) & 1u ? -INFINITY : group_score;
    int gi = (chosen_groups >> my_group) & 1u ? INT_MAX : my_group;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
      const float ov = __shfl_xor_sync(0xffffffffu, v, o);
      const int oi = __shfl_xor_sync(0xffffffffu, gi, o);
      if (beats(ov, oi, v, gi)) {
        v = ov;
        gi = oi;
      }
    }
    chosen_groups |= 1u << gi;
  }
  const bool group_ok = (chosen_groups >> my_group) & 1u;
  unsigned picked = 0;  // this lane's experts already taken
  int out_idx[kRouterTopK];
  float out_s[kRouterTopK];
  float sum = 0.f;
#pragma unroll
  for (int k = 0; k < kRouterTopK; ++k) {
    float bv = -INFINITY;
    int bi = INT_MAX;
    float bsv = 0.f;
    if (group_ok) {
#pragma unroll
      for (int i = 0; i < kPerLane; ++i) {
        if (!((picked >> i) & 1u) && c[i] > bv) {
          bv = c[i];
          bi = lane * kPerLane + i;
          bsv = s[i];
        }
      }
    }
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
      const float ov = __shfl_xor_sync(0xffffffffu, bv, o);
      const int oi = __shfl_xor_sync(0xffffffffu, bi, o);
      const float os = __shfl_xor_sync(0xffffffffu, bsv, o);
      if (beats(ov, oi, bv, bi)) {
        bv = ov;
        bi = oi;
        bsv = os;
      }
    }
    if (bi / kPerLane == lane) picked |= 1u << (bi % kPerLane);
    out_idx[k] = bi;
    out_s[k] = bsv;
    sum += bsv;
  }
  if (lane == 0) {
    const float norm = routed_scaling / sum;
    int4* oi = reinterpret_cast<int4*>(topk_idx + token * kRouterTopK);
    float4* ow = reinterpret_cast<float4*>(topk_w + token * kRouterTopK);
    oi[0] = make_int4(out_idx[0], out_idx[1], out_idx[2], out_idx[3]);
    oi[1] = make_int4(out_idx[4], out_idx[5], out_idx[6], out_idx[7]);
    ow[0] = make_float4(out_s[0] * norm, out_s[1] * norm, out_s[2] * norm, out_s[3] * norm);
    ow[1] = make_float4(out_s[4] * norm, out_s[5] * norm, out_s[6] * norm, out_s[7] * norm);
  }
}

constexpr int kMaxExperts = 1024;

__global__ void histogram_kernel(const int* topk_idx, std::int64_t n, int experts, int* counts) {
  __shared__ int local[kMaxExperts];
  for (int e = static_cast<int>(threadIdx.x); e < experts; e += blockDim.x) local[e] = 0;
  __syncthreads();
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    atomicAdd(&local[topk_idx[i]], 1);
  __syncthreads();
  for (int e = static_cast<int>(threadIdx.x); e < experts; e += blockDim.x)
    if (local[e] != 0) atomicAdd(&counts[e], local[e]);
}

// One block of kMaxExperts threads: exclusive scan of counts into offset[0..experts], cursor =
// offset.
__global__ void scan_kernel(const int* counts, int experts, int* offset, int* cursor) {
  __shared__ int buf[kMaxExperts];
  const int t = static_cast<int>(threadIdx.x);
  buf[t] = t < experts ? counts[t] : 0;
  __syncthreads();
  for (int d = 1; d < kMaxExperts; d <<= 1) {  // Hillis–Steele inclusive scan
    const int v = t >= d ? buf[t - d] : 0;
    __syncthreads();
    buf[t] += v;
    __syncthreads();
  }
  if (t < experts) {
    const int excl = buf[t] - counts[t];
    offset[t] = excl;
    cursor[t] = excl;
  }
  if (t == experts - 1) offset[experts] = buf[t];
}

constexpr int kPermuteThreads = 128;
constexpr int kMaxTopK = 16;

// One block per token: reserve its topk destination rows, then copy the row to each of them
// (read once, written topk times).
__global__ void scatter_kernel(const uint4* x, const int* topk_idx, int topk, int chunks,
                               uint4* out, int* cursor, int* src_token, int* dest_row) {
  __shared__ int dest[kMaxTopK];
  const std::int64_t t = blockIdx.x;
  if (static_cast<int>(threadIdx.x) < topk) {
    const int e = topk_idx[t * topk + threadIdx.x];
    const int pos = atomicAdd(&cursor[e], 1);
    dest[threadIdx.x] = pos;
    dest_row[t * topk + threadIdx.x] = pos;
    src_token[pos] = static_cast<int>(t);
  }
  __syncthreads();
  for (int c = static_cast<int>(threadIdx.x); c < chunks; c += kPermuteThreads) {
    const uint4 v = x[t * chunks + c];
    for (int j = 0; j < topk; ++j) out[static_cast<std::int64_t>(dest[j]) * chunks + c] = v;
  }
}

__global__ void unpermute_kernel(const uint4* y, const int* dest_row, const float* topk_w, int topk,
                                 int chunks, uint4* out) {
  __shared__ int rows[kMaxTopK];
  __shared__ float w[kMaxTopK];
  const std::int64_t t = blockIdx.x;
  if (static_cast<int>(threadIdx.x) < topk) {
    rows[threadIdx.x] = dest_row[t * topk + threadIdx.x];
    w[threadIdx.x] = topk_w[t * topk + threadIdx.x];
  }
  __syncthreads();
  for (int c = static_cast<int>(threadIdx.x); c < chunks; c += kPermuteThreads) {
    float acc[8] = {};
    for (int j = 0; j < topk; ++j) {
      const uint4 v = y[static_cast<std::int64_t>(rows[j]) * chunks + c];
      const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&v);
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const float2 f = __bfloat1622float2(h[i]);
        acc[2 * i] = fmaf(w[j], f.x, acc[2 * i]);
        acc[2 * i + 1] = fmaf(w[j], f.y, acc[2 * i + 1]);
      }
    }
    uint4 o;
    o.x = pack_bf16x2(acc[0], acc[1]);
    o.y = pack_bf16x2(acc[2], acc[3]);
    o.z = pack_bf16x2(acc[4], acc[5]);
    o.w = pack_bf16x2(acc[6], acc[7]);
    out[t * chunks + c] = o;
  }
}

bool aligned16(const void* p) {
  return (reinterpret_cast<std::uintptr_t>(p) & 15u) == 0;
}

}  // namespace
}  // namespace detail

void router_topk(const float* logits, const float* bias, int* topk_idx, float* topk_w,
                 std::int64_t tokens, float routed_scaling, cudaStream_t stream) {
  detail::require(tokens >= 1 && tokens < (1LL << 31) / 32,
                  "router_topk: tokens must be in [1, 2^26), got " + std::to_string(tokens));
  detail::require(detail::aligned16(logits) && detail::aligned16(bias) &&
                      detail::aligned16(topk_idx) && detail::aligned16(topk_w),
                  "router_topk: pointers must be 16-byte aligned");
  const std::int64_t threads = tokens * 32;
  detail::router_kernel<<<static_cast<unsigned>((threads + 255) / 256), 256, 0, stream>>>(
      logits, bias, topk_idx, topk_w, tokens, routed_scaling);
  detail::check_launch("router_topk");
}

std::int64_t permute_workspace_bytes(int experts) {
  return 2 * static_cast<std::int64_t>(experts) * static_cast<std::int64_t>(sizeof(int));
}

void permute_tokens(const void* x, const int* topk_idx, std::int64_t tokens, int topk, int experts,
                    std::int64_t row_bytes, void* out, int* expert_offset, int* src_token,
                    int* dest_row, void* workspace, cudaStream_t stream) {
  detail::require(
      tokens >= 1 && tokens * topk < (1LL << 31),
      "permute_tokens: tokens·topk must be in [1, 2^31), got tokens=" + std::to_string(tokens));
  detail::require(topk >= 1 && topk <= detail::kMaxTopK,
                  "permute_tokens: topk must be in [1, 16], got " + std::to_string(topk));
  detail::require(experts >= 1 && experts <= detail::kMaxExperts,
                  "permute_tokens: experts must be in [1, 1024], got " + std::to_string(experts));
  detail::require(row_bytes >= 16 && row_bytes % 16 == 0,
                  "permute_tokens: row_bytes must be a positive multiple of 16, got " +
                      std::to_string(row_bytes));
  detail::require(detail::aligned16(x) && detail::aligned16(out),
                  "permute_tokens: x, out must be 16-byte aligned");
  int* counts = static_cast<int*>(workspace);
  int* cursor = counts + experts;
  check_cuda(cudaMemsetAsync(counts, 0, sizeof(int) * static_cast<std::size_t>(experts), stream),
             "permute_tokens");
  detail::histogram_kernel<<<static_cast<unsigned>((tokens * topk + 1023) / 1024 < 264
                                                       ? (tokens * topk + 1023) / 1024
                                                       : 264),
                             256, 0, stream>>>(topk_idx, tokens * topk, experts, counts);
  detail::check_launch("permute_tokens (histogram)");
  detail::scan_kernel<<<1, detail::kMaxExperts, 0, stream>>>(counts, experts, expert_offset,
                                                             cursor);
  detail::check_launch("permute_tokens (scan)");
  detail::scatter_kernel<<<static_cast<unsigned>(tokens), detail::kPermuteThreads, 0, stream>>>(
      static_cast<const uint4*>(x), topk_idx, topk, static_cast<int>(row_bytes / 16),
      static_cast<uint4*>(out), cursor, src_token, dest_row);
  detail::check_launch("permute_tokens (scatter)");
}

void unpermute_tokens(const std::uint16_t* y, const int* dest_row, const float* topk_w,
                      std::int64_t tokens, int topk, int dim, std::uint16_t* out,
                      cudaStream_t stream) {
  detail::require(tokens >= 1 && tokens < (1LL << 31),
                  "unpermute_tokens: tokens must be in [1, 2^31), got " + std::to_string(tokens));
  detail::require(topk >= 1 && topk <= detail::kMaxTopK,
                  "unpermute_tokens: topk must be in [1, 16], got " + std::to_string(topk));
  detail::require(
      dim >= 8 && dim % 8 == 0,
      "unpermute_tokens: dim must be a positive multiple of 8, got " + std::to_string(dim));
  detail::require(detail::aligned16(y) && detail::aligned16(out),
                  "unpermute_tokens: y, out must be 16-byte aligned");
  detail::unpermute_kernel<<<static_cast<unsigned>(tokens), detail::kPermuteThreads, 0, stream>>>(
      reinterpret_cast<const uint4*>(y), dest_row, topk_w, topk, dim / 8,
      reinterpret_cast<uint4*>(out));
  detail::check_launch("unpermute_tokens");
}

}  // namespace trainsim::calibration::kernels
