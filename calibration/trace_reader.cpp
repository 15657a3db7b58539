#include "calibration/trace_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <unordered_map>

#include "calibration/sha256.hpp"
#include "core/error.hpp"

namespace trainsim::calibration {
namespace {

using nlohmann::json;

/// A time range on one timeline (thread or stream), in trace microseconds.
struct Range {
  double start = 0, end = 0;
  std::string name;
  std::int64_t lane = 0;  ///< tid (CPU) or stream (GPU)
  std::int64_t pid = 0;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// The pass an annotation name marks, if any (see the header).
std::optional<models::Pass> pass_of_annotation(const std::string& name) {
  const auto ends = [&](const char* suffix) {
    const std::string s(suffix);
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  if (ends("(F)")) return models::Pass::Forward;
  if (ends("(B)")) return models::Pass::BackwardInput;
  if (ends("(W)")) return models::Pass::BackwardWeight;
  const std::string l = lower(name);
  if (l.find("backward") != std::string::npos || l.find("bwd") != std::string::npos)
    return models::Pass::BackwardInput;
  if (l.find("forward") != std::string::npos || l.find("fwd") != std::string::npos)
    return models::Pass::Forward;
  return std::nullopt;
}

std::int64_t int_field(const json& e, const char* key, std::int64_t fallback) {
  const auto it = e.find(key);
  if (it == e.end()) return fallback;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_number()) return static_cast<std::int64_t>(it->get<double>());
  return fallback;
}

double number_field(const json& e, const char* key) {
  const auto it = e.find(key);
  return it != e.end() && it->is_number() ? it->get<double>() : 0.0;
}

std::string string_field(const json& e, const char* key) {
  const auto it = e.find(key);
  return it != e.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// The innermost range of `ranges` (sorted by start) containing `t` that satisfies `accept`.
template <class Accept>
const Range* innermost(const std::vector<Range>& ranges, double t, Accept accept) {
  const Range* best = nullptr;
  const auto stop = std::upper_bound(ranges.begin(), ranges.end(), t,
                                     [](double v, const Range& r) { return v < r.start; });
  for (auto it = ranges.begin(); it != stop; ++it) {
    if (t <= it->end && accept(*it) && (best == nullptr || it->start >= best->start)) best = &*it;
  }
  return best;
}

}  // namespace

Trace read_chrome_trace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("cannot read trace '{}'", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_chrome_trace(ss.str(), path);
}

Trace parse_chrome_trace(const std::string& text, const std::string& origin) {
  const std::string expected =
      "expected a PyTorch profiler / Kineto Chrome trace: a JSON object with a 'traceEvents' "
      "array (torch.profiler export_chrome_trace) or a bare JSON array of trace events";
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {
    throw ConfigError(
        origin, 0, 0, "",
        fmt::format("not a Chrome trace: not valid JSON ({}); {}", e.what(), expected));
  }
  const json* events = nullptr;
  if (root.is_array()) {
    events = &root;
  } else if (root.is_object() && root.contains("traceEvents") && root["traceEvents"].is_array()) {
    events = &root["traceEvents"];
  } else {
    throw ConfigError(origin, 0, 0, "traceEvents", fmt::format("not a Chrome trace: {}", expected));
  }
  Trace out;
  out.file = origin;
  out.sha256 = sha256_hex(text);
  out.events = events->size();
  if (root.is_object() && root.contains("deviceProperties") &&
      root["deviceProperties"].is_array() && !root["deviceProperties"].empty() &&
      root["deviceProperties"][0].is_object()) {
    const json& d = root["deviceProperties"][0];
    out.device = string_field(d, "name");
    out.device_sms = static_cast<int>(int_field(d, "numSms", 0));
  }

  std::vector<Range> cpu_annotations, gpu_annotations, autograd;
  std::unordered_map<std::int64_t, Range> launches;  // correlation -> launching CPU call
  for (const json& e : *events) {
    if (!e.is_object() || string_field(e, "ph") != "X") continue;
    const std::string cat = string_field(e, "cat");
    const std::string name = string_field(e, "name");
    const double ts = number_field(e, "ts"), dur = std::max(0.0, number_field(e, "dur"));
    const Range r{ts, ts + dur, name, int_field(e, "tid", 0), int_field(e, "pid", 0)};
    if (cat == "user_annotation" && pass_of_annotation(name)) {
      cpu_annotations.push_back(r);
    } else if (cat == "gpu_user_annotation" && pass_of_annotation(name)) {
      Range g = r;
      if (e.contains("args") && e["args"].is_object()) g.lane = int_field(e["args"], "stream", -1);
      gpu_annotations.push_back(g);
    } else if (cat == "cpu_op" && name.rfind("autograd::engine::evaluate_function", 0) == 0) {
      autograd.push_back(r);
    } else if ((cat == "cuda_runtime" || cat == "cuda_driver") && e.contains("args") &&
               e["args"].is_object() && e["args"].contains("correlation")) {
      launches[int_field(e["args"], "correlation", -1)] = r;
    }
  }
  const auto by_start = [](const Range& a, const Range& b) { return a.start < b.start; };
  std::sort(cpu_annotations.begin(), cpu_annotations.end(), by_start);
  std::sort(gpu_annotations.begin(), gpu_annotations.end(), by_start);
  std::sort(autograd.begin(), autograd.end(), by_start);

  for (const json& e : *events) {
    if (!e.is_object() || string_field(e, "ph") != "X") continue;
    const std::string cat = string_field(e, "cat");
    if (cat != "kernel" && cat != "gpu_memcpy" && cat != "gpu_memset") continue;
    TraceKernel k;
    k.name = string_field(e, "name");
    k.category = cat;
    const double ts = number_field(e, "ts");
    k.start_s = ts * 1e-6;
    k.duration_s = std::max(0.0, number_field(e, "dur")) * 1e-6;
    std::int64_t correlation = -1;
    if (e.contains("args") && e["args"].is_object()) {
      k.stream = int_field(e["args"], "stream", -1);
      correlation = int_field(e["args"], "correlation", -1);
    }
    const auto launch = launches.find(correlation);
    const Range* a = nullptr;
    if (launch != launches.end()) {
      a = innermost(cpu_annotations, launch->second.start, [](const Range&) { return true; });
    }
    if (a == nullptr) {
      a = innermost(gpu_annotations, ts, [&](const Range& r) { return r.lane == k.stream; });
    }
    if (a != nullptr) {
      k.annotation = a->name;
      k.pass = *pass_of_annotation(a->name);
    } else if (launch != launches.end() &&
               innermost(autograd, launch->second.start, [&](const Range& r) {
                 return r.lane == launch->second.lane && r.pid == launch->second.pid;
               }) != nullptr) {
      k.pass = models::Pass::BackwardInput;
    }
    out.kernels.push_back(std::move(k));
  }
  if (out.kernels.empty()) {
    throw ConfigError(
        origin, 0, 0, "traceEvents",
        fmt::format(
            "the trace has {} events but no GPU kernels (complete events, \"ph\": \"X\", of "
            "category \"kernel\", \"gpu_memcpy\" or \"gpu_memset\"); profile with "
            "torch.profiler.ProfilerActivity.CUDA so that Kineto records GPU activity",
            out.events));
  }
  return out;
}

}  // namespace trainsim::calibration
