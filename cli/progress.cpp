#include "cli/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "cli/terminal.hpp"

namespace trainsim::cli {
namespace {

std::string duration_text(double s) {
  if (s < 1) return "under 1 s";
  if (s < 90) return fmt::format("{:.0f} s", s);
  if (s < 5400) return fmt::format("{:.0f} min", s / 60);
  return fmt::format("{:.1f} h", s / 3600);
}

}  // namespace

bool ProgressLine::stderr_enabled() {
  return is_terminal(STDERR_FILENO);
}

ProgressLine::ProgressLine(std::string what, std::string unit, bool enabled)
    : what_(std::move(what)),
      unit_(std::move(unit)),
      enabled_(enabled),
      start_(std::chrono::steady_clock::now()) {
  if (enabled_) thread_ = std::thread([this] { loop(); });
}

ProgressLine::~ProgressLine() {
  finish();
}

void ProgressLine::update(std::size_t done, std::size_t total) {
  total_.store(total);
  done_.store(done);
}

std::string ProgressLine::text(const std::string& what, const std::string& unit, std::size_t done,
                               std::size_t total, double elapsed_s) {
  if (unit.empty() || total == 0) return fmt::format("{}: {}", what, duration_text(elapsed_s));
  std::string out =
      fmt::format("{}: {} of {} {}, {}", what, done, total, unit, duration_text(elapsed_s));
  if (done > 0 && done < total) {
    const double left = elapsed_s / static_cast<double>(done) * static_cast<double>(total - done);
    out += fmt::format(", about {} left", duration_text(left));
  }
  return out;
}

std::chrono::milliseconds ProgressLine::show_after() {
  const char* env = std::getenv("TRAINSIM_PROGRESS_AFTER_MS");
  if (env == nullptr || *env == '\0') return kShowAfter;
  char* end = nullptr;
  const long long ms = std::strtoll(env, &end, 10);
  // Anything but a whole number of milliseconds in range keeps the default, said on standard
  // error: the variable only moves when a line appears, never what a command computes.
  if (*end != '\0' || ms < 0 || ms > 3'600'000) {
    std::fprintf(stderr,
                 "warning: TRAINSIM_PROGRESS_AFTER_MS='%s' is not a whole number of milliseconds "
                 "from 0 to 3600000; the progress line appears after %lld ms\n",
                 env, static_cast<long long>(kShowAfter.count()));
    return kShowAfter;
  }
  return std::chrono::milliseconds(ms);
}

void ProgressLine::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (wake_.wait_for(lock, show_after(), [&] { return stop_; })) return;
  while (!stop_) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::string line = text(what_, unit_, done_.load(), total_.load(), elapsed);
    // \r and "erase to the end of the line": the line is redrawn in place.
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
    drawn_ = true;
    wake_.wait_for(lock, kRedraw, [&] { return stop_; });
  }
}

void ProgressLine::finish() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (drawn_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }
}

}  // namespace trainsim::cli
