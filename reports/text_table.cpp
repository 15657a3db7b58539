#include "reports/text_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace trainsim::reports {
namespace {

/// Display width in terminal columns: counts UTF-8 code points, not bytes.
std::size_t display_width(const std::string& s) {
  std::size_t w = 0;
  for (char ch : s) {
    if ((static_cast<unsigned char>(ch) & 0xC0u) != 0x80u) ++w;
  }
  return w;
}

std::string pad(const std::string& s, std::size_t width, Align a) {
  const std::size_t w = display_width(s);
  if (w >= width) return s;
  const std::string fill(width - w, ' ');
  return a == Align::Left ? s + fill : fill + s;
}

std::string escape_markdown(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out;
}

}  // namespace

TextTable::TextTable(std::vector<std::string> headers, std::vector<Align> align)
    : headers_(std::move(headers)), align_(std::move(align)) {
  align_.resize(headers_.size(), Align::Right);
  if (!align_.empty() && align_.size() == headers_.size() && headers_.size() > 0 &&
      std::all_of(align_.begin(), align_.end(), [](Align a) { return a == Align::Right; })) {
    align_[0] = Align::Left;  // the first column names the row
  }
}

void TextTable::add_row(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

void TextTable::add_rule() {
  rows_.emplace_back();
}

std::string TextTable::render() const {
  std::vector<std::size_t> width(headers_.size(), 0);
  for (std::size_t c = 0; c < headers_.size(); ++c) width[c] = display_width(headers_[c]);
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size(); ++c)
      width[c] = std::max(width[c], display_width(row[c]));
  }
  std::size_t total = 0;
  for (std::size_t w : width) total += w;
  total += width.empty() ? 0 : 2 * (width.size() - 1);
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c) out += "  ";
      out += pad(cells[c], width[c], align_[c]);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(headers_);
  out += std::string(total, '-') + "\n";
  for (const auto& row : rows_) {
    out += row.empty() ? std::string(total, '-') + "\n" : line(row);
  }
  return out;
}

std::string TextTable::render_markdown() const {
  std::string out = "|";
  for (const auto& h : headers_) out += " " + escape_markdown(h) + " |";
  out += "\n|";
  for (Align a : align_) out += a == Align::Right ? "---:|" : "---|";
  out += "\n";
  for (const auto& row : rows_) {
    if (row.empty()) continue;
    out += "|";
    for (const auto& cell : row) out += " " + escape_markdown(cell) + " |";
    out += "\n";
  }
  return out;
}

std::string with_commas(double value, int decimals) {
  if (!std::isfinite(value)) return "n/a";
  std::string digits = fmt::format("{:.{}f}", std::fabs(value), decimals);
  const std::size_t dot = digits.find('.');
  std::string integer = digits.substr(0, dot);
  const std::string fraction = dot == std::string::npos ? "" : digits.substr(dot);
  std::string grouped;
  for (std::size_t i = 0; i < integer.size(); ++i) {
    if (i && (integer.size() - i) % 3 == 0) grouped += ',';
    grouped += integer[i];
  }
  return (value < 0 ? "-" : "") + grouped + fraction;
}

}  // namespace trainsim::reports
