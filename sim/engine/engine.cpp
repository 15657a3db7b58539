#include "sim/engine/engine.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/error.hpp"
#include "sim/engine/max_min.hpp"

namespace trainsim::sim::engine {
namespace {
constexpr double kNsPerS = 1e9;

std::string horizon_text() {
  return fmt::format("the simulator's clock ends at {:.0e} s (about {:.0f} years)",
                     static_cast<double>(kHorizonNs) / kNsPerS,
                     static_cast<double>(kHorizonNs) / kNsPerS / (365.25 * 86400.0));
}
}  // namespace

void throw_bad_duration(double seconds) {
  if (!(std::ceil(seconds * kNsPerS) >= 0.0)) {
    throw ModelError(
        fmt::format("a simulated duration must be finite and not negative, got {} s", seconds));
  }
  throw ModelError(fmt::format(
      "a simulated duration of {:.3g} s is longer than the whole simulation may last: {}; a "
      "latency is far too large or a rate far too small",
      seconds, horizon_text()));
}

ResourceId Engine::add_resource(double capacity, std::string name) {
  if (!(capacity > 0) || !std::isfinite(capacity)) {
    throw ModelError(
        fmt::format("resource '{}' needs a positive finite capacity, got {}", name, capacity));
  }
  Resource r;
  r.capacity = capacity;
  names_.push_back(std::move(name));
  resources_.push_back(std::move(r));
  return static_cast<ResourceId>(resources_.size() - 1);
}

std::uint32_t Engine::push(TimeNs t, EventKind kind, std::uint32_t id) {
  if (seq_ >= kNoEvent) {
    throw ModelError("the event engine ran past 4,294,967,294 events in one simulation");
  }
  if (id >= (1u << 30)) throw ModelError("the event engine ran past 2^30 concurrent activities");
  if (t > kHorizonNs) {
    throw ModelError(fmt::format(
        "an event falls {:.3g} s into the simulation, past its end: {}; a latency is far too "
        "large or a rate far too small",
        static_cast<double>(t) / kNsPerS, horizon_text()));
  }
  const auto seq = static_cast<std::uint32_t>(seq_++);
  queue_.push({.tag = (id << 2) | static_cast<std::uint32_t>(kind), .seq = seq, .time = t});
  return seq;
}

ActivityId Engine::start(const ActivitySpec& spec, Handler on_done) {
  if (!(spec.work >= 0) || !std::isfinite(spec.work)) {
    throw ModelError(
        fmt::format("activity work must be finite and non-negative, got {}", spec.work));
  }
  if (std::isnan(spec.rate_cap) || spec.rate_cap <= 0)
    throw ModelError("activity rate cap must be positive");
  if (spec.latency_ns < 0) throw ModelError("activity latency must not be negative");
  if (spec.uses.empty() && std::isinf(spec.rate_cap) && spec.work > 0) {
    throw ModelError("an activity with work needs a resource or a finite rate cap");
  }
  for (const auto& u : spec.uses) {
    if (u.resource >= resources_.size()) throw ModelError("activity uses an unknown resource");
    if (!(u.weight > 0) || !std::isfinite(u.weight))
      throw ModelError("activity weight must be positive and finite");
  }
  ActivityId id = 0;
  if (!free_activities_.empty()) {
    id = free_activities_.back();
    free_activities_.pop_back();
  } else {
    id = static_cast<ActivityId>(activities_.size());
    activities_.emplace_back();
  }
  Activity& a = activities_[id];
  a.work = spec.work;
  a.remaining = spec.work;
  a.rate = 0;
  a.cap = spec.rate_cap;
  a.last = now_;
  a.uses.clear();
  for (const auto& u : spec.uses) a.uses.push_back({u.resource, 0, u.weight});
  a.shared = 0;
  a.done = std::move(on_done);
  a.pending = kNoEvent;
  a.due = kNever;
  a.live = true;
  ++active_count_;
  max_concurrent_ = std::max(max_concurrent_, active_count_);
  if (spec.latency_ns > 0) {
    a.pending = push(now_ + spec.latency_ns, EventKind::Activate, id);
  } else {
    activate(id);
  }
  return id;
}

void Engine::at(TimeNs t, Handler handler) {
  if (t < now_) throw ModelError("cannot schedule an event in the past");
  std::uint32_t slot = 0;
  if (!free_timers_.empty()) {
    slot = free_timers_.back();
    free_timers_.pop_back();
    timers_[slot] = std::move(handler);
  } else {
    slot = static_cast<std::uint32_t>(timers_.size());
    timers_.push_back(std::move(handler));
  }
  push(t, EventKind::Timer, slot);
}

std::optional<TimeNs> Engine::next_event_time() {
  settle();
  if (queue_.empty()) return std::nullopt;
  return queue_.top().time;
}

double Engine::remaining_now(const Activity& a) const {
  double left = a.remaining - a.rate * static_cast<double>(now_ - a.last) / kNsPerS;
  if (left < 0) left = 0;
  return left;
}

void Engine::catch_up(Activity& a) {
  if (now_ > a.last) {
    a.remaining = remaining_now(a);
    a.last = now_;
  }
}

double Engine::busy_seconds(ResourceId id) const {
  const Resource& r = resources_[id];
  double work = r.busy_work;
  for (const ActRef& ref : r.acts) {
    const Activity& a = activities_[ref.id];
    work += a.uses[ref.use].weight * (a.work - remaining_now(a));
  }
  return work / r.capacity;
}

void Engine::schedule_completion(ActivityId id) {
  // The activity's work completes at `due`. Its queued event may be earlier than that (a re-solve
  // slowed it down): the event is then kept as a wake-up, which, when it fires, re-queues the
  // activity at its `due` of that moment. Only a due earlier than the queued event needs a new
  // event (the old one goes stale). A flow slowed by every newcomer on its links thus costs no
  // queue operation per newcomer; completion times are exactly those of an event per change.
  Activity& a = activities_[id];
  if (a.remaining <= 0) {
    a.due = now_;
  } else if (!(a.rate > 0)) {
    a.due = kNever;  // stalled until a re-solve gives it bandwidth
  } else {
    // Past the horizon the activity waits for a faster rate (another flow may end and free
    // bandwidth); if none comes, run() reports it.
    const double dt = std::ceil(a.remaining / a.rate * kNsPerS);
    a.due = dt > static_cast<double>(kHorizonNs - now_) ? kNever : now_ + static_cast<TimeNs>(dt);
  }
  if (a.due == kNever) return;
  if (a.pending != kNoEvent && a.pending_time <= a.due) return;  // the earlier event wakes it
  a.pending = push(a.due, EventKind::Complete, id);
  a.pending_time = a.due;
}

void Engine::activate(ActivityId id) {
  Activity& a = activities_[id];
  if (a.uses.empty()) {
    a.rate = a.cap;
    a.last = now_;
    schedule_completion(id);
    return;
  }
  // Its rate (and its neighbours') is solved with every other change of this instant (settle()).
  a.rate = 0;
  a.last = now_;
  a.alone_rate = a.cap;
  for (std::size_t i = 0; i < a.uses.size(); ++i) {
    Resource& r = resources_[a.uses[i].resource];
    a.alone_rate = std::min(a.alone_rate, r.capacity / a.uses[i].weight);
    // Its entry makes the resource shared: the one entry already there (1 → 2) counts it now.
    if (r.acts.size() == 1) ++activities_[r.acts[0].id].shared;
    if (!r.acts.empty()) ++a.shared;
    a.uses[i].slot = static_cast<std::uint32_t>(r.acts.size());
    r.acts.push_back({id, static_cast<std::uint32_t>(i)});
  }
  mark_changed(a.uses.front().resource);
}

void Engine::settle() {
  // Changes made at this instant are solved once no event is left at it: a queued event at the
  // same time may still start or end activities on the same links.
  if (changed_.empty()) return;
  if (!queue_.empty() && queue_.top().time <= now_) return;
  resolve(changed_);
  changed_.clear();
}

void Engine::resolve(const std::vector<ResourceId>& seeds) {
  // Each connected component the seeds touch is solved on its own: progressive filling over a
  // union of components would take one round per distinct fair-share level of all of them, each
  // round over all their flows — quadratic in the number of components changed at one instant.
  ++epoch_;
  for (ResourceId seed : seeds) {
    if (resources_[seed].mark == epoch_) continue;  // in a component solved already
    solve_component(seed);
  }
}

void Engine::solve_component(ResourceId seed) {
  const Resource& seed_res = resources_[seed];
  if (seed_res.acts.size() == 1 && activities_[seed_res.acts[0].id].shared == 0) {
    // The component is one activity whose resources are all its own (none can be reached from
    // another component): its rate is its alone_rate, with no search. Its other resources may
    // be seeds of this instant too; the activity's mark skips them.
    const ActivityId id = seed_res.acts[0].id;
    Activity& act = activities_[id];
    if (act.mark == epoch_) return;
    act.mark = epoch_;
    ++resolves_;
    catch_up(act);
    if (act.rate != act.alone_rate) {
      act.rate = act.alone_rate;
      schedule_completion(id);
    }
    return;
  }
  ++resolves_;
  comp_res_.clear();
  comp_act_.clear();
  resources_[seed].mark = epoch_;
  comp_res_.push_back(seed);
  // Breadth-first over resources and the activities using them (deterministic order).
  for (std::size_t i = 0; i < comp_res_.size(); ++i) {
    for (const ActRef& ref : resources_[comp_res_[i]].acts) {
      const ActivityId a = ref.id;
      Activity& act = activities_[a];
      if (act.mark == epoch_) continue;
      act.mark = epoch_;
      comp_act_.push_back(a);
      for (const auto& u : act.uses) {
        if (resources_[u.resource].mark != epoch_) {
          resources_[u.resource].mark = epoch_;
          comp_res_.push_back(u.resource);
        }
      }
    }
  }
  // Bring every activity's remaining work up to now at its old rate.
  for (ActivityId a : comp_act_) catch_up(activities_[a]);

  std::vector<double>& rates = rates_;
  rates.clear();
  // (A lone activity with resources of its own took the shortcut above; one here shares a
  // resource with another or lists one twice.)
  if (!comp_act_.empty()) {
    // A resource only one activity uses is that activity's own rate limit (capacity / weight):
    // it goes into the flow's cap, which progressive filling treats exactly as it would the
    // resource (same level, same binding test). Only shared resources reach the solver — in an
    // expert all-to-all, the one flow over a group's 256 ports shares a handful of NIC ports with
    // pipeline sends, and the rest are its own.
    comp_caps_.clear();
    for (ResourceId r : comp_res_) {
      if (resources_[r].acts.size() < 2) continue;
      resources_[r].local = static_cast<std::uint32_t>(comp_caps_.size());
      comp_caps_.push_back(resources_[r].capacity);
    }
    flow_caps_.clear();
    flow_offsets_.assign(1, 0);
    flow_uses_.clear();
    for (ActivityId a : comp_act_) {
      const Activity& act = activities_[a];
      double cap = act.cap;
      for (const auto& u : act.uses) {
        const Resource& res = resources_[u.resource];
        if (res.acts.size() < 2) {
          cap = std::min(cap, res.capacity / u.weight);
        } else {
          flow_uses_.push_back({res.local, u.weight});
        }
      }
      flow_caps_.push_back(cap);
      flow_offsets_.push_back(static_cast<std::uint32_t>(flow_uses_.size()));
    }
    solver_.solve_valid(comp_caps_, FlowTable{flow_caps_, flow_offsets_, flow_uses_}, rates);
  }
  for (std::size_t i = 0; i < comp_act_.size(); ++i) {
    Activity& act = activities_[comp_act_[i]];
    const bool changed = act.rate != rates[i];
    act.rate = rates[i];
    if (changed) schedule_completion(comp_act_[i]);
  }
}

void Engine::complete(ActivityId id) {
  Activity& a = activities_[id];
  a.remaining = 0;
  a.live = false;
  --active_count_;
  for (std::size_t i = 0; i < a.uses.size(); ++i) {
    Resource& r = resources_[a.uses[i].resource];
    r.busy_work += a.uses[i].weight * a.work;
    const std::uint32_t pos = a.uses[i].slot;
    const ActRef moved = r.acts.back();
    r.acts[pos] = moved;
    r.acts.pop_back();
    if (moved.id != id) activities_[moved.id].uses[moved.use].slot = pos;
    if (r.acts.size() == 1) --activities_[r.acts[0].id].shared;  // 2 → 1: no longer shared
    if (!r.acts.empty()) mark_changed(a.uses[i].resource);
  }
  a.rate = 0;
  Handler done = std::move(a.done);
  a.done = nullptr;
  free_activities_.push_back(id);
  if (done) done();
}

bool Engine::step() {
  for (settle(); !queue_.empty(); settle()) {
    const detail::QueuedEvent ev = queue_.top();
    queue_.pop();
    const auto kind = static_cast<EventKind>(ev.tag & 3u);
    const std::uint32_t id = ev.tag >> 2;
    switch (kind) {
      case EventKind::Timer: {
        now_ = ev.time;
        ++events_;
        Handler h = std::move(timers_[id]);
        timers_[id] = nullptr;
        free_timers_.push_back(id);
        if (h) h();
        return true;
      }
      case EventKind::Activate: {
        Activity& a = activities_[id];
        if (!a.live || a.pending != ev.seq) continue;
        a.pending = kNoEvent;
        now_ = ev.time;
        ++events_;
        activate(id);
        return true;
      }
      case EventKind::Complete: {
        Activity& a = activities_[id];
        if (!a.live || a.pending != ev.seq) continue;  // superseded by a re-solve
        if (ev.time < a.due) {
          // A wake-up: the activity was slowed after this event was queued; queue its due time
          // (nothing happens now, so the clock does not move and no event is counted).
          a.pending = kNoEvent;
          if (a.due != kNever) {
            a.pending = push(a.due, EventKind::Complete, id);
            a.pending_time = a.due;
          }
          continue;
        }
        now_ = ev.time;
        ++events_;
        complete(id);
        return true;
      }
    }
  }
  return false;
}

void Engine::run() {
  while (step()) {
  }
  if (active_count_ == 0) return;
  // Every live activity has a positive rate (capacities and caps are positive), so one still
  // running once no event is left would complete only past the horizon: name the slowest.
  const Activity* slowest = nullptr;
  for (const Activity& a : activities_) {
    if (a.live && (!slowest || a.remaining / a.rate > slowest->remaining / slowest->rate))
      slowest = &a;
  }
  std::string where = "no resource (a rate cap)";
  if (slowest && !slowest->uses.empty()) where = "'" + names_[slowest->uses.front().resource] + "'";
  throw ModelError(fmt::format(
      "{} activities cannot finish before the end of the simulated time: {}; the slowest has "
      "{:.3g} units of work left at {:.3g} units/s on {} — a rate (peak_flops, hbm_bw, NVLink or "
      "NIC bandwidth) is far too small for the work",
      active_count_, horizon_text(), slowest ? slowest->remaining : 0.0,
      slowest ? slowest->rate : 0.0, where));
}

void Engine::run_until(TimeNs t) {
  for (settle(); !queue_.empty() && queue_.top().time <= t; settle()) step();
  if (t > now_) now_ = t;
}

}  // namespace trainsim::sim::engine
