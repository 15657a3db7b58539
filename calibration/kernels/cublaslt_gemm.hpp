#pragma once
// cuBLASLt reference figure for the GEMM points: the same D[m][n] = A[m][k]·B[n][k] ("TN")
// in BF16, or in FP8 e4m3 with one scale per tensor (cuBLASLt's FP8 scaling on sm_90; it has
// no 1×128 / 128×128 block scaling there), BF16 output, FP32 compute.
#include <cuda_runtime_api.h>

#include <cstdint>
#include <map>
#include <memory>
#include <tuple>

namespace trainsim::calibration::kernels {

class CublasLtGemm {
 public:
  /// Creates the handle and a 32 MiB workspace on the current device.
  CublasLtGemm();
  ~CublasLtGemm();
  CublasLtGemm(const CublasLtGemm&) = delete;
  CublasLtGemm& operator=(const CublasLtGemm&) = delete;

  /// d [m][n] bf16 = a [m][k] · b [n][k]ᵀ; fp8: a, b e4m3 with device float scales a_scale,
  /// b_scale (one each); bf16: scales ignored. The algorithm is cuBLASLt's first heuristic pick,
  /// cached per shape. Throws trainsim::Error when cuBLASLt has no algorithm for the shape.
  void run(bool fp8, std::int64_t m, std::int64_t n, std::int64_t k, const void* a, const void* b,
           std::uint16_t* d, const float* a_scale, const float* b_scale, cudaStream_t stream);

  /// Library version, e.g. 130001 for 13.0.1.
  static std::size_t version();

 private:
  struct Plan;
  Plan& plan(bool fp8, std::int64_t m, std::int64_t n, std::int64_t k);

  void* handle_ = nullptr;  // cublasLtHandle_t
  void* workspace_ = nullptr;
  std::size_t workspace_bytes_ = 0;
  std::map<std::tuple<bool, std::int64_t, std::int64_t, std::int64_t>, std::unique_ptr<Plan>>
      plans_;
};

}  // namespace trainsim::calibration::kernels
