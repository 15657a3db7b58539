#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"

namespace trainsim {

namespace detail {
void (*g_before_rename_hook)() = nullptr;
}  // namespace detail

namespace {

namespace fs = std::filesystem;

/// What `st` is, in words, for messages ("a directory", "a character device").
std::string describe_kind(const struct stat& st) {
  if (S_ISDIR(st.st_mode)) return "a directory";
  if (S_ISCHR(st.st_mode)) return "a character device";
  if (S_ISBLK(st.st_mode)) return "a block device";
  if (S_ISFIFO(st.st_mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(st.st_mode)) return "a socket";
  if (S_ISREG(st.st_mode)) return "a regular file";
  return "not a regular file";
}

/// Writes all of `contents` to `fd`; returns 0 or the errno of the failure.
int write_all(int fd, std::string_view contents) {
  const char* p = contents.data();
  std::size_t left = contents.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return 0;
}

// ---- temporaries removed on a terminating signal ------------------------------------------
// While temporaries exist, SIGINT/SIGTERM/SIGHUP whose disposition is the default (terminate)
// get a handler that unlinks them and re-raises the signal; a program's own handler (the sweep's)
// or SIG_IGN is left alone, since the write then completes and renames or removes them itself.

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
std::atomic<const std::vector<std::string>*> g_pending{nullptr};

extern "C" void remove_temporaries_and_reraise(int sig) {
  if (const auto* pending = g_pending.load()) {
    for (const auto& p : *pending) ::unlink(p.c_str());
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

/// Installs the cleanup handler for `temporaries` for its lifetime (one set at a time).
class TemporaryGuard {
 public:
  explicit TemporaryGuard(const std::vector<std::string>& temporaries) {
    g_pending.store(&temporaries);
    for (std::size_t i = 0; i < std::size(kSignals); ++i) {
      struct sigaction now {};
      installed_[i] = false;
      if (::sigaction(kSignals[i], nullptr, &now) != 0 || now.sa_handler != SIG_DFL) continue;
      struct sigaction ours {};
      ours.sa_handler = remove_temporaries_and_reraise;
      sigemptyset(&ours.sa_mask);
      installed_[i] = ::sigaction(kSignals[i], &ours, &previous_[i]) == 0;
    }
  }
  ~TemporaryGuard() {
    for (std::size_t i = 0; i < std::size(kSignals); ++i) {
      if (installed_[i]) ::sigaction(kSignals[i], &previous_[i], nullptr);
    }
    g_pending.store(nullptr);
  }
  TemporaryGuard(const TemporaryGuard&) = delete;
  TemporaryGuard& operator=(const TemporaryGuard&) = delete;

 private:
  bool installed_[std::size(kSignals)] = {};
  struct sigaction previous_[std::size(kSignals)] = {};
};

/// Writes standard output; throws IoError naming "standard output" and the reason.
void write_stdout(std::string_view contents) {
  std::fflush(stdout);
  const int err = write_all(STDOUT_FILENO, contents);
  if (err != 0) {
    throw IoError(fmt::format("-: cannot write to standard output: {}", std::strerror(err)));
  }
}

/// Writes a target that exists and is not a regular file (FIFO, device, terminal) directly.
void write_directly(const std::string& path, std::string_view contents) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw IoError(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  const int err = write_all(fd, contents);
  const int close_rc = ::close(fd);
  const int close_err = errno;
  if (err != 0 || close_rc != 0) {
    throw IoError(
        fmt::format("{}: write failed: {}", path, std::strerror(err != 0 ? err : close_err)));
  }
}

/// Whether `path` is written directly (stdout, or an existing target that is not a regular file).
bool written_directly(const std::string& path) {
  if (path == kStdoutPath) return true;
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode);
}

/// The directory that holds `target`'s temporary; throws IoError if it does not exist.
fs::path checked_directory(const std::string& path) {
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw IoError(
        fmt::format("{}: cannot write: directory '{}' does not exist", path, dir.string()));
  }
  return dir;
}

/// Writes one temporary; returns an empty string or the message of the failure.
std::string write_temporary(const std::string& path, const std::string& tmp,
                            std::string_view contents) {
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    return fmt::format("{}: cannot write (temporary file {}): {}", path, tmp, std::strerror(errno));
  }
  const int err = write_all(fd, contents);
  const int close_rc = ::close(fd);
  const int close_err = errno;
  if (err != 0 || close_rc != 0) {
    return fmt::format("{}: write failed: {}", path, std::strerror(err != 0 ? err : close_err));
  }
  return "";
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view contents) {
  write_files_atomically({{path, std::string(contents)}});
}

void write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files) {
  // Standard output and non-regular targets are written directly, after the set's regular files
  // are in place (they cannot be taken back).
  std::vector<std::size_t> regular, direct;
  std::vector<std::string> temporaries;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string& path = files[i].first;
    // A path given twice is written once, with the last contents (as writing in turn would).
    const auto later = [&](const auto& f) { return f.first == path; };
    if (std::any_of(files.begin() + static_cast<std::ptrdiff_t>(i) + 1, files.end(), later))
      continue;
    if (written_directly(path)) {
      direct.push_back(i);
      continue;
    }
    const fs::path dir = checked_directory(path);
    regular.push_back(i);
    temporaries.push_back(
        (dir / fmt::format(".{}.tmp-{}", fs::path(path).filename().string(), ::getpid())).string());
  }
  if (!regular.empty()) {
    const TemporaryGuard guard(temporaries);
    const auto remove_from = [&](std::size_t first) {
      for (std::size_t k = first; k < temporaries.size(); ++k) ::unlink(temporaries[k].c_str());
    };
    for (std::size_t k = 0; k < regular.size(); ++k) {
      const auto& [path, contents] = files[regular[k]];
      const std::string failure = write_temporary(path, temporaries[k], contents);
      if (!failure.empty()) {
        remove_from(0);
        throw IoError(failure);
      }
    }
    if (detail::g_before_rename_hook != nullptr) detail::g_before_rename_hook();
    for (std::size_t k = 0; k < regular.size(); ++k) {
      const std::string& path = files[regular[k]].first;
      if (std::rename(temporaries[k].c_str(), path.c_str()) != 0) {
        const std::string reason = std::strerror(errno);
        remove_from(k);
        throw IoError(fmt::format("{}: cannot replace file: {}", path, reason));
      }
    }
  }
  for (const std::size_t i : direct) {
    const auto& [path, contents] = files[i];
    if (path == kStdoutPath) {
      write_stdout(contents);
    } else {
      write_directly(path, contents);
    }
  }
}

namespace {

/// Reads `fd` (already checked: not a directory, a regular file within the limit) to its end,
/// at most `max_bytes`; closes it. `name` names it in errors.
std::string read_open_fd(int fd, const std::string& name, const struct stat& st,
                         std::size_t max_bytes, bool close_fd) {
  const auto done = [&] {
    if (close_fd) ::close(fd);
  };
  std::string out;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string reason = std::strerror(errno);
      done();
      throw IoError(fmt::format("{}: read failed: {}", name, reason));
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      done();
      throw IoError(fmt::format(
          "{}: it is {} and holds more than the limit of {} bytes (it was read only that far)",
          name, describe_kind(st), max_bytes));
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
  done();
  return out;
}

/// Checks an open descriptor before reading: a directory, or a regular file over the limit, is
/// an IoError naming `name`.
void check_readable(int fd, const std::string& name, struct stat& st, std::size_t max_bytes,
                    bool close_fd) {
  if (::fstat(fd, &st) != 0) {
    const std::string reason = std::strerror(errno);
    if (close_fd) ::close(fd);
    throw IoError(fmt::format("{}: cannot read: {}", name, reason));
  }
  if (S_ISDIR(st.st_mode)) {
    if (close_fd) ::close(fd);
    throw IoError(fmt::format("{}: cannot read: it is a directory, not a file", name));
  }
  if (S_ISREG(st.st_mode) && static_cast<unsigned long long>(st.st_size) > max_bytes) {
    if (close_fd) ::close(fd);
    throw IoError(fmt::format("{}: file is {} bytes; the limit is {} bytes", name,
                              static_cast<long long>(st.st_size), max_bytes));
  }
}

}  // namespace

std::string read_file(const std::string& path, std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw IoError(fmt::format("{}: cannot open file for reading: {}", path, std::strerror(errno)));
  }
  struct stat st {};
  check_readable(fd, path, st, max_bytes, true);
  return read_open_fd(fd, path, st, max_bytes, true);
}

std::string read_standard_input(std::size_t max_bytes) {
  struct stat st {};
  check_readable(STDIN_FILENO, std::string(kStdinName), st, max_bytes, false);
  return read_open_fd(STDIN_FILENO, std::string(kStdinName), st, max_bytes, false);
}

void ensure_writable_directory(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError(fmt::format("{}: cannot create directory: {}", dir, ec.message()));
  if (!fs::is_directory(dir, ec)) throw IoError(fmt::format("{}: not a directory", dir));
  if (::access(dir.c_str(), W_OK) != 0) {
    throw IoError(fmt::format("{}: directory is not writable: {}", dir, std::strerror(errno)));
  }
}

}  // namespace trainsim
