#include "reports/escape.hpp"

#include <algorithm>
#include <cctype>

namespace trainsim::reports {
namespace {

/// A plain decimal number: optional sign, digits with an optional point, optional exponent,
/// optional percent sign.
bool is_plain_number(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  std::size_t digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    std::size_t exp = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp;
    if (exp == 0) return false;
  }
  if (i < s.size() && s[i] == '%') ++i;  // a signed percentage ("-20%") is a number too
  return i == s.size();
}

std::string newlines_as_spaces(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

}  // namespace

std::string csv_cell(std::string_view text) {
  std::string cell(text);
  const bool formula = !cell.empty() &&
                       (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@' ||
                        cell[0] == '\t' || cell[0] == '\r') &&
                       !is_plain_number(cell);
  if (formula) cell.insert(cell.begin(), '\'');
  if (!formula && cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string out = "\"";
  for (char c : cell) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string markdown_inline(std::string_view text, bool line_start) {
  std::string out;
  out.reserve(text.size());
  // A block marker at the very start: an ATX heading, list item, setext underline, or ordered list
  // item ("12." / "12)").
  std::size_t start = 0;
  if (!line_start) {
  } else if (!text.empty() &&
             (text[0] == '#' || text[0] == '-' || text[0] == '+' || text[0] == '=')) {
    out += '\\';
  } else {
    while (start < text.size() && std::isdigit(static_cast<unsigned char>(text[start]))) ++start;
    if (start > 0 && start < text.size() && (text[start] == '.' || text[start] == ')')) {
      out.append(text.substr(0, start));
      out += '\\';
    } else {
      start = 0;
    }
  }
  for (std::size_t i = start; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\r':
      case '\n':
        out += ' ';
        break;
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '!':
      case '~':
      case '|':
        out += '\\';
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string markdown_code(std::string_view text) {
  const std::string body = newlines_as_spaces(text);
  std::size_t longest = 0, run = 0;
  for (char c : body) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(longest + 1, '`');
  // A space on each side when the text starts or ends with a backtick (CommonMark §6.1 strips
  // one space from each side of a code span).
  const bool pad = !body.empty() && (body.front() == '`' || body.back() == '`');
  return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}

std::string json_for_script(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    switch (c) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace trainsim::reports
