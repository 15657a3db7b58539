#pragma once
// A list of trivially copyable values that keeps its first N in place and moves to the heap
// only past them: 8 + N·sizeof(T) bytes (the heap pointer shares the inline storage), so a
// resource's list of activities — one or two on almost every link — lives in the resource's own
// cache line instead of a separate allocation (sim/engine/engine.hpp, Engine::Resource).
// Order is insertion order; pop_back and assignment through operator[] are the only removals,
// as the engine's swap-with-last needs. Not thread-safe.
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <type_traits>

namespace trainsim::sim::engine {

template <typename T, std::uint32_t N>
class SmallList {
  static_assert(std::is_trivially_copyable_v<T>, "SmallList holds trivially copyable values");
  static_assert(N >= 1 && N * sizeof(T) >= sizeof(T*), "the inline storage must hold a pointer");

 public:
  SmallList() = default;
  SmallList(const SmallList& o) { assign(o); }
  SmallList(SmallList&& o) noexcept : size_(o.size_), cap_(o.cap_) {
    std::memcpy(store_, o.store_, sizeof(store_));  // the heap pointer moves with it
    o.size_ = 0;
    o.cap_ = N;
  }
  SmallList& operator=(const SmallList& o) {
    if (this != &o) {
      release();
      assign(o);
    }
    return *this;
  }
  SmallList& operator=(SmallList&& o) noexcept {
    if (this != &o) {
      release();
      size_ = o.size_;
      cap_ = o.cap_;
      std::memcpy(store_, o.store_, sizeof(store_));
      o.size_ = 0;
      o.cap_ = N;
    }
    return *this;
  }
  ~SmallList() { release(); }

  std::uint32_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  T& operator[](std::uint32_t i) { return data()[i]; }
  const T& operator[](std::uint32_t i) const { return data()[i]; }
  T& back() { return data()[size_ - 1]; }

  void push_back(const T& v) {
    if (size_ == cap_) grow();
    data()[size_++] = v;
  }
  void pop_back() { --size_; }  // the heap block is kept for the list's next growth

 private:
  bool on_heap() const { return cap_ > N; }
  T* inline_items() { return std::launder(reinterpret_cast<T*>(store_)); }
  const T* inline_items() const { return std::launder(reinterpret_cast<const T*>(store_)); }
  T* data() { return on_heap() ? heap() : inline_items(); }
  const T* data() const { return on_heap() ? heap() : inline_items(); }
  T* heap() const {
    T* p = nullptr;
    std::memcpy(&p, store_, sizeof(p));
    return p;
  }
  void set_heap(T* p) { std::memcpy(store_, &p, sizeof(p)); }

  void grow() {
    if (cap_ > std::numeric_limits<std::uint32_t>::max() / 2) throw std::bad_alloc();
    const std::uint32_t cap = cap_ * 2;
    T* p = static_cast<T*>(::operator new(sizeof(T) * cap));
    std::memcpy(p, data(), sizeof(T) * size_);
    release();
    set_heap(p);
    cap_ = cap;
  }
  void release() {
    if (on_heap()) ::operator delete(heap());
    cap_ = N;
  }
  void assign(const SmallList& o) {
    size_ = 0;
    cap_ = N;
    if (o.size_ > N) {
      T* p = static_cast<T*>(::operator new(sizeof(T) * o.cap_));
      set_heap(p);
      cap_ = o.cap_;
    }
    std::memcpy(data(), o.data(), sizeof(T) * o.size_);
    size_ = o.size_;
  }

  std::uint32_t size_ = 0;
  std::uint32_t cap_ = N;  ///< N while inline; the heap block's capacity once above N
  /// N values in place, or (once above N) the heap block's address in the first bytes. Raw
  /// bytes: T is trivially copyable, so the values (and the pointer) are created by memcpy or
  /// assignment into them (C++20 implicit object creation).
  alignas(T) alignas(T*) unsigned char store_[N * sizeof(T)] = {};
};

}  // namespace trainsim::sim::engine
