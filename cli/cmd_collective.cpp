// trainsim collective SCENARIO --op OP --group G [--bytes S | --sizes A..B] [--tokens T]
// [--json FILE|-]: one collective, or one MoE layer's dispatch/combine, alone on a group of the
// scenario's cluster, printed in nccl-tests' columns (sim/collective/collective.hpp).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/json_output.hpp"
#include "cli/options.hpp"
#include "core/atomic_file.hpp"
#include "core/units.hpp"
#include "hardware/topology.hpp"
#include "scenarios/scenario_loader.hpp"
#include "sim/collective/scenario_collective.hpp"

namespace trainsim::cli {
namespace {

namespace col = sim::collective;

constexpr int kMaxSizes = 64;

/// "1MiB..8GiB" → 1 MiB, 2 MiB, …, 8 GiB (doubling, nccl-tests' -f 2); "1GiB" → {1 GiB}.
std::vector<double> parse_range(const std::string& text, units::Quantity q, const char* flag) {
  const auto dots = text.find("..");
  auto one = [&](const std::string& s) {
    double v = 0;
    try {
      v = units::parse(s, q);
    } catch (const units::UnitError& e) {
      throw po::error(fmt::format("{} '{}': {}", flag, text, e.what()));
    }
    if (!(v > 0)) throw po::error(fmt::format("{} '{}': must be positive", flag, text));
    return v;
  };
  if (dots == std::string::npos) return {one(text)};
  const double lo = one(text.substr(0, dots));
  const double hi = one(text.substr(dots + 2));
  if (hi < lo) {
    throw po::error(fmt::format("{} '{}': the end is smaller than the start", flag, text));
  }
  std::vector<double> out;
  for (double v = lo; v <= hi * (1 + 1e-12); v *= 2) {
    out.push_back(v);
    if (out.size() > static_cast<std::size_t>(kMaxSizes)) {
      throw po::error(fmt::format("{} '{}': more than {} doubling steps", flag, text, kMaxSizes));
    }
  }
  return out;
}

std::string describe_ranks(const std::vector<int>& r) {
  bool contiguous = true;
  for (std::size_t i = 1; i < r.size(); ++i) contiguous = contiguous && r[i] == r[i - 1] + 1;
  if (contiguous) return fmt::format("{}-{}", r.front(), r.back());
  if (r.size() <= 4) return fmt::format("{}", fmt::join(r, ","));
  return fmt::format("{},{},…,{} (stride {})", r[0], r[1], r.back(), r[1] - r[0]);
}

nlohmann::ordered_json row_json(const col::CollectiveResult& r) {
  nlohmann::ordered_json j = {{"bytes", r.bytes},
                              {"time_s", r.time_s},
                              {"algbw_GBps", r.algbw_Bps / 1e9},
                              {"busbw_GBps", r.busbw_Bps / 1e9},
                              {"step_s", r.step_s},
                              {"latency_s", r.latency_s},
                              {"flows", r.flows}};
  if (col::is_ep_op(r.op)) {
    j["tokens"] = r.tokens;
    j["nodes_per_token"] = r.nodes_per_token;
    j["gpus_per_node_hit"] = r.gpus_per_node_hit;
    j["rdma_bytes"] = r.rdma_bytes;
    j["rdma_GBps"] = r.rdma_Bps / 1e9;
    j["nvl_bytes"] = r.nvl_bytes;
    j["nvl_GBps"] = r.nvl_Bps / 1e9;
    j["ib_out_bytes"] = r.ib_out_bytes;
    j["nvlink_out_bytes"] = r.nvlink_out_bytes;
    j["bottleneck"] = r.bottleneck;
    j["limited_by"] = r.limited_by;
  } else {
    j["rings"] = r.rings;
    j["steps"] = r.steps;
  }
  return j;
}

}  // namespace

int cmd_collective(const Args& args, std::ostream& out) {
  po::options_description desc("collective options");
  std::vector<std::string> sets;
  std::string op_text, group_text, bytes_text, sizes_text, tokens_text, json_file;
  int phase = 0;
  desc.add_options()("op", po::value(&op_text),
                     "all-reduce | reduce-scatter | all-gather | all-to-all | ep-dispatch | "
                     "ep-combine")("group", po::value(&group_text), col::kGroupNames)(
      "bytes", po::value(&bytes_text),
      "size as nccl-tests counts it (all-reduce buffer, whole reduce-scatter input or "
      "all-gather output, per-rank all-to-all send buffer), e.g. 1GiB (default)")(
      "sizes", po::value(&sizes_text), "a doubling sweep of sizes, e.g. 1MiB..8GiB")(
      "tokens", po::value(&tokens_text),
      "ep ops: tokens per rank (4K = 4,096), or a doubling sweep like 128..4K (default 4096)")(
      "phase", po::value(&phase)->default_value(0), "phase whose parallel plan places the group")(
      "set", po::value(&sets)->composing(), "override a scenario key: key.path=value");
  add_json_option(desc, json_file, "the rows");
  po::variables_map vm;
  if (!parse_command_line(args, "collective", "SCENARIO --op OP --group G [options]", desc,
                          {"scenario"}, vm, out))
    return kExitOk;
  if (op_text.empty()) {
    throw po::error(fmt::format("--op is required; valid: {}", fmt::join(col::op_names(), ", ")));
  }
  col::CollectiveOp op{};
  try {
    op = col::parse_op(op_text);
  } catch (const ModelError& e) {
    throw po::error(fmt::format("--op: {}", e.what()));
  }
  if (group_text.empty()) {
    throw po::error(fmt::format("--group is required: {}", col::kGroupNames));
  }
  const bool ep_op = col::is_ep_op(op);
  if (!bytes_text.empty() && !sizes_text.empty())
    throw po::error("give --bytes or --sizes, not both");
  if (ep_op && (!bytes_text.empty() || !sizes_text.empty())) {
    throw po::error(fmt::format(
        "--bytes and --sizes do not apply to {}: its volume follows from --tokens and the model",
        op_text));
  }
  if (!ep_op && !tokens_text.empty()) {
    throw po::error(fmt::format("--tokens applies to ep-dispatch and ep-combine, not {}", op_text));
  }

  const auto scenario = scenarios::load_scenario(vm["scenario"].as<std::string>(), {sets});
  if (phase < 0 || static_cast<std::size_t>(phase) >= scenario.phases.size()) {
    throw po::error(fmt::format("--phase {} does not exist: the scenario has phases 0..{}", phase,
                                scenario.phases.size() - 1));
  }
  const auto& cluster = scenario.cluster;
  col::CollectiveSpec spec =
      col::scenario_collective_spec(scenario, static_cast<std::size_t>(phase), op, group_text);
  const auto& ranks = spec.ranks;
  const hardware::Topology topo = hardware::Topology::build(cluster);
  const std::vector<double> points =
      ep_op ? parse_range(tokens_text.empty() ? "4096" : tokens_text,
                          units::Quantity::SequenceLength, "--tokens")
      : sizes_text.empty()
          ? parse_range(bytes_text.empty() ? "1GiB" : bytes_text, units::Quantity::Bytes, "--bytes")
          : parse_range(sizes_text, units::Quantity::Bytes, "--sizes");
  const double payload = spec.payload_bytes_per_element;

  std::vector<col::CollectiveResult> rows;
  for (double v : points) {
    if (ep_op) {
      spec.routing.tokens_per_rank = static_cast<std::int64_t>(std::llround(v));
    } else {
      spec.bytes = v;
    }
    rows.push_back(col::simulate_collective(topo, spec));
  }

  const auto& first = rows.front();
  const std::string header =
      fmt::format("{} on group {} ({} ranks: {}, {} node{}) of {} × {}, {}", op_text, group_text,
                  ranks.size(), describe_ranks(ranks), first.nodes, first.nodes == 1 ? "" : "s",
                  cluster.gpus, cluster.gpu.name, cluster.fabric.name);
  if (!json_file.empty()) {
    nlohmann::ordered_json j = {
        {"schema", "trainsim.collective/1"},
        {"scenario", scenario.name},
        {"op", op_text},
        {"group", group_text},
        {"ranks", ranks.size()},
        {"nodes", first.nodes},
        {"gpu", cluster.gpu.name},
        {"fabric", cluster.fabric.name},
        {"bus_factor", col::bus_factor(op, static_cast<int>(ranks.size()))}};
    if (ep_op) j["payload_bytes_per_element"] = payload;
    j["rows"] = nlohmann::ordered_json::array();
    for (const auto& r : rows) j["rows"].push_back(row_json(r));
    const std::string text = j.dump(2) + "\n";
    if (json_file == "-") {
      out << text;
      return kExitOk;
    }
    write_file_atomically(json_file, text);
  }

  out << "# trainsim collective: " << header << "\n";
  if (ep_op) {
    out << fmt::format(
        "# DeepEP normal kernels: IB once per destination node, then NVLink; hidden {}, top-{} "
        "of {} experts, {:.3f} destination nodes and {:.3f} GPUs per node per token, {:.5g} B "
        "per element\n",
        spec.routing.hidden, spec.routing.top_k, spec.routing.routed_experts, first.nodes_per_token,
        first.gpus_per_node_hit, payload);
    if (spec.nvlink_kernel_Bps > 0) {
      out << fmt::format(
          "# each GPU's kernel puts at most {:.1f} GB/s on NVLink (the {} catalog's {}, a measured "
          "kernel rate)\n",
          spec.nvlink_kernel_Bps / 1e9, cluster.gpu.name,
          spec.op == col::CollectiveOp::EpDispatch ? "ep_dispatch_nvlink_rate"
                                                   : "ep_combine_nvlink_rate");
    }
    out << "# bandwidths as DeepEP's tests count them: RDMA = tokens × destination nodes (own "
           "node included), NVL = tokens received (own included), each over the time\n#\n";
    out << fmt::format("# {:>9} {:>12} {:>14} {:>10} {:>14} {:>10}  {:<9} {}\n", "tokens", "time",
                       "RDMA bytes", "RDMA BW", "NVL bytes", "NVL BW", "table", "limited by");
    out << fmt::format("# {:>9} {:>12} {:>14} {:>10} {:>14} {:>10}\n", "", "(us)", "(B)", "(GB/s)",
                       "(B)", "(GB/s)");
    for (const auto& r : rows) {
      out << fmt::format("  {:>9} {:>12.2f} {:>14.0f} {:>10.2f} {:>14.0f} {:>10.2f}  {:<9} {}\n",
                         r.tokens, r.time_s * 1e6, r.rdma_bytes, r.rdma_Bps / 1e9, r.nvl_bytes,
                         r.nvl_Bps / 1e9, r.bottleneck, r.limited_by);
    }
    out << "# table: the bandwidth DeepEP's README reports (RDMA across nodes, NVLink inside one); "
           "limited by: the stage that ends last in the simulation\n";
  } else {
    const double factor = col::bus_factor(op, static_cast<int>(ranks.size()));
    if (op == col::CollectiveOp::AllToAll) {
      out << fmt::format(
          "# all-to-all: one flow per ordered pair ({} flows), α ≤ {:.2f} us; busbw = algbw × "
          "{:.4f}\n#\n",
          first.flows, first.latency_s * 1e6, factor);
    } else {
      out << fmt::format(
          "# NCCL ring: {} ring{}, {} steps, α = {:.2f} us per step; busbw = algbw × {:.4f}\n#\n",
          first.rings, first.rings == 1 ? "" : "s", first.steps, first.latency_s * 1e6, factor);
    }
    out << fmt::format("# {:>14} {:>12} {:>10} {:>10}\n", "size", "time", "algbw", "busbw");
    out << fmt::format("# {:>14} {:>12} {:>10} {:>10}\n", "(B)", "(us)", "(GB/s)", "(GB/s)");
    for (const auto& r : rows) {
      out << fmt::format("  {:>14.0f} {:>12.2f} {:>10.2f} {:>10.2f}\n", r.bytes, r.time_s * 1e6,
                         r.algbw_Bps / 1e9, r.busbw_Bps / 1e9);
    }
  }
  if (!json_file.empty()) out << fmt::format("\nwrote {}\n", json_file);
  return kExitOk;
}

}  // namespace trainsim::cli
