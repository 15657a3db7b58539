// trainsim sweep SCENARIO --vary key=v1,v2,... [--vary ...] [--csv FILE] [--jobs N]: the cross
// product of overrides, each point a whole run; invalid or infeasible points are rows with the
// reason. Points run in parallel; results are ordered by point, whatever the thread count.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <mutex>
#include <ostream>
#include <thread>

#include "cli/sim_options.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "reports/text_table.hpp"
#include "scenarios/scenario_loader.hpp"

namespace trainsim::cli {
namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) {
  g_interrupted.store(true);
}

struct Axis {
  std::string key;
  std::vector<std::string> values;
};

Axis parse_vary(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    throw po::error(fmt::format("--vary '{}': expected key.path=v1,v2,...", text));
  }
  Axis a{text.substr(0, eq), {}};
  std::string rest = text.substr(eq + 1);
  std::size_t start = 0;
  while (start <= rest.size()) {
    const auto comma = rest.find(',', start);
    const std::string v =
        rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (v.empty()) throw po::error(fmt::format("--vary '{}': empty value", text));
    a.values.push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return a;
}

struct Point {
  std::vector<std::string> values;
  bool done = false;
  bool feasible = false;
  std::string reason;
  double gpu_hours = 0, cost = 0, days = 0, mfu = 0;
};

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

int cmd_sweep(const Args& args, std::ostream& out) {
  po::options_description desc("sweep options");
  SimCommandOptions so;
  add_sim_options(desc, so);
  std::vector<std::string> vary;
  std::string csv;
  desc.add_options()("vary", po::value(&vary)->composing(),
                     "key.path=v1,v2,... (repeatable; the cross product is run)")(
      "csv", po::value(&csv), "write the table as CSV to FILE");
  po::variables_map vm;
  if (!parse_command_line(args, "sweep", "SCENARIO --vary key=v1,v2 [--vary ...] [options]", desc,
                          {"scenario"}, vm, out)) {
    return kExitOk;
  }
  if (vary.empty()) throw po::error("sweep needs at least one --vary key=v1,v2,...");
  std::vector<Axis> axes;
  std::size_t total = 1;
  for (const auto& v : vary) {
    axes.push_back(parse_vary(v));
    total *= axes.back().values.size();
    if (total > 100000) throw po::error("the sweep has more than 100,000 points");
  }
  const std::string file = vm["scenario"].as<std::string>();
  scenarios::load_scenario(file, {so.sets});  // the base must be valid on its own
  std::vector<Point> points(total);
  for (std::size_t i = 0; i < total; ++i) {
    std::size_t rest = i;
    for (auto it = axes.rbegin(); it != axes.rend(); ++it) {
      points[i].values.insert(points[i].values.begin(), it->values[rest % it->values.size()]);
      rest /= it->values.size();
    }
  }
  sim::SimOptions opt = to_sim_options(so);
  const int workers = std::max(1, std::min<int>(opt.jobs, static_cast<int>(total)));
  opt.jobs = 1;  // parallel over points, each run sequential
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  g_interrupted.store(false);
  auto previous = std::signal(SIGINT, on_sigint);
  std::atomic<std::size_t> next{0}, finished{0};
  std::mutex progress_mutex;
  auto work = [&] {
    for (std::size_t i = next++; i < total && !g_interrupted.load(); i = next++) {
      Point& p = points[i];
      std::vector<std::string> sets = so.sets;
      for (std::size_t a = 0; a < axes.size(); ++a) sets.push_back(axes[a].key + "=" + p.values[a]);
      try {
        const auto s = scenarios::load_scenario(file, {sets});
        const auto run = sim::simulate_run(s, opt);
        p.feasible = true;
        for (const auto& ph : run.phases) {
          if (!ph.feasible) {
            p.feasible = false;
            p.reason = fmt::format("{}: {}", ph.name, ph.infeasible_reason);
            break;
          }
        }
        p.gpu_hours = run.total_gpu_hours;
        p.cost = run.total_cost_usd;
        p.days = run.total_wall_s / 86400.0;
        p.mfu = run.mfu;
      } catch (const ConfigError& e) {
        p.reason = e.detail();
      } catch (const Error& e) {
        p.reason = e.what();
      }
      p.done = true;
      const std::size_t n = ++finished;
      if (tty) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        std::cerr << fmt::format("\r[{:<30}] {}/{} points", std::string(30 * n / total, '#'), n,
                                 total)
                  << std::flush;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int w = 0; w < workers; ++w) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  std::signal(SIGINT, previous);
  if (tty) std::cerr << "\n";

  std::vector<std::string> headers;
  for (const auto& a : axes) headers.push_back(a.key);
  for (const char* h : {"GPU-hours", "cost", "days", "MFU", "status"}) headers.emplace_back(h);
  reports::TextTable t(headers);
  std::string csv_text;
  for (std::size_t i = 0; i < headers.size(); ++i)
    csv_text += (i ? "," : "") + csv_escape(headers[i]);
  csv_text += "\n";
  std::size_t done = 0;
  for (const auto& p : points) {
    if (!p.done) continue;
    ++done;
    std::vector<std::string> row = p.values;
    const bool ok = p.feasible;
    row.push_back(ok ? reports::with_commas(p.gpu_hours) : "");
    row.push_back(ok ? "$" + reports::with_commas(p.cost) : "");
    row.push_back(ok ? fmt::format("{:.1f}", p.days) : "");
    row.push_back(ok ? fmt::format("{:.1f}%", 100 * p.mfu) : "");
    row.push_back(ok ? "ok" : p.reason);
    t.add_row(row);
    std::vector<std::string> c = p.values;
    c.push_back(ok ? fmt::format("{:.6g}", p.gpu_hours) : "");
    c.push_back(ok ? fmt::format("{:.6g}", p.cost) : "");
    c.push_back(ok ? fmt::format("{:.6g}", p.days) : "");
    c.push_back(ok ? fmt::format("{:.6g}", p.mfu) : "");
    c.push_back(ok ? "ok" : p.reason);
    for (std::size_t i = 0; i < c.size(); ++i) csv_text += (i ? "," : "") + csv_escape(c[i]);
    csv_text += "\n";
  }
  out << t.render();
  if (g_interrupted.load()) {
    out << fmt::format(
        "\ninterrupted: {} of {} points finished (shown above); no files were written\n", done,
        total);
    return 130;
  }
  if (!csv.empty()) {
    write_file_atomically(csv, csv_text);
    out << fmt::format("\nwrote {}\n", csv);
  }
  return kExitOk;
}

}  // namespace trainsim::cli
