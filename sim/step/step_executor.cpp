#include "sim/step/step_executor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <limits>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "core/error.hpp"
#include "sim/engine/engine.hpp"

namespace trainsim::sim {
namespace {

using engine::Engine;
using engine::TimeNs;
using schedules::WorkItem;
using schedules::WorkKind;

constexpr double kNsPerS = 1e9;
constexpr engine::ResourceId kNoResource = std::numeric_limits<engine::ResourceId>::max();

TimeNs to_ns(double seconds) {
  return engine::seconds_to_ns(seconds);  // throws past the clock's horizon (no int overflow)
}
double to_s(TimeNs ns) {
  return static_cast<double>(ns) / kNsPerS;
}

enum class PassKind { F, B, W, BW };

/// One sequence of segments a rank runs (a pass of one chunk for one micro-batch). Threads live
/// in a pool and are named by index, so engine callbacks capture (executor, index) only and fit
/// std::function's small buffer (no allocation per event).
/// The fields of a Segment the event loop reads, 32 bytes (two to a cache line, against five
/// lines for a Segment with its per-kind breakdown, which is summed once from the stage's own
/// lists: ListTotals). Built once per step from StageWork's lists, in the same order.
struct RunSegment {
  SegmentKind kind = SegmentKind::Compute;
  bool all_reduce = false;
  bool overlapped = false;  ///< collective: the pass goes on computing beside it
  bool waits = false;       ///< compute: starts once the pass's overlapped collective has ended
  double compute_s = 0;
  double expert_fraction = 0;
  double bytes = 0;
};
using RunList = std::vector<RunSegment>;

RunList run_list(const SegmentList& list) {
  RunList out;
  out.reserve(list.size());
  for (const Segment& seg : list)
    out.push_back({seg.kind, seg.all_reduce, seg.overlapped, seg.waits, seg.compute_s,
                   seg.expert_fraction, seg.bytes});
  return out;
}

/// Cache-line aligned, the fields every segment reads (rank, pass, list, position, the flags)
/// first: one line per segment, the second only for collectives and gradient buckets.
struct alignas(64) Thread {
  int rank = 0;
  int item = 0;  ///< index of the work item in the rank's list
  int slot = 0;  ///< 0, or 1 for the backward half of an F&B pair
  PassKind pass = PassKind::F;
  int micro_batch = 0;
  int chunk = 0;
  int stage = 0;
  /// SideCompute segments issued and not yet done: the pass's outputs (its P2P send, the
  /// rank's next work item) do not wait for them, its weight gradients do (thread_done).
  int side_pending = 0;
  const RunList* list = nullptr;  ///< the pass's segments (run_lists_)
  std::size_t pos = 0;            ///< next segment of `list`
  TimeNs segment_start = 0;       ///< when the running segment started
  bool gathering = false;         ///< ZeRO-3: the pass's parameter all-gather is in flight
  bool waiting_gather = false;    ///< the pass has ended its compute and waits for that gather
  /// An overlapped collective of this pass is in flight (a TP one under tp_comm_overlap, or a
  /// segment marked overlapped, e.g. the ring-attention K/V exchange).
  bool tp_async = false;
  bool waiting_async = false;  ///< the pass waits for it (next collective, waiting segment, end)
  bool main_done = false;      ///< the pass's main-stream segments have all ended
  /// overlap_grad_reduce: this pass is its chunk's last backward on the rank, whose gradients
  /// leave in `buckets` equal buckets as its main-stream compute proceeds (grad_bucket_count).
  bool bucketed = false;
  const char* comm_name = "";  ///< name of the running collective (for the timeline)
  TimeNs async_start = 0;      ///< when that collective was issued
  int buckets = 0;
  int buckets_sent = 0;     ///< buckets whose reduction is scheduled (the last goes at the end)
  double grad_total_s = 0;  ///< the pass's main-stream compute seconds (load-scaled)
  double grad_done_s = 0;   ///< of which started so far
};
using ThreadId = std::uint32_t;
constexpr ThreadId kNoThread = std::numeric_limits<ThreadId>::max();
/// Tag of a batched timer entry that wakes a rank's side stream (the rest of the entry is the
/// rank) rather than ending a thread's compute segment.
constexpr std::uint32_t kSideTimer = 0x80000000u;
/// Most gradient buckets per chunk (overlap_grad_reduce): each (chunk, bucket) names a phase of
/// the data-parallel barriers, which must stay below 2^20 (dp_collective).
constexpr int kMaxGradBuckets = 1024;

/// FIFO of the threads waiting for a rank's compute stream. A rank runs at most two threads
/// (an F&B pair), so at most one waits; three slots leave room, and overflowing is an error.
/// Inline, unlike std::deque, which allocates per rank; 16 bytes, so that it fits the rank's
/// first cache line beside mark()'s counters (RankState).
class ThreadQueue {
 public:
  bool empty() const { return size_ == 0; }
  void push_back(ThreadId id) {
    if (size_ == kSlots) throw ModelError("internal error: a rank's compute queue overflowed");
    slots_[static_cast<std::size_t>((head_ + size_) % kSlots)] = id;
    ++size_;
  }
  ThreadId front() const { return slots_[head_]; }
  void pop_front() {
    head_ = static_cast<std::uint8_t>((head_ + 1) % kSlots);
    --size_;
  }

 private:
  static constexpr std::uint8_t kSlots = 3;
  std::array<ThreadId, kSlots> slots_{};
  std::uint8_t head_ = 0, size_ = 0;
};
static_assert(sizeof(ThreadQueue) == 16);

/// Sums over a segment list of the quantities a rank accumulates, split so that any expert load
/// gives its total: x(load) = x + (load − 1)·x_expert, since a segment scales by
/// 1 + (load − 1)·expert_fraction. Summed after the run from each rank's work list, so the hot
/// path of a compute segment touches no per-kind counters.
struct ListTotals {
  std::array<double, kOpKinds> by_kind{}, by_kind_expert{};
  double flops = 0, flops_expert = 0;

  explicit ListTotals(const SegmentList& list) {
    for (const Segment& seg : list) {
      if (!is_compute(seg.kind)) continue;
      for (std::size_t k = 0; k < kOpKinds; ++k) {
        by_kind[k] += seg.by_kind_s[k];
        by_kind_expert[k] += seg.by_kind_s[k] * seg.expert_fraction;
      }
      flops += seg.flops;
      flops_expert += seg.flops * seg.expert_fraction;
    }
  }
};

/// One rank's state. Laid out hot to cold: the first cache line holds what every compute
/// segment reads or writes (mark()'s counters and time accounting, the compute stream), the
/// second the side stream's state, so a segment's start and end touch one line of the rank (two
/// with a side stream), not six.
struct alignas(64) RankState {
  // --- line 1, every compute segment: mark(), start_compute, compute_done (64 bytes) ---
  int computing = 0;
  int communicating = 0;  ///< collectives the rank waits on
  int background = 0;     ///< overlapped collectives (never exposed)
  bool compute_running = false;
  bool side_running = false;
  /// One side timer per rank at most: a run paused and resumed ends later than its timer, which
  /// then fires as a wake-up and is set again for side_due (as the engine re-queues a slowed
  /// flow), so a segment paused many times costs one event per wake-up, not one per run.
  bool side_timer = false;
  bool side_queued = false;  ///< side_queue holds work (side_head < side_queue.size())
  TimeNs last_change = 0;    ///< mark()'s time accounting
  TimeNs compute_ns = 0;
  TimeNs comm_ns = 0;
  TimeNs exposed_ns = 0;
  /// Threads whose next compute segment waits for the rank's single compute stream (F&B pairs
  /// interleave here).
  ThreadQueue compute_queue;

  // --- line 2, the side stream ---
  /// The second compute stream (ParallelPlan::expert_wgrad_side_stream): its segments in issue
  /// order as (thread, segment index); the front one runs while the main stream is idle, is
  /// paused when the main stream starts a segment and resumes with its remaining seconds.
  /// A vector read from side_head (emptied when drained): no allocation for a rank that never
  /// uses the side stream, unlike std::deque.
  std::vector<std::pair<ThreadId, std::size_t>> side_queue;
  std::size_t side_head = 0;
  double side_left_s = -1;       ///< front segment's seconds still to run (−1: not started yet)
  TimeNs side_since = 0;         ///< when its current run began
  TimeNs side_due = 0;           ///< when the running segment ends if it is not paused again
  bool sync_waits_side = false;  ///< the work list is done; the DP sync waits for side work

  // --- per pass and per collective ---
  int position = 0;  ///< pipeline position (0 … pp−1)
  int instance = 0;  ///< which pipeline replica (index inside the stage block)
  std::size_t next_item = 0;
  int active_threads = 0;
  bool syncing = false;
  bool finished = false;
  bool waiting_grads = false;  ///< the list is done and waits for those reductions
  bool in_optimizer = false;
  TimeNs finish = 0;
  int grad_reductions_pending = 0;  ///< overlap_grad_reduce: chunk reductions in flight
  int p2p_sends_pending = 0;        ///< p2p_blocking: sends of the last pass not yet arrived
  /// Pass of each thread slot (F&B pairs use both), −1 when idle: what the phase accounting
  /// (account_phase) attributes the time since `phase_since` to.
  std::array<std::int8_t, 2> slot_pass{-1, -1};
  std::array<int, 2> slot_stage{0, 0};
  /// One communication stream for the expert all-to-alls, as DeepEP runs them: one at a time,
  /// and inside an F&B pair in program order (ep_order: thread slots, see launch()).
  bool ep_busy = false;
  std::vector<std::int8_t> ep_order;
  std::size_t ep_next = 0;
  std::array<ThreadId, 2> ep_parked{kNoThread, kNoThread};
  TimeNs phase_since = 0;
  StepPhases phases;
  ThreadId param_waiter = kNoThread;  ///< a forward that waits for its chunk's gathered weights
  std::size_t next_gather = 0;        ///< index into gather_order_ of the next chunk to gather
  double inflight_bytes = 0;
  double peak_inflight_bytes = 0;
};

struct Barrier {
  std::uint64_t key = 0;  ///< which collective it stands for (checked on every arrival)
  std::size_t cell = 0;   ///< its cell in Executor::segment_cell_ (segment barriers)
  bool in_use = false;
  int expected = 0;
  int arrived = 0;
  std::vector<ThreadId> waiting;  ///< segment barriers: threads whose collective ends at release
  std::vector<std::function<void()>> on_release;  ///< data-parallel sync barriers
};

class Executor {
 public:
  Executor(const StepSetup& setup, StepResult& out) : s_(setup), out_(out) {}

  void run();

 private:
  // --- structure ---
  int stages() const { return static_cast<int>(s_.stages.size()); }
  int ranks() const { return s_.layout.ranks(); }
  int rank_at(int position, int instance) const {
    return position * s_.layout.stage_size() + instance;
  }
  /// Whether `rank` is simulated: every rank, or with the symmetry shortcut only DP replica 0;
  /// with TP folding only TP index 0 (it stands for its group's lanes).
  bool simulated(int rank) const {
    return simulated_.empty() || simulated_[static_cast<std::size_t>(rank)] != 0;
  }
  /// Parallel lanes each simulated flow stands for: the TP group's size when folded, else 1.
  int lanes() const { return fold_ ? s_.layout.tp() : 1; }
  /// Whether the TP groups can be folded exactly (see StepSetup::fold_tensor_parallel).
  bool can_fold_tensor_parallel() const;
  /// Members of [first, first + size·stride) (stride apart) that are simulated.
  int simulated_members(int first, int size, int stride) const {
    if (!s_.symmetric && !fold_) return size;
    int n = 0;
    for (int i = 0; i < size; ++i) n += simulated(first + i * stride) ? 1 : 0;
    return n;
  }
  std::size_t ready_index(int instance, int mb, int stage) const {
    return (static_cast<std::size_t>(instance) * static_cast<std::size_t>(s_.shape.micro_batches) +
            static_cast<std::size_t>(mb)) *
               static_cast<std::size_t>(stages()) +
           static_cast<std::size_t>(stage);
  }

  // --- rank progress ---
  void try_start(int rank);
  bool inputs_ready(int rank, const WorkItem& w) const;
  void launch(int rank, const WorkItem& w, int item);
  ThreadId make_thread(int rank, int item, int slot, PassKind pass, int mb, int chunk);
  Thread& thread(ThreadId id) { return threads_[id]; }
  void advance(ThreadId id);
  /// The pass's main-stream segments ended: its outputs go out and the rank moves on.
  void thread_done(ThreadId id);
  /// The pass's weight gradients are complete (its side work too): per-pass or per-chunk
  /// gradient reduction where the plan overlaps it.
  void pass_gradients_done(const Thread& t);
  /// The rank's work list is done: gradient reduction (unless already under way per chunk),
  /// optimizer, parameter all-gather (unless overlapped with the next step).
  void start_dp_sync(int rank);
  void run_optimizer(int rank);
  /// A data-parallel ring collective of `rank` over its dense and expert groups (bytes each
  /// member's hop moves); `phase` tells apart collectives of one group in flight together.
  void dp_collective(int rank, double dense_bytes, double expert_bytes, std::string_view name,
                     int phase, bool background, std::function<void()> then);
  /// Fills dp_groups_ and each rank's group ids and positions in them.
  void build_dp_groups();
  /// One member's ring hop of a data-parallel sync ended; the last one runs the release
  /// callbacks.
  void arrive(std::uint64_t key);
  /// Part (0…1] of the rank's gradient or parameter bytes that belongs to `chunk`.
  double chunk_share(int position, int chunk, bool expert) const;
  /// overlap_grad_reduce: reduces bucket `bucket` of the chunk's gradients (`share`
  /// of its bytes) beside whatever the rank runs; the optimizer waits for every bucket.
  void reduce_chunk_gradients(int rank, int chunk, int bucket, double share);
  /// Buckets the chunk's gradients leave in: Megatron-Core's default bucket of
  /// max(40,000,000, 1,000,000 × DP) parameters, at least one layer each.
  int grad_bucket_count(int position, int chunk) const;
  /// Schedules the reductions of the buckets whose gradients are final while the pass's next
  /// `seconds` of compute run (from now).
  void schedule_grad_buckets(ThreadId id, double seconds);
  void gather_chunk_parameters(int rank, int chunk);
  /// overlap_param_gather: gathers the rank's next chunk in gather_order_, if any.
  void gather_next_chunk(int rank);
  /// ZeRO-3: the pass's chunk of parameters (see DpSync::zero3).
  void gather_pass_parameters(ThreadId id);
  /// ZeRO-3: the gradients a pass produced, reduce-scattered as it ends (beside later passes:
  /// `phase` keeps each pass's reduction apart).
  void reduce_pass_gradients(int rank, int chunk, int phase);
  /// ZeRO-3 phase ids of a pass (its gather; +1 its reduction), past the per-chunk ones.
  int zero3_phase(int item, int slot) const { return 2 + 2 * chunks_ + 2 * (2 * item + slot); }

  // --- activities ---
  void run_compute(ThreadId id);
  /// A compute segment's seconds on `rank`: its expert share scaled by the rank's expert load.
  double segment_seconds(int rank, const RunSegment& seg) const {
    const double load =
        s_.load_factor.empty() ? 1.0 : s_.load_factor[static_cast<std::size_t>(rank)];
    return seg.compute_s * (1.0 + (load - 1.0) * seg.expert_fraction);
  }
  void start_compute(ThreadId id);
  /// The pass issues its SideCompute segment to the rank's second stream and goes on.
  void issue_side(ThreadId id);
  /// Starts (or resumes) the rank's front side segment if the main stream is idle.
  void try_side(int rank);
  /// The main stream takes the SMs: a running side segment stops, keeping its remaining time.
  void pause_side(int rank);
  void side_wake(int rank);
  void compute_done(ThreadId id);
  /// A timer at `end` for `entry` (a ThreadId whose compute segment ends, or kSideTimer | rank
  /// for a side-stream wake-up), joined to the previous one when that is exact (see there).
  void batched_timer(TimeNs end, std::uint32_t entry);
  /// Runs every entry of batch `b` in order.
  void compute_batch_done(std::uint32_t b);
  void run_collective(ThreadId id);
  /// The pass goes on past an overlapped (tp_comm_overlap) collective it has just issued.
  void continue_after_async(ThreadId id);
  /// Whether the rank's all-to-all stream may start `t`'s next all-to-all now.
  bool ep_stream_free(const Thread& t) const;
  /// An all-to-all of the rank ended: the next in program order may start.
  void ep_stream_release(int rank);
  void collective_done(ThreadId id);
  void send_p2p(int from, int to, double bytes, engine::Handler on_arrival);
  /// A pass's output (or input gradient) to the adjacent stage: sets ready[idx] when the
  /// receiver may use it (StepSetup::p2p_blocking, p2p_gather_s).
  void send_stage_output(int from, int to, double bytes, std::vector<char>& ready,
                         std::uint32_t idx);
  /// The executor's ActivitySpec, reset, to fill and pass to eng_.start() straight away (which
  /// copies it and calls back nothing): flows reuse one buffer of uses instead of allocating one.
  engine::ActivitySpec& new_spec() {
    spec_.work = 0;
    spec_.rate_cap = std::numeric_limits<double>::infinity();
    spec_.latency_ns = 0;
    spec_.uses.clear();
    return spec_;
  }
  engine::ResourceId link_resource(hardware::LinkId link);
  bool is_bottleneck_candidate(hardware::LinkId link) const;
  /// Appends the bottleneck-candidate links of route(from, to) to `spec`, each with `share`: the
  /// link's bytes per byte of the flow's work (1 for a point-to-point flow).
  void add_route(int from, int to, double share, engine::ActivitySpec& spec);
  /// add_route with share 1, cached per (from, to), for a flow that also stands for every lane of
  /// a folded TP group (see lanes(); one lane when not folded): a link k lanes cross gets share k.
  void add_lane_route(int from, int to, engine::ActivitySpec& spec);
  /// Sums the weights of repeated resources in `spec` (each resource once, sorted).
  static void merge_uses(engine::ActivitySpec& spec);
  /// Link uses of one Ulysses all-to-all over the CP group [first, first + size·stride): every
  /// ordered member pair's route (and every folded TP lane's) with share 1/(size − 1) of the
  /// work, cached per group.
  const std::vector<engine::ActivityUse>& cp_all_to_all_uses(int group_first, int group_size,
                                                             int stride);
  /// The link uses and rate cap of one expert all-to-all flow over the EP group [first, first +
  /// size·stride) (see run_collective), built on the group's first dispatch or combine and kept:
  /// they depend only on the group, the direction and the step's fixed expert loads.
  struct EpFlow {
    std::vector<engine::ActivityUse> uses;
    double rate_cap = std::numeric_limits<double>::infinity();
  };
  const EpFlow& ep_flow(bool dispatch, int group_first, int group_size, int stride);
  /// Changes the rank's count of running compute, blocking communication (the rank waits on it)
  /// and background communication (overlapped: never exposed), accounting the interval before.
  void mark(int rank, int d_compute, int d_comm, int d_background = 0);
  /// Adds the time since the rank's last phase change to the phase it was in (StepPhases); call
  /// before anything that changes it (a pass starts or ends, the sync or optimizer starts, ...).
  void account_phase(int rank, TimeNs now);
  /// The pool index of the barrier of a segment collective: one cell per (kind, group, thread
  /// slot), since a group's members cannot be at two collectives of one slot at once (the
  /// barrier holds them); `key` names the collective and is checked.
  std::uint32_t segment_barrier(SegmentKind kind, int group_first, int slot, std::uint64_t key);
  void arrive_segment(std::uint32_t barrier);
  /// The links of every hop of a TP ring (unit weight per hop byte), built once per group.
  const std::vector<engine::ActivityUse>& ring_uses(int group_first, int group_size);
  /// Adds an interval of `rank` (and of the TP lanes it stands for) to the timeline if traced;
  /// a check of one flag when no rank is (the hot path of every segment).
  void record(int rank, std::string_view stream, std::string_view name, int mb, int chunk,
              TimeNs start) {
    if (tracing_) record_traced(rank, stream, name, mb, chunk, start);
  }
  void record_traced(int rank, std::string_view stream, std::string_view name, int mb, int chunk,
                     TimeNs start);

  const StepSetup& s_;
  StepResult& out_;
  Engine eng_;
  /// Engine resource of each topology link, created on first use (kNoResource until then).
  std::vector<engine::ResourceId> link_res_;
  std::deque<Thread> threads_;  ///< pool (deque: references stay valid as it grows)
  /// Compute segments (and side-stream wake-ups) that end together, one timer for all (see
  /// batched_timer).
  std::vector<std::vector<std::uint32_t>> compute_batches_;
  std::vector<std::uint32_t> free_batches_;
  std::uint32_t batch_ = 0;  ///< the batch that may still take segments
  TimeNs batch_end_ = 0;
  std::uint64_t batch_queued_ = std::numeric_limits<std::uint64_t>::max();
  std::vector<ThreadId> free_threads_;
  std::vector<RankState> rank_;
  std::vector<std::vector<WorkItem>> lists_;  ///< per pipeline position
  /// Per stage, the segments of each pass (indexed by PassKind: F, B, W, BW).
  std::vector<std::array<RunList, 4>> run_lists_;
  std::vector<char> ready_f_, ready_b_;
  std::unordered_map<std::uint64_t, Barrier> barriers_;  ///< data-parallel sync (rare)
  std::vector<std::uint32_t> segment_cell_;              ///< 0 = free, else pool index + 1
  std::vector<Barrier> segment_pool_;
  std::vector<std::uint32_t> free_segment_;
  std::vector<std::vector<engine::ActivityUse>> ring_uses_;      ///< per TP group's first rank
  std::vector<std::vector<engine::ActivityUse>> etp_ring_uses_;  ///< expert-TP rings ≠ TP's
  std::vector<std::vector<engine::ActivityUse>> a2a_uses_;       ///< per CP group's first rank
  std::vector<EpFlow> ep_flows_;  ///< per (combine 0 / dispatch 1) × EP group's first rank
  std::vector<hardware::LinkId> route_scratch_;
  /// The one ActivitySpec flows are built in (new_spec()); eng_.start() copies it.
  engine::ActivitySpec spec_;
  std::vector<char> traced_;
  bool tracing_ = false;  ///< some rank is traced (record() has work to do)
  bool fold_ = false;
  /// Per rank, 1 when it is simulated (the symmetry shortcut keeps DP index 0, folding TP index
  /// 0); empty when every rank is. Found once per step: asked for every member of every
  /// collective's group.
  std::vector<std::uint8_t> simulated_;
  /// Cached routes: per sending rank, (destination, index into route_store_) — a rank sends to
  /// at most a few peers (next and previous stage, its DP ring neighbours), so a short scan of
  /// its own list beats a hash lookup.
  std::vector<std::vector<std::pair<int, std::uint32_t>>> route_index_;
  std::vector<std::vector<engine::ActivityUse>> route_store_;
  /// Bytes each member's ring hop moves in the data-parallel phases (whole rank).
  struct DpVolumes {
    double dense_rs = 0, expert_rs = 0, dense_ag = 0, expert_ag = 0;
  } vol_;
  int chunks_ = 1;  ///< model chunks per rank
  /// Per pipeline position and chunk: the work item after which the chunk's gradients are final
  /// (its last W, BW or FB backward), −1 if none.
  std::vector<std::vector<int>> last_grad_item_;
  std::vector<char> params_ready_;  ///< per rank × chunk (overlap_param_gather)
  /// Per pipeline position: its chunks in the order of their first forward (overlap_param_gather
  /// gathers them one after another in that order).
  std::vector<std::vector<int>> gather_order_;
  /// Data-parallel groups (dense and expert), members in rank order, built on first use; per
  /// rank, the id of its dense and expert group and its position in each.
  std::vector<std::vector<int>> dp_groups_;
  std::vector<std::uint32_t> dense_group_, expert_group_;
  std::vector<std::size_t> dense_pos_, expert_pos_;
  /// Per rank: the positions in its dense / expert DP group whose ring hops it sends (its own,
  /// and with the symmetry shortcut those of the unsimulated members it stands for); empty until
  /// its first collective on that group.
  std::vector<std::vector<std::size_t>> dense_senders_, expert_senders_;
  /// Per stage: B's share of its B + W compute (splits an unpaired full backward's time).
  std::vector<double> input_share_;
};

bool Executor::can_fold_tensor_parallel() const {
  const int tp = s_.layout.tp();
  if (!s_.fold_tensor_parallel || tp <= 1 || s_.layout.ep() > 1) return false;
  // An expert-TP group other than the TP group couples TP lanes differently, and expert
  // gradients not split over the TP group are reduced across its lanes: not folded.
  const bool expert_state = s_.dp.expert_grad_bytes > 0 || s_.dp.expert_param_bytes > 0;
  if (s_.layout.expert_tp() != tp && (s_.layout.expert_tp() > 1 || expert_state)) return false;
  if (s_.layout.ranks() % tp != 0) return false;
  for (std::size_t first = 0; first < s_.load_factor.size();
       first += static_cast<std::size_t>(tp)) {
    for (int i = 1; i < tp; ++i) {
      if (s_.load_factor[first + static_cast<std::size_t>(i)] != s_.load_factor[first])
        return false;
    }
  }
  return true;
}

bool Executor::is_bottleneck_candidate(hardware::LinkId link) const {
  // Links that cannot be the bottleneck of any flow are left out of the fluid model, which keeps
  // rate re-solves local: GPU↔NIC PCIe runs at the NIC's rate (the access link already limits
  // it), and leaf↔spine links of a fat-tree are non-blocking (a leaf has as many uplinks as
  // NIC ports). Spine↔aggregation trunks are kept: they carry the fabric's oversubscription.
  const auto kind = s_.topology->link(link).kind;
  return kind != hardware::LinkKind::Pcie && kind != hardware::LinkKind::LeafSpine;
}

void Executor::add_route(int from, int to, double share, engine::ActivitySpec& spec) {
  s_.topology->route_into(from, to, route_scratch_);
  for (hardware::LinkId l : route_scratch_) {
    if (is_bottleneck_candidate(l)) spec.uses.push_back({link_resource(l), share});
  }
}

void Executor::add_lane_route(int from, int to, engine::ActivitySpec& spec) {
  // Folded TP group: the flow from → to stands for the lockstep flows from+i → to+i of every
  // lane i. A link on lane 0's route that k lanes cross carries k times the bytes (e.g. a leaf
  // shared by a node's GPUs); links that only other lanes cross are taken as mirrors of lane 0's
  // (their own NIC, their rail's switches) carrying the mirrored load, and are left out. That is
  // exact when lanes are symmetric; ECMP can hash lanes onto different spines, where an
  // oversubscribed trunk then sees a different load (Llama 3.1 405B: 0.2% shorter 8K step, 5–8%
  // shorter 32K–128K CP steps than every rank explicit).
  // Routes are cached per (from, to), folded or not: a rank sends to the same few peers every
  // micro-batch, and one lookup is cheaper than walking the route's links again.
  auto& index = route_index_[static_cast<std::size_t>(from)];
  auto it = std::find_if(index.begin(), index.end(), [to](const auto& e) { return e.first == to; });
  if (it == index.end()) {
    std::vector<hardware::LinkId> lane0;
    s_.topology->route_into(from, to, lane0);
    std::vector<engine::ActivityUse> uses;
    std::vector<hardware::LinkId> kept;
    for (hardware::LinkId l : lane0) {
      if (!is_bottleneck_candidate(l)) continue;
      kept.push_back(l);
      uses.push_back({link_resource(l), 1.0});
    }
    for (int lane = 1; lane < lanes(); ++lane) {
      s_.topology->route_into(from + lane, to + lane, route_scratch_);
      for (hardware::LinkId l : route_scratch_) {
        const auto pos = std::find(kept.begin(), kept.end(), l);
        if (pos != kept.end()) uses[static_cast<std::size_t>(pos - kept.begin())].weight += 1.0;
      }
    }
    route_store_.push_back(std::move(uses));
    index.emplace_back(to, static_cast<std::uint32_t>(route_store_.size() - 1));
    it = index.end() - 1;
  }
  for (const auto& u : route_store_[it->second]) spec.uses.push_back(u);
}

void Executor::merge_uses(engine::ActivitySpec& spec) {
  // Hops of one ring may cross the same link (e.g. two hops leaving a node through one NIC):
  // the engine wants each resource once, with the summed bytes.
  auto& u = spec.uses;
  std::sort(u.begin(), u.end(), [](const engine::ActivityUse& a, const engine::ActivityUse& b) {
    return a.resource < b.resource;
  });
  std::size_t out = 0;
  for (std::size_t i = 0; i < u.size(); ++i) {
    if (out > 0 && u[out - 1].resource == u[i].resource) {
      u[out - 1].weight += u[i].weight;
    } else {
      u[out++] = u[i];
    }
  }
  u.resize(out);
}

engine::ResourceId Executor::link_resource(hardware::LinkId link) {
  engine::ResourceId& slot = link_res_[link];
  if (slot != kNoResource) return slot;
  const auto& l = s_.topology->link(link);
  const double cap = l.achievable_Bps > 0 ? l.achievable_Bps : l.bandwidth_Bps;
  slot = eng_.add_resource(cap, "");
  return slot;
}

std::uint32_t Executor::segment_barrier(SegmentKind kind, int group_first, int slot,
                                        std::uint64_t key) {
  const std::size_t cell = (static_cast<std::size_t>(kind) * static_cast<std::size_t>(ranks()) +
                            static_cast<std::size_t>(group_first)) *
                               2 +
                           static_cast<std::size_t>(slot);
  if (segment_cell_[cell] == 0) {
    std::uint32_t idx = 0;
    if (!free_segment_.empty()) {
      idx = free_segment_.back();
      free_segment_.pop_back();
    } else {
      idx = static_cast<std::uint32_t>(segment_pool_.size());
      segment_pool_.emplace_back();
    }
    Barrier& b = segment_pool_[idx];
    b.key = key;
    b.cell = cell;
    b.in_use = true;
    b.expected = 0;
    b.arrived = 0;
    b.waiting.clear();
    segment_cell_[cell] = idx + 1;
  }
  const std::uint32_t idx = segment_cell_[cell] - 1;
  if (segment_pool_[idx].key != key) {
    throw ModelError(
        fmt::format("internal error: two collectives of one group overlap (rank group {}, slot {})",
                    group_first, slot));
  }
  return idx;
}

void Executor::arrive_segment(std::uint32_t idx) {
  Barrier& b = segment_pool_[idx];
  if (++b.arrived < b.expected) return;
  std::vector<ThreadId> waiting;
  waiting.swap(b.waiting);
  b.in_use = false;
  segment_cell_[b.cell] = 0;
  free_segment_.push_back(idx);
  // Releasing may start later collectives (and reuse or grow the pool): no reference to `b`
  // past this point.
  for (ThreadId id : waiting) collective_done(id);
  waiting.clear();
  Barrier& again = segment_pool_[idx];
  if (!again.in_use && again.waiting.capacity() < waiting.capacity()) again.waiting.swap(waiting);
}

const std::vector<engine::ActivityUse>& Executor::ring_uses(int group_first, int group_size) {
  // TP rings and expert-TP rings of another size may start at one rank: one cache each.
  auto& cache = group_size == s_.layout.tp() ? ring_uses_ : etp_ring_uses_;
  auto& uses = cache[static_cast<std::size_t>(group_first)];
  if (!uses.empty()) return uses;
  // A TP ring spans its lanes itself (TP folding needs no extra lanes here).
  engine::ActivitySpec spec;
  for (int i = 0; i < group_size; ++i) {
    add_route(group_first + i, group_first + (i + 1) % group_size, 1.0, spec);
  }
  merge_uses(spec);
  uses = std::move(spec.uses);
  return uses;
}

const std::vector<engine::ActivityUse>& Executor::cp_all_to_all_uses(int group_first,
                                                                     int group_size, int stride) {
  auto& uses = a2a_uses_[static_cast<std::size_t>(group_first)];
  if (!uses.empty()) return uses;
  engine::ActivitySpec spec;
  const double share = 1.0 / (group_size - 1.0);
  for (int lane = 0; lane < lanes(); ++lane) {
    for (int i = 0; i < group_size; ++i) {
      for (int j = 0; j < group_size; ++j) {
        if (i != j)
          add_route(group_first + i * stride + lane, group_first + j * stride + lane, share, spec);
      }
    }
  }
  merge_uses(spec);
  uses = std::move(spec.uses);
  return uses;
}

const Executor::EpFlow& Executor::ep_flow(bool dispatch, int group_first, int group_size,
                                          int stride) {
  EpFlow& flow = ep_flows_[(dispatch ? 1u : 0u) * static_cast<std::size_t>(ranks()) +
                           static_cast<std::size_t>(group_first)];
  if (!flow.uses.empty()) return flow;
  // Dispatch: a member sends its tokens out and receives its experts' share (∝ its load);
  // combine is the reverse. Each port carries its routed share of a member's token bytes (IB /
  // NVLink bytes per token byte, times the expert load on the receiving side of dispatch, the
  // sending side of combine).
  const auto& topo = *s_.topology;
  const double ib = s_.moe.ib_per_byte;
  const double nvl = s_.moe.nvlink_per_byte;
  const double nvl_kernel =
      dispatch ? s_.moe.dispatch_nvlink_kernel_Bps : s_.moe.combine_nvlink_kernel_Bps;
  for (int i = 0; i < group_size; ++i) {
    const int m = group_first + i * stride;
    if (!simulated(m)) continue;
    const double load_m =
        s_.load_factor.empty() ? 1.0 : s_.load_factor[static_cast<std::size_t>(m)];
    const double out_scale = dispatch ? 1.0 : load_m;
    const double in_scale = dispatch ? load_m : 1.0;
    if (ib > 0) {
      flow.uses.push_back({link_resource(topo.nic_out(m)), ib * out_scale});
      flow.uses.push_back({link_resource(topo.nic_in(m)), ib * in_scale});
    }
    if (nvl > 0) {
      flow.uses.push_back({link_resource(topo.nvlink_out(m)), nvl * out_scale});
      flow.uses.push_back({link_resource(topo.nvlink_in(m)), nvl * in_scale});
      // The member's kernel issues its NVLink copies at no more than its measured rate. A rank
      // runs one all-to-all at a time (RankState::ep_busy), so its kernel serves this flow
      // alone: a cap on the flow's rate, not a shared resource.
      if (nvl_kernel > 0) flow.rate_cap = std::min(flow.rate_cap, nvl_kernel / (nvl * out_scale));
    }
  }
  return flow;
}

void Executor::mark(int rank, int d_compute, int d_comm, int d_background) {
  RankState& r = rank_[static_cast<std::size_t>(rank)];
  const TimeNs now = eng_.now();
  const TimeNs dt = now - r.last_change;
  if (dt > 0) {
    if (r.computing > 0) r.compute_ns += dt;
    if (r.communicating > 0 || r.background > 0) r.comm_ns += dt;
    if (r.computing == 0 && r.communicating > 0) r.exposed_ns += dt;
  }
  r.last_change = now;
  r.computing += d_compute;
  r.communicating += d_comm;
  r.background += d_background;
}

void Executor::account_phase(int rank, TimeNs now) {
  RankState& r = rank_[static_cast<std::size_t>(rank)];
  const double dt = to_s(now - r.phase_since);
  r.phase_since = now;
  if (dt <= 0) return;
  StepPhases& p = r.phases;
  if (r.finished) {
    p.bubble_s += dt;
  } else if (r.in_optimizer) {
    p.optimizer_s += dt;
  } else if (r.syncing) {
    p.dp_sync_s += dt;
  } else if (r.slot_pass[0] >= 0 && r.slot_pass[1] >= 0) {
    p.overlapped_fb_s += dt;
  } else if (r.slot_pass[0] < 0 && r.slot_pass[1] < 0) {
    p.bubble_s += dt;
  } else {
    const std::size_t slot = r.slot_pass[0] >= 0 ? 0 : 1;
    switch (static_cast<PassKind>(r.slot_pass[slot])) {
      case PassKind::F:
        p.forward_s += dt;
        break;
      case PassKind::B:
        p.backward_input_s += dt;
        break;
      case PassKind::W:
        p.backward_weight_s += dt;
        break;
      case PassKind::BW: {
        const double in = input_share_[static_cast<std::size_t>(r.slot_stage[slot])];
        p.backward_input_s += dt * in;
        p.backward_weight_s += dt * (1.0 - in);
        break;
      }
    }
  }
}

void Executor::record_traced(int rank, std::string_view stream, std::string_view name, int mb,
                             int chunk, TimeNs start) {
  for (int lane = 0; lane < lanes(); ++lane) {
    if (!traced_[static_cast<std::size_t>(rank + lane)]) continue;
    out_.timeline.push_back({rank + lane, std::string(stream), std::string(name), mb, chunk,
                             to_s(start), to_s(eng_.now())});
  }
}

bool Executor::inputs_ready(int rank, const WorkItem& w) const {
  const RankState& r = rank_[static_cast<std::size_t>(rank)];
  auto f_ready = [&](int mb, int chunk) {
    const int st = s_.schedule->stage_of(s_.shape, r.position, chunk);
    return st == 0 || ready_f_[ready_index(r.instance, mb, st)] != 0;
  };
  auto b_ready = [&](int mb, int chunk) {
    const int st = s_.schedule->stage_of(s_.shape, r.position, chunk);
    return st == stages() - 1 || ready_b_[ready_index(r.instance, mb, st)] != 0;
  };
  switch (w.kind) {
    case WorkKind::F:
      return f_ready(w.micro_batch, w.chunk);
    case WorkKind::B:
    case WorkKind::BW:
      return b_ready(w.micro_batch, w.chunk);
    case WorkKind::W:
      return true;
    case WorkKind::FB:
      return f_ready(w.micro_batch, w.chunk) && b_ready(w.micro_batch2, w.chunk2);
  }
  return true;
}

ThreadId Executor::make_thread(int rank, int item, int slot, PassKind pass, int mb, int chunk) {
  ThreadId id = 0;
  if (!free_threads_.empty()) {
    id = free_threads_.back();
    free_threads_.pop_back();
  } else {
    id = static_cast<ThreadId>(threads_.size());
    if (id >= kSideTimer) throw ModelError("internal error: too many concurrent passes");
    threads_.emplace_back();
  }
  Thread& t = threads_[id];
  t = Thread{};
  t.rank = rank;
  t.item = item;
  t.slot = slot;
  t.pass = pass;
  t.micro_batch = mb;
  t.chunk = chunk;
  t.stage = s_.schedule->stage_of(s_.shape, rank_[static_cast<std::size_t>(rank)].position, chunk);
  t.list = &run_lists_[static_cast<std::size_t>(t.stage)][static_cast<std::size_t>(pass)];
  const int position = rank_[static_cast<std::size_t>(rank)].position;
  if (s_.dp.overlap_grad_reduce && !s_.dp.zero3 && (pass == PassKind::W || pass == PassKind::BW) &&
      item ==
          last_grad_item_[static_cast<std::size_t>(position)][static_cast<std::size_t>(chunk)]) {
    t.bucketed = true;
    t.buckets = grad_bucket_count(position, chunk);
    for (const RunSegment& seg : *t.list) {
      if (seg.kind == SegmentKind::Compute) t.grad_total_s += segment_seconds(rank, seg);
    }
  }
  return id;
}

int Executor::grad_bucket_count(int position, int chunk) const {
  // Megatron-Core (megatron/core/distributed/distributed_data_parallel_config.py, bucket_size):
  // "max(40000000, 1000000 * dp_size) parameters" by default; PyTorch DDP's 25 MiB buckets are
  // smaller still. A bucket of at least one layer keeps the count (and the events) bounded; a
  // finer split would only shorten the exposed tail, the last bucket's reduction.
  const StageWork& sw =
      s_.stages[static_cast<std::size_t>(s_.schedule->stage_of(s_.shape, position, chunk))];
  const double params = sw.dense_params + sw.expert_params;
  const double bucket = std::max(40e6, 1e6 * static_cast<double>(s_.dp.dense_group));
  const auto layers = std::max<std::int64_t>(1, sw.last_layer - sw.first_layer);
  const double wanted = std::ceil(params / bucket);
  const auto most = std::min<std::int64_t>(layers, kMaxGradBuckets);
  return static_cast<int>(std::clamp(wanted, 1.0, static_cast<double>(most)));
}

void Executor::schedule_grad_buckets(ThreadId id, double seconds) {
  // The pass's gradients become final as its compute runs: bucket k (of B) once (k+1)/B of the
  // pass's main-stream compute is done (layers of one chunk are alike). Bucket B−1, with what
  // the second stream and the last layer still produce, leaves at the pass's end.
  Thread& t = thread(id);
  const double done = t.grad_done_s;
  t.grad_done_s += seconds;
  while (t.buckets_sent < t.buckets - 1) {
    const double at = t.grad_total_s * (t.buckets_sent + 1) / t.buckets;
    if (at > t.grad_done_s) break;
    const int rank = t.rank, chunk = t.chunk, bucket = t.buckets_sent;
    const double share = 1.0 / t.buckets;
    ++t.buckets_sent;
    ++rank_[static_cast<std::size_t>(rank)].grad_reductions_pending;  // before its timer fires
    eng_.at(eng_.now() + to_ns(std::max(0.0, at - done)), [this, rank, chunk, bucket, share] {
      reduce_chunk_gradients(rank, chunk, bucket, share);
    });
  }
}

void Executor::launch(int rank, const WorkItem& w, int item) {
  RankState& r = rank_[static_cast<std::size_t>(rank)];
  std::array<ThreadId, 2> ids{};
  int count = 1;
  switch (w.kind) {
    case WorkKind::F:
      ids[0] = make_thread(rank, item, 0, PassKind::F, w.micro_batch, w.chunk);
      break;
    case WorkKind::B:
      ids[0] = make_thread(rank, item, 0, PassKind::B, w.micro_batch, w.chunk);
      break;
    case WorkKind::W:
      ids[0] = make_thread(rank, item, 0, PassKind::W, w.micro_batch, w.chunk);
      break;
    case WorkKind::BW:
      ids[0] = make_thread(rank, item, 0, PassKind::BW, w.micro_batch, w.chunk);
      break;
    case WorkKind::FB:
      ids[0] = make_thread(rank, item, 0, PassKind::F, w.micro_batch, w.chunk);
      ids[1] = make_thread(rank, item, 1, PassKind::BW, w.micro_batch2, w.chunk2);
      count = 2;
      break;
  }
  account_phase(rank, eng_.now());
  r.active_threads = count;
  // An F&B pair issues its all-to-alls in program order, as DeepSeek's trace of V3 training
  // shows on its single DeepEP stream (deepseek-ai/profile-data train.json: per layer step,
  // combine(B), attn(F), mlp(B), dispatch(F), dispatch(B), mlp(W), mlp(F), attn(B), attn(W),
  // combine(F)): the backward's first (the gradient of the combine), the forward's dispatch, the
  // backward's second (the gradient of the dispatch), the forward's combine — alternating,
  // backward first; what one pass has beyond the other follows in its own order.
  r.ep_order.clear();
  r.ep_next = 0;
  if (count == 2) {
    auto ep_count = [](const RunList& l) {
      return std::count_if(l.begin(), l.end(), [](const RunSegment& seg) {
        return seg.kind == SegmentKind::EpDispatch || seg.kind == SegmentKind::EpCombine;
      });
    };
    auto nf = ep_count(*thread(ids[0]).list), nb = ep_count(*thread(ids[1]).list);
    while (nf > 0 || nb > 0) {
      for (const int slot : {1, 0, 1, 0}) {
        auto& left = slot == 0 ? nf : nb;
        if (left > 0) {
          r.ep_order.push_back(static_cast<std::int8_t>(slot));
          --left;
        }
      }
    }
  }
  for (int i = 0; i < count; ++i) {
    const Thread& t = thread(ids[static_cast<std::size_t>(i)]);
    r.slot_pass[static_cast<std::size_t>(i)] = static_cast<std::int8_t>(t.pass);
    r.slot_stage[static_cast<std::size_t>(i)] = t.stage;
  }
  for (int i = 0; i < count; ++i) {
    const Thread& t = thread(ids[static_cast<std::size_t>(i)]);
    if (t.pass == PassKind::F) {
      r.inflight_bytes += s_.stages[static_cast<std::size_t>(t.stage)].activation_bytes;
      r.peak_inflight_bytes = std::max(r.peak_inflight_bytes, r.inflight_bytes);
    }
  }
  if (s_.dp.zero3) {
    for (int i = 0; i < count; ++i) {
      const ThreadId id = ids[static_cast<std::size_t>(i)];
      if (thread(id).pass != PassKind::W) gather_pass_parameters(id);
    }
  }
  for (int i = 0; i < count; ++i) advance(ids[static_cast<std::size_t>(i)]);
}

void Executor::gather_pass_parameters(ThreadId id) {
  // ZeRO-3: this pass's chunk of parameters, gathered from the DP group beside its compute.
  // Members of a group run the same work items, so (item, slot) names the pass for all of them.
  Thread& t = thread(id);
  const int position = rank_[static_cast<std::size_t>(t.rank)].position;
  t.gathering = true;
  dp_collective(t.rank, vol_.dense_ag * chunk_share(position, t.chunk, false),
                vol_.expert_ag * chunk_share(position, t.chunk, true), "all-gather (ZeRO-3)",
                zero3_phase(t.item, t.slot), /*background=*/true, [this, id] {
                  Thread& th = thread(id);
                  th.gathering = false;
                  if (th.waiting_gather) {
                    th.waiting_gather = false;
                    mark(th.rank, 0, -1);
                    advance(id);
                  }
                });
}

void Executor::try_start(int rank) {
  RankState& r = rank_[static_cast<std::size_t>(rank)];
  if (r.active_threads > 0 || r.syncing || r.finished || r.p2p_sends_pending > 0) return;
  const auto& list = lists_[static_cast<std::size_t>(r.position)];
  if (r.next_item >= list.size()) {
    if (r.side_head < r.side_queue.size()) {
      r.sync_waits_side = true;  // the last weight gradients are still on the second stream
      return;
    }
    start_dp_sync(rank);
    return;
  }
  const WorkItem& w = list[r.next_item];
  if (!inputs_ready(rank, w)) return;  // woken again when an input arrives
  const int item = static_cast<int>(r.next_item);
  ++r.next_item;
  launch(rank, w, item);
}

void Executor::advance(ThreadId id) {
  Thread& t = thread(id);
  if (t.tp_async &&
      (t.pos >= t.list->size() || !is_compute((*t.list)[t.pos].kind) || (*t.list)[t.pos].waits)) {
    // Collectives of a pass run in issue order, a segment that reads the collective's data waits
    // for it, and a pass ends with its communication done.
    t.waiting_async = true;
    mark(t.rank, 0, +1);
    return;
  }
  if (t.pos >= t.list->size() && t.gathering) {
    t.waiting_gather = true;  // ZeRO-3: the pass's last layers need their gathered weights
    mark(t.rank, 0, +1);
    return;
  }
  if (t.pos >= t.list->size()) {
    if (t.pass == PassKind::F &&
        !params_ready_[static_cast<std::size_t>(t.rank) * static_cast<std::size_t>(chunks_) +
                       static_cast<std::size_t>(t.chunk)]) {
      // overlap_param_gather: a chunk's first forward runs beside its parameter gather, layer
      // by layer in the framework; at chunk granularity it cannot end before the gather does.
      rank_[static_cast<std::size_t>(t.rank)].param_waiter = id;
      mark(t.rank, 0, +1);
      return;
    }
    thread_done(id);
    return;
  }
  const SegmentKind kind = (*t.list)[t.pos].kind;
  if (kind == SegmentKind::Compute) {
    run_compute(id);
  } else if (kind == SegmentKind::SideCompute) {
    issue_side(id);
  } else {
    run_collective(id);
  }
}

void Executor::run_compute(ThreadId id) {
  // One compute stream per rank: kernels of an overlapped F&B pair are issued in turn (as
  // DualPipe interleaves them by hand), while either chunk's communication runs on the SMs
  // reserved for it.
  RankState& r = rank_[static_cast<std::size_t>(thread(id).rank)];
  if (r.compute_running) {
    r.compute_queue.push_back(id);
    return;
  }
  start_compute(id);
}

void Executor::start_compute(ThreadId id) {
  // The stream runs one kernel sequence at a time, so a compute segment needs no shared-rate
  // solve: it is a timer of its full-speed duration (the same ns the engine's rate-1 activity
  // would take, ceil(seconds · 1e9)).
  Thread& t = thread(id);
  const RunSegment& seg = (*t.list)[t.pos];
  RankState& r = rank_[static_cast<std::size_t>(t.rank)];
  if (r.side_running) pause_side(t.rank);
  r.compute_running = true;
  const double work = segment_seconds(t.rank, seg);
  mark(t.rank, +1, 0);
  t.segment_start = eng_.now();
  if (t.bucketed) schedule_grad_buckets(id, work);
  batched_timer(eng_.now() + to_ns(work), id);
}

void Executor::batched_timer(TimeNs end, std::uint32_t entry) {
  // Members of a group released together (a TP or EP barrier) start equal segments at the same
  // instant, one after another. When nothing was queued since the previous batched timer and it
  // ends at the same ns, this one joins it: one event ends both, in the order they started —
  // exactly the order their own timers (consecutive sequence numbers, same time) would run in.
  if (!compute_batches_.empty() && eng_.events_queued() == batch_queued_ && end == batch_end_) {
    compute_batches_[batch_].push_back(entry);
    return;
  }
  std::uint32_t b = 0;
  if (!free_batches_.empty()) {
    b = free_batches_.back();
    free_batches_.pop_back();
  } else {
    b = static_cast<std::uint32_t>(compute_batches_.size());
    compute_batches_.emplace_back();
  }
  compute_batches_[b].push_back(entry);
  eng_.at(end, [this, b] { compute_batch_done(b); });
  batch_ = b;
  batch_end_ = end;
  batch_queued_ = eng_.events_queued();
}

void Executor::compute_batch_done(std::uint32_t b) {
  // The batch's list is swapped out first: ending one segment may start compute segments that
  // form new batches (and grow the pool).
  std::vector<std::uint32_t> ids;
  ids.swap(compute_batches_[b]);
  free_batches_.push_back(b);
  if (batch_ == b) batch_queued_ = std::numeric_limits<std::uint64_t>::max();  // closed
  for (std::uint32_t e : ids) {
    if (e & kSideTimer) {
      side_wake(static_cast<int>(e & ~kSideTimer));
    } else {
      compute_done(e);
    }
  }
  ids.clear();
  if (compute_batches_[b].empty() && compute_batches_[b].capacity() < ids.capacity())
    compute_batches_[b].swap(ids);
}

void Executor::compute_done(ThreadId id) {
  Thread& t = thread(id);
  mark(t.rank, -1, 0);
  static constexpr std::array<std::string_view, 4> kNames = {"F", "B", "W", "BW"};
  record(t.rank, "compute", kNames[static_cast<std::size_t>(t.pass)], t.micro_batch, t.chunk,
         t.segment_start);
  RankState& rs = rank_[static_cast<std::size_t>(t.rank)];
  rs.compute_running = false;
  if (!rs.compute_queue.empty()) {
    const ThreadId next = rs.compute_queue.front();
    rs.compute_queue.pop_front();
    start_compute(next);
  }
  ++t.pos;
  const int rank = t.rank;
  advance(id);
  const RankState& rs_after = rank_[static_cast<std::size_t>(rank)];
  if (rs_after.side_queued) try_side(rank);
}

void Executor::issue_side(ThreadId id) {
  Thread& t = thread(id);
  RankState& r = rank_[static_cast<std::size_t>(t.rank)];
  r.side_queue.emplace_back(id, t.pos);
  r.side_queued = true;
  ++t.side_pending;
  ++t.pos;
  const int rank = t.rank;
  advance(id);
  try_side(rank);
}

void Executor::try_side(int rank) {
  RankState& r = rank_[static_cast<std::size_t>(rank)];
  if (r.side_running || r.compute_running || !r.side_queued) return;
  if (r.side_left_s < 0) {
    const auto [id, pos] = r.side_queue[r.side_head];
    const RunSegment& seg = (*thread(id).list)[pos];
    r.side_left_s = segment_seconds(rank, seg);
  }
  r.side_running = true;
  r.side_since = eng_.now();
  r.side_due = eng_.now() + to_ns(r.side_left_s);
  mark(rank, +1, 0);
  if (!r.side_timer) {
    r.side_timer = true;
    batched_timer(r.side_due, kSideTimer | static_cast<std::uint32_t>(rank));
  }
}

void Executor::pause_side(int rank) {
  RankState& r = rank_[static_cast<std::size_t>(rank)];
  r.side_running = false;
  r.side_left_s = std::max(0.0, r.side_left_s - to_s(eng_.now() - r.side_since));
  mark(rank, -1, 0);
  if (tracing_ && eng_.now() > r.side_since) {  // the thread is read only for the timeline
    const Thread& t = thread(r.side_queue[r.side_head].first);
    record(rank, "compute-side", "W", t.micro_batch, t.chunk, r.side_since);
  }
}

void Executor::side_wake(int rank) {
  RankState& r = rank_[static_cast<std::size_t>(rank)];
  r.side_timer = false;
  if (!r.side_running) return;    // paused: resuming sets the timer again
  if (eng_.now() < r.side_due) {  // paused and resumed since: it ends later
    r.side_timer = true;
    batched_timer(r.side_due, kSideTimer | static_cast<std::uint32_t>(rank));
    return;
  }
  r.side_running = false;
  r.side_left_s = -1;
  mark(rank, -1, 0);
  const ThreadId id = r.side_queue[r.side_head].first;
  if (++r.side_head == r.side_queue.size()) {
    r.side_queue.clear();
    r.side_head = 0;
    r.side_queued = false;
  }
  Thread& t = thread(id);
  record(rank, "compute-side", "W", t.micro_batch, t.chunk, r.side_since);
  if (--t.side_pending == 0 && t.main_done) {
    const Thread copy = t;  // the slot is reused once released
    free_threads_.push_back(id);
    pass_gradients_done(copy);
  }
  if (r.side_queue.empty() && r.sync_waits_side) {
    r.sync_waits_side = false;
    try_start(rank);
  }
  try_side(rank);
}

void Executor::collective_done(ThreadId id) {
  Thread& t = thread(id);
  if (t.tp_async) {  // an overlapped collective ended; the pass may be waiting for it
    t.tp_async = false;
    mark(t.rank, 0, 0, -1);
    record(t.rank, "comm", t.comm_name, t.micro_batch, t.chunk, t.async_start);
    if (t.waiting_async) {
      t.waiting_async = false;
      mark(t.rank, 0, -1);
      advance(id);
    }
    return;
  }
  mark(t.rank, 0, -1);
  record(t.rank, "comm", t.comm_name, t.micro_batch, t.chunk, t.segment_start);
  const SegmentKind kind = (*t.list)[t.pos].kind;
  ++t.pos;
  if (kind == SegmentKind::EpDispatch || kind == SegmentKind::EpCombine) {
    // Releasing the stream first lets the other pass of a pair issue its all-to-all before this
    // pass issues its next one (program order, ep_order).
    const int rank = t.rank;
    ep_stream_release(rank);
    advance(id);
    return;
  }
  advance(id);
}

bool Executor::ep_stream_free(const Thread& t) const {
  const RankState& r = rank_[static_cast<std::size_t>(t.rank)];
  if (r.ep_busy) return false;
  return r.ep_next >= r.ep_order.size() || r.ep_order[r.ep_next] == t.slot;
}

void Executor::ep_stream_release(int rank) {
  RankState& r = rank_[static_cast<std::size_t>(rank)];
  r.ep_busy = false;
  if (r.ep_next < r.ep_order.size()) ++r.ep_next;
  for (std::size_t slot = 0; slot < 2; ++slot) {
    const ThreadId parked = r.ep_parked[slot];
    if (parked == kNoThread || !ep_stream_free(thread(parked))) continue;
    r.ep_parked[slot] = kNoThread;
    mark(rank, 0, -1);
    run_collective(parked);
    return;
  }
}

void Executor::run_collective(ThreadId id) {
  Thread& t = thread(id);
  const RunSegment& seg = (*t.list)[t.pos];
  const int rank = t.rank;
  const bool ep = seg.kind == SegmentKind::EpDispatch || seg.kind == SegmentKind::EpCombine;
  if (ep) {
    RankState& r = rank_[static_cast<std::size_t>(rank)];
    if (!ep_stream_free(t)) {  // waits for the all-to-all before it on the rank's stream
      r.ep_parked[static_cast<std::size_t>(t.slot)] = id;
      mark(rank, 0, +1);
      return;
    }
    r.ep_busy = true;
  }
  int group_first = rank;
  int group_size = 1;
  int stride = 1;
  const char* kind = "";
  switch (seg.kind) {
    case SegmentKind::EpDispatch:
    case SegmentKind::EpCombine:
      group_first = s_.layout.ep_group_first(rank);
      group_size = s_.layout.ep();
      stride = s_.layout.expert_tp();
      kind = seg.kind == SegmentKind::EpDispatch ? "dispatch" : "combine";
      break;
    case SegmentKind::TpCollective:
      group_first = rank - rank % s_.layout.tp();  // TP is the innermost coordinate
      group_size = s_.layout.tp();
      kind = "tp";
      break;
    case SegmentKind::EtpCollective:  // expert_tp consecutive ranks (rank_layout.hpp)
      group_first = rank - rank % s_.layout.expert_tp();
      group_size = s_.layout.expert_tp();
      kind = "etp";
      break;
    case SegmentKind::CpCollective:
    case SegmentKind::CpAllToAll:
      // CP is next to TP (rank_layout.hpp): this rank's CP index is (rank / tp) % cp.
      group_first = rank - (rank / s_.layout.tp()) % s_.layout.cp() * s_.layout.tp();
      group_size = s_.layout.cp();
      stride = s_.layout.tp();
      kind = "cp";
      break;
    case SegmentKind::Compute:
    case SegmentKind::SideCompute:
      break;
  }
  t.segment_start = eng_.now();
  t.comm_name = kind;
  mark(rank, 0, +1);
  if (group_size <= 1 || seg.bytes <= 0) {
    eng_.at(eng_.now(), [this, id] { collective_done(id); });
    return;
  }
  // Unique per (collective kind, group, work item, thread slot, segment): members of a group share
  // the pipeline position, hence the work list, so they compute the same key.
  const std::uint64_t key = (((static_cast<std::uint64_t>(seg.kind) * 4194304u +
                               static_cast<std::uint64_t>(group_first)) *
                                  65536u +
                              static_cast<std::uint64_t>(t.item)) *
                                 2u +
                             static_cast<std::uint64_t>(t.slot)) *
                                65536u +
                            static_cast<std::uint64_t>(t.pos);
  const std::uint32_t barrier = segment_barrier(seg.kind, group_first, t.slot, key);
  Barrier& b = segment_pool_[barrier];
  b.expected = simulated_members(group_first, group_size, stride);
  b.waiting.push_back(id);
  // tp_comm_overlap, or a TP or CP collective marked overlapped (tp_backward_overlap, the ring-
  // attention K/V exchange): the pass goes on with its next compute segment while the
  // collective runs (it waits for it at its next collective, a segment marked waits, or its
  // end, see advance()).
  const bool async = (seg.kind == SegmentKind::TpCollective && s_.tp_comm_overlap) ||
                     (seg.overlapped && (seg.kind == SegmentKind::CpCollective ||
                                         seg.kind == SegmentKind::TpCollective));
  if (async) {
    t.tp_async = true;
    t.async_start = eng_.now();
    mark(rank, 0, -1, +1);
  }

  // Rates are bytes per second and links are shared fairly per flow (SimGrid's network model):
  // an activity's work is its bytes, and each link's weight is the bytes it carries per byte of
  // work, so a small flow beside a large one gets an equal share until it ends.
  engine::ActivitySpec& spec = new_spec();
  if (seg.kind == SegmentKind::EpDispatch || seg.kind == SegmentKind::EpCombine) {
    // DeepEP's all-to-all starts once every member of the group has joined (its notify kernel
    // is a barrier over the group) and then moves the whole group's tokens together: ONE flow
    // over every member's ports, ending when the slowest member's share has moved (which is
    // when the group is released) — two engine events per group instead of two per member.
    // Work: a member's token bytes; the ports and their shares are the group's (ep_flow).
    if (++b.arrived < b.expected) return;
    b.arrived = b.expected - 1;  // the flow's completion is the release
    const bool dispatch = seg.kind == SegmentKind::EpDispatch;
    spec.work = seg.bytes;
    const EpFlow& flow = ep_flow(dispatch, group_first, group_size, stride);
    spec.uses = flow.uses;
    spec.rate_cap = flow.rate_cap;
    spec.latency_ns = to_ns(s_.moe.latency_s);
  } else {
    // Ring collectives inside the group: TP over NVLink (all-reduce moves 2(p−1)/p of the
    // buffer), CP all-gather of K/V over the NIC ((p−1)/p of the gathered bytes).
    const double p = group_size;
    const double volume = (seg.all_reduce ? 2.0 : 1.0) * (p - 1.0) / p * seg.bytes;
    const int steps = (seg.all_reduce ? 2 : 1) * (group_size - 1);
    spec.latency_ns = to_ns(steps * s_.collective_latency_s);
    if (seg.kind == SegmentKind::TpCollective || seg.kind == SegmentKind::EtpCollective) {
      // A TP (or expert-TP) ring moves in lockstep inside its node, one chunk per hop per step: it
      // starts when its last member joins and runs as ONE flow over every hop's NVLink ports, at
      // the rate of its slowest hop (the bound NCCL's ring bandwidth obeys) — two engine events per
      // group instead of two per member.
      if (++b.arrived < b.expected) {
        if (async) continue_after_async(id);
        return;
      }
      b.arrived = b.expected - 1;  // the flow's completion is the release
      spec.work = volume;          // bytes each hop moves; a link's weight is the hops crossing it
      spec.uses = ring_uses(group_first, group_size);
    } else if (seg.kind == SegmentKind::CpAllToAll) {
      // Ulysses all-to-all (DeepSpeed-Ulysses §3): each member sends bytes/p to each of the
      // p − 1 others, (p−1)/p of its buffer in all, pairwise at once. Like the EP all-to-all it
      // is ONE flow over the group's routes, started when the last member joins; one latency.
      if (++b.arrived < b.expected) return;
      b.arrived = b.expected - 1;  // the flow's completion is the release
      spec.work = volume;
      spec.uses = cp_all_to_all_uses(group_first, group_size, stride);
      spec.latency_ns = to_ns(s_.collective_latency_s);
    } else {
      // A CP ring crosses nodes and shares NICs with the expert all-to-all: each member's hop is
      // its own flow (coupling 8-32 members' NICs into one flow would join every flow on them
      // into one max-min component), and the last hop to finish releases the group.
      const int next = group_first + (((rank - group_first) / stride + 1) % group_size) * stride;
      spec.work = volume;
      add_lane_route(rank, next, spec);
    }
  }
  eng_.start(spec, [this, barrier] { arrive_segment(barrier); });
  if (async) continue_after_async(id);
}

void Executor::continue_after_async(ThreadId id) {
  ++thread(id).pos;
  advance(id);
}

void Executor::send_p2p(int from, int to, double bytes, engine::Handler on_arrival) {
  if (from == to || bytes <= 0) {
    eng_.at(eng_.now(), std::move(on_arrival));
    return;
  }
  engine::ActivitySpec& spec = new_spec();
  spec.work = bytes;
  add_lane_route(from, to, spec);
  spec.latency_ns = to_ns(s_.p2p_latency_s);
  eng_.start(spec, std::move(on_arrival));
}

void Executor::send_stage_output(int from, int to, double bytes, std::vector<char>& ready,
                                 std::uint32_t idx) {
  // Blocking sends (Megatron-LM's _communicate): the sender waits, counted as exposed
  // communication, until its transfer arrives; the receiver's input is ready once the gather of
  // the scattered pieces (p2p_gather_s) has run after that.
  const bool blocking = s_.p2p_blocking && from != to && bytes > 0;
  if (blocking) {
    if (rank_[static_cast<std::size_t>(from)].p2p_sends_pending++ == 0) mark(from, 0, +1);
  }
  std::vector<char>* flags = &ready;
  send_p2p(from, to, bytes, [this, from, to, flags, idx, blocking] {
    if (blocking && --rank_[static_cast<std::size_t>(from)].p2p_sends_pending == 0) {
      mark(from, 0, -1);
      try_start(from);
    }
    auto input_ready = [this, to, flags, idx] {
      (*flags)[idx] = 1;
      try_start(to);
    };
    if (s_.p2p_gather_s > 0 && from != to) {
      eng_.at(eng_.now() + to_ns(s_.p2p_gather_s), input_ready);
    } else {
      input_ready();
    }
  });
}

void Executor::thread_done(ThreadId id) {
  thread(id).main_done = true;
  const Thread t = thread(id);  // a copy: the slot is reused once released below
  if (t.side_pending == 0) free_threads_.push_back(id);  // else when its side work ends
  RankState& r = rank_[static_cast<std::size_t>(t.rank)];
  const int S = stages();
  const int mb = t.micro_batch;
  if (t.pass == PassKind::F && t.stage + 1 < S) {
    const int dest = rank_at(s_.schedule->slot_of(s_.shape, mb, t.stage + 1).rank, r.instance);
    const auto idx = static_cast<std::uint32_t>(ready_index(r.instance, mb, t.stage + 1));
    send_stage_output(t.rank, dest, s_.stages[static_cast<std::size_t>(t.stage)].p2p_bytes,
                      ready_f_, idx);
  }
  if ((t.pass == PassKind::B || t.pass == PassKind::BW) && t.stage > 0) {
    const int dest = rank_at(s_.schedule->slot_of(s_.shape, mb, t.stage - 1).rank, r.instance);
    const auto idx = static_cast<std::uint32_t>(ready_index(r.instance, mb, t.stage - 1));
    send_stage_output(t.rank, dest, s_.stages[static_cast<std::size_t>(t.stage - 1)].p2p_bytes,
                      ready_b_, idx);
  }
  if (t.pass == PassKind::B || t.pass == PassKind::BW) {
    r.inflight_bytes -= s_.stages[static_cast<std::size_t>(t.stage)].activation_bytes;
  }
  if (t.side_pending == 0) pass_gradients_done(t);
  account_phase(t.rank, eng_.now());
  r.slot_pass[static_cast<std::size_t>(t.slot)] = -1;
  if (--r.active_threads == 0) try_start(t.rank);
}

void Executor::pass_gradients_done(const Thread& t) {
  if (s_.dp.zero3 && (t.pass == PassKind::W || t.pass == PassKind::BW)) {
    reduce_pass_gradients(t.rank, t.chunk, zero3_phase(t.item, t.slot) + 1);
  } else if (t.bucketed) {
    // The last bucket, and any whose compute share never ran (a pass without compute).
    const int left = t.buckets - t.buckets_sent;
    ++rank_[static_cast<std::size_t>(t.rank)].grad_reductions_pending;
    reduce_chunk_gradients(t.rank, t.chunk, t.buckets - 1, static_cast<double>(left) / t.buckets);
  }
}

void Executor::dp_collective(int rank, double dense_bytes, double expert_bytes,
                             std::string_view name, int phase, bool background,
                             std::function<void()> then) {
  // The rank's dense and expert data-parallel groups (build_dp_groups).
  if (dp_groups_.empty()) build_dp_groups();
  const auto r = static_cast<std::size_t>(rank);
  const std::vector<int>& dense = dp_groups_[dense_group_[r]];
  const std::vector<int>& expert = dp_groups_[expert_group_[r]];
  std::vector<std::pair<const std::vector<int>*, double>> parts;  // (group, each hop's bytes)
  if (dense.size() > 1 && dense_bytes > 0) parts.emplace_back(&dense, dense_bytes);
  if (expert.size() > 1 && expert_bytes > 0) parts.emplace_back(&expert, expert_bytes);
  if (parts.empty()) {
    eng_.at(eng_.now(), std::move(then));
    return;
  }
  // One ring per group this rank belongs to, then a barrier per group; `then` runs when both
  // groups have released. A background collective (overlapped with the rank's other work)
  // counts as communication but never as exposed: the rank waits on it only where it says so.
  struct Pending {
    int left = 0;
    std::function<void()> then;
  };
  auto pending = std::make_shared<Pending>();
  pending->then = std::move(then);
  pending->left = static_cast<int>(parts.size());
  const TimeNs start = eng_.now();
  const int d_comm = background ? 0 : 1, d_bg = background ? 1 : 0;
  mark(rank, 0, d_comm, d_bg);
  auto one_done = [this, pending, rank, start, name, d_comm, d_bg] {
    if (--pending->left == 0) {
      mark(rank, 0, -d_comm, -d_bg);
      record(rank, "dp", name, -1, -1, start);
      pending->then();
    }
  };
  for (const auto& [group, bytes] : parts) {
    // Unique per (phase, dense or expert, group): phase < 2^20, ranks and group sizes < 2^20.
    const std::uint64_t key =
        (static_cast<std::uint64_t>(1) << 63) |
        ((static_cast<std::uint64_t>(phase) * 2u + (group == &dense ? 0u : 1u)) << 40) |
        (static_cast<std::uint64_t>(group->front()) << 20) |
        static_cast<std::uint64_t>(group->size());
    Barrier& b = barriers_[key];
    // Every member's ring hop is a flow: a ring runs at its slowest hop (e.g. the one that
    // leaves the node). With the symmetry shortcut, a simulated rank also sends the hops of the
    // unsimulated members it stands for (same CP and TP index), so the ring keeps its shape.
    // (One flow per ring over all its hops' links, started by the last member, would be the
    // lockstep ring exactly, but it joins every ring and every pipeline send on the ranks' NICs
    // into one max-min component: Llama 3.1 405B's explicit 4K step ran 5x slower for a 0.01%
    // different step time.)
    // The senders of a rank's group do not change during the step: found once per rank and
    // group (a scan of the group, O(group) per rank), not per collective.
    std::vector<std::size_t>& senders = group == &dense ? dense_senders_[r] : expert_senders_[r];
    if (senders.empty()) {
      senders.push_back(group == &dense ? dense_pos_[r] : expert_pos_[r]);  // positions
      if (s_.symmetric) {
        const RankCoords c = s_.layout.coords(rank);
        for (std::size_t m = 0; m < group->size(); ++m) {
          const int member = (*group)[m];
          if (simulated(member)) continue;
          const RankCoords mc = s_.layout.coords(member);
          if (mc.cp == c.cp && mc.tp == c.tp) senders.push_back(m);
        }
      }
    }
    b.expected = static_cast<int>(group->size());
    b.on_release.push_back(one_done);
    for (const std::size_t at : senders) {
      const int sender = (*group)[at];
      const int next = (*group)[(at + 1) % group->size()];
      engine::ActivitySpec& spec = new_spec();
      spec.work = bytes;
      add_lane_route(sender, next, spec);
      spec.latency_ns = to_ns(static_cast<double>(group->size() - 1) * s_.collective_latency_s);
      eng_.start(spec, [this, key] { arrive(key); });
    }
  }
}

void Executor::arrive(std::uint64_t key) {
  auto it = barriers_.find(key);
  Barrier& bar = it->second;
  if (++bar.arrived < bar.expected) return;
  auto callbacks = std::move(bar.on_release);
  barriers_.erase(it);
  for (auto& cb : callbacks) cb();
}

void Executor::build_dp_groups() {
  // Dense parameters are shared by every rank of the stage with the same TP index; experts by
  // the ranks of the stage holding the same expert shard: the same EP index and expert-TP index,
  // i.e. the same i mod ep·expert_tp (Megatron-Core's expert-DP group, of dp·cp·tp/(ep·expert_tp)
  // ranks). A stage block starts at a multiple of its size (dp·cp·tp), so inside it the TP index
  // is i mod tp (rank_layout.hpp). Every rank is in one group of each kind, so the groups hold
  // 2·ranks members in all: built once, O(ranks), instead of per collective.
  const auto n = static_cast<std::size_t>(ranks());
  dense_group_.assign(n, 0);
  expert_group_.assign(n, 0);
  dense_pos_.assign(n, 0);
  expert_pos_.assign(n, 0);
  dense_senders_.assign(n, {});
  expert_senders_.assign(n, {});
  const int tp = s_.layout.tp(), stage_size = s_.layout.stage_size();
  const int shard_block = std::min(stage_size, s_.layout.ep() * s_.layout.expert_tp());
  std::vector<std::uint32_t> expert_of_shard(static_cast<std::size_t>(shard_block));
  for (int position = 0; position < ranks() / stage_size; ++position) {  // pipeline positions
    const int stage_first = position * stage_size;
    for (int t = 0; t < tp && t < stage_size; ++t) {
      const auto dense_id = static_cast<std::uint32_t>(dp_groups_.size());
      dp_groups_.emplace_back();
      for (int i = t; i < stage_size; i += tp) {
        const int member = stage_first + i;
        const auto m = static_cast<std::size_t>(member);
        dense_group_[m] = dense_id;
        dense_pos_[m] = dp_groups_[dense_id].size();
        dp_groups_[dense_id].push_back(member);
      }
    }
    for (int j = 0; j < shard_block; ++j) {
      expert_of_shard[static_cast<std::size_t>(j)] = static_cast<std::uint32_t>(dp_groups_.size());
      dp_groups_.emplace_back();
    }
    for (int i = 0; i < stage_size; ++i) {  // members in rank order
      const int member = stage_first + i;
      const auto m = static_cast<std::size_t>(member);
      const std::uint32_t expert_id = expert_of_shard[static_cast<std::size_t>(i % shard_block)];
      expert_group_[m] = expert_id;
      expert_pos_[m] = dp_groups_[expert_id].size();
      dp_groups_[expert_id].push_back(member);
    }
  }
}

double Executor::chunk_share(int position, int chunk, bool expert) const {
  // A chunk's part of the rank's gradient and parameter bytes: its stage's parameters over the
  // rank's (equal parts when the stages do not say).
  double mine = 0, all = 0;
  for (int k = 0; k < chunks_; ++k) {
    const StageWork& sw =
        s_.stages[static_cast<std::size_t>(s_.schedule->stage_of(s_.shape, position, k))];
    const double p = expert ? sw.expert_params : sw.dense_params;
    all += p;
    if (k == chunk) mine = p;
  }
  return all > 0 ? mine / all : 1.0 / chunks_;
}

void Executor::reduce_chunk_gradients(int rank, int chunk, int bucket, double share) {
  // overlap_grad_reduce: these gradients of the chunk's last backward on this rank are final;
  // reduce them now, beside whatever the rank runs next (the caller counted the reduction in
  // grad_reductions_pending when it scheduled it). Each (chunk, bucket) has its own phase, so
  // a group's buckets in flight together keep separate barriers.
  RankState& r = rank_[static_cast<std::size_t>(rank)];
  const double dense = vol_.dense_rs * chunk_share(r.position, chunk, false) * share;
  const double expert = vol_.expert_rs * chunk_share(r.position, chunk, true) * share;
  const int phase = 2 + 2 * chunks_ + chunk * kMaxGradBuckets + bucket;
  dp_collective(rank, dense, expert, s_.dp.all_reduce ? "all-reduce" : "reduce-scatter", phase,
                /*background=*/true, [this, rank] {
                  RankState& rs = rank_[static_cast<std::size_t>(rank)];
                  if (--rs.grad_reductions_pending == 0 && rs.waiting_grads) {
                    rs.waiting_grads = false;
                    mark(rank, 0, -1);  // the rank stops waiting on its gradients
                    run_optimizer(rank);
                  }
                });
}

void Executor::reduce_pass_gradients(int rank, int chunk, int phase) {
  // ZeRO-3: the gradients this pass produced, reduce-scattered to their owners as it ends.
  RankState& r = rank_[static_cast<std::size_t>(rank)];
  ++r.grad_reductions_pending;
  dp_collective(rank, vol_.dense_rs * chunk_share(r.position, chunk, false),
                vol_.expert_rs * chunk_share(r.position, chunk, true), "reduce-scatter (ZeRO-3)",
                phase, /*background=*/true, [this, rank] {
                  RankState& rs = rank_[static_cast<std::size_t>(rank)];
                  if (--rs.grad_reductions_pending == 0 && rs.waiting_grads) {
                    rs.waiting_grads = false;
                    mark(rank, 0, -1);
                    run_optimizer(rank);
                  }
                });
}

void Executor::gather_chunk_parameters(int rank, int chunk) {
  // overlap_param_gather: the gather of the previous step's update, behind this step's forward.
  dp_collective(
      rank,
      vol_.dense_ag * chunk_share(rank_[static_cast<std::size_t>(rank)].position, chunk, false),
      vol_.expert_ag * chunk_share(rank_[static_cast<std::size_t>(rank)].position, chunk, true),
      "all-gather", 2 + chunks_ + chunk, /*background=*/true, [this, rank, chunk] {
        params_ready_[static_cast<std::size_t>(rank) * static_cast<std::size_t>(chunks_) +
                      static_cast<std::size_t>(chunk)] = 1;
        RankState& rs = rank_[static_cast<std::size_t>(rank)];
        gather_next_chunk(rank);
        if (rs.param_waiter != kNoThread && thread(rs.param_waiter).chunk == chunk) {
          const ThreadId waiter = rs.param_waiter;
          rs.param_waiter = kNoThread;
          mark(rank, 0, -1);
          advance(waiter);
        }
      });
}

void Executor::gather_next_chunk(int rank) {
  // Megatron-Core chains its parameter all-gathers: each bucket group's forward pre-hook waits for
  // its gather and dispatches the next one (param_and_grad_buffer.py finish_param_sync,
  // next_param_gather_bucket_group @d98e8a64dd), so a rank's gathers run one at a time in the
  // order the forward uses them, the first chunk's at the link's full rate, not beside the others'.
  RankState& rs = rank_[static_cast<std::size_t>(rank)];
  const auto& order = gather_order_[static_cast<std::size_t>(rs.position)];
  if (rs.next_gather >= order.size()) return;
  gather_chunk_parameters(rank, order[rs.next_gather++]);
}

void Executor::start_dp_sync(int rank) {
  RankState& r = rank_[static_cast<std::size_t>(rank)];
  account_phase(rank, eng_.now());
  r.syncing = true;
  if (!s_.dp.overlap_grad_reduce && !s_.dp.zero3) {
    dp_collective(rank, vol_.dense_rs, vol_.expert_rs,
                  s_.dp.all_reduce ? "all-reduce" : "reduce-scatter", 0, false,
                  [this, rank] { run_optimizer(rank); });
    return;
  }
  if (r.grad_reductions_pending == 0) {
    run_optimizer(rank);
    return;
  }
  r.waiting_grads = true;
  mark(rank, 0, +1);  // nothing left to compute: waiting on the gradient reduction is exposed
}

void Executor::run_optimizer(int rank) {
  auto finish = [this, rank] {
    RankState& rs = rank_[static_cast<std::size_t>(rank)];
    account_phase(rank, eng_.now());
    rs.finished = true;
    rs.finish = eng_.now();
  };
  auto all_gather = [this, rank, finish] {
    if (s_.dp.overlap_param_gather || s_.dp.zero3) {  // gathered later (next step / per pass)
      finish();
      return;
    }
    dp_collective(rank, vol_.dense_ag, vol_.expert_ag, "all-gather", 1, false, finish);
  };
  if (s_.dp.optimizer_s <= 0) {
    all_gather();
    return;
  }
  mark(rank, +1, 0);
  account_phase(rank, eng_.now());
  rank_[static_cast<std::size_t>(rank)].in_optimizer = true;
  const TimeNs start = eng_.now();
  eng_.at(eng_.now() + to_ns(s_.dp.optimizer_s), [this, rank, start, all_gather] {
    mark(rank, -1, 0);
    account_phase(rank, eng_.now());
    rank_[static_cast<std::size_t>(rank)].in_optimizer = false;
    record(rank, "compute", "optimizer", -1, -1, start);
    all_gather();
  });
}

void Executor::run() {
  const int n = ranks();
  const int pp = s_.shape.ranks;
  lists_ = s_.schedule->build(s_.shape);
  if (static_cast<int>(lists_.size()) != pp)
    throw ModelError("schedule returned the wrong number of ranks");
  run_lists_.clear();
  for (const StageWork& sw : s_.stages) {
    run_lists_.push_back({run_list(sw.forward), run_list(sw.backward_input),
                          run_list(sw.backward_weight), run_list(sw.backward_full)});
  }
  ready_f_.assign(static_cast<std::size_t>(s_.layout.stage_size()) *
                      static_cast<std::size_t>(s_.shape.micro_batches) *
                      static_cast<std::size_t>(stages()),
                  0);
  ready_b_ = ready_f_;
  rank_.assign(static_cast<std::size_t>(n), RankState{});
  fold_ = can_fold_tensor_parallel();
  link_res_.assign(s_.topology->link_count(), kNoResource);
  route_index_.assign(static_cast<std::size_t>(n), {});
  segment_cell_.assign(kSegmentKinds * static_cast<std::size_t>(n) * 2, 0);
  ring_uses_.assign(static_cast<std::size_t>(n), {});
  etp_ring_uses_.assign(static_cast<std::size_t>(n), {});
  a2a_uses_.assign(static_cast<std::size_t>(n), {});
  ep_flows_.assign(2 * static_cast<std::size_t>(n), {});
  traced_.assign(static_cast<std::size_t>(n), 0);
  for (int r : s_.trace_ranks) {
    if (r >= 0 && r < n) {
      traced_[static_cast<std::size_t>(r)] = 1;
      tracing_ = true;
    }
  }
  if (s_.symmetric || fold_) simulated_.assign(static_cast<std::size_t>(n), 0);
  for (int r = 0; r < n; ++r) {
    auto& st = rank_[static_cast<std::size_t>(r)];
    const RankCoords c = s_.layout.coords(r);
    st.position = c.stage;
    st.instance = r % s_.layout.stage_size();
    if (!simulated_.empty())
      simulated_[static_cast<std::size_t>(r)] =
          (!s_.symmetric || c.dp == 0) && (!fold_ || c.tp == 0);
  }
  // Data-parallel volumes per member hop (ring: (g−1)/g of the buffer, twice for all-reduce).
  // Every rank of a stage block sees the same group sizes.
  {
    const int dense_g = s_.layout.stage_size() / s_.layout.tp();
    const int expert_g =
        std::max(1, s_.layout.stage_size() / (s_.layout.ep() * s_.layout.expert_tp()));
    auto frac = [](int g) { return g > 1 ? (g - 1.0) / g : 0.0; };
    const DpSync& d = s_.dp;
    const double rs_scale = d.all_reduce ? 2.0 : 1.0;
    const bool gather = d.all_gather_params && !d.all_reduce;
    vol_.dense_rs = rs_scale * frac(dense_g) * d.dense_grad_bytes;
    vol_.expert_rs = rs_scale * frac(expert_g) * d.expert_grad_bytes;
    vol_.dense_ag = gather ? frac(dense_g) * d.dense_param_bytes : 0.0;
    vol_.expert_ag = gather ? frac(expert_g) * d.expert_param_bytes : 0.0;
  }
  chunks_ = s_.schedule->chunks_per_rank(s_.shape);
  input_share_.clear();
  for (const StageWork& sw : s_.stages) {
    double b = 0, w = 0;
    for (const Segment& seg : sw.backward_input) b += seg.compute_s;
    for (const Segment& seg : sw.backward_weight) w += seg.compute_s;
    input_share_.push_back(b + w > 0 ? b / (b + w) : 1.0);
  }
  last_grad_item_.assign(static_cast<std::size_t>(pp),
                         std::vector<int>(static_cast<std::size_t>(chunks_), -1));
  for (int q = 0; q < pp; ++q) {
    const auto& list = lists_[static_cast<std::size_t>(q)];
    auto& last = last_grad_item_[static_cast<std::size_t>(q)];
    for (std::size_t i = 0; i < list.size(); ++i) {
      const WorkItem& w = list[i];
      if (w.kind == WorkKind::W || w.kind == WorkKind::BW)
        last[static_cast<std::size_t>(w.chunk)] = static_cast<int>(i);
      if (w.kind == WorkKind::FB) last[static_cast<std::size_t>(w.chunk2)] = static_cast<int>(i);
    }
  }
  const bool gather_early = s_.dp.overlap_param_gather && (vol_.dense_ag > 0 || vol_.expert_ag > 0);
  params_ready_.assign(static_cast<std::size_t>(n) * static_cast<std::size_t>(chunks_),
                       gather_early ? 0 : 1);
  gather_order_.assign(static_cast<std::size_t>(pp), {});
  for (int q = 0; q < pp; ++q) {
    auto& order = gather_order_[static_cast<std::size_t>(q)];
    const auto add = [&order](int chunk) {
      if (chunk >= 0 && std::find(order.begin(), order.end(), chunk) == order.end())
        order.push_back(chunk);
    };
    for (const WorkItem& w : lists_[static_cast<std::size_t>(q)])
      if (w.kind == WorkKind::F || w.kind == WorkKind::FB) add(w.chunk);
    for (int k = 0; k < chunks_; ++k) add(k);
  }
  if (gather_early) {
    for (int r = 0; r < n; ++r) {
      if (!simulated(r)) continue;
      rank_[static_cast<std::size_t>(r)].next_gather = 0;
      gather_next_chunk(r);
    }
  }
  for (int r = 0; r < n; ++r) {
    if (simulated(r)) try_start(r);
  }
  eng_.run();

  TimeNs step_end = 0;
  for (int r = 0; r < n; ++r) {
    const auto& st = rank_[static_cast<std::size_t>(r)];
    if (!simulated(r)) continue;
    if (!st.finished) {
      throw ModelError(fmt::format(
          "the {} schedule deadlocked: rank {} (stage position {}) stopped at work item {} of {}",
          s_.schedule->name(), r, st.position, st.next_item,
          lists_[static_cast<std::size_t>(st.position)].size()));
    }
    step_end = std::max(step_end, st.finish);
  }
  out_.step_time_s = to_s(step_end);
  // Close every rank's phases at the step's end (a rank done early waits: bubble).
  out_.critical_rank = -1;
  for (int r = 0; r < n; ++r) {
    if (!simulated(r)) continue;
    account_phase(r, step_end);
    const auto& st = rank_[static_cast<std::size_t>(r)];
    if (out_.critical_rank < 0 && st.finish == step_end) {
      out_.critical_rank = r;
      out_.critical_stage = st.position;
      out_.critical_phases = st.phases;
    }
  }
  out_.stage_layers.clear();
  for (const StageWork& sw : s_.stages) {
    out_.stage_layers.push_back(
        {sw.stage, sw.first_layer, sw.last_layer, sw.has_embedding, sw.has_head});
  }
  out_.ranks.clear();
  out_.ranks.reserve(static_cast<std::size_t>(n));
  double max_compute = -1;
  int busiest = 0;
  double peak_act = 0;
  int simulated_count = 0;
  for (int r = 0; r < n; ++r) {
    if (!simulated(r)) continue;
    ++simulated_count;
    auto& st = rank_[static_cast<std::size_t>(r)];
    RankTime rt;
    rt.rank = r;
    rt.stage = st.position;
    rt.compute_s = to_s(st.compute_ns);
    rt.comm_s = to_s(st.comm_ns);
    rt.exposed_comm_s = to_s(st.exposed_ns);
    rt.bubble_s = std::max(0.0, out_.step_time_s - rt.compute_s - rt.exposed_comm_s);
    rt.phases = st.phases;
    if (rt.compute_s > max_compute) {
      max_compute = rt.compute_s;
      busiest = r;
    }
    peak_act = std::max(peak_act, st.peak_inflight_bytes);
    out_.ranks.push_back(rt);
    for (int lane = 1; lane < lanes(); ++lane) {  // folded members: the same times
      RankTime copy = rt;
      copy.rank = r + lane;
      out_.ranks.push_back(copy);
    }
  }
  auto spread = [&](auto field) {
    Spread sp{1e300, 0, -1e300};
    for (const auto& rt : out_.ranks) {
      const double v = field(rt);
      sp.min = std::min(sp.min, v);
      sp.max = std::max(sp.max, v);
      sp.mean += v;
    }
    sp.mean /= static_cast<double>(out_.ranks.size());
    return sp;
  };
  out_.compute_s = spread([](const RankTime& x) { return x.compute_s; });
  out_.exposed_comm_s = spread([](const RankTime& x) { return x.exposed_comm_s; });
  out_.bubble_s = spread([](const RankTime& x) { return x.bubble_s; });
  out_.comm_s = spread([](const RankTime& x) { return x.comm_s; });
  // FLOP executed and the busiest rank's compute by op kind, from the work lists.
  std::vector<std::array<ListTotals, 4>> totals;
  totals.reserve(s_.stages.size());
  for (const StageWork& sw : s_.stages) {
    totals.push_back({ListTotals(sw.forward), ListTotals(sw.backward_input),
                      ListTotals(sw.backward_weight), ListTotals(sw.backward_full)});
  }
  std::array<double, kOpKinds> bk{};
  for (int r = 0; r < n; ++r) {
    if (!simulated(r)) continue;
    const RankState& st = rank_[static_cast<std::size_t>(r)];
    const double load = s_.load_factor.empty() ? 1.0 : s_.load_factor[static_cast<std::size_t>(r)];
    auto add = [&](PassKind pass, int chunk) {
      const int stage = s_.schedule->stage_of(s_.shape, st.position, chunk);
      const ListTotals& t = totals[static_cast<std::size_t>(stage)][static_cast<std::size_t>(pass)];
      out_.hardware_flops += t.flops + (load - 1.0) * t.flops_expert;
      if (r != busiest) return;
      for (std::size_t k = 0; k < kOpKinds; ++k)
        bk[k] += t.by_kind[k] + (load - 1.0) * t.by_kind_expert[k];
    };
    for (const WorkItem& w : lists_[static_cast<std::size_t>(st.position)]) {
      switch (w.kind) {
        case WorkKind::F:
          add(PassKind::F, w.chunk);
          break;
        case WorkKind::B:
          add(PassKind::B, w.chunk);
          break;
        case WorkKind::W:
          add(PassKind::W, w.chunk);
          break;
        case WorkKind::BW:
          add(PassKind::BW, w.chunk);
          break;
        case WorkKind::FB:
          add(PassKind::F, w.chunk);
          add(PassKind::BW, w.chunk2);
          break;
      }
    }
  }
  for (std::size_t i = 0; i < kOpKinds; ++i) {
    if (bk[i] > 0)
      out_.compute_by_kind_s[std::string(models::op_kind_name(static_cast<models::OpKind>(i)))] =
          bk[i];
  }
  out_.memory.activations = peak_act;
  out_.ranks_simulated = simulated_count;
  out_.events = eng_.events_processed();
}

}  // namespace

void execute_step(const StepSetup& setup, StepResult& out) {
  Executor ex(setup, out);
  ex.run();
}

}  // namespace trainsim::sim
