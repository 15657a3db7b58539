#pragma once
// Summary statistics of repeated kernel timings (host only, no CUDA): the harness reports the
// median as the op's time and p10/p90, min and max as its spread. Percentiles interpolate
// linearly between order statistics (the "R-7" definition, numpy's default):
//   p(q) = x_(⌊h⌋) + (h − ⌊h⌋)·(x_(⌊h⌋+1) − x_(⌊h⌋)),  h = q·(n − 1), x sorted ascending.
#include <vector>

namespace trainsim::calibration {

struct TimingSummary {
  double median = 0, p10 = 0, p90 = 0, min = 0, max = 0;  ///< same unit as the samples
};

/// The q-quantile (0 ≤ q ≤ 1) of `samples` as above; 0 for no samples. Throws ModelError for q
/// outside [0, 1] or a NaN sample.
double percentile(std::vector<double> samples, double q);

/// Median, p10, p90, min and max of `samples` (all 0 for none). Throws ModelError on a NaN.
TimingSummary summarize_timings(const std::vector<double>& samples);

}  // namespace trainsim::calibration
