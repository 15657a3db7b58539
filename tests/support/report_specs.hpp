#pragma once
// Test support: the Vega-Lite chart specs a report page embeds, parsed with a real JSON parser.
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <utility>
#include <vector>

namespace trainsim::test {

/// Every `<script type="application/json" id="spec-NAME">` block of `html`, as (NAME, spec).
inline std::vector<std::pair<std::string, nlohmann::json>> embedded_specs(const std::string& html) {
  std::vector<std::pair<std::string, nlohmann::json>> out;
  const std::regex block(
      R"re(<script type="application/json" id="spec-([a-z]+)">([\s\S]*?)</script>)re");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), block);
       it != std::sregex_iterator(); ++it) {
    out.emplace_back((*it)[1], nlohmann::json::parse(std::string((*it)[2])));
  }
  return out;
}

}  // namespace trainsim::test
