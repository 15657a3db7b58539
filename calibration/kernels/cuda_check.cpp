// check_cuda: CUDA status codes to trainsim::Error.
#include <string>

#include "calibration/kernels/kernels.hpp"
#include "core/error.hpp"

namespace trainsim::calibration::kernels {

void check_cuda(cudaError_t status, const char* what) {
  if (status == cudaSuccess) return;
  throw Error(std::string(what) + ": CUDA error " + cudaGetErrorName(status) + " (" +
              cudaGetErrorString(status) + ")");
}

}  // namespace trainsim::calibration::kernels
