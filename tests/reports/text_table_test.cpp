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

}  // namespace
}  // namespace trainsim::reports
