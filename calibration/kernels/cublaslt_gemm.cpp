// cuBLASLt wrapper for the vendor column of the GEMM points. Row-major D[m][n] = A[m][k]·B[n][k]ᵀ
// is column-major Dᵀ[n][m] = B·Aᵀ, i.e. cuBLASLt's "TN" case (the one FP8 requires): its A is our
// B (k×n column-major, transposed), its B is our A (k×m column-major), its m, n = our n, m.
#include "calibration/kernels/cublaslt_gemm.hpp"

#include <cublasLt.h>

#include <string>

#include "calibration/kernels/kernels.hpp"
#include "core/error.hpp"

namespace trainsim::calibration::kernels {

namespace {

void check_lt(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) {
    throw Error(std::string("cuBLASLt: ") + what + " failed with status " +
                std::to_string(static_cast<int>(s)));
  }
}

cublasLtHandle_t as_handle(void* h) {
  return static_cast<cublasLtHandle_t>(h);
}

}  // namespace

struct CublasLtGemm::Plan {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t la = nullptr;
  cublasLtMatrixLayout_t lb = nullptr;
  cublasLtMatrixLayout_t ld = nullptr;
  cublasLtMatmulAlgo_t algo{};
  ~Plan() {
    if (la) cublasLtMatrixLayoutDestroy(la);
    if (lb) cublasLtMatrixLayoutDestroy(lb);
    if (ld) cublasLtMatrixLayoutDestroy(ld);
    if (op) cublasLtMatmulDescDestroy(op);
  }
};

CublasLtGemm::CublasLtGemm() {
  cublasLtHandle_t h = nullptr;
  check_lt(cublasLtCreate(&h), "cublasLtCreate");
  handle_ = h;
  workspace_bytes_ = std::size_t{32} << 20;
  check_cuda(cudaMalloc(&workspace_, workspace_bytes_), "cuBLASLt workspace");
}

CublasLtGemm::~CublasLtGemm() {
  plans_.clear();
  if (workspace_ != nullptr) cudaFree(workspace_);
  if (handle_ != nullptr) cublasLtDestroy(as_handle(handle_));
}

std::size_t CublasLtGemm::version() {
  return cublasLtGetVersion();
}

CublasLtGemm::Plan& CublasLtGemm::plan(bool fp8, std::int64_t m, std::int64_t n, std::int64_t k) {
  const auto key = std::make_tuple(fp8, m, n, k);
  auto it = plans_.find(key);
  if (it != plans_.end()) return *it->second;
  auto p = std::make_unique<Plan>();
  check_lt(cublasLtMatmulDescCreate(&p->op, CUBLAS_COMPUTE_32F, CUDA_R_32F), "MatmulDescCreate");
  const cublasOperation_t trans_a = CUBLAS_OP_T;
  const cublasOperation_t trans_b = CUBLAS_OP_N;
  check_lt(
      cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_TRANSA, &trans_a, sizeof(trans_a)),
      "set TRANSA");
  check_lt(
      cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_TRANSB, &trans_b, sizeof(trans_b)),
      "set TRANSB");
  const cudaDataType_t in_type = fp8 ? CUDA_R_8F_E4M3 : CUDA_R_16BF;
  const auto u64 = [](std::int64_t v) { return static_cast<std::uint64_t>(v); };
  check_lt(cublasLtMatrixLayoutCreate(&p->la, in_type, u64(k), u64(n), k), "layout A");
  check_lt(cublasLtMatrixLayoutCreate(&p->lb, in_type, u64(k), u64(m), k), "layout B");
  check_lt(cublasLtMatrixLayoutCreate(&p->ld, CUDA_R_16BF, u64(n), u64(m), n), "layout D");
  cublasLtMatmulPreference_t pref = nullptr;
  check_lt(cublasLtMatmulPreferenceCreate(&pref), "PreferenceCreate");
  check_lt(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                &workspace_bytes_, sizeof(workspace_bytes_)),
           "set max workspace");
  if (fp8) {  // scale pointers must be set before the heuristic query
    const float* dummy = nullptr;
    check_lt(cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &dummy,
                                            sizeof(dummy)),
             "set A scale");
    check_lt(cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &dummy,
                                            sizeof(dummy)),
             "set B scale");
  }
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  const cublasStatus_t hs = cublasLtMatmulAlgoGetHeuristic(as_handle(handle_), p->op, p->la, p->lb,
                                                           p->ld, p->ld, pref, 1, &result, &found);
  cublasLtMatmulPreferenceDestroy(pref);
  check_lt(hs, "AlgoGetHeuristic");
  if (found < 1) {
    throw Error("cuBLASLt: no algorithm for " + std::string(fp8 ? "fp8" : "bf16") +
                " m=" + std::to_string(m) + " n=" + std::to_string(n) + " k=" + std::to_string(k));
  }
  p->algo = result.algo;
  auto& ref = *p;
  plans_.emplace(key, std::move(p));
  return ref;
}

void CublasLtGemm::run(bool fp8, std::int64_t m, std::int64_t n, std::int64_t k, const void* a,
                       const void* b, std::uint16_t* d, const float* a_scale, const float* b_scale,
                       cudaStream_t stream) {
  Plan& p = plan(fp8, m, n, k);
  if (fp8) {  // cuBLASLt's A is our B and vice versa
    check_lt(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &b_scale,
                                            sizeof(b_scale)),
             "set A scale");
    check_lt(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &a_scale,
                                            sizeof(a_scale)),
             "set B scale");
  }
  const float alpha = 1.0f;
  const float beta = 0.0f;
  check_lt(cublasLtMatmul(as_handle(handle_), p.op, &alpha, b, p.la, a, p.lb, &beta, d, p.ld, d,
                          p.ld, &p.algo, workspace_, workspace_bytes_, stream),
           "Matmul");
}

}  // namespace trainsim::calibration::kernels
