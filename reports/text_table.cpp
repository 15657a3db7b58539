#include "reports/text_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>

#include "reports/escape.hpp"

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
  return markdown_inline(s);  // '|' escaped, and no link, HTML or emphasis from a cell
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

namespace {

std::atomic<std::size_t> g_default_width{0};

/// Bytes of the first `columns` code points of `s` (UTF-8).
std::size_t prefix_bytes(const std::string& s, std::size_t columns) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0u) != 0x80u) {
      if (seen == columns) return i;
      ++seen;
    }
  }
  return s.size();
}

/// Greedy word wrap into lines of at most `width` columns; a longer word is split.
std::vector<std::string> wrap(const std::string& text, std::size_t width) {
  std::vector<std::string> lines;
  std::string line;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    std::string word = text.substr(start, end - start);
    start = end + 1;
    if (word.empty() && end == text.size()) break;
    if (word.empty()) continue;
    while (display_width(word) > width) {  // a word wider than the column: split it
      if (!line.empty()) {
        lines.push_back(line);
        line.clear();
      }
      // After its last hyphen that fits ("context-" / "extension-32k"), else at the width.
      std::size_t cut = prefix_bytes(word, width);
      if (const auto dash = word.rfind('-', cut - 1); dash != std::string::npos && dash > 0)
        cut = dash + 1;
      lines.push_back(word.substr(0, cut));
      word = word.substr(cut);
    }
    if (line.empty()) {
      line = word;
    } else if (display_width(line) + 1 + display_width(word) <= width) {
      line += " " + word;
    } else {
      lines.push_back(line);
      line = word;
    }
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

}  // namespace

void TextTable::set_default_width(std::size_t columns) {
  g_default_width.store(columns);
}

std::size_t TextTable::default_width() {
  return g_default_width.load();
}

std::string TextTable::render() const {
  return render(default_width());
}

void TextTable::notes_when_narrow(std::vector<std::size_t> columns) {
  note_columns_ = std::move(columns);
}

std::string TextTable::render(std::size_t max_width) const {
  const auto natural_width = [&] {  // the rule under the header spans the whole table
    const std::string full = render(0);
    const std::size_t first = full.find('\n') + 1;
    return full.find('\n', first) - first;
  };
  if (max_width > 0 && !note_columns_.empty() && natural_width() > max_width) {
    // Too wide with its prose columns: the table without them, then their text as notes.
    const auto is_note = [&](std::size_t c) {
      return std::find(note_columns_.begin(), note_columns_.end(), c) != note_columns_.end();
    };
    std::vector<std::string> headers;
    std::vector<Align> align;
    for (std::size_t c = 0; c < headers_.size(); ++c) {
      if (!is_note(c)) {
        headers.push_back(headers_[c]);
        align.push_back(align_[c]);
      }
    }
    TextTable narrow(headers, align);
    std::string notes;
    for (const auto& row : rows_) {
      if (row.empty()) {
        narrow.add_rule();
        continue;
      }
      std::vector<std::string> cells;
      std::string note;
      for (std::size_t c = 0; c < row.size(); ++c) {
        if (!is_note(c)) {
          cells.push_back(row[c]);
        } else if (!row[c].empty()) {
          note += (note.empty() ? "" : "; ") + headers_[c] + ": " + row[c];
        }
      }
      narrow.add_row(std::move(cells));
      if (note.empty()) continue;
      const std::string text = row[0] + " — " + note;
      const auto lines = wrap(text, max_width > 6 ? max_width - 4 : max_width);
      for (std::size_t l = 0; l < lines.size(); ++l)
        notes += (l ? "    " : "  - ") + lines[l] + "\n";
    }
    return narrow.render(max_width) + (notes.empty() ? "" : "\n" + notes);
  }
  std::vector<std::size_t> width(headers_.size(), 0);
  for (std::size_t c = 0; c < headers_.size(); ++c) width[c] = display_width(headers_[c]);
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size(); ++c)
      width[c] = std::max(width[c], display_width(row[c]));
  }
  const auto total_of = [&] {
    std::size_t total = 0;
    for (std::size_t w : width) total += w;
    return total + (width.empty() ? 0 : 2 * (width.size() - 1));
  };
  // Too wide: narrow the widest text column by one until the table fits or none can narrow.
  std::vector<bool> wrapped(width.size(), false);
  while (max_width > 0 && total_of() > max_width) {
    std::size_t widest = width.size();
    for (std::size_t c = 0; c < width.size(); ++c) {
      if (align_[c] == Align::Left && width[c] > kMinWrapWidth &&
          (widest == width.size() || width[c] > width[widest]))
        widest = c;
    }
    if (widest == width.size()) break;
    --width[widest];
    wrapped[widest] = true;
  }
  const std::size_t total = total_of();
  auto line = [&](const std::vector<std::string>& cells) {
    std::vector<std::vector<std::string>> parts(cells.size());
    std::size_t height = 1;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      parts[c] = wrapped[c] ? wrap(cells[c], width[c]) : std::vector<std::string>{cells[c]};
      height = std::max(height, parts[c].size());
    }
    std::string out;
    for (std::size_t l = 0; l < height; ++l) {
      std::string text;
      for (std::size_t c = 0; c < cells.size(); ++c) {
        if (c) text += "  ";
        text += pad(l < parts[c].size() ? parts[c][l] : "", width[c], align_[c]);
      }
      while (!text.empty() && text.back() == ' ') text.pop_back();
      out += text + "\n";
    }
    return out;
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

std::string wrap_paragraph(const std::string& text, std::size_t width) {
  if (width == 0) return text + "\n";
  std::string out;
  for (const auto& l : wrap(text, width)) out += l + "\n";
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
