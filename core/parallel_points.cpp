#include "core/parallel_points.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <new>
#include <stdexcept>
#include <thread>

namespace trainsim {

bool PointsRun::complete() const {
  return std::all_of(done.begin(), done.end(), [](bool d) { return d; });
}

namespace {

/// The failure of the exception being handled. Builds no string on the out-of-memory path beyond
/// one that fits the small-string buffer, so it does not allocate while memory is short.
PointFailure current_failure() {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return {PointFailure::Kind::OutOfMemory, "out of memory"};
  } catch (const std::length_error&) {
    // A container asked for more elements than it can hold: the same limit, reached by size.
    return {PointFailure::Kind::OutOfMemory, "out of memory"};
  } catch (const std::exception& e) {
    try {
      return {PointFailure::Kind::Internal, e.what()};
    } catch (...) {
      return {PointFailure::Kind::OutOfMemory, "out of memory"};
    }
  } catch (...) {
    return {PointFailure::Kind::Internal, "unknown exception"};
  }
}

}  // namespace

PointsRun run_points(std::size_t count, int workers, const std::function<void(std::size_t)>& body,
                     const std::function<bool()>& stop,
                     const std::function<void(std::size_t)>& on_done) {
  PointsRun run;
  run.done.assign(count, false);
  run.failures.assign(count, std::nullopt);
  // std::vector<bool> packs bits: each point's flag is written by one thread only, but neighbours
  // share a word, so the workers write flags of their own into `finished` and copy at the end.
  std::vector<unsigned char> finished(count, 0);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (;;) {
      bool stopping = false;
      try {
        stopping = stop && stop();
      } catch (...) {
        stopping = true;
      }
      if (stopping) return;
      const std::size_t i = next++;
      if (i >= count) return;
      try {
        body(i);
      } catch (...) {
        run.failures[i] = current_failure();
      }
      finished[i] = 1;
      if (on_done) {
        try {
          on_done(i);
        } catch (...) {  // progress output only: a failure there loses no result
        }
      }
    }
  };
  const int n = static_cast<int>(
      std::max<std::size_t>(1, std::min<std::size_t>(static_cast<std::size_t>(std::max(workers, 1)),
                                                     std::max<std::size_t>(count, 1))));
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(n));
  try {
    for (int w = 0; w < n; ++w) pool.emplace_back(work);
  } catch (...) {
    // No thread could be started (system limits): the threads that did start take every point;
    // with none at all, the points run here.
    if (pool.empty()) work();
  }
  for (auto& t : pool) t.join();
  for (std::size_t i = 0; i < count; ++i) run.done[i] = finished[i] != 0;
  return run;
}

}  // namespace trainsim
