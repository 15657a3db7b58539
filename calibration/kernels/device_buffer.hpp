#pragma once
// An owned cudaMalloc'd array of `count` T (freed on every exit path), with copies to and from
// the host; shared by the device harness and the sustained-GEMM run (host C++).
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "calibration/kernels/kernels.hpp"

namespace trainsim::calibration::kernels {

template <class T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::int64_t count) : count_(count) {
    if (count_ > 0) check_cuda(cudaMalloc(&ptr_, bytes()), "cudaMalloc");
  }
  ~DeviceBuffer() {
    if (ptr_ != nullptr) cudaFree(ptr_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return static_cast<T*>(ptr_); }
  std::int64_t count() const { return count_; }
  std::size_t bytes() const { return static_cast<std::size_t>(count_) * sizeof(T); }
  void poison() const { check_cuda(cudaMemset(ptr_, 0xFF, bytes()), "poison"); }
  std::vector<T> to_host() const {
    std::vector<T> h(static_cast<std::size_t>(count_));
    check_cuda(cudaMemcpy(h.data(), ptr_, bytes(), cudaMemcpyDeviceToHost), "copy to host");
    return h;
  }
  void from_host(const std::vector<T>& h) const {
    check_cuda(
        cudaMemcpy(ptr_, h.data(), std::min(bytes(), h.size() * sizeof(T)), cudaMemcpyHostToDevice),
        "copy to device");
  }
  /// Elements [offset, offset + n) to the host.
  std::vector<T> slice(std::int64_t offset, std::int64_t n) const {
    std::vector<T> h(static_cast<std::size_t>(n));
    check_cuda(cudaMemcpy(h.data(), get() + offset, static_cast<std::size_t>(n) * sizeof(T),
                          cudaMemcpyDeviceToHost),
               "copy slice");
    return h;
  }

 private:
  void* ptr_ = nullptr;
  std::int64_t count_ = 0;
};

}  // namespace trainsim::calibration::kernels
