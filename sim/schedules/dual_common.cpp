// The eight-phase step shared by DualPipe and DualPipeV, transcribed from the loop structure of
// deepseek-ai/DualPipe dualpipe/dualpipe.py and dualpipe/dualpipev.py (DualPipe.step()):
//   1 nF0        (half−h−1)·2     5 nB1F1B0   half−h−1
//   2 nF0F1      h+1              6 nB1B0     h+1 (second half of these B defer their W)
//   3 nB1W1F1    half−h−1         7 nWB0      half−h−1
//   4 nF0B1F1B0  per_chunk−2·half+h+1   8 nW  h+1
// "Phase" p is the direction nearest the rank; it runs chunk p XOR flip. Zero-bubble B (W
// deferred into a FIFO, popped by the W items) appear in phases 3, 6 and 7; every other
// backward, including the one in an overlapped F&B pair, is a full backward.
#include <cstddef>
#include <deque>
#include <utility>

#include "sim/schedules/detail.hpp"

namespace trainsim::sim::schedules::detail {

std::vector<WorkItem> dual_rank_list(const DualRankParams& p) {
  std::vector<WorkItem> list;
  int f_count[2] = {0, 0};
  int b_count[2] = {0, 0};
  std::deque<std::pair<int, int>> deferred_w;  // (micro-batch, chunk), FIFO

  auto chunk = [&](int phase) { return phase ^ (p.flip ? 1 : 0); };
  auto next_f = [&](int phase) {
    const int c = chunk(phase);
    return std::pair{p.mb_base[static_cast<std::size_t>(c)] + f_count[c]++, c};
  };
  auto next_b = [&](int phase) {
    const int c = chunk(phase);
    return std::pair{p.mb_base[static_cast<std::size_t>(c)] + b_count[c]++, c};
  };
  auto forward = [&](int phase) {
    const auto [mb, c] = next_f(phase);
    list.push_back({WorkKind::F, mb, c});
  };
  auto backward = [&](int phase, bool zero_bubble) {
    const auto [mb, c] = next_b(phase);
    if (zero_bubble) {
      list.push_back({WorkKind::B, mb, c});
      deferred_w.emplace_back(mb, c);
    } else {
      list.push_back({WorkKind::BW, mb, c});
    }
  };
  auto forward_backward = [&](int phase_f, int phase_b) {
    const auto [mf, cf] = next_f(phase_f);
    const auto [mb, cb] = next_b(phase_b);
    list.push_back({WorkKind::FB, mf, cf, mb, cb});
  };
  auto weight = [&]() {
    const auto [mb, c] = deferred_w.front();
    deferred_w.pop_front();
    list.push_back({WorkKind::W, mb, c});
  };

  const int outer = p.half - p.h - 1;              // phases 1 (×2), 3, 5, 7
  const int inner = p.h + 1;                       // phases 2, 6, 8
  for (int i = 0; i < 2 * outer; ++i) forward(0);  // 1: nF0
  for (int i = 0; i < inner; ++i) {                // 2: nF0F1
    forward(0);
    forward(1);
  }
  for (int i = 0; i < outer; ++i) {  // 3: nB1W1F1
    backward(1, true);
    weight();
    forward(1);
  }
  const int main_steps = p.per_chunk - 2 * p.half + p.h + 1;
  for (int i = 0; i < main_steps; ++i) {  // 4: nF0B1F1B0
    if (i == 0 && p.unpaired_first) {
      // dualpipe.py: "We don't overlap these two chunks to further reduce bubble size."
      forward(0);
      backward(1, false);
    } else {
      forward_backward(0, 1);
    }
    forward_backward(1, 0);
  }
  for (int i = 0; i < outer; ++i) {  // 5: nB1F1B0
    backward(1, false);
    forward_backward(1, 0);
  }
  bool zero_bubble = false;  // 6: nB1B0, the second half defers W
  for (int i = 0; i < inner; ++i) {
    if (i == inner / 2 && p.h % 2 == 1) zero_bubble = true;
    backward(1, zero_bubble);
    if (i == inner / 2 && p.h % 2 == 0) zero_bubble = true;
    backward(0, zero_bubble);
  }
  for (int i = 0; i < outer; ++i) {  // 7: nWB0
    weight();
    backward(0, true);
  }
  for (int i = 0; i < inner; ++i) weight();  // 8: nW
  return list;
}

}  // namespace trainsim::sim::schedules::detail
