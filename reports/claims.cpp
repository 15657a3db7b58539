#include "reports/claims.hpp"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "reports/text_table.hpp"

namespace trainsim::reports {

std::string verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Consistent:
      return "consistent";
    case Verdict::Overstated:
      return "overstated";
    case Verdict::Understated:
      return "understated";
    case Verdict::NotCheckable:
      return "not checkable here";
  }
  return "?";
}

void judge(std::vector<Claim>& claims) {
  for (auto& c : claims) {
    c.ratio.reset();
    if (!c.trainsim || !(*c.trainsim > 0) || !std::isfinite(*c.trainsim) ||
        !std::isfinite(c.stated)) {
      c.verdict = Verdict::NotCheckable;
      continue;
    }
    const double r = c.stated / *c.trainsim;
    c.ratio = r;
    if (std::fabs(r - 1.0) <= c.tolerance) {
      c.verdict = Verdict::Consistent;
    } else {
      c.verdict = r > 1.0 ? Verdict::Overstated : Verdict::Understated;
    }
  }
}

namespace {

std::string value(double v, const std::string& unit) {
  if (unit == "×" || unit == "%") return fmt::format("{:.3g}{}", v, unit);
  if (unit == "params") return fmt::format("{:.4g}B", v / 1e9);
  if (std::fabs(v) >= 1e6) return fmt::format("{:.4g}M {}", v / 1e6, unit);
  if (std::fabs(v) >= 1e4) return fmt::format("{}K {}", with_commas(v / 1e3, 0), unit);
  return fmt::format("{:.4g} {}", v, unit);
}

TextTable table(const std::vector<Claim>& claims) {
  TextTable t({"claim", "source", "stated", "trainsim", "stated/trainsim", "verdict", "why"},
              {Align::Left, Align::Left, Align::Right, Align::Right, Align::Right, Align::Left,
               Align::Left});
  t.notes_when_narrow({1, 6});  // on a narrow terminal, source and why go under the table
  for (const auto& c : claims) {
    t.add_row({c.claim, c.source, value(c.stated, c.unit),
               c.trainsim ? value(*c.trainsim, c.unit) : "—",
               c.ratio ? fmt::format("{:.2f}", *c.ratio) : "", verdict_name(c.verdict), c.reason});
  }
  return t;
}

}  // namespace

std::string claims_text(const std::vector<Claim>& claims) {
  return table(claims).render();
}

std::string claims_markdown(const std::vector<Claim>& claims) {
  return table(claims).render_markdown();
}

std::string claims_json(const std::vector<Claim>& claims) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& c : claims) {
    nlohmann::ordered_json o{
        {"claim", c.claim}, {"source", c.source}, {"stated", c.stated}, {"unit", c.unit}};
    o["trainsim"] =
        c.trainsim ? nlohmann::ordered_json(*c.trainsim) : nlohmann::ordered_json(nullptr);
    o["basis"] = c.basis;
    o["tolerance"] = c.tolerance;
    o["ratio"] = c.ratio ? nlohmann::ordered_json(*c.ratio) : nlohmann::ordered_json(nullptr);
    o["verdict"] = verdict_name(c.verdict);
    o["reason"] = c.reason;
    list.push_back(o);
  }
  const nlohmann::ordered_json j{{"schema", "trainsim.claims/1"}, {"claims", list}};
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace trainsim::reports
