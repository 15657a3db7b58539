#pragma once
// Aligned plain-text tables for the terminal (and Markdown tables from the same rows).
#include <cstddef>
#include <string>
#include <vector>

namespace trainsim::reports {

enum class Align { Left, Right };

class TextTable {
 public:
  /// Column headers; numbers are right-aligned by default, text left-aligned.
  explicit TextTable(std::vector<std::string> headers, std::vector<Align> align = {});
  void add_row(std::vector<std::string> cells);
  /// A horizontal rule before the next row (e.g. above a total).
  void add_rule();
  /// Columns that leave the table when it is wider than the width it is rendered in: their
  /// cells are printed under it instead, one note per row ("- <first cell>: <header>: <text>"),
  /// wrapped to the width. For long prose columns (a claim's reasons).
  void notes_when_narrow(std::vector<std::size_t> columns);
  /// Terminal rendering with two spaces between columns and a rule under the header, fitted to
  /// default_width().
  std::string render() const;
  /// The same within `max_width` columns (0 = unlimited): when the natural width is wider, the
  /// widest text (left-aligned) columns are narrowed, down to kMinWrapWidth, and their cells
  /// wrapped onto more lines (at spaces, else inside a word); numbers are never wrapped, so a
  /// table of numbers only may stay wider.
  std::string render(std::size_t max_width) const;
  /// The width render() fits tables to, for the whole program (0, the default: unlimited). The
  /// CLI sets it from the terminal (cli/terminal.hpp); reports never read the environment.
  static void set_default_width(std::size_t columns);
  static std::size_t default_width();
  /// Narrowest a wrapped text column becomes.
  static constexpr std::size_t kMinWrapWidth = 12;
  /// GitHub-flavoured Markdown table; cell text is escaped (| and newlines).
  std::string render_markdown() const;

 private:
  std::vector<std::string> headers_;
  std::vector<Align> align_;
  std::vector<std::vector<std::string>> rows_;  // an empty row is a rule
  std::vector<std::size_t> note_columns_;
};

/// `text` wrapped at spaces to lines of at most `width` columns (0 = one line), each ending in a
/// newline: prose beside a table that fits the same terminal.
std::string wrap_paragraph(const std::string& text, std::size_t width);

/// Thousands separators: 2788000 → "2,788,000"; decimals kept as given by `precision`.
std::string with_commas(double value, int decimals = 0);

}  // namespace trainsim::reports
