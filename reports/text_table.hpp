#pragma once
// Aligned plain-text tables for the terminal (and Markdown tables from the same rows).
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
  /// Terminal rendering with two spaces between columns and a rule under the header.
  std::string render() const;
  /// GitHub-flavoured Markdown table; cell text is escaped (| and newlines).
  std::string render_markdown() const;

 private:
  std::vector<std::string> headers_;
  std::vector<Align> align_;
  std::vector<std::vector<std::string>> rows_;  // an empty row is a rule
};

/// Thousands separators: 2788000 → "2,788,000"; decimals kept as given by `precision`.
std::string with_commas(double value, int decimals = 0);

}  // namespace trainsim::reports
