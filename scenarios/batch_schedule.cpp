#include "scenarios/batch_schedule.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace trainsim::scenarios {
namespace {

std::int64_t round_to_granule(double batch, std::int64_t granularity) {
  const double g = static_cast<double>(granularity);
  const double granules = std::max(1.0, std::round(batch / g));
  return static_cast<std::int64_t>(granules) * granularity;
}

void append(std::vector<BatchSegment>& out, std::int64_t batch, double steps, double tokens) {
  if (steps <= 0) return;
  if (!out.empty() && out.back().batch == batch) {
    out.back().steps += steps;
    out.back().tokens += tokens;
  } else {
    out.push_back({batch, steps, tokens});
  }
}

/// "1,000,000" for messages.
std::string with_commas(double v) {
  std::string digits = fmt::format("{:.0f}", v);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3)
    digits.insert(static_cast<std::size_t>(i), ",");
  return digits;
}

}  // namespace

std::string phase_size_problem(const Phase& phase, std::int64_t granularity) {
  if (granularity < 1 || phase.tokens <= 0 || phase.seq_len < 1) return "";
  const double seq = static_cast<double>(phase.seq_len);
  const std::int64_t largest = std::max(phase.batch.start, phase.batch.end);
  // Steps are at least tokens / (largest batch × seq_len): a lower bound, so never a false alarm.
  const double min_steps =
      phase.tokens / (static_cast<double>(std::max<std::int64_t>(1, largest)) * seq);
  if (min_steps > kMaxStepsPerPhase) {
    return fmt::format(
        "phase '{}': {:.4g} tokens at seq_len {} and a batch of at most {} sequences is at least "
        "{:.4g} steps; a phase may have at most {} steps (raise the batch or seq_len, or lower "
        "tokens)",
        phase.name, phase.tokens, phase.seq_len, largest, min_steps,
        with_commas(kMaxStepsPerPhase));
  }
  if (phase.batch.ramped()) {
    const double g = static_cast<double>(granularity);
    const double span =
        std::abs(static_cast<double>(phase.batch.end) - static_cast<double>(phase.batch.start));
    const double sizes = std::floor(span / g) + 1;
    if (sizes > kMaxBatchSegments) {
      return fmt::format(
          "phase '{}': the batch ramp from {} to {} sequences in multiples of {} passes through "
          "{} batch sizes; at most {} are supported (ramp over a smaller range, or use a larger "
          "dp × micro_batch)",
          phase.name, phase.batch.start, phase.batch.end, granularity, with_commas(sizes),
          with_commas(kMaxBatchSegments));
    }
  }
  return "";
}

std::vector<BatchSegment> batch_segments(const Phase& phase, std::int64_t granularity) {
  if (granularity < 1) throw ModelError("batch granularity must be at least 1");
  if (const std::string why = phase_size_problem(phase, granularity); !why.empty())
    throw ModelError(why);
  std::vector<BatchSegment> out;
  const double seq = static_cast<double>(phase.seq_len);
  const double total = phase.tokens;
  if (total <= 0) return out;
  double consumed = 0;
  if (phase.batch.ramped()) {
    const double b0 = static_cast<double>(phase.batch.start);
    const double b1 = static_cast<double>(phase.batch.end);
    const double ramp_tokens = phase.batch.ramp_tokens;
    const double ramp = std::min(ramp_tokens, total);
    const auto batch_at = [&](double c) {
      return round_to_granule(b0 + (b1 - b0) * c / ramp_tokens, granularity);
    };
    // One segment per iteration: from `consumed`, the steps of batch b continue while the step
    // starts inside the ramp and its batch still rounds to b. That is monotone in the step index
    // (the ramp is linear, rounding monotone), so its length is found by bisection on the index,
    // with the same predicate a step-by-step walk evaluates: identical segments, without the walk.
    while (consumed < ramp) {
      const std::int64_t b = batch_at(consumed);
      const double step_tokens = static_cast<double>(b) * seq;
      const double c0 = consumed;
      const auto in_segment = [&](double j) {
        const double c = c0 + j * step_tokens;
        return c < ramp && batch_at(c) == b;
      };
      // n = number of steps j ≥ 0 in the segment (in_segment(0) holds; find the first j that
      // does not). The ramp bounds it: c0 + j·step_tokens ≥ ramp for j ≥ (ramp − c0)/step + 1.
      double lo = 0;  // in_segment(lo)
      double hi = std::ceil((ramp - c0) / step_tokens) + 1;
      while (in_segment(hi)) hi *= 2;  // float rounding at the top end only
      while (hi - lo > 1) {
        const double mid = std::floor(lo + (hi - lo) / 2);
        (in_segment(mid) ? lo : hi) = mid;
      }
      const double n = hi;
      // The phase ends inside this segment if a step j < n has no more than one step's tokens left.
      // The first such j: total − (c0 + j·step_tokens) ≤ step_tokens.
      const auto ends_at = [&](double j) { return step_tokens >= total - (c0 + j * step_tokens); };
      if (ends_at(n - 1)) {
        double e_lo = -1, e_hi = n - 1;  // !ends_at(e_lo) (by convention at −1), ends_at(e_hi)
        while (e_hi - e_lo > 1) {
          const double mid = std::floor(e_lo + (e_hi - e_lo) / 2);
          (ends_at(mid) ? e_hi : e_lo) = mid;
        }
        const double full = e_hi;
        const double at = c0 + full * step_tokens;
        append(out, b, full, full * step_tokens);
        const double remaining = total - at;
        append(out, b, remaining / step_tokens, remaining);
        return out;
      }
      append(out, b, n, n * step_tokens);
      consumed = c0 + n * step_tokens;
    }
  }
  const std::int64_t b_end = phase.batch.end;
  const double step_tokens = static_cast<double>(b_end) * seq;
  const double remaining = total - consumed;
  if (remaining > 0) append(out, b_end, remaining / step_tokens, remaining);
  return out;
}

std::int64_t step_count(const BatchSegment& segment) {
  return static_cast<std::int64_t>(std::ceil(segment.steps - kPartialStepEpsilon));
}

std::int64_t step_count(const std::vector<BatchSegment>& segments) {
  std::int64_t n = 0;
  for (const auto& seg : segments) n += step_count(seg);
  return n;
}

double total_steps(const std::vector<BatchSegment>& segments) {
  double s = 0;
  for (const auto& seg : segments) s += seg.steps;
  return s;
}

}  // namespace trainsim::scenarios
