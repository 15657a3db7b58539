#pragma once
// Device-side building blocks shared by the kernels: cp.async, ldmatrix, mma.sync wrappers, the
// shared-memory swizzle and launch checking. Fragment layouts follow the PTX ISA, "Matrix
// Fragments for mma.m16n8k16" (bf16) and "mma.m16n8k32" (e4m3): with g = lane/4, t = lane%4,
//   A regs a0..a3: (row g, k-bytes 4t..4t+3), (row g+8, same), (row g, +16 bytes), (row g+8, +16)
//   B regs b0, b1: (col g, k-bytes 4t..4t+3), (col g, +16 bytes)
//   C regs c0..c3: (row g, col 2t), (row g, col 2t+1), (row g+8, col 2t), (row g+8, col 2t+1)
// i.e. both dtypes have the same byte layout per 32 bytes of K, which ldmatrix (8×16-byte rows
// per matrix) produces directly from K-contiguous shared memory.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "calibration/kernels/kernels.hpp"

namespace trainsim::calibration::kernels::detail {

/// Throws when the last launch failed (configuration errors surface here, not at the next sync).
inline void check_launch(const char* kernel) {
  check_cuda(cudaGetLastError(), kernel);
}

/// Byte offset of 16-byte chunk `chunk` of row `row` in a tile whose rows are `row_bytes` long:
/// the chunk index is XOR-ed with row % 8 (within its group of 8 chunks) so that the 8 rows an
/// ldmatrix phase reads, or a cp.async warp writes, fall into distinct banks.
__device__ __forceinline__ std::uint32_t swz(int row, int chunk, int row_bytes) {
  return static_cast<std::uint32_t>(row * row_bytes + ((chunk ^ (row & 7)) << 4));
}

__device__ __forceinline__ std::uint32_t smem_addr(const void* p) {
  return static_cast<std::uint32_t>(__cvta_generic_to_shared(p));
}

/// 16-byte global→shared copy; when `valid` is false the destination is zero-filled and the
/// source is not read.
__device__ __forceinline__ void cp_async_16(std::uint32_t dst, const void* src, bool valid) {
  const int src_bytes = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src),
               "r"(src_bytes)
               : "memory");
}
__device__ __forceinline__ void cp_async_commit() {
  asm volatile("cp.async.commit_group;\n" ::: "memory");
}
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

__device__ __forceinline__ void ldmatrix_x4(std::uint32_t (&r)[4], std::uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}
__device__ __forceinline__ void ldmatrix_x4_trans(std::uint32_t (&r)[4], std::uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

/// C(16×8, f32) += A(16×16, bf16) · B(16×8, bf16).
__device__ __forceinline__ void mma_bf16(float (&c)[4], const std::uint32_t (&a)[4],
                                         std::uint32_t b0, std::uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
      "{%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/// C(16×8, f32) += A(16×32, e4m3) · B(32×8, e4m3). Needs sm_89 or newer.
__device__ __forceinline__ void mma_e4m3(float (&c)[4], const std::uint32_t (&a)[4],
                                         std::uint32_t b0, std::uint32_t b1) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
  asm volatile(
      "mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
      "{%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#else
  (void)c;
  (void)a;
  (void)b0;
  (void)b1;
  __trap();
#endif
}

/// Packs two floats into a bf16x2 register (lo in the low half), round to nearest even.
__device__ __forceinline__ std::uint32_t pack_bf16x2(float lo, float hi) {
  const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const std::uint32_t*>(&v);
}

__device__ __forceinline__ float bf16_bits_to_float(std::uint16_t bits) {
  return __uint_as_float(static_cast<std::uint32_t>(bits) << 16);
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

}  // namespace trainsim::calibration::kernels::detail
