#pragma once
// The one error hierarchy of trainsim. Libraries throw; only main() turns these into exit codes.
#include <stdexcept>
#include <string>

namespace trainsim {

/// Base of every error trainsim throws on purpose; what() is a complete, user-facing message.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// Bad input in a scenario, catalog, profile or --set override. Carries where it was found.
/// line and column are 1-based; 0 means "not from a file position" (e.g. a --set override).
class ConfigError : public Error {
 public:
  ConfigError(std::string file, int line, int column, std::string key_path, std::string message);

  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& key_path() const { return key_path_; }
  /// The message without the location prefix.
  const std::string& detail() const { return detail_; }

 private:
  std::string file_;
  int line_;
  int column_;
  std::string key_path_;
  std::string detail_;
};

/// A model, plan or hardware description that is well-formed but cannot be evaluated.
class ModelError : public Error {
 public:
  using Error::Error;
};

/// A file could not be read or written.
class IoError : public Error {
 public:
  using Error::Error;
};

/// A capability that is absent on this machine (e.g. no CUDA device for `calibrate`).
class UnavailableError : public Error {
 public:
  using Error::Error;
};

}  // namespace trainsim
