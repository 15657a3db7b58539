#pragma once
// Host-callable launchers of the calibration kernels (the ops that dominate a DeepSeek-V3 step).
// Every pointer is a device pointer; every launcher is asynchronous on `stream`, checks its
// arguments (throwing trainsim::Error with the bad value and what is valid) and checks the launch.
// Element types cross this header as raw bits (bf16 = uint16_t, fp8 e4m3 = uint8_t) so that host
// code compiled by the C++ compiler needs no CUDA math headers.
//
// Layout conventions (all row-major, innermost index contiguous):
//   GEMM       D[m][n] = sum_k A[m][k] · B[n][k]   ("TN", weights stored [N][K] as in DeepGEMM)
//   attention  Q[b][s][h][dqk], K[b][s][h][dqk], V[b][s][h][dv], O[b][s][h][dv], LSE[b][h][s]
#include <cuda_runtime_api.h>

#include <cstdint>

namespace trainsim::calibration::kernels {

/// Throws trainsim::Error naming `what` and the CUDA error string when `status` is not success.
void check_cuda(cudaError_t status, const char* what);

// ---------------------------------------------------------------------------------------------
// GEMM (mma.sync tensor cores, 128×128×128-byte block tiles, 3-stage cp.async pipeline)

/// One dense or grouped (MoE, contiguous layout) GEMM D = A·Bᵀ with BF16 output.
/// Grouped: A holds the groups' rows back to back, each group padded to a multiple of 128 rows;
/// B holds `groups` matrices [n][k]; m_tile_group[i] is the group of A rows [128i, 128i+128), or
/// -1 for a padding tile (skipped, its D rows left untouched). Dense: m_tile_group = nullptr.
struct GemmProblem {
  std::int64_t m = 0;  ///< rows of A and D (all groups together); any value >= 1
  std::int64_t n = 0;  ///< columns of D, rows of each B; multiple of 8
  std::int64_t k = 0;  ///< multiple of 128
  std::int64_t groups = 1;
  const void* a = nullptr;     ///< [m][k] fp8 e4m3 or bf16
  const void* b = nullptr;     ///< [groups][n][k] fp8 e4m3 or bf16
  std::uint16_t* d = nullptr;  ///< [m][n] bf16
  /// FP8 only: activation scales [m][k/128] (1×128 tiles), float, dequantized = q · scale.
  const float* a_scale = nullptr;
  /// FP8 only: weight scales [groups][ceil(n/128)][k/128] (128×128 blocks), float.
  const float* b_scale = nullptr;
  const int* m_tile_group = nullptr;  ///< [ceil(m/128)] or nullptr for dense
};

/// FP8 e4m3 GEMM with DeepSeek-V3's fine-grained scaling: the tensor cores accumulate each
/// 128-wide K block in FP32 registers, which are then scaled and promoted into a separate FP32
/// accumulator (N_C = 128, DeepSeek-V3 report §3.3.2). mma.sync m16n8k32 (sm_89+).
void gemm_fp8_blockscaled(const GemmProblem& p, cudaStream_t stream);

/// BF16 GEMM with FP32 accumulation on the same tiling. mma.sync m16n8k16. Scales are ignored.
void gemm_bf16(const GemmProblem& p, cudaStream_t stream);

// ---------------------------------------------------------------------------------------------
// MLA attention (multi-head after up-projection: qk 192 = 128 nope + 64 rope, v 128)

struct AttentionProblem {
  int batch = 1;
  int heads = 128;
  int seq = 4096;  ///< seq_q == seq_kv (self-attention); multiple of 64
  bool causal = true;
  float softmax_scale = 0;           ///< 0 means 1/sqrt(192)
  const std::uint16_t* q = nullptr;  ///< [b][s][h][192] bf16
  const std::uint16_t* k = nullptr;  ///< [b][s][h][192] bf16
  const std::uint16_t* v = nullptr;  ///< [b][s][h][128] bf16
  std::uint16_t* o = nullptr;        ///< [b][s][h][128] bf16 (forward output, backward input)
  float* lse = nullptr;              ///< [b][h][s] natural-log sum of exp of scaled scores
  // backward only
  const std::uint16_t* d_o = nullptr;  ///< [b][s][h][128] bf16
  std::uint16_t* d_q = nullptr;        ///< [b][s][h][192] bf16
  std::uint16_t* d_k = nullptr;        ///< [b][s][h][192] bf16
  std::uint16_t* d_v = nullptr;        ///< [b][s][h][128] bf16
  float* workspace = nullptr;          ///< backward: attention_bwd_workspace_bytes() of scratch
};

inline constexpr int kMlaHeadDimQk = 192;
inline constexpr int kMlaHeadDimV = 128;

/// Flash-style forward (online softmax, 64-query × 64-key tiles, mma.sync bf16, FP32 softmax).
void attention_fwd(const AttentionProblem& p, cudaStream_t stream);
/// Bytes of float scratch the backward needs (dQ accumulator and the rowsum(dO·O) vector).
std::int64_t attention_bwd_workspace_bytes(const AttentionProblem& p);
/// Flash-style backward from O and LSE of the forward: dQ, dK, dV (FlashAttention-2 algorithm,
/// one key block per CTA, dQ accumulated with FP32 atomics then converted).
void attention_bwd(const AttentionProblem& p, cudaStream_t stream);

// ---------------------------------------------------------------------------------------------
// Memory-bound ops

/// y = x / sqrt(mean(x²) + eps) · w per row; x, y [rows][dim] bf16, w [dim] bf16; dim % 8 == 0.
void rmsnorm(const std::uint16_t* x, const std::uint16_t* w, std::uint16_t* y, std::int64_t rows,
             int dim, float eps, cudaStream_t stream);

/// y[t][i] = silu(gu[t][i]) · gu[t][inter + i]; gu [rows][2·inter] bf16, y [rows][inter] bf16.
void swiglu(const std::uint16_t* gate_up, std::uint16_t* y, std::int64_t rows, int inter,
            cudaStream_t stream);

/// FP8 e4m3 quantization in 1×128 tiles: scale = max(amax, 1e-4) / 448, q = x / scale (RNE,
/// saturating); x [rows][dim] bf16, q [rows][dim], scale [rows][dim/128]; dim % 128 == 0.
void quantize_fp8_1x128(const std::uint16_t* x, std::uint8_t* q, float* scale, std::int64_t rows,
                        int dim, cudaStream_t stream);

/// Plain device copy with 16-byte accesses (bandwidth ceiling); bytes % 16 == 0, 16-B aligned.
void copy_bytes(const void* src, void* dst, std::int64_t bytes, cudaStream_t stream);

// ---------------------------------------------------------------------------------------------
// MoE routing (DeepSeek-V3 §2.1.2: sigmoid scores, bias only for selection, node/group-limited)

inline constexpr int kRouterExperts = 256;
inline constexpr int kRouterGroups = 8;
inline constexpr int kRouterTopGroups = 4;
inline constexpr int kRouterTopK = 8;

/// Per token: s = sigmoid(logit); selection score s + bias; group score = sum of the 2 best
/// selection scores of its 32 experts; keep the 4 best groups; top-8 experts by selection score
/// in them (ties to the lower index); weight = s / sum(s of the 8) · scaling.
/// logits [tokens][256] float, bias [256] float, idx [tokens][8] int32, w [tokens][8] float.
void router_topk(const float* logits, const float* bias, int* topk_idx, float* topk_w,
                 std::int64_t tokens, float routed_scaling, cudaStream_t stream);

/// Scratch of permute: per-expert counts and cursors; size permute_workspace_bytes().
std::int64_t permute_workspace_bytes(int experts);

/// Token permute for dispatch: copies each token row once per chosen expert so that rows of one
/// expert are contiguous, experts in index order (order inside an expert is unspecified).
/// x [tokens][row_bytes], out [tokens·topk][row_bytes]; expert_offset [experts+1] (exclusive scan
/// of counts); src_token [tokens·topk] the token of each out row; dest_row [tokens][topk] where
/// token t's j-th copy went. row_bytes % 16 == 0.
void permute_tokens(const void* x, const int* topk_idx, std::int64_t tokens, int topk, int experts,
                    std::int64_t row_bytes, void* out, int* expert_offset, int* src_token,
                    int* dest_row, void* workspace, cudaStream_t stream);

/// Token unpermute after the experts (combine): out[t] = sum_j w[t][j] · y[dest_row[t][j]],
/// FP32 sum, bf16 rows of `dim` (dim % 8 == 0).
void unpermute_tokens(const std::uint16_t* y, const int* dest_row, const float* topk_w,
                      std::int64_t tokens, int topk, int dim, std::uint16_t* out,
                      cudaStream_t stream);

// ---------------------------------------------------------------------------------------------
// Test-data helpers

/// Fills n bf16 values with a deterministic hash of (seed, index), uniform in [lo, hi).
void fill_uniform_bf16(std::uint16_t* p, std::int64_t n, std::uint64_t seed, float lo, float hi,
                       cudaStream_t stream);
/// Fills n floats likewise.
void fill_uniform_f32(float* p, std::int64_t n, std::uint64_t seed, float lo, float hi,
                      cudaStream_t stream);
/// Fills n fp8 e4m3 values with random finite codes of magnitude in [2^-6, 448] and random sign.
void fill_random_fp8(std::uint8_t* p, std::int64_t n, std::uint64_t seed, cudaStream_t stream);
/// Counts the non-finite bf16 values (NaN or Inf) of p into *count (device int, overwritten).
void count_nonfinite_bf16(const std::uint16_t* p, std::int64_t n, int* count, cudaStream_t stream);

}  // namespace trainsim::calibration::kernels
