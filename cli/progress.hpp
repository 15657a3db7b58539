#pragma once
// A progress line on standard error for commands that simulate for more than about a second:
// "run deepseek-v3: 12 of 40 steps simulated, 6 s, about 14 s left". Only on a terminal (a file
// or a pipe gets nothing), redrawn in place at most four times a second, shown only once the
// work has run for kShowAfter, and erased when the work ends, so it never mixes with results.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>

namespace trainsim::cli {

class ProgressLine {
 public:
  static constexpr std::chrono::milliseconds kShowAfter{1000};
  /// kShowAfter, or the whole milliseconds in TRAINSIM_PROGRESS_AFTER_MS (0 to 3,600,000; "0"
  /// shows the line at once, as the tests do for commands that finish within a second); any
  /// other value keeps kShowAfter with a warning on standard error.
  static std::chrono::milliseconds show_after();
  static constexpr std::chrono::milliseconds kRedraw{250};

  /// `what` names the work ("run deepseek-v3"), `unit` what is counted ("steps simulated"; "" for
  /// work with no count: elapsed time only). Draws only when `enabled` (standard error is a
  /// terminal, see stderr_enabled).
  ProgressLine(std::string what, std::string unit, bool enabled);
  /// A line on standard error when it is a terminal, nothing otherwise.
  static bool stderr_enabled();
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  /// `done` of `total` finished (thread-safe; from any worker).
  void update(std::size_t done, std::size_t total);
  /// Stops drawing and erases the line (also done by the destructor).
  void finish();

  /// The text of the line for `done` of `total` after `elapsed_s` (no terminal codes): the ETA
  /// is the elapsed time per finished item times the items left.
  static std::string text(const std::string& what, const std::string& unit, std::size_t done,
                          std::size_t total, double elapsed_s);

 private:
  void loop();

  std::string what_, unit_;
  bool enabled_;
  std::atomic<std::size_t> done_{0}, total_{0};
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool drawn_ = false;
  std::thread thread_;
};

}  // namespace trainsim::cli
