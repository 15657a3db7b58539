#pragma once
// Runs independent points (the whole runs of a sweep) on a pool of threads so that nothing one
// point throws can end the others: every exception is caught for its own point. A std::bad_alloc
// in one worker must not terminate the process (std::terminate, SIGABRT) and lose every finished
// point; it is that point's "out of memory" and the other points run on.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace trainsim {

/// Why a point's body ended by an exception it did not handle itself.
struct PointFailure {
  enum class Kind {
    OutOfMemory,  ///< std::bad_alloc (or std::length_error from a size past what can be held)
    Internal,     ///< any other exception: a bug, message from what()
  };
  Kind kind = Kind::Internal;
  std::string message;  ///< "out of memory", or the exception's what()
};

/// What became of every point: done[i] when point i finished (normally or by an exception);
/// failures[i] set when it ended by an exception.
struct PointsRun {
  std::vector<bool> done;
  std::vector<std::optional<PointFailure>> failures;
  bool complete() const;  ///< every point done
};

/// Calls body(i) for every i in [0, count) on up to `workers` threads (at least one), taking the
/// points in index order. Before each new point `stop()` is asked (from a worker thread); once it
/// returns true no point starts and those in flight finish. After each point `on_done(i)` is
/// called (from the worker; it must be thread-safe); an exception from it is ignored. Nothing that
/// body throws leaves this function.
PointsRun run_points(std::size_t count, int workers, const std::function<void(std::size_t)>& body,
                     const std::function<bool()>& stop = {},
                     const std::function<void(std::size_t)>& on_done = {});

}  // namespace trainsim
