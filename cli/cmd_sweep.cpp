// trainsim sweep SCENARIO --vary key=v1,v2,... [--vary ...] [--zip] [--csv FILE] [--out DIR]
// [--jobs N]: the cross product of overrides (or, with --zip, the i-th value of every --vary
// together), each point a whole run. Values are YAML flow items (a mapping merges into the key:
// --vary 'parallelism={tp: 8, pp: 4},{tp: 4, pp: 8}'). A typo in a --vary key is one error before
// anything runs; points that did not run are grouped by reason with a count. `--out DIR` adds
// report.html (cost against days, one point per sweep point) and sweep.csv.
// trainsim sweep SCENARIO --sensitivity [--delta 0.2] [--csv FILE] [--out DIR]: each main input
// of the scenario (GPU peak FLOP/s, HBM, NVLink and NIC bandwidth, training tokens, price) at
// −δ and +δ, one whole run per side, and the change in GPU-hours as a tornado chart.
// Points run in parallel; results are ordered by point, whatever the thread count. Every
// exception in a point is caught for that point (core/parallel_points.hpp): running out of memory
// in one is its row, never the end of the others.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <csignal>
#include <iostream>
#include <mutex>
#include <optional>
#include <ostream>

#include "cli/json_output.hpp"
#include "cli/sim_options.hpp"
#include "cli/sweep_axes.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/parallel_points.hpp"
#include "core/units.hpp"
#include "core/yaml_reader.hpp"
#include "hardware/dtype.hpp"
#include "reports/sweep_json.hpp"
#include "reports/sweep_report.hpp"
#include "reports/text_table.hpp"
#include "scenarios/scenario_loader.hpp"
#include "scenarios/scenario_source.hpp"

namespace trainsim::cli {
namespace {

std::atomic<bool> g_interrupted{false};
/// The first Ctrl-C stops taking new points (the points in flight finish and are kept); a second
/// one stops at once, exit 130, writing nothing (no output file is open while this is installed).
extern "C" void on_sigint(int) {
  if (g_interrupted.exchange(true)) {
    static const char kNow[] = "\ninterrupted again: stopped at once; no files were written\n";
    [[maybe_unused]] const auto n = ::write(STDERR_FILENO, kNow, sizeof kNow - 1);
    ::_exit(130);
  }
  static const char kFirst[] =
      "\ninterrupted: finishing the points in flight (Ctrl-C again to stop at once)\n";
  [[maybe_unused]] const auto n = ::write(STDERR_FILENO, kFirst, sizeof kFirst - 1);
}

/// One whole run of the sweep: the overrides after the command's --set, and its outcome.
struct Job {
  std::vector<std::string> sets;
  reports::SweepOutcome outcome;
  bool done = false;
};

/// `detail` without the " (with --set a, --set b)" the loader adds to an error located in the
/// file: a sweep shows each point's overrides in its own columns.
std::string without_sets(const std::string& detail, const std::vector<std::string>& sets) {
  std::string with;
  for (const auto& o : sets) with += (with.empty() ? "--set " : ", --set ") + o;
  const std::string suffix = " (with " + with + ")";
  if (detail.size() > suffix.size() &&
      detail.compare(detail.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return detail.substr(0, detail.size() - suffix.size());
  }
  return detail;
}

/// Runs every job on up to `jobs` threads (each run itself sequential); Ctrl-C stops taking new
/// jobs (a second one exits at once). Returns false if some jobs are not done (interrupted); an
/// interrupt after every job had finished loses nothing and returns true. Whatever a job throws
/// stays its own outcome: out of memory, or an internal error.
bool run_jobs(const std::string& file, const std::vector<std::string>& base_sets,
              sim::SimOptions opt, std::vector<Job>& jobs) {
  const std::size_t total = jobs.size();
  const int workers = std::max(1, std::min<int>(opt.jobs, static_cast<int>(total)));
  opt.jobs = 1;  // parallel over points, each run sequential
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  g_interrupted.store(false);
  auto previous = std::signal(SIGINT, on_sigint);
  std::atomic<std::size_t> finished{0};
  std::mutex progress_mutex;
  auto body = [&](std::size_t i) {
    reports::SweepOutcome& o = jobs[i].outcome;
    std::vector<std::string> sets = base_sets;
    sets.insert(sets.end(), jobs[i].sets.begin(), jobs[i].sets.end());
    std::optional<scenarios::Scenario> s;
    try {
      s = scenarios::load_scenario(file, {sets});
    } catch (const ConfigError& e) {
      // The key and the message; the file is the sweep's, and the overrides are the point's.
      o.failure = reports::SweepFailure::Invalid;
      o.reason = (e.key_path().empty() ? "" : e.key_path() + ": ") + without_sets(e.detail(), sets);
      return;
    } catch (const Error& e) {
      o.failure = reports::SweepFailure::Invalid;
      o.reason = e.what();
      return;
    }
    try {
      const auto run = sim::simulate_run(*s, opt);
      o.feasible = true;
      for (const auto& ph : run.phases) {
        if (!ph.feasible) {
          o.feasible = false;
          o.failure = reports::SweepFailure::Infeasible;
          o.reason = fmt::format("{}: {}", ph.name, ph.infeasible_reason);
          break;
        }
      }
      o.gpu_hours = run.total_gpu_hours;
      o.cost_usd = run.total_cost_usd;
      o.wall_days = run.total_wall_s / 86400.0;
      o.mfu = run.mfu;
    } catch (const Error& e) {
      // A plan the simulator cannot evaluate (a fabric too small for the cluster): bad input, as
      // main() treats it, not an infeasible result.
      o.feasible = false;
      o.failure = reports::SweepFailure::Invalid;
      o.reason = e.what();
    }
  };
  auto on_done = [&](std::size_t) {
    const std::size_t n = ++finished;
    if (!tty) return;
    std::lock_guard<std::mutex> lock(progress_mutex);
    std::cerr << fmt::format("\r[{:<30}] {}/{} points", std::string(30 * n / total, '#'), n, total)
              << std::flush;
  };
  const PointsRun run = run_points(
      total, workers, body, [] { return g_interrupted.load(); }, on_done);
  // Interrupted before every point ran, the caller prints what finished and writes no file, so
  // a second Ctrl-C still stops at once (exit 130, "no files were written") until the process
  // ends; restoring the default then would let a second Ctrl-C that comes just after the points
  // in flight end kill the process instead. Otherwise the previous handler is back before any
  // file is written.
  if (run.complete() || !g_interrupted.load()) std::signal(SIGINT, previous);
  if (tty) std::cerr << "\n";
  for (std::size_t i = 0; i < total; ++i) {
    jobs[i].done = run.done[i];
    if (!run.failures[i]) continue;
    reports::SweepOutcome& o = jobs[i].outcome;
    o = reports::SweepOutcome{};
    if (run.failures[i]->kind == PointFailure::Kind::OutOfMemory) {
      o.failure = reports::SweepFailure::OutOfMemory;
      o.reason =
          "out of memory: simulating this point needed more memory than this machine "
          "could allocate";
    } else {
      o.failure = reports::SweepFailure::Internal;
      o.reason = "internal error (please report): " + run.failures[i]->message;
    }
  }
  return run.complete();
}

void write_outputs(const std::string& csv, const std::string& csv_text, const std::string& out_dir,
                   const std::string& csv_name, const std::string& html,
                   const std::string& json_file, const std::string& json_text, std::ostream& out,
                   std::ostream& csv_out) {
  // `--json -`: the JSON alone on standard output (`out` is then stderr), as `--csv -`.
  write_json_output(json_file, json_text, csv_out, out);
  if (csv == kStdoutPath) {
    csv_out << csv_text;  // `--csv -`: the CSV alone on standard output (`out` is then stderr)
  } else if (!csv.empty()) {
    write_file_atomically(csv, csv_text);
    out << fmt::format("\nwrote {}\n", csv);
  }
  if (!out_dir.empty()) {
    write_files_atomically(  // both or neither
        {{out_dir + "/report.html", html}, {out_dir + "/" + csv_name, csv_text}});
    out << fmt::format("\nwrote {}/report.html and {}/{}\n", out_dir, out_dir, csv_name);
  }
}

// ------------------------------------------------------------------ --vary

/// "parallelism.pp" for "parallelism.pp", "phases[0].tokens" for "phases.0.tokens": key paths as
/// the loader names them in its errors.
std::string canonical_path(const std::string& path) {
  std::string out;
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t end = path.find('.', i);
    if (end == std::string::npos) end = path.size();
    const std::string part = path.substr(i, end - i);
    const bool index = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
    out += index && !out.empty() ? "[" + part + "]" : (out.empty() ? "" : ".") + part;
    i = end + 1;
  }
  return out;
}

/// A mistake in a --vary key (a typo, a key under something that is not a mapping) fails every
/// point alike: each item of each axis is loaded once with the items of the axes before it, and
/// such an error is reported once, as the error of the whole sweep (exit 2), before any point is
/// simulated. Other errors (a combination that does not divide the GPUs) are left to the points.
void check_axis_keys(const std::string& file, const std::vector<std::string>& base_sets,
                     const std::vector<Axis>& axes, bool zip) {
  const ConfigNode doc = scenarios::load_scenario_document(file);
  for (std::size_t a = 0; a < axes.size(); ++a) {
    for (std::size_t v = 0; v < axes[a].values.size(); ++v) {
      std::vector<std::string> sets = base_sets;
      for (std::size_t b = 0; b < a; ++b) {
        const auto& item = axes[b].values[zip ? v : 0];
        sets.insert(sets.end(), item.overrides.begin(), item.overrides.end());
      }
      const auto& mine = axes[a].values[v].overrides;
      sets.insert(sets.end(), mine.begin(), mine.end());
      const std::string where = "--vary " + axes[a].option;
      const std::string note = "; checked before simulating: no point was run";
      try {
        apply_overrides(doc, sets);
      } catch (const ConfigError& e) {
        // The override itself cannot be applied (no such key on the way, not a mapping).
        throw ConfigError(where, 0, 0, e.key_path(), e.detail() + note);
      }
      try {
        scenarios::load_scenario(file, {sets});
      } catch (const ConfigError& e) {
        if (e.detail().rfind("unknown key '", 0) != 0) continue;
        // An unknown key at a path this item sets, or inside a value it sets whole
        // (cluster.fabric={base: …, nic_bww: …}): the item's own key.
        const std::string bad = canonical_path(e.key_path());
        for (const auto& o : mine) {
          const std::string set = canonical_path(o.substr(0, o.find('=')));
          if (bad == set || bad.rfind(set + ".", 0) == 0 || bad.rfind(set + "[", 0) == 0) {
            throw ConfigError(where, 0, 0, e.key_path(), without_sets(e.detail(), sets) + note);
          }
        }
      } catch (const Error&) {
        // Left to the point's own row.
      }
    }
  }
}

/// The exit status of a sweep: 0 when at least one point ran. Otherwise what stopped the points,
/// by main()'s conventions: 4 when every point ran out of memory, 70 when one hit an internal
/// error, 1 when one was a valid plan that is infeasible, 2 when every point was an invalid
/// combination.
int sweep_status(const std::vector<const reports::SweepOutcome*>& outcomes) {
  using reports::SweepFailure;
  bool all_oom = !outcomes.empty(), internal = false, infeasible = false;
  for (const auto* o : outcomes) {
    if (o->feasible) return kExitOk;
    all_oom = all_oom && o->failure == SweepFailure::OutOfMemory;
    internal = internal || o->failure == SweepFailure::Internal;
    infeasible = infeasible || o->failure == SweepFailure::Infeasible ||
                 o->failure == SweepFailure::OutOfMemory;
  }
  if (all_oom) return kExitIo;
  if (internal) return kExitInternal;
  if (infeasible) return kExitInfeasible;
  return kExitBadInput;
}

/// "pp=1 dp=4": a point by the last part of each axis key, when those tell the axes apart (else
/// the whole keys), for listing many points on a line.
std::string short_label(const reports::SweepResult& sweep, const reports::SweepPoint& p) {
  std::vector<std::string> names;
  for (const auto& a : sweep.axes) {
    const auto dot = a.find_last_of('.');
    names.push_back(dot == std::string::npos ? a : a.substr(dot + 1));
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    for (std::size_t j = i + 1; j < names.size(); ++j) {
      if (names[i] == names[j]) names = sweep.axes;
    }
  }
  std::string out;
  for (std::size_t a = 0; a < names.size() && a < p.values.size(); ++a) {
    out += (a ? " " : "") + names[a] + "=" + p.values[a];
  }
  return out;
}

/// The points that did not run, once per reason: "4 of 6 points, invalid combination: …" and the
/// points it stopped.
std::string failure_summary(const reports::SweepResult& sweep) {
  const auto groups = reports::failure_groups(sweep);
  if (groups.empty()) return "";
  std::size_t failed = 0;
  for (const auto& g : groups) failed += g.points.size();
  std::string out = failed < sweep.points.size() ? fmt::format("\n{} of {} points did not run:\n",
                                                               failed, sweep.points.size())
                    : failed == 1                ? std::string("\nThe one point did not run:\n")
                                  : fmt::format("\nNone of the {} points ran:\n", failed);
  for (const auto& g : groups) {
    const auto& first = sweep.points[g.points.front()];
    const std::string kind = reports::failure_kind_name(g.kind);
    out += fmt::format("- {} of {} {}, {}", g.points.size(), sweep.points.size(),
                       sweep.points.size() == 1 ? "point" : "points",
                       g.reason.rfind(kind, 0) == 0 ? g.reason : kind + ": " + g.reason);
    if (!g.same_text) {
      out += fmt::format(" (figures at {}; the others differ only in the numbers)",
                         short_label(sweep, first));
    }
    out += "\n  ";
    constexpr std::size_t kShown = 8;
    for (std::size_t k = 0; k < g.points.size() && k < kShown; ++k) {
      out += (k ? "; " : "") + short_label(sweep, sweep.points[g.points[k]]);
    }
    if (g.points.size() > kShown) {
      out += fmt::format("; … and {} more (--csv lists every point)", g.points.size() - kShown);
    }
    out += "\n";
  }
  return out;
}

int run_vary(const std::string& file, const SimCommandOptions& so,
             const std::vector<std::string>& vary, bool zip, const std::string& csv,
             const std::string& json_file, const std::string& out_dir, std::ostream& out,
             std::ostream& csv_out) {
  const sim::SimOptions opt = to_sim_options(so);
  scenarios::load_scenario(file, {so.sets});  // the base must be valid on its own
  const ConfigNode base = apply_overrides(scenarios::load_scenario_document(file), so.sets);
  std::vector<Axis> axes;
  for (const auto& v : vary) axes.push_back(parse_axis(v, base));
  const auto points = sweep_points(axes, zip, 100000);
  check_axis_keys(file, so.sets, axes, zip);
  if (!out_dir.empty()) ensure_writable_directory(out_dir);  // fail before simulating
  const std::size_t total = points.size();
  std::vector<std::vector<std::string>> values(total);
  std::vector<Job> jobs(total);
  for (std::size_t i = 0; i < total; ++i) {
    for (std::size_t a = 0; a < axes.size(); ++a) {
      const auto& item = axes[a].values[points[i][a]];
      values[i].push_back(item.text);
      jobs[i].sets.insert(jobs[i].sets.end(), item.overrides.begin(), item.overrides.end());
    }
  }
  const bool complete = run_jobs(file, so.sets, opt, jobs);

  reports::SweepResult sweep;
  sweep.scenario = file;
  sweep.sets = so.sets;
  for (const auto& a : axes) sweep.axes.push_back(a.key);
  std::vector<std::string> headers = sweep.axes;
  for (const char* h : {"GPU-hours", "cost", "days", "MFU"}) headers.emplace_back(h);
  reports::TextTable t(headers);
  std::size_t ran = 0;
  for (std::size_t i = 0; i < total; ++i) {
    if (!jobs[i].done) continue;
    const auto& o = jobs[i].outcome;
    sweep.points.push_back({values[i], o});
    if (!o.feasible) continue;  // listed below, once per reason
    ++ran;
    std::vector<std::string> row = values[i];
    row.push_back(reports::with_commas(o.gpu_hours));
    row.push_back("$" + reports::with_commas(o.cost_usd));
    row.push_back(fmt::format("{:.1f}", o.wall_days));
    row.push_back(fmt::format("{:.1f}%", 100 * o.mfu));
    t.add_row(row);
  }
  if (ran > 0) out << t.render();
  out << failure_summary(sweep);
  if (!complete) {
    out << fmt::format(
        "\ninterrupted: {} of {} points finished (shown above); no files were written\n",
        sweep.points.size(), total);
    return 130;
  }
  write_outputs(csv, reports::sweep_csv(sweep), out_dir, "sweep.csv", reports::sweep_html(sweep),
                json_file, reports::sweep_json(sweep), out, csv_out);
  std::vector<const reports::SweepOutcome*> outcomes;
  for (const auto& p : sweep.points) outcomes.push_back(&p.outcome);
  return sweep_status(outcomes);
}

// ------------------------------------------------------------------ --sensitivity

/// The shortest decimal text that reads back as exactly `v` ("7.912e+14", "1.6").
std::string exact(double v) {
  for (int digits = 1; digits <= 17; ++digits) {
    const std::string s = fmt::format("{:.{}g}", v, digits);
    double back = 0;
    std::from_chars(s.data(), s.data() + s.size(), back);
    if (back == v) return s;
  }
  return fmt::format("{:.17g}", v);
}

/// What the overrides are written against: the resolved base scenario and, for the GPU and the
/// fabric, whether the file names a catalog entry (then an inline definition based on it is
/// written) or defines one inline (then its fields are set).
struct StudyContext {
  scenarios::Scenario scenario;
  std::optional<std::string> gpu_catalog_name;
  std::optional<std::string> fabric_catalog_name;
};

/// One input of the study: how to write its overrides for a factor (1 − δ or 1 + δ) and how to
/// show its value.
struct InputSpec {
  std::string name;
  std::string keys;
  std::string base_value;
  std::vector<std::string> (*sets)(const StudyContext&, double factor);
  std::string (*value)(const StudyContext&, double factor);
};

/// Overrides of some fields of `cluster.<what>`: an inline definition based on the catalog
/// entry, or field by field when the scenario already defines it inline.
std::vector<std::string> cluster_fields(const std::string& what,
                                        const std::optional<std::string>& catalog_name,
                                        const std::vector<std::pair<std::string, std::string>>& f) {
  std::vector<std::string> out;
  if (catalog_name) {
    std::string map = "{base: " + *catalog_name;
    for (const auto& [k, v] : f) map += ", " + k + ": " + v;
    out.push_back("cluster." + what + "=" + map + "}");
  } else {
    for (const auto& [k, v] : f) out.push_back("cluster." + what + "." + k + "=" + v);
  }
  return out;
}

std::string bw(double v) {
  return exact(v) + "B/s";
}

/// The peak used to show the GPU's compute rate: BF16 when it has one.
std::pair<std::string, double> shown_peak(const hardware::GpuSpec& g) {
  if (g.peak(hardware::Dtype::BF16) > 0) return {"bf16", g.peak(hardware::Dtype::BF16)};
  for (auto d : hardware::kAllDtypes) {
    if (g.peak(d) > 0) return {std::string(hardware::dtype_name(d)), g.peak(d)};
  }
  return {"", 0.0};
}

std::vector<InputSpec> study_inputs(const StudyContext& ctx) {
  using units::Quantity;
  const auto& gpu = ctx.scenario.cluster.gpu;
  const auto& fabric = ctx.scenario.cluster.fabric;
  double tokens = 0;
  for (const auto& p : ctx.scenario.phases) tokens += p.tokens;
  std::vector<InputSpec> in;
  in.push_back({"GPU peak FLOP/s (every dtype)", "cluster.gpu.peak_flops",
                fmt::format("{} {}", units::format(shown_peak(gpu).second, Quantity::FlopRate),
                            shown_peak(gpu).first),
                [](const StudyContext& c, double k) {
                  std::string map = "{";
                  for (auto d : hardware::kAllDtypes) {
                    const double v = c.scenario.cluster.gpu.peak(d);
                    if (v <= 0) continue;
                    map += fmt::format("{}{}: {}FLOPS", map.size() > 1 ? ", " : "",
                                       hardware::dtype_name(d), exact(v * k));
                  }
                  return cluster_fields("gpu", c.gpu_catalog_name, {{"peak_flops", map + "}"}});
                },
                [](const StudyContext& c, double k) {
                  const auto [name, v] = shown_peak(c.scenario.cluster.gpu);
                  return fmt::format("{} {}", units::format(v * k, Quantity::FlopRate), name);
                }});
  in.push_back({"HBM bandwidth", "cluster.gpu.hbm_bw",
                units::format(gpu.hbm_bw_Bps, Quantity::Bandwidth),
                [](const StudyContext& c, double k) {
                  return cluster_fields("gpu", c.gpu_catalog_name,
                                        {{"hbm_bw", bw(c.scenario.cluster.gpu.hbm_bw_Bps * k)}});
                },
                [](const StudyContext& c, double k) {
                  return units::format(c.scenario.cluster.gpu.hbm_bw_Bps * k, Quantity::Bandwidth);
                }});
  in.push_back({"NVLink bandwidth (achievable)",
                "cluster.gpu.nvlink_bw_per_direction, nvlink_achievable_per_direction",
                units::format(gpu.nvlink_achievable_Bps, Quantity::Bandwidth),
                [](const StudyContext& c, double k) {
                  const auto& g = c.scenario.cluster.gpu;
                  return cluster_fields(
                      "gpu", c.gpu_catalog_name,
                      {{"nvlink_bw_per_direction", bw(g.nvlink_bw_Bps * k)},
                       {"nvlink_achievable_per_direction", bw(g.nvlink_achievable_Bps * k)}});
                },
                [](const StudyContext& c, double k) {
                  return units::format(c.scenario.cluster.gpu.nvlink_achievable_Bps * k,
                                       Quantity::Bandwidth);
                }});
  // The spread across GPUs that the job's slowest GPU pays (hardware/slowest_gpu.hpp); held in
  // the key's range (at most 0.2).
  in.push_back({"GPU spread (perf_variation)", "cluster.gpu.perf_variation",
                fmt::format("{:.2f}%", 100 * gpu.perf_variation),
                [](const StudyContext& c, double k) {
                  const double v = std::min(0.2, c.scenario.cluster.gpu.perf_variation * k);
                  return cluster_fields("gpu", c.gpu_catalog_name, {{"perf_variation", exact(v)}});
                },
                [](const StudyContext& c, double k) {
                  return fmt::format(
                      "{:.2f}%", 100 * std::min(0.2, c.scenario.cluster.gpu.perf_variation * k));
                }});
  in.push_back({"NIC bandwidth (achievable)", "cluster.fabric.nic_bw, nic_achievable",
                units::format(fabric.nic_achievable_Bps, Quantity::Bandwidth),
                [](const StudyContext& c, double k) {
                  const auto& f = c.scenario.cluster.fabric;
                  return cluster_fields("fabric", c.fabric_catalog_name,
                                        {{"nic_bw", bw(f.nic_bw_Bps * k)},
                                         {"nic_achievable", bw(f.nic_achievable_Bps * k)}});
                },
                [](const StudyContext& c, double k) {
                  return units::format(c.scenario.cluster.fabric.nic_achievable_Bps * k,
                                       Quantity::Bandwidth);
                }});
  in.push_back({"training tokens (every phase)", "phases[*].tokens (phases given in steps: steps)",
                units::format(tokens, Quantity::Count),
                [](const StudyContext& c, double k) {
                  std::vector<std::string> out;
                  for (std::size_t i = 0; i < c.scenario.phases.size(); ++i) {
                    const auto& p = c.scenario.phases[i];
                    if (p.steps) {
                      const auto steps =
                          std::max<long long>(1, std::llround(static_cast<double>(*p.steps) * k));
                      out.push_back(fmt::format("phases[{}].steps={}", i, steps));
                    } else {
                      out.push_back(fmt::format("phases[{}].tokens={}", i, exact(p.tokens * k)));
                    }
                  }
                  return out;
                },
                [](const StudyContext& c, double k) {
                  double t = 0;
                  for (const auto& p : c.scenario.phases) t += p.tokens;
                  return units::format(t * k, Quantity::Count);
                }});
  in.push_back(
      {"price per GPU-hour", "price", fmt::format("${:.2f}", ctx.scenario.price_per_gpu_hour),
       [](const StudyContext& c, double k) {
         return std::vector<std::string>{"price=" + exact(c.scenario.price_per_gpu_hour * k)};
       },
       [](const StudyContext& c, double k) {
         return fmt::format("${:.2f}", c.scenario.price_per_gpu_hour * k);
       }});
  return in;
}

int run_sensitivity(const std::string& file, const SimCommandOptions& so, double delta,
                    const std::string& csv, const std::string& json_file,
                    const std::string& out_dir, std::ostream& out, std::ostream& csv_out) {
  if (!(delta > 0 && delta <= 0.9)) {
    throw po::error(fmt::format("--delta must be in (0, 0.9] (0.2 = ±20%), not {}", delta));
  }
  const sim::SimOptions opt = to_sim_options(so);
  StudyContext ctx{scenarios::load_scenario(file, {so.sets}), std::nullopt, std::nullopt};
  const ConfigNode root = apply_overrides(scenarios::load_scenario_document(file), so.sets);
  const ConfigNode cluster = root.at("cluster");
  if (const ConfigNode g = cluster.at("gpu"); g.is_scalar()) ctx.gpu_catalog_name = g.as_string();
  if (auto f = cluster.find("fabric"); !f || f->is_scalar()) {
    ctx.fabric_catalog_name = f ? f->as_string() : ctx.scenario.cluster.fabric.name;
  }
  if (!out_dir.empty()) ensure_writable_directory(out_dir);  // fail before simulating

  const auto specs = study_inputs(ctx);
  std::vector<Job> jobs(1 + 2 * specs.size());  // the base, then −δ and +δ of every input
  for (std::size_t i = 0; i < specs.size(); ++i) {
    jobs[1 + 2 * i].sets = specs[i].sets(ctx, 1.0 - delta);
    jobs[2 + 2 * i].sets = specs[i].sets(ctx, 1.0 + delta);
  }
  const bool complete = run_jobs(file, so.sets, opt, jobs);
  if (!complete) {
    std::size_t done = 0;
    for (const auto& j : jobs) done += j.done ? 1 : 0;
    out << fmt::format("interrupted: {} of {} runs finished; no files were written\n", done,
                       jobs.size());
    return 130;
  }

  reports::SensitivityResult study;
  study.scenario = file;
  study.sets = so.sets;
  study.delta = delta;
  study.base = jobs[0].outcome;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const auto& s = specs[i];
    study.inputs.push_back(
        {s.name,
         s.keys,
         s.base_value,
         {s.value(ctx, 1.0 - delta), jobs[1 + 2 * i].sets, jobs[1 + 2 * i].outcome},
         {s.value(ctx, 1.0 + delta), jobs[2 + 2 * i].sets, jobs[2 + 2 * i].outcome}});
  }

  const auto& b = study.base;
  out << fmt::format("{}: each input at ±{:.0f}%, one whole run per side\n", file, 100 * delta);
  if (b.feasible) {
    out << fmt::format("base: {} GPU-hours, ${}, {:.1f} days\n\n",
                       reports::with_commas(b.gpu_hours), reports::with_commas(b.cost_usd),
                       b.wall_days);
  } else {
    out << fmt::format("base: did not run: {}\n\n", b.reason);
  }
  const std::string lo = fmt::format("-{:.0f}%", 100 * delta);
  const std::string hi = fmt::format("+{:.0f}%", 100 * delta);
  reports::TextTable t(
      {"input", "base", lo, "GPU-hours", "change", hi, "GPU-hours", "change", "cost " + lo,
       "cost " + hi},
      {reports::Align::Left, reports::Align::Right, reports::Align::Right, reports::Align::Right,
       reports::Align::Right, reports::Align::Right, reports::Align::Right, reports::Align::Right,
       reports::Align::Right, reports::Align::Right});
  std::string reasons;
  for (const auto& in : study.inputs) {
    std::vector<std::string> row{in.name, in.base_value};
    for (const auto* side : {&in.low, &in.high}) {
      const auto& o = side->outcome;
      row.push_back(side->value);
      row.push_back(o.feasible ? reports::with_commas(o.gpu_hours) : "did not run");
      row.push_back(o.feasible && b.feasible
                        ? fmt::format("{:+.1f}%", 100 * reports::gpu_hours_change(o, b))
                        : "");
      if (!o.feasible)
        reasons += fmt::format("{} at {}: {}\n", in.name, side == &in.low ? lo : hi, o.reason);
    }
    for (const auto* side : {&in.low, &in.high}) {
      const auto& o = side->outcome;
      row.push_back(o.feasible && b.feasible && b.cost_usd > 0
                        ? fmt::format("{:+.1f}%", 100 * (o.cost_usd / b.cost_usd - 1))
                        : "");
    }
    t.add_row(row);
  }
  out << t.render();
  if (!reasons.empty()) out << "\n" << reasons;
  write_outputs(csv, reports::sensitivity_csv(study), out_dir, "sensitivity.csv",
                reports::sensitivity_html(study), json_file, reports::sensitivity_json(study), out,
                csv_out);
  std::vector<const reports::SweepOutcome*> outcomes;
  for (const auto& j : jobs) outcomes.push_back(&j.outcome);
  return sweep_status(outcomes);  // as a sweep's: non-zero when no run of the study ran
}

}  // namespace

int cmd_sweep(const Args& args, std::ostream& out) {
  po::options_description desc("sweep options");
  SimCommandOptions so;
  add_sim_options(desc, so);
  std::vector<std::string> vary;
  std::string csv, out_dir;
  bool sensitivity = false;
  double delta = 0.2;
  bool zip = false;
  desc.add_options()("vary", po::value(&vary)->composing(),
                     "key.path=v1,v2,... (repeatable; the cross product is run). Values are YAML "
                     "flow items: a comma inside {}, [] or quotes does not split, and a mapping "
                     "merges into the key: parallelism={tp: 8, pp: 4},{tp: 4, pp: 8}")(
      "zip", po::bool_switch(&zip),
      "move the --vary keys together: the i-th value of every --vary makes point i (all need "
      "the same number of values), instead of the cross product")(
      "sensitivity", po::bool_switch(&sensitivity),
      "instead of --vary: run each main input (GPU peak FLOP/s, HBM, NVLink and NIC bandwidth, "
      "tokens, price) at -delta and +delta and chart the change in GPU-hours (tornado)")(
      "delta", po::value(&delta)->default_value(0.2, "0.2"),
      "relative change of each input for --sensitivity (0.2 = ±20%)")(
      "csv", po::value(&csv),
      "write the table as CSV to FILE ('-': the CSV alone on standard output, the table on "
      "standard error)")(
      "out", po::value(&out_dir),
      "write report.html (charts and tables) and the CSV (sweep.csv or sensitivity.csv) to DIR");
  std::string json_file;
  add_json_option(desc, json_file, "every point (or every side of --sensitivity)");
  po::variables_map vm;
  if (!parse_command_line(args, "sweep",
                          "SCENARIO (--vary key=v1,v2 [--vary ...] [--zip] | --sensitivity) "
                          "[options]",
                          desc, {"scenario"}, vm, out)) {
    return kExitOk;
  }
  const std::string file = vm["scenario"].as<std::string>();
  if (csv == kStdoutPath && json_to_stdout(json_file)) {
    throw po::error("--csv - and --json - cannot both be standard output; write one to a file");
  }
  std::ostream& text = csv == kStdoutPath || json_to_stdout(json_file) ? std::cerr : out;
  if (sensitivity) {
    if (!vary.empty()) throw po::error("--sensitivity and --vary cannot be combined");
    if (zip) throw po::error("--zip needs --vary, not --sensitivity");
    return run_sensitivity(file, so, delta, csv, json_file, out_dir, text, out);
  }
  if (!vm["delta"].defaulted()) throw po::error("--delta needs --sensitivity");
  if (vary.empty()) {
    throw po::error("sweep needs at least one --vary key=v1,v2,... (or --sensitivity)");
  }
  return run_vary(file, so, vary, zip, csv, json_file, out_dir, text, out);
}

}  // namespace trainsim::cli
