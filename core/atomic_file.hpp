#pragma once
// Whole-file writes that never leave a half-written file: write to a temporary file in the same
// directory, flush, then rename over the target (rename is atomic within one filesystem). Only a
// regular file (or a missing path) is replaced that way; a FIFO, a character device or a terminal
// (`/dev/stdout`, `/dev/null`, a pipe) is written directly, and "-" means standard output.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trainsim {

/// The path that means standard output in every output option (`--json -`, `--csv -`).
inline constexpr std::string_view kStdoutPath = "-";
/// The path that means standard input where a command reads a file (`trainsim run -`).
inline constexpr std::string_view kStdinPath = "-";
/// How standard input is named in messages ("<stdin>:3:7: ...").
inline constexpr std::string_view kStdinName = "<stdin>";

/// Writes `contents` to `path` atomically; throws IoError naming the path and the OS reason
/// (e.g. "No space left on device"). On failure, or on SIGINT/SIGTERM/SIGHUP during the write,
/// nothing is left behind (the temporary file is removed).
void write_file_atomically(const std::string& path, std::string_view contents);

/// Writes a set of files (path, contents) so that either all of them are in place or none of the
/// new ones is: every temporary is written first, and only then are they renamed into place. On
/// failure the temporaries are removed and IoError names the path and the reason.
void write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files);

/// Reads a whole file of at most `max_bytes` bytes; throws IoError if it cannot, if the path is a
/// directory (or another thing that is not a readable file), or if it holds more than `max_bytes`
/// (a device such as /dev/zero never ends: it is read only up to the limit).
std::string read_file(const std::string& path, std::size_t max_bytes = std::size_t{1} << 30);

/// Reads standard input to its end, at most `max_bytes` bytes (as read_file reads a file; errors
/// name it "<stdin>"). Standard input can be read once: callers that need it again keep the text.
std::string read_standard_input(std::size_t max_bytes = std::size_t{1} << 30);

/// Creates `dir` (and parents) if missing and checks it is writable; throws IoError otherwise.
void ensure_writable_directory(const std::string& dir);

namespace detail {
/// Test hook: called after every temporary file is written and before it is renamed (nullptr:
/// none). Lets a test deliver a signal inside the write window.
extern void (*g_before_rename_hook)();
}  // namespace detail

}  // namespace trainsim
