#include "core/text.hpp"

#include <fmt/format.h>

namespace trainsim::text {

std::size_t first_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    // Well-formed sequences (Unicode 15, Table 3-7): the lead byte fixes the length and the range
    // of the second byte (which excludes overlong forms, surrogates and code points > U+10FFFF).
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    if (i + len > n) return i;
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

std::size_t first_control(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) return i;
  }
  return std::string_view::npos;
}

std::string describe_bad_byte(std::string_view s, std::size_t offset) {
  if (offset >= s.size()) return "an unexpected end of text";
  const auto c = static_cast<unsigned char>(s[offset]);
  if (c == 0) return "a NUL byte (0x00)";
  if (c < 0x20 || c == 0x7F) return fmt::format("control character 0x{:02X}", c);
  return fmt::format("byte 0x{:02X}, which is not valid UTF-8", c);
}

std::string excerpt(std::string_view s, std::size_t max_chars) {
  std::string out;
  std::size_t i = 0, chars = 0;
  while (i < s.size() && chars < max_chars) {
    const auto c = static_cast<unsigned char>(s[i]);
    ++chars;
    if (c >= 0x20 && c < 0x7F) {
      if (c == '\\') out += '\\';
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    // A well-formed multi-byte character other than a C1 control (U+0080..U+009F) is kept whole.
    const std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    const bool c1 = c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xA0;
    if (len > 0 && !c1 && i + len <= s.size() &&
        first_invalid_utf8(s.substr(i, len)) == std::string_view::npos) {
      out.append(s.substr(i, len));
      i += len;
      continue;
    }
    out += fmt::format("\\x{:02X}", c);
    ++i;
  }
  if (i < s.size()) out += "...";
  return out;
}

}  // namespace trainsim::text
