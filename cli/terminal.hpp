#pragma once
// What the program knows of the terminal it writes to: whether a stream is one, and how wide the
// text tables may be.
#include <cstddef>
#include <optional>

namespace trainsim::cli {

/// Whether file descriptor `fd` (1 standard output, 2 standard error) is a terminal.
bool is_terminal(int fd);

/// Columns the text tables are fitted to (reports::TextTable::set_default_width), 0 = full
/// width. With --wide: 0. Else COLUMNS when it is set to a positive integer (so
/// `COLUMNS=100 trainsim claims | less` wraps too); else, when standard output is a terminal,
/// its width (ioctl TIOCGWINSZ), or 80 columns when the terminal does not say; else 0: output to
/// a file or a pipe keeps every row on one line, for programs and grep.
std::size_t table_width(bool wide);

/// COLUMNS as a positive integer (at most 100,000), or nothing when unset or not one.
std::optional<std::size_t> columns_from_environment();

}  // namespace trainsim::cli
