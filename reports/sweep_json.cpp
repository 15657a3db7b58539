#include "reports/sweep_json.hpp"

#include <nlohmann/json.hpp>

namespace trainsim::reports {

namespace {

using Json = nlohmann::ordered_json;

std::string dump(const Json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

/// The outcome's figures; a point that did not run has none (null), and says why.
void put_outcome(Json& j, const SweepOutcome& o) {
  j["feasible"] = o.feasible;
  const auto figure = [&](double v) { return o.feasible ? Json(v) : Json(nullptr); };
  j["gpu_hours"] = figure(o.gpu_hours);
  j["cost_usd"] = figure(o.cost_usd);
  j["wall_days"] = figure(o.wall_days);
  j["mfu"] = figure(o.mfu);
  j["failure"] =
      o.failure == SweepFailure::None ? Json(nullptr) : Json(failure_kind_name(o.failure));
  j["reason"] = o.reason;
}

}  // namespace

std::string sweep_json(const SweepResult& sweep) {
  Json points = Json::array();
  for (const auto& p : sweep.points) {
    Json values = Json::object();
    for (std::size_t i = 0; i < sweep.axes.size() && i < p.values.size(); ++i) {
      values[sweep.axes[i]] = p.values[i];
    }
    Json j{{"values", values}};
    put_outcome(j, p.outcome);
    points.push_back(std::move(j));
  }
  const Json j{{"schema", "trainsim.sweep/1"},
               {"scenario", sweep.scenario},
               {"sets", sweep.sets},
               {"axes", sweep.axes},
               {"points", points}};
  return dump(j);
}

std::string sensitivity_json(const SensitivityResult& study) {
  Json base = Json::object();
  put_outcome(base, study.base);
  Json inputs = Json::array();
  for (const auto& in : study.inputs) {
    const auto side = [&](const SensitivitySide& s) {
      Json j{{"value", s.value}, {"overrides", s.overrides}};
      put_outcome(j, s.outcome);
      j["gpu_hours_change"] = s.outcome.feasible && study.base.feasible
                                  ? Json(gpu_hours_change(s.outcome, study.base))
                                  : Json(nullptr);
      return j;
    };
    inputs.push_back({{"name", in.name},
                      {"keys", in.keys},
                      {"base_value", in.base_value},
                      {"low", side(in.low)},
                      {"high", side(in.high)}});
  }
  const Json j{{"schema", "trainsim.sensitivity/1"},
               {"scenario", study.scenario},
               {"sets", study.sets},
               {"delta", study.delta},
               {"base", base},
               {"inputs", inputs}};
  return dump(j);
}

}  // namespace trainsim::reports
