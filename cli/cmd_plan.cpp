// trainsim plan SCENARIO [--objective cost|time|gpus] [--deadline 60d] [--budget 6M]
// [--gpus 1024,2048 | --gpus 512..8192] [--gpu h800,h100] [--schedules LIST] [--price h100=2.5]
// [--top N] [--json FILE|-] [--csv FILE] [--out DIR] [--jobs N]: searches the scenario's parallel
// plans (sim/plan/plan_search.hpp) and prints the best ones as the --set overrides that reproduce
// them.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <thread>

#include "cli/sim_options.hpp"
#include "core/atomic_file.hpp"
#include "core/units.hpp"
#include "reports/plan_report.hpp"
#include "reports/text_table.hpp"
#include "scenarios/scenario_source.hpp"
#include "sim/plan/plan_search.hpp"

namespace trainsim::cli {
namespace {

std::atomic<bool> g_plan_stop{false};
/// The first Ctrl-C stops before the next wave (the best so far is reported); a second stops at
/// once, exit 130 (no output file is open while this is installed).
extern "C" void on_plan_sigint(int) {
  if (g_plan_stop.exchange(true)) ::_exit(130);
  static const char kMsg[] =
      "\ninterrupted: finishing the plans in flight (Ctrl-C again to stop at once)\n";
  [[maybe_unused]] const auto n = ::write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, sep)) out.push_back(item);
  return out;
}

int parse_count(const std::string& opt, const std::string& text) {
  try {
    std::size_t used = 0;
    const long v = std::stol(text, &used);
    if (used == text.size() && v >= 1 && v <= 10'000'000) return static_cast<int>(v);
  } catch (const std::exception&) {
  }
  throw po::error(fmt::format("{}: '{}' is not a GPU count (1 to 10,000,000)", opt, text));
}

/// "1024,2048" or "512..8192" (the powers of two times the lower end up to the upper one).
std::vector<int> parse_gpus(const std::string& text) {
  std::vector<int> out;
  if (const auto dots = text.find(".."); dots != std::string::npos) {
    const int lo = parse_count("--gpus", text.substr(0, dots));
    const int hi = parse_count("--gpus", text.substr(dots + 2));
    if (hi < lo) throw po::error(fmt::format("--gpus {}: the range is empty", text));
    for (long g = lo; g <= hi; g *= 2) out.push_back(static_cast<int>(g));
    return out;
  }
  for (const auto& item : split(text, ',')) out.push_back(parse_count("--gpus", item));
  if (out.empty()) throw po::error("--gpus: give a list (1024,2048) or a range (512..8192)");
  return out;
}

std::string fmt_days(double d) {
  return fmt::format("{:.1f}", d);
}

std::string plan_label(const sim::plan::PlanCandidate& c) {
  std::string s =
      fmt::format("{} x{} TP{} PP{} EP{} {}", c.gpu, c.gpus, c.tp, c.pp, c.ep, c.schedule);
  if (c.virtual_stages > 1) s += fmt::format(" v{}", c.virtual_stages);
  s += fmt::format(" recompute:{} ZeRO-{} mb{}", c.recompute, c.zero, c.micro_batch);
  return s;
}

nlohmann::json candidate_json(const sim::plan::PlanCandidate& c) {
  nlohmann::json j = {{"gpu", c.gpu},
                      {"gpus", c.gpus},
                      {"tp", c.tp},
                      {"pp", c.pp},
                      {"ep", c.ep},
                      {"schedule", c.schedule},
                      {"virtual_stages", c.virtual_stages},
                      {"recompute", c.recompute},
                      {"zero", c.zero},
                      {"micro_batch", c.micro_batch},
                      {"status", c.status},
                      {"reason", c.reason},
                      {"sets", c.sets},
                      {"lower_bound_days", c.lower_bound_days},
                      {"price_per_gpu_hour", c.price_per_gpu_hour},
                      {"simulated", c.simulated},
                      {"published", c.published}};
  if (c.simulated) {
    j["gpu_hours"] = c.gpu_hours;
    j["cost_usd"] = c.cost_usd;
    j["days"] = c.days;
    j["mfu"] = c.mfu;
    j["memory_headroom"] = c.memory_headroom;
    j["frontier"] = c.frontier;
    j["dominated"] = c.dominated;
  }
  return j;
}

/// The report page's data: every simulated run, ranked ones first in rank order.
template <typename RunCommand>
reports::PlanReport plan_report(const sim::plan::PlanSearchResult& r, const std::string& file,
                                const std::string& objective, const std::vector<std::string>& sets,
                                const sim::plan::PlanSearchOptions& opt, std::size_t top,
                                const std::string& own_plan, const RunCommand& run_command) {
  reports::PlanReport rep;
  rep.scenario = r.scenario;
  rep.file = file;
  rep.objective = objective;
  std::vector<std::string> limits;
  if (opt.deadline_days) limits.push_back(fmt::format("deadline {:g} days", *opt.deadline_days));
  if (opt.budget_usd) limits.push_back("budget $" + reports::with_commas(*opt.budget_usd));
  if (!sets.empty()) limits.push_back("--set " + fmt::format("{}", fmt::join(sets, " --set ")));
  rep.constraints = fmt::format("{}", fmt::join(limits, ", "));
  rep.evaluated = r.candidates.size();
  rep.screened = r.screened;
  rep.simulated = r.simulated;
  rep.wall_s = r.wall_s;
  rep.interrupted = r.interrupted;
  rep.top = top;
  rep.own_plan = own_plan;
  for (const auto& [status, n] : r.counts) rep.outcomes.emplace_back(status, n);
  auto add = [&](std::size_t i, std::size_t rank) {
    const auto& c = r.candidates[i];
    rep.plans.push_back({plan_label(c), c.gpu, c.status, c.reason, run_command(c), c.gpu_hours,
                         c.cost_usd, c.days, c.mfu, c.memory_headroom, rank, c.frontier,
                         c.published});
  };
  for (std::size_t k = 0; k < r.ranking.size(); ++k) add(r.ranking[k], k + 1);
  for (std::size_t i = 0; i < r.candidates.size(); ++i) {
    const auto& c = r.candidates[i];
    if (c.simulated && c.status != "ok" && (c.status == "deadline" || c.status == "budget"))
      add(i, 0);
  }
  return rep;
}

std::string csv_text(const sim::plan::PlanSearchResult& r) {
  std::string s =
      "gpu,gpus,tp,pp,ep,schedule,virtual_stages,recompute,zero,status,gpu_hours,cost_usd,days,"
      "mfu,memory_headroom,frontier,reason\n";
  for (const auto& c : r.candidates) {
    std::string reason = c.reason;
    std::replace(reason.begin(), reason.end(), '"', '\'');
    s += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},\"{}\"\n", c.gpu, c.gpus,
                     c.tp, c.pp, c.ep, c.schedule, c.virtual_stages, c.recompute, c.zero, c.status,
                     c.simulated ? fmt::format("{:.6g}", c.gpu_hours) : "",
                     c.simulated ? fmt::format("{:.6g}", c.cost_usd) : "",
                     c.simulated ? fmt::format("{:.6g}", c.days) : "",
                     c.simulated ? fmt::format("{:.4f}", c.mfu) : "",
                     c.simulated ? fmt::format("{:.4f}", c.memory_headroom) : "",
                     c.frontier ? "yes" : "", reason);
  }
  return s;
}

}  // namespace

int cmd_plan(const Args& args, std::ostream& out) {
  po::options_description desc("plan options");
  std::vector<std::string> sets;
  std::string objective = "cost", deadline, budget, gpus_text, gpu_text, schedules_text, price_text,
              json_file, csv_file, out_dir;
  int top = 5, jobs = 0;
  desc.add_options()("set", po::value(&sets)->composing(),
                     "override a scenario field before searching: key.path=value (repeatable)")(
      "objective", po::value(&objective)->default_value("cost"),
      "what to minimise: cost, time (days) or gpus")("deadline", po::value(&deadline),
                                                     "longest acceptable run, e.g. 60d")(
      "budget", po::value(&budget), "most acceptable cost in USD, e.g. 6M")(
      "gpus", po::value(&gpus_text),
      "GPU counts: a list (1024,2048) or a range of doublings (512..8192); default the "
      "scenario's")("gpu", po::value(&gpu_text),
                    "GPU types from the catalog, e.g. h800,h100 (default the scenario's)")(
      "schedules", po::value(&schedules_text),
      "pipeline schedules to try besides the scenario's, e.g. 1f1b,zb1p,dualpipe,dualpipev "
      "(default 1f1b,interleaved-1f1b,dualpipe)")(
      "price", po::value(&price_text),
      "USD per GPU-hour of each other GPU type, e.g. h100=2.5,h200=3")(
      "top", po::value(&top)->default_value(5), "plans shown")(
      "json", po::value(&json_file), "write every candidate as JSON to FILE ('-': stdout only)")(
      "csv", po::value(&csv_file), "write every candidate as CSV to FILE")(
      "out", po::value(&out_dir),
      "write plan.json, plan.csv, report.html and the shown plans as plan-N.yaml to DIR (all or "
      "none)")("jobs,j", po::value(&jobs)->default_value(0), "worker threads (0 = all cores)");
  po::variables_map vm;
  if (!parse_command_line(args, "plan", "SCENARIO [options]", desc, {"scenario"}, vm, out))
    return kExitOk;
  sim::plan::PlanSearchOptions opt;
  opt.base_sets = sets;
  if (objective == "cost") {
    opt.objective = sim::plan::Objective::Cost;
  } else if (objective == "time") {
    opt.objective = sim::plan::Objective::Time;
  } else if (objective == "gpus") {
    opt.objective = sim::plan::Objective::Gpus;
  } else {
    throw po::error(
        fmt::format("--objective must be 'cost', 'time' or 'gpus', not '{}'", objective));
  }
  if (!deadline.empty())
    opt.deadline_days = units::parse(deadline, units::Quantity::Duration) / 86400.0;
  if (!budget.empty()) {
    opt.budget_usd =
        units::parse(budget[0] == '$' ? budget.substr(1) : budget, units::Quantity::Count);
  }
  if (!gpus_text.empty()) opt.gpu_counts = parse_gpus(gpus_text);
  if (!gpu_text.empty()) opt.gpu_types = split(gpu_text, ',');
  if (!schedules_text.empty()) opt.schedules = split(schedules_text, ',');
  for (const auto& item : split(price_text, ',')) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw po::error(fmt::format("--price: '{}' is not GPU=USD_PER_HOUR (e.g. h100=2.5)", item));
    opt.price[item.substr(0, eq)] = units::parse(item.substr(eq + 1), units::Quantity::Money);
  }
  if (top < 1) throw po::error(fmt::format("--top must be at least 1, not {}", top));
  if (jobs < 0 || jobs > 1024)
    throw po::error(fmt::format("--jobs must be between 0 and 1024, not {}", jobs));
  opt.jobs = jobs == 0 ? static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) : jobs;
  if (!out_dir.empty()) ensure_writable_directory(out_dir);  // fail before searching
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  if (tty) {
    opt.progress = [](std::size_t done, std::size_t total, std::size_t pruned, double best,
                      void* user) {
      const auto t0 = *static_cast<std::chrono::steady_clock::time_point*>(user);
      const double el =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double eta =
          done > 0 ? el * static_cast<double>(total - done) / static_cast<double>(done) : 0;
      std::cerr << fmt::format("\r{}/{} candidates, {} pruned, best {}, ETA {:.0f} s   ", done,
                               total, pruned, best < 0 ? "-" : fmt::format("{:.4g}", best), eta)
                << std::flush;
    };
    opt.progress_user = const_cast<std::chrono::steady_clock::time_point*>(&start);
  }
  g_plan_stop.store(false);
  opt.stop = &g_plan_stop;
  const std::string file = vm["scenario"].as<std::string>();
  auto previous = std::signal(SIGINT, on_plan_sigint);
  sim::plan::PlanSearchResult r;
  try {
    r = sim::plan::search_plans(file, opt);
  } catch (...) {
    std::signal(SIGINT, previous);
    throw;
  }
  std::signal(SIGINT, previous);
  if (tty) std::cerr << "\n";

  nlohmann::json j = {
      {"schema", "trainsim.plan/1"},   {"scenario", r.scenario},           {"file", file},
      {"objective", objective},        {"evaluated", r.candidates.size()}, {"screened", r.screened},
      {"simulated", r.simulated},      {"interrupted", r.interrupted},     {"counts", r.counts},
      {"simulation", r.symmetric_note}};
  j["ranking"] = nlohmann::json::array();
  for (std::size_t i : r.ranking) j["ranking"].push_back(i);
  j["candidates"] = nlohmann::json::array();
  for (const auto& c : r.candidates) j["candidates"].push_back(candidate_json(c));
  if (r.published) j["published_index"] = *r.published;
  // The `trainsim run` line that reproduces a candidate (the same symmetric simulation).
  const auto run_command = [&](const sim::plan::PlanCandidate& c) {
    std::string cmd = fmt::format("trainsim run {} --symmetric", file);
    for (const auto& s : sets) cmd += " --set " + s;
    for (const auto& s : c.sets) cmd += " --set " + s;
    return cmd;
  };
  const bool json_stdout = json_file == kStdoutPath;
  std::ostream& text = json_stdout ? std::cerr : out;
  if (json_stdout) out << j.dump(2) << "\n";

  text << fmt::format(
      "{}: {} candidate plans evaluated, {} screened by one step, {} whole runs simulated "
      "({:.1f} s)\n",
      r.scenario, r.candidates.size(), r.screened, r.simulated, r.wall_s);
  std::string pruned_line;
  for (const auto& [status, n] : r.counts) pruned_line += fmt::format("  {} {}", status, n);
  text << "outcome:" << pruned_line << "\n" << r.symmetric_note << "\n\n";
  reports::TextTable t({"#", "plan", "GPU-hours", "cost", "days", "MFU", "mem free", "frontier"});
  for (std::size_t k = 0; k < r.ranking.size() && k < static_cast<std::size_t>(top); ++k) {
    const auto& c = r.candidates[r.ranking[k]];
    t.add_row({std::to_string(k + 1), plan_label(c) + (c.published ? " (published)" : ""),
               reports::with_commas(c.gpu_hours), "$" + reports::with_commas(c.cost_usd),
               fmt_days(c.days), fmt::format("{:.1f}%", 100 * c.mfu),
               fmt::format("{:.0f}%", 100 * c.memory_headroom), c.frontier ? "yes" : "dominated"});
  }
  if (r.ranking.empty()) {
    text << "no plan meets the constraints\n";
  } else {
    text << t.render() << "\nreproduce with trainsim run:\n";
    for (std::size_t k = 0; k < r.ranking.size() && k < static_cast<std::size_t>(top); ++k)
      text << fmt::format("  {}. {}\n", k + 1, run_command(r.candidates[r.ranking[k]]));
  }
  std::string own_plan;
  if (r.published) {
    const auto& p = r.candidates[*r.published];
    const auto it = std::find(r.ranking.begin(), r.ranking.end(), *r.published);
    own_plan =
        it != r.ranking.end()
            ? fmt::format("the scenario's own plan ({}) ranks {} of {}: {} GPU-hours, {} days",
                          plan_label(p), it - r.ranking.begin() + 1, r.ranking.size(),
                          reports::with_commas(p.gpu_hours), fmt_days(p.days))
            : fmt::format("the scenario's own plan ({}) is not ranked: {} ({})", plan_label(p),
                          p.status, p.reason);
    text << "\n" << own_plan << "\n";
  }
  text << "\nfrontier (cost against days):";
  for (std::size_t i : r.ranking) {
    const auto& c = r.candidates[i];
    if (c.frontier)
      text << fmt::format("\n  ${} in {} days: {}", reports::with_commas(c.cost_usd),
                          fmt_days(c.days), plan_label(c));
  }
  text << "\n";
  if (!json_file.empty() && !json_stdout) {
    write_file_atomically(json_file, j.dump(2) + "\n");
    text << fmt::format("\nwrote {}\n", json_file);
  }
  if (!csv_file.empty()) {
    write_file_atomically(csv_file, csv_text(r));
    text << fmt::format("wrote {}\n", csv_file);
  }
  if (!out_dir.empty()) {
    // One set, all or nothing: the JSON, the CSV, the page, and each shown plan as a scenario
    // (the file with that plan's overrides applied) that `trainsim run` takes as it is.
    std::vector<std::pair<std::string, std::string>> files{
        {out_dir + "/plan.json", j.dump(2) + "\n"},
        {out_dir + "/plan.csv", csv_text(r)},
        {out_dir + "/report.html",
         reports::plan_html(plan_report(r, file, objective, sets, opt,
                                        static_cast<std::size_t>(top), own_plan, run_command),
                            "")}};
    for (std::size_t k = 0; k < r.ranking.size() && k < static_cast<std::size_t>(top); ++k) {
      const auto& c = r.candidates[r.ranking[k]];
      std::vector<std::string> all = sets;
      all.insert(all.end(), c.sets.begin(), c.sets.end());
      files.emplace_back(
          fmt::format("{}/plan-{}.yaml", out_dir, k + 1),
          fmt::format("# trainsim plan, plan {} of {} by {}: {}\n# {} with --set {}\n# comments of "
                      "the original are not kept; run with: trainsim run plan-{}.yaml "
                      "--symmetric\n",
                      k + 1, r.scenario, objective, plan_label(c), file, fmt::join(all, " --set "),
                      k + 1) +
              apply_overrides(scenarios::load_scenario_document(file), all).dump() + "\n");
    }
    write_files_atomically(files);
    text << fmt::format("wrote {}/plan.json, plan.csv, report.html and {} plan-N.yaml\n", out_dir,
                        std::min<std::size_t>(r.ranking.size(), static_cast<std::size_t>(top)));
  }
  if (r.interrupted) {
    text << "\ninterrupted: the plans above are the best of those simulated so far\n";
    return 130;
  }
  return r.ranking.empty() ? kExitInfeasible : kExitOk;
}

}  // namespace trainsim::cli
