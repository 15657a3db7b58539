#pragma once
// The claims table: every quantitative claim of the two seed articles and of DeepSeek-V3's cost
// table, with trainsim's own figure (simulated or computed), the ratio and a verdict.
// Verdict rule, with r = stated / trainsim and tolerance t (per claim, stated with it):
//   |r − 1| ≤ t → consistent;  r > 1 + t → overstated;  r < 1 − t → understated;
//   no trainsim figure → not checkable here (the reason says why).
#include <optional>
#include <string>
#include <vector>

namespace trainsim::reports {

enum class Verdict { Consistent, Overstated, Understated, NotCheckable };

/// "consistent", "overstated", "understated", "not checkable here".
std::string verdict_name(Verdict v);

struct Claim {
  std::string claim;               ///< the claim in a few words
  std::string source;              ///< who said it, where
  double stated = 0;               ///< the claimed value (units in `unit`)
  std::optional<double> trainsim;  ///< trainsim's value, same unit
  std::string unit;                ///< e.g. "GPU-hours", "×", "days"
  std::string basis;       ///< how trainsim got it: "simulated: deepseek-v3.yaml" or "computed"
  double tolerance = 0.1;  ///< relative tolerance for "consistent"
  std::string reason;      ///< one line: why the verdict
  Verdict verdict = Verdict::NotCheckable;
  std::optional<double> ratio;  ///< stated / trainsim
};

/// Fills ratio and verdict of every claim from stated, trainsim and tolerance.
void judge(std::vector<Claim>& claims);

std::string claims_text(const std::vector<Claim>& claims);
std::string claims_markdown(const std::vector<Claim>& claims);
/// {"schema": "trainsim.claims/1", "claims": [...]} (docs/result-schema.md).
std::string claims_json(const std::vector<Claim>& claims);

}  // namespace trainsim::reports
