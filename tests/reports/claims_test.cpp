#include "reports/claims.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace trainsim::reports {
namespace {

Claim claim(double stated, std::optional<double> value, double tol) {
  Claim c;
  c.claim = "x";
  c.stated = stated;
  c.trainsim = value;
  c.tolerance = tol;
  return c;
}

TEST(Claims, VerdictFollowsTheRatioAndTolerance) {
  // r = stated / trainsim: |r − 1| ≤ t consistent, above overstated, below understated.
  std::vector<Claim> c = {claim(110, 100, 0.15), claim(120, 100, 0.15), claim(80, 100, 0.15),
                          claim(1, std::nullopt, 0.1)};
  judge(c);
  EXPECT_EQ(c[0].verdict, Verdict::Consistent);
  EXPECT_EQ(c[1].verdict, Verdict::Overstated);
  EXPECT_EQ(c[2].verdict, Verdict::Understated);
  EXPECT_EQ(c[3].verdict, Verdict::NotCheckable);
  EXPECT_DOUBLE_EQ(*c[1].ratio, 1.2);
}

TEST(Claims, ZeroOrNonFiniteFigureIsNotCheckable) {
  std::vector<Claim> c = {claim(1, 0.0, 0.1), claim(1, INFINITY, 0.1)};
  judge(c);
  EXPECT_EQ(c[0].verdict, Verdict::NotCheckable);
  EXPECT_EQ(c[1].verdict, Verdict::NotCheckable);
}

TEST(Claims, RenderingsCarryEveryRow) {
  std::vector<Claim> c = {claim(2, 1, 0.1)};
  c[0].reason = "because | pipes";
  judge(c);
  EXPECT_NE(claims_text(c).find("overstated"), std::string::npos);
  EXPECT_NE(claims_markdown(c).find("because \\| pipes"), std::string::npos);
  EXPECT_NE(claims_json(c).find("\"verdict\": \"overstated\""), std::string::npos);
  // An object whose first key names the schema, the rows under "claims" (docs/result-schema.md).
  EXPECT_EQ(claims_json(c).rfind("{\n  \"schema\": \"trainsim.claims/1\",\n  \"claims\": [", 0),
            0u);
}

}  // namespace
}  // namespace trainsim::reports
