#include "scenarios/batch_schedule.hpp"

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

}  // namespace

std::vector<BatchSegment> batch_segments(const Phase& phase, std::int64_t granularity) {
  if (granularity < 1) throw ModelError("batch granularity must be at least 1");
  std::vector<BatchSegment> out;
  const double seq = static_cast<double>(phase.seq_len);
  const double total = phase.tokens;
  if (total <= 0) return out;
  double consumed = 0;
  if (phase.batch.ramped()) {
    const double b0 = static_cast<double>(phase.batch.start);
    const double b1 = static_cast<double>(phase.batch.end);
    const double ramp = std::min(phase.batch.ramp_tokens, total);
    // Walk the ramp step by step; bounded because each step consumes at least one granule.
    const double max_steps = ramp / (static_cast<double>(granularity) * seq) + 2;
    for (double step = 0; consumed < ramp && step < max_steps; ++step) {
      const double b_exact = b0 + (b1 - b0) * consumed / phase.batch.ramp_tokens;
      const std::int64_t b = round_to_granule(b_exact, granularity);
      const double step_tokens = static_cast<double>(b) * seq;
      const double remaining = total - consumed;
      if (step_tokens >= remaining) {
        append(out, b, remaining / step_tokens, remaining);
        return out;
      }
      append(out, b, 1.0, step_tokens);
      consumed += step_tokens;
    }
  }
  const std::int64_t b_end = phase.batch.end;
  const double step_tokens = static_cast<double>(b_end) * seq;
  const double remaining = total - consumed;
  if (remaining > 0) append(out, b_end, remaining / step_tokens, remaining);
  return out;
}

double total_steps(const std::vector<BatchSegment>& segments) {
  double s = 0;
  for (const auto& seg : segments) s += seg.steps;
  return s;
}

}  // namespace trainsim::scenarios
