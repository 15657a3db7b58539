// Scenario text in reports (issue 14): a name or description cannot become a spreadsheet formula
// in CSV (OWASP "CSV Injection"), a link, raw HTML or a line break in Markdown (CommonMark 0.31),
// or close or comment out the <script> elements that hold the HTML report's charts.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "reports/escape.hpp"
#include "reports/html_report.hpp"
#include "reports/run_report.hpp"

namespace trainsim::reports {
namespace {

TEST(CsvInjection, FormulaCellsGetAQuoteAndQuotes) {
  // OWASP: prefix a cell starting with =, +, -, @, tab or CR with ' and quote the cell.
  EXPECT_EQ(csv_cell("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
  EXPECT_EQ(csv_cell("+cmd"), "\"'+cmd\"");
  EXPECT_EQ(csv_cell("-2+3"), "\"'-2+3\"");
  EXPECT_EQ(csv_cell("@SUM(A1)"), "\"'@SUM(A1)\"");
  EXPECT_EQ(csv_cell("\t=1"), "\"'\t=1\"");
  EXPECT_EQ(csv_cell("\r=1"), "\"'\r=1\"");
}

TEST(CsvInjection, NumbersStayNumbers) {
  // A negative figure (a delta in a sweep, a signed percentage) must still read as a number.
  EXPECT_EQ(csv_cell("-12.5"), "-12.5");
  EXPECT_EQ(csv_cell("-1e-06"), "-1e-06");
  EXPECT_EQ(csv_cell("+3"), "+3");
  EXPECT_EQ(csv_cell("-.5"), "-.5");
  EXPECT_EQ(csv_cell("-20%"), "-20%");
  EXPECT_EQ(csv_cell("plain"), "plain");
  EXPECT_EQ(csv_cell("a=b"), "a=b");  // only the first character matters
  // Not numbers: neutralised.
  EXPECT_EQ(csv_cell("-"), "\"'-\"");
  EXPECT_EQ(csv_cell("-1e"), "\"'-1e\"");
  EXPECT_EQ(csv_cell("-1+1"), "\"'-1+1\"");
}

TEST(CsvInjection, PhaseNamesInPhasesCsvAreNeutralised) {
  sim::RunResult r;
  sim::PhaseResult p;
  p.name = "=1+1";
  p.group = "@x";
  r.phases.push_back(p);
  const std::string csv = phases_csv(r);
  EXPECT_NE(csv.find("\n\"'=1+1\",\"'@x\","), std::string::npos) << csv;
}

TEST(MarkdownInjection, LinksHtmlAndBreaksAreInert) {
  EXPECT_EQ(markdown_inline("[x](javascript:alert(1))"), "\\[x\\](javascript:alert(1))");
  EXPECT_EQ(markdown_inline("![i](http://t/p.png)"), "\\!\\[i\\](http://t/p.png)");
  EXPECT_EQ(markdown_inline("<javascript:alert(1)>"), "&lt;javascript:alert(1)&gt;");
  EXPECT_EQ(markdown_inline("&#106;"), "&amp;#106;");
  EXPECT_EQ(markdown_inline("a\rb\nc"), "a b c");
  EXPECT_EQ(markdown_inline("*em* _u_ `c` ~s~ a|b \\"),
            "\\*em\\* \\_u\\_ \\`c\\` \\~s\\~ a\\|b \\\\");
  // Block markers matter only where the text opens a line.
  EXPECT_EQ(markdown_inline("# h", true), "\\# h");
  EXPECT_EQ(markdown_inline("- item", true), "\\- item");
  EXPECT_EQ(markdown_inline("12. x", true), "12\\. x");
  EXPECT_EQ(markdown_inline("- item"), "- item");
  EXPECT_EQ(markdown_inline("-12.5%"), "-12.5%");
}

TEST(MarkdownInjection, CodeSpanFenceOutgrowsBackticks) {
  EXPECT_EQ(markdown_code("h100-published"), "`h100-published`");
  EXPECT_EQ(markdown_code("a`b"), "``a`b``");
  EXPECT_EQ(markdown_code("`x`"), "`` `x` ``");
  EXPECT_EQ(markdown_code("a\r\nb"), "`a  b`");
}

TEST(MarkdownInjection, RunReportEscapesDescriptionAndCostModel) {
  sim::RunResult r;
  r.scenario = "s";
  r.description = "- [click](javascript:alert(1))\rnext";
  r.cost_model = "p`](javascript:x)";
  sim::PhaseResult p;
  p.name = "[n](javascript:y)";
  p.note = "<img src=x onerror=alert(1)>";
  r.phases.push_back(p);
  const std::string md = run_markdown(r);
  // The cost model sits in a code span, where nothing is a link; everything else is escaped.
  const std::string outside =
      md.substr(0, md.find("compute times from")) + md.substr(md.find("compute times from") + 40);
  // An unescaped ']' right before '(' would close a link text.
  EXPECT_FALSE(std::regex_search(outside, std::regex(R"([^\\]\]\()"))) << md;
  EXPECT_EQ(md.find("<img"), std::string::npos) << md;
  EXPECT_EQ(md.find('\r'), std::string::npos) << md;
  EXPECT_NE(md.find("\\- \\[click\\](javascript:alert(1)) next"), std::string::npos) << md;
  EXPECT_NE(md.find("compute times from ``p`](javascript:x)``"), std::string::npos) << md;
}

TEST(HtmlInjection, JsonForScriptEscapesAngleBracketsAndAmpersand) {
  const std::string json = R"({"a":"x<!--<script></script>&"})";
  const std::string safe = json_for_script(json);
  EXPECT_EQ(safe, R"({"a":"x\u003c!--\u003cscript\u003e\u003c/script\u003e\u0026"})");
  EXPECT_EQ(nlohmann::json::parse(safe), nlohmann::json::parse(json));  // same value
}

TEST(HtmlInjection, PhaseNameCannotEmptyTheCharts) {
  // "<!--<script>" inside a <script> element puts the HTML parser in its "script data double
  // escaped" state, where the element's own "</script>" no longer closes it: the rest of the page
  // became script text and Chromium drew none of the charts. No '<' may reach a spec's text.
  sim::RunResult r;
  r.scenario = "s";
  r.gpus = 8;
  sim::PhaseResult p;
  p.name = "x<!--<script>";
  p.group = "x<!--<script>";
  p.gpu_hours = 10;
  p.representative.step_time_s = 1;
  p.representative.compute_s = {1};
  p.representative.exposed_comm_s = {0};
  p.representative.bubble_s = {0};
  p.representative.memory = {1e9, 1e9, 1e9, 1e9, 1e9};
  p.representative.memory_capacity = 80e9;
  r.phases.push_back(p);
  r.groups.push_back({"x<!--<script>", 10, 20, 3600, std::nullopt});
  const std::string html = run_html({r}, {});
  const std::regex block(R"(<script type="application/json" id="spec-[a-z]+">([^<]*)</script>)");
  std::size_t specs = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), block);
       it != std::sregex_iterator(); ++it) {
    ++specs;
    const auto spec = nlohmann::json::parse((*it)[1].str());
    EXPECT_NE(spec.dump().find("x<!--<script>"), std::string::npos);  // the name survives
  }
  EXPECT_GE(specs, 3u);  // groups, waterfall, memory: each closed by its own </script>
  EXPECT_EQ(html.find("<!--<script>"), std::string::npos);
}

}  // namespace
}  // namespace trainsim::reports
