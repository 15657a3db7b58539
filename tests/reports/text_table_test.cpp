#include "reports/text_table.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace trainsim::reports {
namespace {

TEST(TextTable, AlignsColumnsByDisplayWidth) {
  TextTable t({"name", "value"});
  t.add_row({"α", "1"});
  t.add_row({"longer", "1000"});
  // Widths: column 0 = 6 ("longer"), column 1 = 5 ("value"); two spaces between columns.
  // UTF-8 "α" is one column wide, so its row is "α" + 5 + 2 + 4 spaces + "1".
  const std::string s = t.render();
  EXPECT_NE(s.find("α" + std::string(11, ' ') + "1\n"), std::string::npos) << s;
  EXPECT_NE(s.find("longer   1000\n"), std::string::npos) << s;
}

TEST(TextTable, CommasGroupThousands) {
  EXPECT_EQ(with_commas(2788000), "2,788,000");
  EXPECT_EQ(with_commas(-1234.5, 1), "-1,234.5");
  EXPECT_EQ(with_commas(NAN), "n/a");
}

TEST(TextTable, NarrowWidthWrapsTextColumnsNeverNumbers) {
  // Natural width: 4 + 2 + 41 + 2 + 5 = 54. In 30 columns the text column narrows to
  // 30 − (4 + 2 + 2 + 5) = 17 and wraps greedily at spaces ("a long description" is 18, so
  // "description" starts the second line); the number stays whole on the first line.
  TextTable t({"name", "description", "value"}, {Align::Left, Align::Left, Align::Right});
  t.add_row({"gpu", "a long description that has to be wrapped", "12345"});
  const std::string narrow = t.render(30);
  EXPECT_EQ(narrow,
            "name  description        value\n"
            "------------------------------\n"
            "gpu   a long             12345\n"
            "      description that\n"
            "      has to be wrapped\n");
  EXPECT_EQ(t.render(0), t.render(100));  // unlimited, or wide enough: one line per row
  EXPECT_EQ(t.render(0).find("a long description that has to be wrapped  12345"),
            t.render(0).find("a long"));
}

TEST(TextTable, LongWordsSplitAfterAHyphenAndNoteColumnsMoveBelow) {
  TextTable t({"phase", "plan"}, {Align::Left, Align::Left});
  t.add_row({"context-extension-128k", "DP4 TP1 PP16 EP64 CP32, dualpipe"});
  t.notes_when_narrow({1});
  // 22 + 2 + 32 = 56 > 20: the plan leaves the table for a note under it (wrapped to 20 − 4
  // = 16 after its 4-column indent); the phase name narrows to 20 and, like the note, breaks
  // after its last hyphen that fits.
  EXPECT_EQ(t.render(20),
            "phase\n"
            "--------------------\n"
            "context-extension-\n"
            "128k\n"
            "\n"
            "  - context-\n"
            "    extension-128k —\n"
            "    plan: DP4 TP1\n"
            "    PP16 EP64 CP32,\n"
            "    dualpipe\n");
  EXPECT_EQ(t.render(0).find('\n'), std::string("phase                   plan").size());
}

TEST(TextTable, DefaultWidthIsUnlimitedUntilSet) {
  EXPECT_EQ(TextTable::default_width(), 0u);
  TextTable t({"a", "b"}, {Align::Left, Align::Left});
  t.add_row({"x", "one two three four five six seven"});
  TextTable::set_default_width(20);
  const std::string narrow = t.render();
  TextTable::set_default_width(0);
  EXPECT_EQ(narrow, t.render(20));
  EXPECT_NE(narrow, t.render());
}

TEST(TextTable, WrapParagraph) {
  EXPECT_EQ(wrap_paragraph("one two three", 7), "one two\nthree\n");
  EXPECT_EQ(wrap_paragraph("one two three", 0), "one two three\n");
}

}  // namespace
}  // namespace trainsim::reports
