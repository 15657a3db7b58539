#include "hardware/topology.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace trainsim::hardware {

namespace detail {

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property,
                                    boost::property<boost::edge_index_t, LinkId>>;

/// splitmix64 finalizer: a fixed, well-mixed hash so that ECMP choices are deterministic.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::uint32_t u32(std::int64_t v) {
  return static_cast<std::uint32_t>(v);
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

}  // namespace detail

struct Topology::Impl {
  ClusterSpec cluster;
  int gpus = 0;
  int gpn = 0;  ///< GPUs per node as configured
  int nodes = 0;
  int gpn_eff = 0;  ///< GPUs in a node as built (smaller for a lone partial node)
  FabricKind kind = FabricKind::MultiPlaneFatTree;
  LeafGrouping grouping = LeafGrouping::Rack;
  int planes = 1;               ///< MPFT planes in use
  int nics_per_plane_node = 1;  ///< MPFT: NICs a node puts on each plane

  std::uint32_t leaves = 0;
  std::uint32_t leaves_per_group = 1;  ///< MPFT: leaves per plane; three-tier: leaves per pod
  std::uint32_t groups = 0;            ///< MPFT: planes; three-tier: pods
  std::uint32_t spines_per_group = 0;  ///< 0 when no spine tier is needed
  std::uint32_t aggregations = 0;      ///< 0 when there is one pod

  // Vertex blocks: [0, G) GPUs, then NVSwitches, NICs, leaves, spines, aggregation switches.
  VertexId v_nvswitch = 0, v_nic = 0, v_leaf = 0, v_spine = 0, v_agg = 0, v_end = 0;
  // Link blocks (two directed links per physical link: up = even, down = odd).
  LinkId l_pcie = 0, l_access = 0, l_leaf_spine = 0, l_spine_agg = 0, l_end = 0;

  std::vector<Link> links;
  std::vector<std::uint32_t> leaf_of_gpu;  ///< leaf index (0-based within the leaf block)
  std::unique_ptr<detail::Graph> graph;    ///< heap-held: adjacency_list copies trip GCC warnings

  void check_gpu(int g) const {
    if (g < 0 || g >= gpus) {
      throw ModelError(fmt::format("GPU index {} is out of range [0, {})", g, gpus));
    }
  }
  int node_of(int g) const { return g / gpn; }
  int local_of(int g) const { return g % gpn; }

  LinkId nvl_up(int g) const { return detail::u32(2 * static_cast<std::int64_t>(g)); }
  LinkId nvl_down(int g) const { return nvl_up(g) + 1; }
  LinkId pcie_up(int g) const { return l_pcie + nvl_up(g); }
  LinkId pcie_down(int g) const { return pcie_up(g) + 1; }
  LinkId access_up(int g) const { return l_access + nvl_up(g); }
  LinkId access_down(int g) const { return access_up(g) + 1; }
  LinkId leaf_spine_up(std::uint32_t leaf, std::uint32_t s) const {
    return l_leaf_spine + 2 * (leaf * spines_per_group + s);
  }
  LinkId spine_leaf_down(std::uint32_t leaf, std::uint32_t s) const {
    return leaf_spine_up(leaf, s) + 1;
  }
  LinkId spine_agg_up(std::uint32_t group, std::uint32_t s) const {
    return l_spine_agg + 2 * (group * spines_per_group + s);
  }
  LinkId agg_spine_down(std::uint32_t group, std::uint32_t s) const {
    return spine_agg_up(group, s) + 1;
  }

  /// The GPU whose NIC carries traffic from `src` to `dst` (another node): `src` itself, or the
  /// source-node GPU with dst's local index when dst's leaf is reachable only through it (PXN).
  int egress_gpu(int src, int dst) const {
    const int ls = local_of(src), ld = local_of(dst);
    if (ls == ld) return src;
    bool pxn = false;
    if (kind == FabricKind::MultiPlaneFatTree) {
      pxn = ls % planes != ld % planes;
    } else if (grouping == LeafGrouping::Rail) {
      pxn = leaf_of_gpu[static_cast<std::size_t>(src)] / static_cast<std::uint32_t>(gpn_eff) ==
            leaf_of_gpu[static_cast<std::size_t>(dst)] / static_cast<std::uint32_t>(gpn_eff);
    }
    return pxn ? node_of(src) * gpn + ld : src;
  }

  /// Calls f(LinkId) for each link of the route in order.
  template <class F>
  void for_each_link(int src, int dst, F&& f) const {
    check_gpu(src);
    check_gpu(dst);
    if (src == dst) return;
    if (node_of(src) == node_of(dst)) {
      f(nvl_up(src));
      f(nvl_down(dst));
      return;
    }
    const int e = egress_gpu(src, dst);
    if (e != src) {
      f(nvl_up(src));
      f(nvl_down(e));
    }
    f(pcie_up(e));
    f(access_up(e));
    const std::uint32_t le = leaf_of_gpu[static_cast<std::size_t>(e)];
    const std::uint32_t ld = leaf_of_gpu[static_cast<std::size_t>(dst)];
    if (le != ld) {
      const auto s = static_cast<std::uint32_t>(
          detail::mix((static_cast<std::uint64_t>(static_cast<std::uint32_t>(src)) << 32) |
                      static_cast<std::uint32_t>(dst)) %
          spines_per_group);
      const std::uint32_t ge = le / leaves_per_group, gd = ld / leaves_per_group;
      f(leaf_spine_up(le, s));
      if (ge != gd) {
        f(spine_agg_up(ge, s));
        f(agg_spine_down(gd, s));
      }
      f(spine_leaf_down(ld, s));
    }
    f(access_down(dst));
    f(pcie_down(dst));
  }
};

namespace {

void require(bool ok, const std::string& message) {
  if (!ok) throw ModelError(message);
}

Topology::Impl build_impl(const ClusterSpec& c) {
  using detail::ceil_div;
  using detail::u32;
  Topology::Impl t;
  t.cluster = c;
  const FabricSpec& f = c.fabric;
  t.gpus = c.gpus;
  t.gpn = c.node.gpus_per_node;
  require(t.gpus >= 1,
          fmt::format("a topology needs at least one GPU (cluster.gpus = {})", t.gpus));
  require(t.gpus <= (1 << 22),
          fmt::format("cluster.gpus = {} exceeds the supported 4,194,304", t.gpus));
  require(t.gpn >= 1, fmt::format("gpus_per_node = {} must be at least 1", t.gpn));
  require(t.gpus <= t.gpn || t.gpus % t.gpn == 0,
          fmt::format("{} GPUs do not fill whole nodes of {} GPUs", t.gpus, t.gpn));
  require(f.nics_per_node == t.gpn,
          fmt::format("fabric '{}' has {} NICs per node but nodes have {} GPUs; the topology "
                      "attaches one NIC to each GPU",
                      f.name, f.nics_per_node, t.gpn));
  require(c.gpu.nvlink_bw_Bps > 0 && c.gpu.nvlink_achievable_Bps > 0,
          fmt::format("GPU '{}' has no NVLink bandwidth", c.gpu.name));
  require(f.nic_bw_Bps > 0 && f.nic_achievable_Bps > 0,
          fmt::format("fabric '{}' has no NIC bandwidth", f.name));
  t.nodes = static_cast<int>(ceil_div(t.gpus, t.gpn));
  t.gpn_eff = std::min(t.gpus, t.gpn);
  t.kind = f.kind;
  t.grouping = f.leaf_grouping;
  const std::int64_t G = t.gpus, N = t.nodes;

  // --- leaves and spine groups
  t.leaf_of_gpu.resize(static_cast<std::size_t>(G));
  if (f.kind == FabricKind::MultiPlaneFatTree) {
    require(f.planes >= 1 && f.switch_radix >= 2,
            fmt::format("fabric '{}': planes and switch_radix must be positive", f.name));
    const int down = f.switch_radix / 2;
    t.planes = std::min(f.planes, t.gpn_eff);
    t.nics_per_plane_node = static_cast<int>(ceil_div(t.gpn_eff, t.planes));
    const std::int64_t per_plane = N * t.nics_per_plane_node;
    const std::int64_t lpp = ceil_div(per_plane, down);
    require(lpp <= f.switch_radix,
            fmt::format("fabric '{}': a two-layer plane of {}-port switches holds at most {} × {} "
                        "= {} NICs, but {} GPUs put {} NICs on each plane",
                        f.name, f.switch_radix, f.switch_radix, down,
                        static_cast<std::int64_t>(f.switch_radix) * down, t.gpus, per_plane));
    t.leaves_per_group = u32(lpp);
    t.groups = u32(t.planes);
    t.leaves = t.leaves_per_group * t.groups;
    t.spines_per_group = lpp > 1 ? u32(down) : 0;
    t.aggregations = 0;
    for (int g = 0; g < t.gpus; ++g) {
      const int local = t.local_of(g), node = t.node_of(g);
      const int plane = local % t.planes;
      const std::int64_t pos =
          static_cast<std::int64_t>(node) * t.nics_per_plane_node + local / t.planes;
      t.leaf_of_gpu[static_cast<std::size_t>(g)] =
          u32(static_cast<std::int64_t>(plane) * lpp + pos / down);
    }
  } else {
    const int gpl = f.gpus_per_leaf;
    require(gpl >= 1 && f.pod_gpus >= gpl && f.pod_gpus % gpl == 0,
            fmt::format("fabric '{}': pod_gpus ({}) must be a positive multiple of gpus_per_leaf "
                        "({})",
                        f.name, f.pod_gpus, gpl));
    require(f.oversubscription >= 1.0,
            fmt::format("fabric '{}': oversubscription {} must be at least 1", f.name,
                        f.oversubscription));
    const std::int64_t lpg = f.pod_gpus / gpl;
    if (f.leaf_grouping == LeafGrouping::Rack) {
      t.leaves = u32(ceil_div(G, gpl));
      for (int g = 0; g < t.gpus; ++g) t.leaf_of_gpu[static_cast<std::size_t>(g)] = u32(g / gpl);
    } else {
      require(lpg % t.gpn_eff == 0,
              fmt::format("fabric '{}': a pod's {} rail leaves are not a multiple of the {} GPUs "
                          "of a node, so a node's rails would straddle pods",
                          f.name, lpg, t.gpn_eff));
      t.leaves = u32(ceil_div(N, gpl) * t.gpn_eff);
      for (int g = 0; g < t.gpus; ++g) {
        t.leaf_of_gpu[static_cast<std::size_t>(g)] =
            u32(static_cast<std::int64_t>(t.node_of(g) / gpl) * t.gpn_eff + t.local_of(g));
      }
    }
    t.leaves_per_group = u32(lpg);
    t.groups = u32(ceil_div(t.leaves, lpg));
    t.spines_per_group = t.leaves > 1 ? u32(gpl) : 0;
    t.aggregations = t.groups > 1 ? t.spines_per_group : 0;
  }

  // --- vertex blocks
  const std::int64_t spines = static_cast<std::int64_t>(t.groups) * t.spines_per_group;
  const std::int64_t vertices = G + N + G + t.leaves + spines + t.aggregations;
  t.v_nvswitch = u32(G);
  t.v_nic = u32(G + N);
  t.v_leaf = u32(G + N + G);
  t.v_spine = t.v_leaf + t.leaves;
  t.v_agg = u32(t.v_spine + spines);
  t.v_end = u32(vertices);

  // --- link blocks
  const std::int64_t leaf_spine = 2 * static_cast<std::int64_t>(t.leaves) * t.spines_per_group;
  const std::int64_t spine_agg = t.aggregations > 0 ? 2 * spines : 0;
  const std::int64_t total_links = 6 * G + leaf_spine + spine_agg;
  require(total_links < std::numeric_limits<std::uint32_t>::max(),
          fmt::format("the topology would have {} links, more than supported", total_links));
  t.l_pcie = u32(2 * G);
  t.l_access = u32(4 * G);
  t.l_leaf_spine = u32(6 * G);
  t.l_spine_agg = u32(6 * G + leaf_spine);
  t.l_end = u32(total_links);

  const GpuSpec& gpu = c.gpu;
  const double nvl_lat = gpu.nvlink_latency_s / 2.0;
  const double access_lat = f.nic_latency_s / 2.0;
  const double switch_lat = f.link_latency_s;
  t.links.resize(static_cast<std::size_t>(total_links));
  auto set_pair = [&](LinkId up, VertexId a, VertexId b, LinkKind kind, double bw, double ach,
                      double lat) {
    t.links[up] = Link{a, b, kind, bw, ach, lat};
    t.links[up + 1] = Link{b, a, kind, bw, ach, lat};
  };
  for (int g = 0; g < t.gpus; ++g) {
    const VertexId gv = u32(g);
    const VertexId nvs = t.v_nvswitch + u32(t.node_of(g));
    const VertexId nic = t.v_nic + u32(g);
    const VertexId leaf = t.v_leaf + t.leaf_of_gpu[static_cast<std::size_t>(g)];
    set_pair(t.nvl_up(g), gv, nvs, LinkKind::NvLink, gpu.nvlink_bw_Bps, gpu.nvlink_achievable_Bps,
             nvl_lat);
    set_pair(t.pcie_up(g), gv, nic, LinkKind::Pcie, f.nic_bw_Bps, f.nic_achievable_Bps, 0.0);
    set_pair(t.access_up(g), nic, leaf, LinkKind::Access, f.nic_bw_Bps, f.nic_achievable_Bps,
             access_lat);
  }
  for (std::uint32_t l = 0; l < t.leaves && t.spines_per_group > 0; ++l) {
    const std::uint32_t group = l / t.leaves_per_group;
    for (std::uint32_t s = 0; s < t.spines_per_group; ++s) {
      set_pair(t.leaf_spine_up(l, s), t.v_leaf + l, t.v_spine + group * t.spines_per_group + s,
               LinkKind::LeafSpine, f.nic_bw_Bps, f.nic_achievable_Bps, switch_lat);
    }
  }
  if (t.aggregations > 0) {
    // Each pod spine has one downlink per leaf of a full pod; its trunk to aggregation switch s
    // carries that total divided by the oversubscription.
    const double trunk = static_cast<double>(t.leaves_per_group) / f.oversubscription;
    for (std::uint32_t grp = 0; grp < t.groups; ++grp) {
      for (std::uint32_t s = 0; s < t.spines_per_group; ++s) {
        set_pair(t.spine_agg_up(grp, s), t.v_spine + grp * t.spines_per_group + s, t.v_agg + s,
                 LinkKind::SpineAggregation, trunk * f.nic_bw_Bps, trunk * f.nic_achievable_Bps,
                 switch_lat);
      }
    }
  }

  // --- the Boost.Graph view (same vertex and link numbering; edge_index = LinkId)
  t.graph = std::make_unique<detail::Graph>(t.v_end);
  for (LinkId id = 0; id < t.l_end; ++id) {
    boost::add_edge(t.links[id].from, t.links[id].to, id, *t.graph);
  }
  return t;
}

}  // namespace

const char* vertex_kind_name(VertexKind k) {
  switch (k) {
    case VertexKind::Gpu:
      return "gpu";
    case VertexKind::NvSwitch:
      return "nvswitch";
    case VertexKind::Nic:
      return "nic";
    case VertexKind::Leaf:
      return "leaf";
    case VertexKind::Spine:
      return "spine";
    case VertexKind::Aggregation:
      return "aggregation";
  }
  return "?";
}

const char* link_kind_name(LinkKind k) {
  switch (k) {
    case LinkKind::NvLink:
      return "nvlink";
    case LinkKind::Pcie:
      return "pcie";
    case LinkKind::Access:
      return "access";
    case LinkKind::LeafSpine:
      return "leaf-spine";
    case LinkKind::SpineAggregation:
      return "spine-aggregation";
  }
  return "?";
}

Topology Topology::build(const ClusterSpec& cluster) {
  return Topology(std::make_shared<const Impl>(build_impl(cluster)));
}

Topology::Topology(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
Topology::Topology(const Topology&) = default;
Topology& Topology::operator=(const Topology&) = default;
Topology::Topology(Topology&&) noexcept = default;
Topology& Topology::operator=(Topology&&) noexcept = default;
Topology::~Topology() = default;

const ClusterSpec& Topology::cluster() const {
  return impl_->cluster;
}
int Topology::gpus() const {
  return impl_->gpus;
}
int Topology::nodes() const {
  return impl_->nodes;
}
int Topology::gpus_per_node() const {
  return impl_->gpn;
}
int Topology::node_of(int gpu) const {
  impl_->check_gpu(gpu);
  return impl_->node_of(gpu);
}
int Topology::local_index(int gpu) const {
  impl_->check_gpu(gpu);
  return impl_->local_of(gpu);
}

std::size_t Topology::vertex_count() const {
  return impl_->v_end;
}

VertexKind Topology::vertex_kind(VertexId v) const {
  const Impl& t = *impl_;
  if (v >= t.v_end) throw ModelError(fmt::format("vertex {} is out of range [0, {})", v, t.v_end));
  if (v < t.v_nvswitch) return VertexKind::Gpu;
  if (v < t.v_nic) return VertexKind::NvSwitch;
  if (v < t.v_leaf) return VertexKind::Nic;
  if (v < t.v_spine) return VertexKind::Leaf;
  if (v < t.v_agg) return VertexKind::Spine;
  return VertexKind::Aggregation;
}

std::string Topology::vertex_name(VertexId v) const {
  const Impl& t = *impl_;
  switch (vertex_kind(v)) {
    case VertexKind::Gpu:
      return fmt::format("gpu{}", v);
    case VertexKind::NvSwitch:
      return fmt::format("nvswitch{}", v - t.v_nvswitch);
    case VertexKind::Nic:
      return fmt::format("nic{}", v - t.v_nic);
    case VertexKind::Leaf:
      return fmt::format("leaf.{}", v - t.v_leaf);
    case VertexKind::Spine: {
      const std::uint32_t i = v - t.v_spine;
      return fmt::format("spine.{}.{}", i / t.spines_per_group, i % t.spines_per_group);
    }
    case VertexKind::Aggregation:
      return fmt::format("aggregation.{}", v - t.v_agg);
  }
  return "?";
}

std::size_t Topology::count(VertexKind k) const {
  const Impl& t = *impl_;
  switch (k) {
    case VertexKind::Gpu:
      return t.v_nvswitch;
    case VertexKind::NvSwitch:
      return t.v_nic - t.v_nvswitch;
    case VertexKind::Nic:
      return t.v_leaf - t.v_nic;
    case VertexKind::Leaf:
      return t.v_spine - t.v_leaf;
    case VertexKind::Spine:
      return t.v_agg - t.v_spine;
    case VertexKind::Aggregation:
      return t.v_end - t.v_agg;
  }
  return 0;
}

std::size_t Topology::switch_count() const {
  return count(VertexKind::Leaf) + count(VertexKind::Spine) + count(VertexKind::Aggregation);
}

VertexId Topology::gpu_vertex(int gpu) const {
  impl_->check_gpu(gpu);
  return static_cast<VertexId>(gpu);
}
VertexId Topology::nic_vertex(int gpu) const {
  impl_->check_gpu(gpu);
  return impl_->v_nic + static_cast<VertexId>(gpu);
}
VertexId Topology::leaf_of(int gpu) const {
  impl_->check_gpu(gpu);
  return impl_->v_leaf + impl_->leaf_of_gpu[static_cast<std::size_t>(gpu)];
}

std::size_t Topology::link_count() const {
  return impl_->links.size();
}
const Link& Topology::link(LinkId id) const {
  if (id >= impl_->links.size()) {
    throw ModelError(fmt::format("link {} is out of range [0, {})", id, impl_->links.size()));
  }
  return impl_->links[id];
}
const std::vector<Link>& Topology::links() const {
  return impl_->links;
}

std::size_t Topology::count(LinkKind k) const {
  const Impl& t = *impl_;
  switch (k) {
    case LinkKind::NvLink:
      return t.l_pcie;
    case LinkKind::Pcie:
      return t.l_access - t.l_pcie;
    case LinkKind::Access:
      return t.l_leaf_spine - t.l_access;
    case LinkKind::LeafSpine:
      return t.l_spine_agg - t.l_leaf_spine;
    case LinkKind::SpineAggregation:
      return t.l_end - t.l_spine_agg;
  }
  return 0;
}

std::vector<LinkId> Topology::route(int src_gpu, int dst_gpu) const {
  std::vector<LinkId> out;
  route_into(src_gpu, dst_gpu, out);
  return out;
}

void Topology::route_into(int src_gpu, int dst_gpu, std::vector<LinkId>& out) const {
  out.clear();
  impl_->for_each_link(src_gpu, dst_gpu, [&](LinkId id) { out.push_back(id); });
}

double Topology::bottleneck_bandwidth(int src_gpu, int dst_gpu) const {
  double bw = std::numeric_limits<double>::infinity();
  impl_->for_each_link(src_gpu, dst_gpu,
                       [&](LinkId id) { bw = std::min(bw, impl_->links[id].achievable_Bps); });
  return bw;
}

double Topology::path_latency(int src_gpu, int dst_gpu) const {
  double s = 0.0;
  impl_->for_each_link(src_gpu, dst_gpu, [&](LinkId id) { s += impl_->links[id].latency_s; });
  return s;
}

namespace {
/// Records, for each vertex BFS reaches, the link it was first reached by.
class PredecessorRecorder : public boost::default_bfs_visitor {
 public:
  explicit PredecessorRecorder(std::vector<LinkId>* pred) : pred_(pred) {}
  template <class Edge, class Graph>
  void tree_edge(Edge e, const Graph& g) const {
    (*pred_)[boost::target(e, g)] = boost::get(boost::edge_index, g, e);
  }

 private:
  std::vector<LinkId>* pred_;
};
}  // namespace

std::vector<LinkId> Topology::shortest_path(int src_gpu, int dst_gpu) const {
  const Impl& t = *impl_;
  t.check_gpu(src_gpu);
  t.check_gpu(dst_gpu);
  if (src_gpu == dst_gpu) return {};
  constexpr LinkId kNone = std::numeric_limits<LinkId>::max();
  std::vector<LinkId> pred(t.v_end, kNone);
  const auto src = static_cast<VertexId>(src_gpu), dst = static_cast<VertexId>(dst_gpu);
  boost::breadth_first_search(*t.graph, boost::vertex(src, *t.graph),
                              boost::visitor(PredecessorRecorder(&pred)));
  std::vector<LinkId> path;
  for (VertexId v = dst; v != src;) {
    const LinkId id = pred[v];
    if (id == kNone) {
      throw ModelError(fmt::format("no path from GPU {} to GPU {}", src_gpu, dst_gpu));
    }
    path.push_back(id);
    v = t.links[id].from;
  }
  std::reverse(path.begin(), path.end());
  return path;
}

LinkId Topology::nvlink_out(int gpu) const {
  impl_->check_gpu(gpu);
  return impl_->nvl_up(gpu);
}
LinkId Topology::nvlink_in(int gpu) const {
  impl_->check_gpu(gpu);
  return impl_->nvl_down(gpu);
}
LinkId Topology::pcie_out(int gpu) const {
  impl_->check_gpu(gpu);
  return impl_->pcie_up(gpu);
}
LinkId Topology::pcie_in(int gpu) const {
  impl_->check_gpu(gpu);
  return impl_->pcie_down(gpu);
}
LinkId Topology::nic_out(int gpu) const {
  impl_->check_gpu(gpu);
  return impl_->access_up(gpu);
}
LinkId Topology::nic_in(int gpu) const {
  impl_->check_gpu(gpu);
  return impl_->access_down(gpu);
}

}  // namespace trainsim::hardware
