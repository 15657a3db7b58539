#pragma once
// Escaping of scenario-provided text (names, descriptions, notes) for each output format, so that
// a scenario cannot inject a spreadsheet formula, a Markdown link or HTML into a report.
#include <string>
#include <string_view>

namespace trainsim::reports {

/// One CSV cell (RFC 4180): quoted when it holds a comma, quote, CR or LF. A cell that a
/// spreadsheet would run as a formula (it starts with =, +, -, @, tab or CR) gets a leading single
/// quote and is quoted, as OWASP's "CSV Injection" guidance says; a cell that is a plain number
/// ("-12.5", "+3", "-1e-06", "-20%") is left as it is, so negative figures stay numeric.
std::string csv_cell(std::string_view text);

/// Text inline in Markdown (CommonMark 0.31): &, < and > as HTML entities (no raw HTML or
/// autolinks), the punctuation that opens links, images, emphasis, code and table cells
/// (\ ` * _ [ ] ! ~ |) backslash-escaped, and CR and LF as spaces. With `line_start` (the text
/// opens a line, e.g. a paragraph) a block marker at its start is escaped too: #, -, +, =, or a
/// digit run before . or ).
std::string markdown_inline(std::string_view text, bool line_start = false);

/// `text` as a Markdown code span: fenced by one more backtick than its longest run of
/// backticks, CR and LF as spaces; nothing inside a code span is interpreted.
std::string markdown_code(std::string_view text);

/// JSON text to embed in an HTML <script> element: <, > and & become \u003c, \u003e and \u0026
/// (valid JSON escapes; those characters occur only inside JSON strings), so no string can
/// close the element or open an HTML comment ("<!--") that would swallow the rest of the page.
std::string json_for_script(std::string_view json);

}  // namespace trainsim::reports
