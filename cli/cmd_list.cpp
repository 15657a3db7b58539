// trainsim list models|gpus|fabrics|schedules|profiles|scenarios: what the catalogs hold.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "calibration/cost_models.hpp"
#include "cli/json_output.hpp"
#include "cli/options.hpp"
#include "core/data_paths.hpp"
#include "core/yaml_reader.hpp"
#include "hardware/catalog.hpp"
#include "models/accounting.hpp"
#include "models/catalog.hpp"
#include "reports/text_table.hpp"
#include "scenarios/scenario_source.hpp"
#include "sim/schedules/schedule.hpp"

namespace trainsim::cli {
namespace {

using Json = nlohmann::ordered_json;

const std::vector<std::string> kWhat = {"models",    "gpus",     "fabrics",
                                        "schedules", "profiles", "scenarios"};

/// One listing: the table printed and the entries of `--json`.
struct Listing {
  reports::TextTable table;
  Json entries = Json::array();
};

Listing list_scenarios() {
  Listing l{reports::TextTable({"scenario", "description"},
                               {reports::Align::Left, reports::Align::Left})};
  for (const auto& b : scenarios::bundled_scenarios()) {
    std::string description;
    try {
      const auto doc = ConfigNode::load_file(b.path);
      if (auto d = doc.find("description")) description = d->as_string();
    } catch (const Error& e) {
      description = fmt::format("(unreadable: {})", e.what());
    }
    l.table.add_row({b.name, description});
    l.entries.push_back({{"name", b.name}, {"description", description}, {"path", b.path}});
  }
  return l;
}

Listing list(const std::string& what) {
  using reports::Align;
  using units::Quantity;
  if (what == "gpus") {
    const auto& hw = hardware::HardwareCatalog::bundled();
    Listing l{reports::TextTable(
        {"gpu", "BF16 dense", "FP8 dense", "SMs", "HBM", "HBM BW", "NVLink/dir", "description"},
        {Align::Left, Align::Right, Align::Right, Align::Right, Align::Right, Align::Right,
         Align::Right, Align::Left})};
    for (const auto& name : hw.gpu_names()) {
      const auto& g = hw.gpu(name);
      const double fp8 = g.peak(hardware::Dtype::FP8);
      l.table.add_row({name, units::format(g.peak(hardware::Dtype::BF16), Quantity::FlopRate),
                       fp8 > 0 ? units::format(fp8, Quantity::FlopRate) : "—",
                       fmt::format("{}", g.sm_count), units::format(g.hbm_bytes, Quantity::Bytes),
                       units::format(g.hbm_bw_Bps, Quantity::Bandwidth),
                       units::format(g.nvlink_bw_Bps, Quantity::Bandwidth), g.description});
      l.entries.push_back({{"name", name},
                           {"bf16_dense_flops", g.peak(hardware::Dtype::BF16)},
                           {"fp8_dense_flops", fp8},
                           {"sms", g.sm_count},
                           {"hbm_bytes", g.hbm_bytes},
                           {"hbm_Bps", g.hbm_bw_Bps},
                           {"nvlink_Bps", g.nvlink_bw_Bps},
                           {"description", g.description}});
    }
    return l;
  }
  if (what == "fabrics") {
    Listing l{reports::TextTable({"fabric", "description"}, {Align::Left, Align::Left})};
    for (const auto& e : hardware::HardwareCatalog::bundled().fabric_entries()) {
      l.table.add_row({e.name, e.description});
      l.entries.push_back({{"name", e.name}, {"description", e.description}});
    }
    return l;
  }
  if (what == "schedules") {
    Listing l{reports::TextTable({"schedule", "description", "citation"},
                                 {Align::Left, Align::Left, Align::Left})};
    for (const auto& e : sim::schedules::schedule_registry().entries()) {
      l.table.add_row({e.name, e.description, e.citation});
      l.entries.push_back(
          {{"name", e.name}, {"description", e.description}, {"citation", e.citation}});
    }
    return l;
  }
  if (what == "models") {
    Listing l{reports::TextTable({"model", "params", "active", "description"},
                                 {Align::Left, Align::Right, Align::Right, Align::Left})};
    for (const auto& e : models::ModelCatalog::bundled().entries()) {
      const auto pc = models::count_parameters(e);
      l.table.add_row({e.name, units::format(static_cast<double>(pc.total), Quantity::Count),
                       units::format(static_cast<double>(pc.activated), Quantity::Count),
                       e.description});
      l.entries.push_back({{"name", e.name},
                           {"params_total", pc.total},
                           {"params_active", pc.activated},
                           {"description", e.description}});
    }
    return l;
  }
  if (what == "profiles") {
    Listing l{reports::TextTable({"profile", "gpu", "description"},
                                 {Align::Left, Align::Left, Align::Left})};
    for (const auto& e : calibration::profile_entries()) {
      l.table.add_row({e.name, e.gpu.empty() ? "-" : e.gpu, e.description});
      l.entries.push_back({{"name", e.name}, {"gpu", e.gpu}, {"description", e.description}});
    }
    return l;
  }
  if (what == "scenarios") return list_scenarios();
  throw po::error(fmt::format("unknown list '{}'; valid: {}", what, join_names(kWhat)));
}

}  // namespace

int cmd_list(const Args& args, std::ostream& out) {
  po::options_description desc("list options");
  std::string json_file;
  add_json_option(desc, json_file, "the entries");
  po::variables_map vm;
  if (!parse_command_line(args, "list",
                          "models|gpus|fabrics|schedules|profiles|scenarios [--json FILE|-]", desc,
                          {"what"}, vm, out)) {
    return kExitOk;
  }
  const std::string what = vm["what"].as<std::string>();
  const Listing l = list(what);
  const Json j{{"schema", "trainsim.list/1"}, {"list", what}, {"entries", l.entries}};
  const std::string doc = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (json_to_stdout(json_file)) {
    write_json_output(json_file, doc, out, std::cerr);
    return kExitOk;
  }
  out << l.table.render();
  write_json_output(json_file, doc, out, out);
  return kExitOk;
}

}  // namespace trainsim::cli
