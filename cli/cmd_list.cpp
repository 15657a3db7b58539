// trainsim list models|gpus|fabrics|schedules|profiles|scenarios: what the catalogs hold.
#include <fmt/format.h>

#include <filesystem>
#include <ostream>

#include "calibration/cost_models.hpp"
#include "cli/options.hpp"
#include "core/data_paths.hpp"
#include "core/yaml_reader.hpp"
#include "hardware/catalog.hpp"
#include "models/catalog.hpp"
#include "reports/text_table.hpp"
#include "sim/schedules/schedule.hpp"

namespace trainsim::cli {
namespace {

const std::vector<std::string> kWhat = {"models",    "gpus",     "fabrics",
                                        "schedules", "profiles", "scenarios"};

void list_scenarios(std::ostream& out) {
  namespace fs = std::filesystem;
  reports::TextTable t({"scenario", "description"}, {reports::Align::Left, reports::Align::Left});
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(data_path("scenarios"))) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::string description;
    try {
      const auto doc = ConfigNode::load_file(f.string());
      if (auto d = doc.find("description")) description = d->as_string();
    } catch (const Error& e) {
      description = fmt::format("(unreadable: {})", e.what());
    }
    t.add_row({fs::relative(f, data_root()).string(), description});
  }
  out << t.render();
}

}  // namespace

int cmd_list(const Args& args, std::ostream& out) {
  po::options_description desc("list options");
  po::variables_map vm;
  if (!parse_command_line(args, "list", "models|gpus|fabrics|schedules|profiles|scenarios", desc,
                          {"what"}, vm, out)) {
    return kExitOk;
  }
  const std::string what = vm["what"].as<std::string>();
  using reports::Align;
  if (what == "gpus") {
    const auto& hw = hardware::HardwareCatalog::bundled();
    reports::TextTable t(
        {"gpu", "BF16 dense", "FP8 dense", "SMs", "HBM", "HBM BW", "NVLink/dir", "description"},
        {Align::Left, Align::Right, Align::Right, Align::Right, Align::Right, Align::Right,
         Align::Right, Align::Left});
    for (const auto& name : hw.gpu_names()) {
      const auto& g = hw.gpu(name);
      using units::Quantity;
      const double fp8 = g.peak(hardware::Dtype::FP8);
      t.add_row({name, units::format(g.peak(hardware::Dtype::BF16), Quantity::FlopRate),
                 fp8 > 0 ? units::format(fp8, Quantity::FlopRate) : "—",
                 fmt::format("{}", g.sm_count), units::format(g.hbm_bytes, Quantity::Bytes),
                 units::format(g.hbm_bw_Bps, Quantity::Bandwidth),
                 units::format(g.nvlink_bw_Bps, Quantity::Bandwidth), g.description});
    }
    out << t.render();
  } else if (what == "fabrics") {
    reports::TextTable t({"fabric", "description"}, {Align::Left, Align::Left});
    for (const auto& e : hardware::HardwareCatalog::bundled().fabric_entries())
      t.add_row({e.name, e.description});
    out << t.render();
  } else if (what == "schedules") {
    reports::TextTable t({"schedule", "description", "citation"},
                         {Align::Left, Align::Left, Align::Left});
    for (const auto& e : sim::schedules::schedule_registry().entries()) {
      t.add_row({e.name, e.description, e.citation});
    }
    out << t.render();
  } else if (what == "models") {
    reports::TextTable t({"model", "description"}, {Align::Left, Align::Left});
    for (const auto& e : models::ModelCatalog::bundled().entries())
      t.add_row({e.name, e.description});
    out << t.render();
  } else if (what == "profiles") {
    reports::TextTable t({"profile", "gpu", "description"},
                         {Align::Left, Align::Left, Align::Left});
    for (const auto& e : calibration::profile_entries())
      t.add_row({e.name, e.gpu.empty() ? "-" : e.gpu, e.description});
    out << t.render();
  } else if (what == "scenarios") {
    list_scenarios(out);
  } else {
    throw po::error(fmt::format("unknown list '{}'; valid: {}", what, join_names(kWhat)));
  }
  return kExitOk;
}

}  // namespace trainsim::cli
