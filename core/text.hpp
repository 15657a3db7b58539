#pragma once
// Checks and escapes for text that came from a user's file: UTF-8 validity (JSON and every report
// format need it), the control characters YAML 1.2 §5.1 does not allow, and a short, escaped
// excerpt for quoting such text in an error message without echoing a whole foreign file.
#include <cstddef>
#include <string>
#include <string_view>

namespace trainsim::text {

/// Offset of the first byte that does not start or continue a well-formed UTF-8 sequence
/// (Unicode 15 §3.9, Table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF), or
/// npos when all of `s` is valid UTF-8.
std::size_t first_invalid_utf8(std::string_view s);

/// Offset of the first C0 control character other than tab, line feed and carriage return, or of
/// DEL (0x7F) — characters YAML 1.2 §5.1 excludes from a document — or npos if there is none.
std::size_t first_control(std::string_view s);

/// What is wrong at `offset` of `s` (as returned by the two functions above), e.g.
/// "byte 0xFF is not valid UTF-8" or "control character 0x1B (ESC)".
std::string describe_bad_byte(std::string_view s, std::size_t offset);

/// `s` for quoting in a message: printable characters kept (a backslash doubled), every control
/// character and invalid byte as \xNN, at most
/// `max_chars` characters of the input, then "..." when it was longer.
std::string excerpt(std::string_view s, std::size_t max_chars = 40);

}  // namespace trainsim::text
