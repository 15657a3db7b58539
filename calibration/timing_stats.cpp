#include "calibration/timing_stats.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"

namespace trainsim::calibration {
namespace {

void check_samples(const std::vector<double>& samples) {
  for (double s : samples) {
    if (std::isnan(s)) throw ModelError("a timing sample is NaN (the measurement failed)");
  }
}

/// Percentile of already sorted, NaN-free samples.
double sorted_percentile(const std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const double h = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const auto hi = static_cast<std::size_t>(std::ceil(h));
  return v[lo] + (v[hi] - v[lo]) * (h - static_cast<double>(lo));
}

}  // namespace

double percentile(std::vector<double> samples, double q) {
  if (!(q >= 0 && q <= 1)) {
    throw ModelError("a percentile needs q between 0 and 1, got " + std::to_string(q));
  }
  check_samples(samples);
  std::sort(samples.begin(), samples.end());
  return sorted_percentile(samples, q);
}

TimingSummary summarize_timings(const std::vector<double>& samples) {
  check_samples(samples);
  std::vector<double> v = samples;
  std::sort(v.begin(), v.end());
  TimingSummary s;
  if (v.empty()) return s;
  s.median = sorted_percentile(v, 0.5);
  s.p10 = sorted_percentile(v, 0.1);
  s.p90 = sorted_percentile(v, 0.9);
  s.min = v.front();
  s.max = v.back();
  return s;
}

}  // namespace trainsim::calibration
