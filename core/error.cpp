#include "core/error.hpp"

#include <fmt/format.h>

namespace trainsim {
namespace {
std::string format_location(const std::string& file, int line, int column,
                            const std::string& key_path, const std::string& message) {
  std::string where = file.empty() ? std::string("<input>") : file;
  if (line > 0) where += fmt::format(":{}:{}", line, column);
  if (key_path.empty()) return fmt::format("{}: {}", where, message);
  return fmt::format("{}: {}: {}", where, key_path, message);
}
}  // namespace

ConfigError::ConfigError(std::string file, int line, int column, std::string key_path,
                         std::string message)
    : Error(format_location(file, line, column, key_path, message)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      key_path_(std::move(key_path)),
      detail_(std::move(message)) {}

}  // namespace trainsim
