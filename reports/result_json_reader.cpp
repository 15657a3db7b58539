#include "reports/result_json_reader.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace trainsim::reports {
namespace {

using Json = nlohmann::json;

constexpr const char* kRunSchema = "trainsim.run/1";

/// A short description of a JSON value for error messages: `the string "x"`, `the number -5`.
std::string describe(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return "null (JSON has no NaN or infinity; the writer turns them into null)";
    case Json::value_t::boolean:
      return fmt::format("the boolean {}", j.get<bool>() ? "true" : "false");
    case Json::value_t::string: {
      std::string s = j.get<std::string>();
      if (s.size() > 40) s = s.substr(0, 40) + "...";
      return fmt::format("the string {}", Json(s).dump());
    }
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return fmt::format("the number {}", j.dump());
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    default:
      return "an unsupported value";
  }
}

/// One value of the document, with its key path (e.g. "phases[0].step.memory.weights") and the
/// name of the file it came from, for errors.
class Node {
 public:
  Node(const Json& j, std::string path, const std::string& origin)
      : j_(&j), path_(std::move(path)), origin_(&origin) {}

  const std::string& path() const { return path_; }

  [[noreturn]] void fail(const std::string& message) const {
    throw ConfigError(*origin_, 0, 0, path_, message);
  }
  [[noreturn]] void fail_expected(const std::string& what) const {
    fail(fmt::format("expected {}, got {}", what, describe(*j_)));
  }

  void require_object() const {
    if (!j_->is_object()) fail_expected("an object");
  }

  std::optional<Node> find(const std::string& key) const {
    require_object();
    const auto it = j_->find(key);
    if (it == j_->end()) return std::nullopt;
    return Node(*it, child(key), *origin_);
  }

  /// The child `key`; `what` says what it should hold, for the missing-key message.
  Node at(const std::string& key, const std::string& what) const {
    auto n = find(key);
    if (!n) {
      throw ConfigError(*origin_, 0, 0, child(key),
                        fmt::format("missing required key '{}' (expected {})", key, what));
    }
    return *n;
  }

  std::string string() const {
    if (!j_->is_string()) fail_expected("a string");
    return j_->get<std::string>();
  }

  bool boolean() const {
    if (!j_->is_boolean()) fail_expected("true or false");
    return j_->get<bool>();
  }

  /// A finite, non-negative number (integer or not), as a double.
  double quantity() const {
    if (!j_->is_number()) fail_expected("a non-negative number");
    const double v = j_->get<double>();
    if (!std::isfinite(v) || v < 0) fail_expected("a finite, non-negative number");
    return v;
  }

  /// An integer in [lo, hi].
  std::int64_t integer(std::int64_t lo, std::int64_t hi) const {
    const std::string what = fmt::format("an integer from {} to {}", lo, hi);
    if (j_->is_number_unsigned()) {
      const auto u = j_->get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(hi)) fail_expected(what);
      return static_cast<std::int64_t>(u);
    }
    if (!j_->is_number_integer()) fail_expected(what);
    const auto v = j_->get<std::int64_t>();
    if (v < lo || v > hi) fail_expected(what);
    return v;
  }

  std::uint64_t unsigned_integer() const {
    if (!j_->is_number_unsigned()) fail_expected("a non-negative integer");
    return j_->get<std::uint64_t>();
  }

  std::vector<Node> elements(const std::string& what) const {
    if (!j_->is_array()) fail_expected(fmt::format("an array of {}", what));
    std::vector<Node> out;
    out.reserve(j_->size());
    for (std::size_t i = 0; i < j_->size(); ++i) {
      out.emplace_back((*j_)[i], fmt::format("{}[{}]", path_, i), *origin_);
    }
    return out;
  }

  std::vector<std::pair<std::string, Node>> members(const std::string& what) const {
    if (!j_->is_object()) fail_expected(fmt::format("an object of {}", what));
    std::vector<std::pair<std::string, Node>> out;
    for (auto it = j_->begin(); it != j_->end(); ++it) {
      out.emplace_back(it.key(), Node(it.value(), child(it.key()), *origin_));
    }
    return out;
  }

  // Shorthands for a required child of one kind.
  std::string str(const std::string& key) const { return at(key, "a string").string(); }
  bool flag(const std::string& key) const { return at(key, "true or false").boolean(); }
  double num(const std::string& key) const { return at(key, "a non-negative number").quantity(); }
  int int32(const std::string& key) const {
    return static_cast<int>(at(key, "an integer").integer(0, std::numeric_limits<int>::max()));
  }
  std::int64_t int64(const std::string& key) const {
    return at(key, "an integer").integer(0, std::numeric_limits<std::int64_t>::max());
  }
  std::optional<double> optional_num(const std::string& key) const {
    if (auto n = find(key)) return n->quantity();
    return std::nullopt;
  }

 private:
  std::string child(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }

  const Json* j_;
  std::string path_;
  const std::string* origin_;
};

sim::Spread read_spread(const Node& n) {
  n.require_object();
  return {n.num("min"), n.num("mean"), n.num("max")};
}

/// The optional `calibration` object (absent in results written before it existed).
void read_calibration(const Node& c, sim::CalibrationUse& out) {
  c.require_object();
  out.requested = c.str("requested");
  out.profile = c.str("profile");
  out.gpu = c.str("gpu");
  out.transfer = c.str("transfer");
  out.warning = c.str("warning");
}

sim::StepPhases read_phases(const Node& n) {
  n.require_object();
  sim::StepPhases p;
  p.forward_s = n.num("forward_s");
  p.backward_input_s = n.num("backward_input_s");
  p.backward_weight_s = n.num("backward_weight_s");
  p.overlapped_fb_s = n.num("overlapped_fb_s");
  p.bubble_s = n.num("bubble_s");
  p.dp_sync_s = n.num("dp_sync_s");
  p.optimizer_s = n.num("optimizer_s");
  return p;
}

sim::StepResult read_step(const Node& n) {
  n.require_object();
  sim::StepResult s;
  s.step_time_s = n.num("step_time_s");
  s.global_batch = n.int64("global_batch");
  s.seq_len = n.int64("seq_len");
  s.micro_batches = n.int64("micro_batches");
  if (auto passes = n.find("pipeline_passes"))
    s.pipeline_passes = static_cast<int>(passes->integer(1, 1000000));
  s.tokens = n.num("tokens");
  s.model_flops = n.num("model_flops");
  s.mfu = n.num("mfu");
  s.hfu = n.num("hfu");
  s.peak_flops = n.num("peak_flops");
  s.peak_basis = n.str("peak_basis");
  s.mfu_vs_gemm_dtype = n.num("mfu_vs_gemm_dtype");
  if (n.find("slowest_gpu_factor")) s.slowest_gpu_factor = n.num("slowest_gpu_factor");
  s.compute_s = read_spread(n.at("compute_s", "an object {min, mean, max}"));
  s.exposed_comm_s = read_spread(n.at("exposed_comm_s", "an object {min, mean, max}"));
  s.bubble_s = read_spread(n.at("bubble_s", "an object {min, mean, max}"));
  s.comm_s = read_spread(n.at("comm_s", "an object {min, mean, max}"));
  for (const auto& [kind, v] :
       n.at("compute_by_kind_s", "an object of op kind to seconds").members("op kind to seconds")) {
    s.compute_by_kind_s[kind] = v.quantity();
  }
  if (auto c = n.find("critical_rank")) {
    c->require_object();
    s.critical_rank = c->int32("rank");
    s.critical_stage = c->int32("stage");
    s.critical_phases = read_phases(c->at("phases", "an object of seconds per phase"));
  }
  if (auto layers = n.find("stage_layers")) {
    for (const auto& l : layers->elements("per-stage layer ranges")) {
      l.require_object();
      s.stage_layers.push_back({l.int32("stage"), l.int64("first_layer"), l.int64("last_layer"),
                                l.flag("embedding"), l.flag("head")});
    }
  }
  const Node m = n.at("memory", "an object of bytes per GPU");
  m.require_object();
  s.memory.weights = m.num("weights");
  s.memory.gradients = m.num("gradients");
  s.memory.optimizer = m.num("optimizer");
  s.memory.activations = m.num("activations");
  s.memory.other = m.num("other");
  s.memory_capacity = m.num("capacity");
  s.fits_in_memory = m.flag("fits");
  s.infeasible_reason = n.str("infeasible_reason");
  s.cost_model = n.str("cost_model");
  for (const auto& op : n.at("roofline_ops", "an array of op kinds").elements("op kinds")) {
    s.roofline_ops.push_back(op.string());
  }
  if (auto f = n.find("fallbacks")) {
    for (const auto& x : f->elements("fallback descriptions")) s.fallbacks.push_back(x.string());
  }
  if (auto c = n.find("calibration")) read_calibration(*c, s.calibration);
  s.ranks_simulated = n.int32("ranks_simulated");
  s.events = n.at("events", "a non-negative integer").unsigned_integer();
  if (auto ranks = n.find("ranks")) {
    for (const auto& r : ranks->elements("per-rank objects")) {
      r.require_object();
      sim::RankTime t;
      t.rank = r.int32("rank");
      t.stage = r.int32("stage");
      t.compute_s = r.num("compute_s");
      t.comm_s = r.num("comm_s");
      t.exposed_comm_s = r.num("exposed_comm_s");
      t.bubble_s = r.num("bubble_s");
      if (auto p = r.find("phases")) t.phases = read_phases(*p);
      s.ranks.push_back(t);
    }
  }
  if (auto w = n.find("wall_s")) s.wall_s = w->quantity();
  return s;
}

sim::PhaseResult read_phase(const Node& n) {
  n.require_object();
  sim::PhaseResult p;
  p.name = n.str("name");
  p.group = n.str("group");
  p.gpus = n.int32("gpus");
  p.seq_len = n.int64("seq_len");
  p.tokens = n.num("tokens");
  p.steps = n.num("steps");
  // `mean_step_time_s` (the mean over the phase's steps); files before it said `step_time_s`.
  const auto mean_step = n.optional_num("mean_step_time_s");
  p.step_time_s = mean_step ? *mean_step : n.num("step_time_s");
  p.wall_s = seconds_from_days(n.num("wall_days"));
  p.gpu_hours = n.num("gpu_hours");
  p.cost_usd = n.num("cost_usd");
  p.mfu = n.num("mfu");
  p.tokens_per_gpu_s = n.num("tokens_per_gpu_s");
  p.feasible = n.flag("feasible");
  p.infeasible_reason = n.str("infeasible_reason");
  p.note = n.str("note");
  for (const auto& b : n.at("batches", "an array of batch objects").elements("batch objects")) {
    b.require_object();
    sim::BatchPoint bp;
    bp.batch = b.int64("batch");
    bp.steps = b.num("steps");
    bp.step_time_s = b.num("step_time_s");
    bp.simulated = b.flag("simulated");
    bp.extrapolated = b.flag("extrapolated");
    p.batches.push_back(bp);
  }
  p.representative = read_step(n.at("step", "the step object of the phase's final batch"));
  return p;
}

sim::RunResult read_run(const Node& root) {
  if (auto schema = root.find("schema")) {
    const std::string s = schema->string();
    if (s != kRunSchema) {
      schema->fail(fmt::format(
          "this is a '{}' document, not a run result; expected \"{}\" (written by `trainsim run "
          "--json FILE` or `run --out DIR`){}",
          s, kRunSchema,
          s == "trainsim.step/1" ? " — `trainsim step --json` output holds one step only" : ""));
    }
  } else {
    root.at("schema", fmt::format("\"{}\"", kRunSchema));
  }
  sim::RunResult r;
  r.scenario = root.str("scenario");
  r.description = root.str("description");
  r.gpu = root.str("gpu");
  r.gpus = root.int32("gpus");
  r.price_per_gpu_hour = root.num("price_per_gpu_hour");
  r.cost_model = root.str("cost_model");
  if (auto c = root.find("calibration")) read_calibration(*c, r.calibration);

  const Node total = root.at("total", "an object {gpu_hours, cost_usd, wall_days, tokens, mfu}");
  total.require_object();
  r.total_gpu_hours = total.num("gpu_hours");
  r.total_cost_usd = total.num("cost_usd");
  r.total_wall_s = seconds_from_days(total.num("wall_days"));
  r.total_tokens = total.num("tokens");
  r.mfu = total.num("mfu");

  const Node pub = root.at("published", "an object {gpu_hours, cost_usd, source}");
  pub.require_object();
  r.published_gpu_hours = pub.optional_num("gpu_hours");
  r.published_cost_usd = pub.optional_num("cost_usd");
  r.published_source = pub.str("source");
  if (auto o = pub.find("overrides")) {  // absent in files written before it
    for (const auto& a : o->elements("strings")) r.overrides.push_back(a.string());
  }

  for (const auto& p : root.at("phases", "an array of phase objects").elements("phase objects")) {
    r.phases.push_back(read_phase(p));
  }
  for (const auto& g : root.at("groups", "an array of group objects").elements("group objects")) {
    g.require_object();
    sim::GroupResult gr;
    gr.group = g.str("group");
    gr.gpu_hours = g.num("gpu_hours");
    gr.cost_usd = g.num("cost_usd");
    gr.wall_s = seconds_from_days(g.num("wall_days"));
    gr.published_gpu_hours = g.optional_num("published_gpu_hours");
    r.groups.push_back(gr);
  }
  for (const auto& a : root.at("assumptions", "an array of strings").elements("strings")) {
    r.assumptions.push_back(a.string());
  }
  if (auto gp = root.find("goodput")) {
    gp->require_object();
    r.goodput.enabled = true;
    r.goodput.interruptions = gp->num("interruptions");
    r.goodput.lost_s = seconds_from_days(gp->num("lost_days"));
    r.goodput.checkpoint_s = seconds_from_days(gp->num("checkpoint_days"));
    r.goodput.goodput = gp->num("goodput");
    r.goodput.gpu_hours_with_failures = gp->num("gpu_hours_with_failures");
    r.goodput.basis = gp->str("basis");
  }
  if (auto w = root.find("wall_s")) r.wall_s = w->quantity();
  return r;
}

/// 1-based line and column of byte offset `byte` (nlohmann counts bytes read, so the offending
/// byte is at `byte` − 1).
std::pair<int, int> line_column(const std::string& text, std::size_t byte) {
  const std::size_t end = std::min(text.size(), byte > 0 ? byte - 1 : 0);
  int line = 1, column = 1;
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

}  // namespace

double seconds_from_days(double days) {
  constexpr double kDay = 86400.0;
  const double guess = days * kDay;
  if (guess / kDay == days || !std::isfinite(guess)) return guess;
  // The writer printed fl(s / 86400) for some s; a neighbour of days × 86400 within a few ulps
  // divides back to exactly `days`.
  double up = guess, down = guess;
  for (int i = 0; i < 8; ++i) {
    up = std::nextafter(up, std::numeric_limits<double>::infinity());
    if (up / kDay == days) return up;
    down = std::nextafter(down, -std::numeric_limits<double>::infinity());
    if (down / kDay == days) return down;
  }
  return guess;
}

sim::RunResult read_run_json_text(const std::string& text, const std::string& origin) {
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const Json::parse_error& e) {
    const auto [line, column] = line_column(text, e.byte);
    // nlohmann's message: "[json.exception.parse_error.101] parse error at line 1, column 2:
    // syntax error while parsing value - ..."; keep what follows the location.
    std::string why = e.what();
    const auto at = why.find("column ");
    const auto colon = at == std::string::npos ? std::string::npos : why.find(": ", at);
    if (colon != std::string::npos) why = why.substr(colon + 2);
    throw ConfigError(origin, line, column, "",
                      fmt::format("not a valid JSON document ({}); expected a run result written "
                                  "by `trainsim run --json FILE`",
                                  why));
  } catch (const Json::exception& e) {
    // e.g. "[json.exception.out_of_range.406] number overflow parsing '1e400'".
    std::string why = e.what();
    if (const auto end = why.find("] "); end != std::string::npos) why = why.substr(end + 2);
    throw ConfigError(origin, 0, 0, "",
                      fmt::format("not a valid JSON document ({}); expected a run result written "
                                  "by `trainsim run --json FILE`",
                                  why));
  }
  const Node root(doc, "", origin);
  if (!doc.is_object()) {
    throw ConfigError(
        origin, 0, 0, "",
        fmt::format("expected a JSON object (a run result, \"schema\": \"{}\"), got {}", kRunSchema,
                    describe(doc)));
  }
  return read_run(root);
}

sim::RunResult read_run_json(const std::string& path) {
  return read_run_json_text(read_file(path), path);
}

}  // namespace trainsim::reports
