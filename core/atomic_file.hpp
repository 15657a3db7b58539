#pragma once
// Whole-file writes that never leave a half-written file: write to a temporary file in the same
// directory, flush, then rename over the target (rename is atomic within one filesystem).
#include <string>
#include <string_view>

namespace trainsim {

/// Writes `contents` to `path` atomically; throws IoError naming the path and the OS reason.
/// On failure nothing is left behind (the temporary file is removed).
void write_file_atomically(const std::string& path, std::string_view contents);

/// Reads a whole file; throws IoError if it cannot.
std::string read_file(const std::string& path);

/// Creates `dir` (and parents) if missing and checks it is writable; throws IoError otherwise.
void ensure_writable_directory(const std::string& dir);

}  // namespace trainsim
