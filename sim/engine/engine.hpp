#pragma once
// A fluid, flow-level discrete-event engine in the style of SimGrid. It knows nothing of GPUs:
// resources have a capacity (work units per second); activities have remaining work, an optional
// start latency, an optional rate cap and the resources they use (each with a weight: capacity
// consumed per unit of the activity's rate). Rates are max-min fair (max_min.hpp) and re-solved,
// only over the connected components that changed, once per instant at which activities start or
// end: every start and end at one clock value marks its resources, and each changed component is
// solved once before the clock moves on (the allocation is unique, so this equals a solve per
// change, which lockstep ranks would repeat hundreds of times over the same component). The clock
// (integer nanoseconds) jumps to the next event; events are ordered on (time, sequence number),
// so the same inputs always give the same trace. Completion times are rounded up to whole ns and
// remaining work is updated lazily from each activity's last rate change.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "sim/engine/event_queue.hpp"
#include "sim/engine/max_min.hpp"
#include "sim/engine/small_list.hpp"

namespace trainsim::sim::engine {

using TimeNs = std::int64_t;

/// The last instant the clock may reach: 4·10^18 ns = 4·10^9 s, about 127 years. The clock is an
/// int64 of nanoseconds (2^63 ns ≈ 292 years); stopping well short of that keeps every sum of a
/// time and a duration representable. A step or collective longer than this is a sign of a rate
/// that is far too small or an amount of work far too large, reported as a ModelError.
inline constexpr TimeNs kHorizonNs = 4'000'000'000'000'000'000;

/// Throws the ModelError seconds_to_ns() reports for `seconds` (NaN, negative or too long).
[[noreturn]] void throw_bad_duration(double seconds);

/// `seconds` rounded up to whole nanoseconds. Throws ModelError when it is NaN, negative or
/// beyond kHorizonNs (converting such a double to an integer is undefined behaviour). Inline:
/// every compute segment and flow converts its duration.
inline TimeNs seconds_to_ns(double seconds) {
  const double ns = std::ceil(seconds * 1e9);
  if (!(ns >= 0.0) || ns > static_cast<double>(kHorizonNs)) throw_bad_duration(seconds);
  return static_cast<TimeNs>(ns);
}
using ResourceId = std::uint32_t;
using ActivityId = std::uint32_t;
/// Called when an activity completes or a timer fires; may start activities and timers.
using Handler = std::function<void()>;

struct ActivityUse {
  ResourceId resource = 0;
  double weight = 1.0;  ///< capacity of `resource` consumed per unit of the activity's rate
};

struct ActivitySpec {
  double work = 0;                                            ///< units of work; ≥ 0 and finite
  double rate_cap = std::numeric_limits<double>::infinity();  ///< units per second
  TimeNs latency_ns = 0;  ///< delay before the work starts (e.g. link latency α)
  /// A resource listed twice is used twice: its weights add.
  std::vector<ActivityUse> uses;
};

class Engine {
 public:
  /// A resource of `capacity` work units per second (> 0, finite).
  ResourceId add_resource(double capacity, std::string name = {});
  /// Starts an activity now; `on_done` runs when its work is done. Throws ModelError on bad input
  /// (negative/NaN work, unknown resource, an activity that could never finish).
  ActivityId start(const ActivitySpec& spec, Handler on_done);
  /// Runs `handler` at absolute time `t` (≥ now).
  void at(TimeNs t, Handler handler);

  TimeNs now() const { return now_; }
  /// The time of the next event (after settling the rates of changes made at the current instant,
  /// which may queue completions); nullopt when none is left.
  std::optional<TimeNs> next_event_time();
  /// Processes the next event; false when none is left.
  bool step();
  /// Runs until no event is left. Throws ModelError when activities are still running then:
  /// at their rates they would finish only past kHorizonNs.
  void run();
  /// Runs every event with time ≤ t, then sets the clock to t.
  void run_until(TimeNs t);

  std::uint64_t events_processed() const { return events_; }
  /// Events queued so far (timers, activations, completions); grows by one per queued event, so
  /// an unchanged value means nothing was queued in between.
  std::uint64_t events_queued() const { return seq_; }
  /// Connected components re-solved so far (one per changed component per instant).
  std::uint64_t resolves() const { return resolves_; }
  std::size_t max_concurrent() const { return max_concurrent_; }
  std::size_t active_activities() const { return active_count_; }
  /// Integral over time of used capacity / capacity, seconds, up to now: Σ over the activities
  /// that used `r` of weight × the work they did (∫ Σ weight·rate dt), over the capacity. Kept
  /// per activity, not per rate change: a re-solve costs nothing for it.
  double busy_seconds(ResourceId r) const;
  const std::string& resource_name(ResourceId r) const { return names_[r]; }

 private:
  struct Use {
    ResourceId resource = 0;
    std::uint32_t slot = 0;  ///< position in the resource's activity list
    double weight = 1.0;
  };
  struct Activity {
    double work = 0;  ///< the work it started with
    double remaining = 0;
    double rate = 0;
    double cap = std::numeric_limits<double>::infinity();
    /// Its rate when no other activity shares a resource with it: min(cap, capacity / weight
    /// over its uses), fixed when it starts to use them (capacities do not change).
    double alone_rate = std::numeric_limits<double>::infinity();
    TimeNs last = 0;
    /// The resources it uses, each with its weight and its position in that resource's list
    /// (one array, so a completion touches one allocation).
    std::vector<Use> uses;
    Handler done;
    std::uint32_t pending = kNoEvent;  ///< seq of its one valid queued event (others are stale)
    TimeNs pending_time = 0;           ///< time of that event (≤ due: it may be a wake-up)
    TimeNs due = kNever;               ///< when its work completes at the current rate
    std::uint32_t mark = 0;
    /// How many of its uses are on a resource with two or more entries (0: its connected
    /// component is itself, and a re-solve gives it alone_rate without a search).
    std::uint32_t shared = 0;
    bool live = false;
  };
  /// An activity on a resource's list and which of its uses that resource is, so taking it
  /// off the list fixes the moved entry's slot without scanning the moved activity's uses (an
  /// expert all-to-all's flow has hundreds).
  struct ActRef {
    ActivityId id = 0;
    std::uint32_t use = 0;  ///< index into activities_[id].uses
  };
  /// One cache line: its fields and, for up to four activities (almost every link at almost
  /// every instant), its activity list.
  struct alignas(64) Resource {
    double capacity = 0;
    SmallList<ActRef, 4> acts;
    /// Σ weight × work of the activities that used it and completed (work units); busy seconds
    /// add the work its live activities have done so far and divide by the capacity.
    double busy_work = 0;
    std::uint32_t mark = 0;
    std::uint32_t local = 0;  ///< index inside the component being solved
  };
  static_assert(sizeof(Resource) == 64, "a resource is one cache line");
  enum class EventKind : std::uint8_t { Timer, Activate, Complete };
  static constexpr std::uint32_t kNoEvent = 0xFFFFFFFFu;
  static constexpr TimeNs kNever = std::numeric_limits<TimeNs>::max() / 2;

  /// Queues an event; returns its sequence number. Throws ModelError past 2^32 − 1 events in
  /// one engine (the queue keeps 32-bit sequence numbers) or 2^30 activities or timers.
  std::uint32_t push(TimeNs t, EventKind kind, std::uint32_t id);
  void activate(ActivityId a);
  void complete(ActivityId a);
  /// Marks the components of `resource`'s activities for the re-solve of this instant.
  void mark_changed(ResourceId resource) { changed_.push_back(resource); }
  /// Re-solves the changed components when no event is left at the current instant.
  void settle();
  /// Re-solves every connected component that holds one of `seeds`, each on its own.
  void resolve(const std::vector<ResourceId>& seeds);
  /// Re-solves the connected component of `seed` (resources and activities not yet marked in
  /// this epoch).
  void solve_component(ResourceId seed);
  void schedule_completion(ActivityId a);
  /// `a`'s work left at now_ at its current rate (remaining work is updated lazily).
  double remaining_now(const Activity& a) const;
  /// Brings `a`'s remaining work up to now_ at its old rate (before its rate changes).
  void catch_up(Activity& a);

  TimeNs now_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t events_ = 0;
  std::uint64_t resolves_ = 0;
  std::size_t active_count_ = 0;
  std::size_t max_concurrent_ = 0;
  std::uint32_t epoch_ = 0;
  std::vector<Resource> resources_;
  std::vector<std::string> names_;  ///< per resource, apart from the hot fields
  std::vector<Activity> activities_;
  std::vector<ActivityId> free_activities_;
  std::vector<Handler> timers_;
  std::vector<std::uint32_t> free_timers_;
  detail::EventQueue queue_;
  // Scratch for component solves (kept to avoid reallocation).
  std::vector<ResourceId> comp_res_;
  std::vector<ActivityId> comp_act_;
  std::vector<ResourceId> changed_;  ///< resources whose activities changed at this instant
  std::vector<double> rates_;
  std::vector<double> comp_caps_, flow_caps_;
  std::vector<std::uint32_t> flow_offsets_;
  std::vector<FlowUse> flow_uses_;
  MaxMinSolver solver_;
};

}  // namespace trainsim::sim::engine
