#include "core/atomic_file.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "core/error.hpp"

namespace trainsim {

void write_file_atomically(const std::string& path, std::string_view contents) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw IoError(
        fmt::format("{}: cannot write: directory '{}' does not exist", path, dir.string()));
  }
  const std::string tmp =
      (dir / fmt::format(".{}.tmp-{}", target.filename().string(), ::getpid())).string();
  {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr) {
      throw IoError(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
    }
    const std::size_t written = std::fwrite(contents.data(), 1, contents.size(), f);
    const bool flushed = std::fflush(f) == 0;
    const int close_rc = std::fclose(f);
    if (written != contents.size() || !flushed || close_rc != 0) {
      const std::string reason = std::strerror(errno);
      std::remove(tmp.c_str());
      throw IoError(fmt::format("{}: write failed: {}", path, reason));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(tmp.c_str());
    throw IoError(fmt::format("{}: cannot replace file: {}", path, reason));
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("{}: cannot open file for reading", path));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void ensure_writable_directory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError(fmt::format("{}: cannot create directory: {}", dir, ec.message()));
  if (!fs::is_directory(dir, ec)) throw IoError(fmt::format("{}: not a directory", dir));
  if (::access(dir.c_str(), W_OK) != 0) {
    throw IoError(fmt::format("{}: directory is not writable: {}", dir, std::strerror(errno)));
  }
}

}  // namespace trainsim
