#include "core/yaml_reader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "core/atomic_file.hpp"
#include "core/text.hpp"

namespace trainsim {

struct ConfigNode::Impl {
  YAML::Node node;
  std::string file;
  std::string path;
  /// Non-empty when this node (or an ancestor) came from a --set override: the override text.
  std::string override_origin;
  /// Nodes that replaced scenario values, with the override text, shared by the whole document.
  std::shared_ptr<const std::vector<std::pair<YAML::Node, std::string>>> overrides;
  /// The document's source text, to re-parse (keeping line/column marks) when overriding.
  std::shared_ptr<const std::string> text;
};

namespace {

constexpr std::string_view kOverrideMarker = "--set ";

std::string describe_scalar(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "null";
  if (n.IsScalar()) return "'" + text::excerpt(n.Scalar()) + "'";
  if (n.IsSequence()) return "a list";
  return "a mapping";
}

std::string child_path(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::string element_path(const std::string& parent, std::size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0u : 1u)});
      diag = up;
    }
  }
  return row[b.size()];
}

ConfigError error_at(const std::string& origin, const YAML::Mark& m, const std::string& message) {
  return ConfigError(origin, m.is_null() ? 0 : m.line + 1, m.is_null() ? 0 : m.column + 1, "",
                     message);
}

/// 1-based line and column of byte `offset` of `text`.
std::pair<int, int> line_column(std::string_view text, std::size_t offset) {
  int line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {line, static_cast<int>(offset - line_start + 1)};
}

/// What a raw document may not contain, found before yaml-cpp sees it (which reads a NUL as the
/// end of a quoted string, and passes other bytes through into scalars that no JSON writer takes).
void check_raw_text(std::string_view text, const std::string& origin) {
  std::size_t bad = text::first_invalid_utf8(text);
  bad = std::min(bad, text::first_control(text));
  if (bad == std::string_view::npos) return;
  const auto [line, col] = line_column(text, bad);
  throw ConfigError(origin, line, col, "",
                    fmt::format("{}: a YAML document is UTF-8 text without control characters "
                                "other than tab, line feed and carriage return (YAML 1.2 §5.1)",
                                text::describe_bad_byte(text, bad)));
}

/// Checks of the parsed tree that yaml-cpp does not make: a scalar's text after escapes (\0,
/// \x1b, \uD800) must still be control-free UTF-8, keys are unique per mapping (yaml-cpp keeps
/// the first and drops the rest), nesting and node count stay within `limits`.
class TreeCheck {
 public:
  TreeCheck(const std::string& origin, const YamlLimits& limits)
      : origin_(origin), limits_(limits) {}

  void check(const YAML::Node& n, int depth) {
    if (++nodes_ > limits_.max_nodes) {
      throw error_at(origin_, n.Mark(),
                     fmt::format("the document has more than {} nodes once its aliases are "
                                 "expanded; a scenario has a few hundred",
                                 limits_.max_nodes));
    }
    if (depth > limits_.max_depth) {
      throw error_at(origin_, n.Mark(),
                     fmt::format("mappings and lists nested more than {} levels deep; a scenario "
                                 "needs fewer than 10",
                                 limits_.max_depth));
    }
    if (n.IsScalar()) {
      scalar(n, "value");
    } else if (n.IsSequence()) {
      for (const auto& child : n) check(child, depth + 1);
    } else if (n.IsMap()) {
      std::unordered_map<std::string, int> first_line;
      for (const auto& kv : n) {
        if (kv.first.IsScalar()) {
          scalar(kv.first, "key");
          const int line = kv.first.Mark().is_null() ? 0 : kv.first.Mark().line + 1;
          const auto [it, inserted] = first_line.emplace(kv.first.Scalar(), line);
          if (!inserted) {
            throw error_at(origin_, kv.first.Mark(),
                           fmt::format("duplicate key '{}' (first at line {}); a key may appear "
                                       "once in a mapping",
                                       text::excerpt(kv.first.Scalar()), it->second));
          }
        } else {
          check(kv.first, depth + 1);
        }
        check(kv.second, depth + 1);
      }
    }
  }

 private:
  void scalar(const YAML::Node& n, std::string_view what) {
    const std::string& s = n.Scalar();
    std::size_t bad = text::first_invalid_utf8(s);
    bad = std::min(bad, text::first_control(s));
    if (bad == std::string_view::npos) return;
    throw error_at(origin_, n.Mark(),
                   fmt::format("the {} '{}' holds {} at character {}; text must be UTF-8 without "
                               "control characters other than tab, line feed and carriage return",
                               what, text::excerpt(s), text::describe_bad_byte(s, bad), bad + 1));
  }

  const std::string& origin_;
  const YamlLimits& limits_;
  std::size_t nodes_ = 0;
};

/// Records where a document's first node starts (yaml-cpp's event interface, which builds no tree).
class FirstMark : public YAML::EventHandler {
 public:
  YAML::Mark mark = YAML::Mark::null_mark();
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { first(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { first(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                const std::string&) override {
    first(m);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    first(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    first(m);
  }
  void OnMapEnd() override {}

 private:
  void first(const YAML::Mark& m) {
    if (mark.is_null()) mark = m;
  }
};

/// Throws when `text` holds more than the one document YAML::Load reads: a second document, or
/// text yaml-cpp silently drops after the first (a stray ',' outside brackets: "[a], b" loads as
/// [a]; YAML::LoadAll never returns on it, so the documents are probed one at a time, twice).
void check_single_document_uncached(const std::string& text, const std::string& origin) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  FirstMark first, second;
  if (!parser.HandleNextDocument(first) || !parser.HandleNextDocument(second)) return;
  const std::size_t from = first.mark.is_null() ? 0 : static_cast<std::size_t>(first.mark.pos);
  const std::size_t to =
      second.mark.is_null() ? text.size() : static_cast<std::size_t>(second.mark.pos);
  std::size_t marker = text.find("\n---", from);
  if (text.rfind("---", 0) == 0 && from == 0) marker = text.find("\n---", 3);
  if (marker != std::string::npos && marker < to) {
    const auto [line, col] = line_column(text, marker + 1);
    throw ConfigError(origin, line, col, "",
                      "a second YAML document starts here ('---'); a file holds one document");
  }
  throw error_at(
      origin, second.mark,
      fmt::format("invalid YAML: '{}' here is outside any list or mapping, and the "
                  "rest of the file would be ignored",
                  text::excerpt(std::string_view(text).substr(std::min(to, text.size()), 1))));
}

/// check_single_document_uncached, remembered for texts that passed: the check re-scans the
/// whole text, and a plan search loads one scenario text tens of thousands of times (with
/// different --set overrides, which are checked apart). A text that fails is checked afresh
/// each time (its error names its origin).
void check_single_document(const std::string& text, const std::string& origin) {
  static std::mutex mutex;
  static std::unordered_set<std::string> passed;
  constexpr std::size_t kMaxRemembered = 256;
  {
    const std::lock_guard<std::mutex> lock(mutex);
    if (passed.count(text)) return;
  }
  check_single_document_uncached(text, origin);
  const std::lock_guard<std::mutex> lock(mutex);
  if (passed.size() >= kMaxRemembered) passed.clear();
  passed.insert(text);
}

YAML::Node parse_text(std::string_view text, const std::string& origin, const YamlLimits& limits) {
  if (text.size() > limits.max_bytes) {
    throw ConfigError(
        origin, 0, 0, "",
        fmt::format("document is {} bytes; the limit is {} bytes", text.size(), limits.max_bytes));
  }
  check_raw_text(text, origin);
  const std::string owned(text);
  YAML::Node doc;
  try {
    doc = YAML::Load(owned);
    check_single_document(owned, origin);
  } catch (const YAML::DeepRecursion& e) {
    throw error_at(origin, e.mark,
                   fmt::format("invalid YAML: nested deeper than the parser allows ({} levels); "
                               "a scenario needs fewer than 10",
                               e.depth()));
  } catch (const YAML::Exception& e) {
    throw error_at(origin, e.mark, fmt::format("invalid YAML: {}", e.msg));
  }
  TreeCheck(origin, limits).check(doc, 0);
  return doc;
}

}  // namespace

std::string join_names(const std::vector<std::string>& names, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += sep;
    out += names[i];
  }
  return out;
}

std::string join_names(const std::vector<std::string_view>& names, std::string_view sep) {
  std::vector<std::string> copy(names.begin(), names.end());
  return join_names(copy, sep);
}

std::string closest_name(std::string_view wrong, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::numeric_limits<std::size_t>::max();
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(wrong, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  const std::size_t tolerance = std::max<std::size_t>(2, wrong.size() / 3);
  return best_d <= tolerance ? best : std::string();
}

ConfigNode::ConfigNode() : impl_(std::make_shared<Impl>()) {}
ConfigNode::~ConfigNode() = default;
ConfigNode::ConfigNode(const ConfigNode&) = default;
ConfigNode& ConfigNode::operator=(const ConfigNode&) = default;
ConfigNode::ConfigNode(ConfigNode&&) noexcept = default;
ConfigNode& ConfigNode::operator=(ConfigNode&&) noexcept = default;
ConfigNode::ConfigNode(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

ConfigNode ConfigNode::load_file(const std::string& path, const YamlLimits& limits) {
  // A regular file's size is known up front; anything else (a FIFO, /dev/zero) is read only up
  // to the limit, and a directory is named as such (core/atomic_file.hpp: read_file).
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::is_regular_file(status)) {
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > limits.max_bytes) {
      throw ConfigError(path, 0, 0, "",
                        fmt::format("file is {} bytes; the limit is {} bytes",
                                    static_cast<unsigned long long>(size), limits.max_bytes));
    }
  }
  return load_string(read_file(path, limits.max_bytes), path, limits);
}

ConfigNode ConfigNode::load_string(std::string_view text, const std::string& origin,
                                   const YamlLimits& limits) {
  auto impl = std::make_shared<Impl>();
  impl->node = parse_text(text, origin, limits);
  impl->file = origin;
  impl->text = std::make_shared<const std::string>(text);
  impl->overrides = std::make_shared<std::vector<std::pair<YAML::Node, std::string>>>();
  return ConfigNode(std::move(impl));
}

ConfigNode::Kind ConfigNode::kind() const {
  const auto& n = impl_->node;
  if (!n.IsDefined() || n.IsNull()) return Kind::Null;
  if (n.IsScalar()) return Kind::Scalar;
  if (n.IsSequence()) return Kind::Sequence;
  return Kind::Map;
}

const std::string& ConfigNode::path() const {
  return impl_->path;
}
const std::string& ConfigNode::file() const {
  return impl_->override_origin.empty() ? impl_->file : impl_->override_origin;
}
int ConfigNode::line() const {
  if (!impl_->override_origin.empty()) return 0;
  const auto m = impl_->node.Mark();
  return m.is_null() ? 0 : m.line + 1;
}
int ConfigNode::column() const {
  if (!impl_->override_origin.empty()) return 0;
  const auto m = impl_->node.Mark();
  return m.is_null() ? 0 : m.column + 1;
}

ConfigError ConfigNode::error(const std::string& message) const {
  return ConfigError(file(), line(), column(), path(), message);
}

namespace {
ConfigNode::Impl make_child(const ConfigNode::Impl& parent, YAML::Node child, std::string path) {
  ConfigNode::Impl c;
  c.file = parent.file;
  c.path = std::move(path);
  c.overrides = parent.overrides;
  c.override_origin = parent.override_origin;
  if (c.override_origin.empty() && c.overrides) {
    for (const auto& [node, text] : *c.overrides) {
      if (node.is(child)) {
        c.override_origin = text;
        break;
      }
    }
  }
  c.node = std::move(child);
  return c;
}
}  // namespace

bool ConfigNode::has(std::string_view key) const {
  return impl_->node.IsMap() && impl_->node[std::string(key)].IsDefined();
}

std::optional<ConfigNode> ConfigNode::find(std::string_view key) const {
  if (!impl_->node.IsMap()) return std::nullopt;
  const YAML::Node& self = impl_->node;
  YAML::Node child = self[std::string(key)];
  if (!child.IsDefined()) return std::nullopt;
  return ConfigNode(
      std::make_shared<Impl>(make_child(*impl_, child, child_path(impl_->path, key))));
}

ConfigNode ConfigNode::at(std::string_view key) const {
  if (!impl_->node.IsMap()) {
    throw error(fmt::format("expected a mapping with key '{}', found {}", key,
                            describe_scalar(impl_->node)));
  }
  auto child = find(key);
  if (!child) {
    throw error(fmt::format("missing required key '{}'", key));
  }
  return *child;
}

std::vector<std::string> ConfigNode::keys() const {
  if (!impl_->node.IsMap()) {
    throw error(fmt::format("expected a mapping, found {}", describe_scalar(impl_->node)));
  }
  std::vector<std::string> out;
  for (const auto& kv : impl_->node) {
    if (!kv.first.IsScalar()) throw error("mapping keys must be plain strings");
    out.push_back(kv.first.Scalar());
  }
  return out;
}

void ConfigNode::check_keys(const std::vector<std::string_view>& allowed) const {
  if (impl_->node.IsNull() || !impl_->node.IsDefined()) return;  // an empty mapping has no bad keys
  if (!impl_->node.IsMap()) {
    throw error(fmt::format("expected a mapping of keys ({}), found {}", join_names(allowed),
                            describe_scalar(impl_->node)));
  }
  for (const auto& kv : impl_->node) {
    if (!kv.first.IsScalar()) throw error("mapping keys must be plain strings");
    const std::string& k = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
    std::vector<std::string> names(allowed.begin(), allowed.end());
    const std::string hint = closest_name(k, names);
    // Quoted as a short escaped excerpt: a file that is not a scenario at all (a password
    // file) parses as a mapping whose first key is its whole first line.
    ConfigNode::Impl at_key =
        make_child(*impl_, kv.first, child_path(impl_->path, text::excerpt(k, 24)));
    const ConfigNode located(std::make_shared<Impl>(std::move(at_key)));
    throw located.error(fmt::format("unknown key '{}'{}; valid keys: {}", text::excerpt(k, 24),
                                    hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint),
                                    join_names(names)));
  }
}

std::size_t ConfigNode::size() const {
  if (!impl_->node.IsSequence()) {
    throw error(fmt::format("expected a list, found {}", describe_scalar(impl_->node)));
  }
  return impl_->node.size();
}

ConfigNode ConfigNode::operator[](std::size_t index) const {
  if (!impl_->node.IsSequence() || index >= impl_->node.size()) {
    throw error(fmt::format("no element [{}]", index));
  }
  const YAML::Node& self = impl_->node;
  return ConfigNode(
      std::make_shared<Impl>(make_child(*impl_, self[index], element_path(impl_->path, index))));
}

std::string ConfigNode::as_string() const {
  if (!impl_->node.IsScalar()) {
    throw error(fmt::format("expected a single value, found {}", describe_scalar(impl_->node)));
  }
  return impl_->node.Scalar();
}

double ConfigNode::as_quantity(units::Quantity q) const {
  const std::string text = as_string();
  try {
    return units::parse(text, q);
  } catch (const units::UnitError& e) {
    throw error(e.what());
  }
}

double ConfigNode::as_quantity(units::Quantity q, double min, double max) const {
  const double v = as_quantity(q);
  if (v < min || v > max) {
    throw error(fmt::format("'{}' is out of range: the {} must be between {} and {}", as_string(),
                            units::quantity_name(q), units::format(min, q), units::format(max, q)));
  }
  return v;
}

double ConfigNode::as_number(double min, double max) const {
  const std::string text = as_string();
  double v = 0.0;
  try {
    std::size_t used = 0;
    v = std::stod(text, &used);
    if (used != text.size()) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw error(fmt::format("'{}' is not a number; expected a plain number between {} and {}", text,
                            min, max));
  }
  if (!std::isfinite(v)) throw error(fmt::format("'{}' is not a finite number", text));
  if (v < min || v > max) {
    throw error(fmt::format("'{}' is out of range: must be between {} and {}", text, min, max));
  }
  return v;
}

std::int64_t ConfigNode::as_integer(std::int64_t min, std::int64_t max) const {
  const std::string text = as_string();
  auto out_of_range = [&] {
    return error(fmt::format("'{}' is out of range: must be a whole number between {} and {}",
                             text::excerpt(text), min, max));
  };
  // A plain integer is read exactly: a double holds 53 bits, and a seed or a large count needs
  // all 64 (9223372036854775807 would round to 2^63, which no int64 holds).
  {
    std::int64_t exact = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, exact);
    if (ptr == end && ptr != text.data()) {
      if (ec == std::errc::result_out_of_range) throw out_of_range();
      if (ec == std::errc() && (exact < min || exact > max)) throw out_of_range();
      if (ec == std::errc()) return exact;
    }
  }
  // Otherwise a count with a suffix or exponent ("4K", "1e6"); a leading '-' is read apart, as
  // counts are never negative.
  const bool negative = !text.empty() && text.front() == '-';
  double v = 0.0;
  try {
    v = units::parse(negative ? std::string_view(text).substr(1) : std::string_view(text),
                     units::Quantity::Count);
  } catch (const units::UnitError& e) {
    // "1e400" is a number, just too large for any type: out of range, not "not an integer".
    if (std::string_view(e.what()).find("out of range") != std::string_view::npos)
      throw out_of_range();
    throw error(fmt::format("'{}' is not an integer; expected a whole number between {} and {}",
                            text::excerpt(text), min, max));
  }
  if (negative) v = -v;
  if (v != std::floor(v)) {
    throw error(fmt::format("'{}' is not a whole number; expected an integer between {} and {}",
                            text::excerpt(text), min, max));
  }
  // Compared as doubles before converting: 2^63 and above do not fit an int64 (converting them
  // is undefined behaviour), and max itself may round up to 2^63.
  constexpr double kTwo63 = 9223372036854775808.0;
  if (!(v >= -kTwo63 && v < kTwo63)) throw out_of_range();
  const auto i = static_cast<std::int64_t>(v);
  if (i < min || i > max) throw out_of_range();
  return i;
}

bool ConfigNode::as_bool() const {
  const std::string text = as_string();
  if (text == "true" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "no" || text == "off") return false;
  throw error(fmt::format("'{}' is not a boolean; expected true or false", text));
}

std::string ConfigNode::as_choice(const std::vector<std::string>& valid) const {
  const std::string text = as_string();
  if (std::find(valid.begin(), valid.end(), text) != valid.end()) return text;
  const std::string hint = closest_name(text, valid);
  throw error(fmt::format("unknown value '{}'{}; valid values: {}", text,
                          hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint),
                          join_names(valid)));
}

std::string ConfigNode::dump() const {
  YAML::Emitter out;
  out << impl_->node;
  return out.c_str();
}

namespace {

struct PathStep {
  std::string key;  // map key, empty for an index step
  std::optional<std::size_t> index;
};

std::vector<PathStep> split_path(std::string_view path, const std::string& origin) {
  std::vector<PathStep> steps;
  std::size_t i = 0;
  auto bad = [&](std::string_view why) {
    return ConfigError(origin, 0, 0, std::string(path),
                       fmt::format("invalid key path: {}; write it like parallelism.pp or "
                                   "phases[0].tokens",
                                   why));
  };
  while (i < path.size()) {
    if (path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string_view::npos) throw bad("unclosed '['");
      const std::string_view digits = path.substr(i + 1, close - i - 1);
      if (digits.empty() || digits.size() > 9 ||
          !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        throw bad("index must be a whole number");
      }
      steps.push_back({"", static_cast<std::size_t>(std::stoul(std::string(digits)))});
      i = close + 1;
      if (i < path.size() && path[i] == '.') ++i;
      continue;
    }
    std::size_t end = i;
    while (end < path.size() && path[end] != '.' && path[end] != '[') ++end;
    const std::string_view key = path.substr(i, end - i);
    if (key.empty()) throw bad("empty key");
    const bool numeric =
        std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric && key.size() <= 9) {
      steps.push_back({"", static_cast<std::size_t>(std::stoul(std::string(key)))});
    } else {
      steps.push_back({std::string(key), std::nullopt});
    }
    i = end;
    if (i < path.size() && path[i] == '.') {
      ++i;
      if (i == path.size()) throw bad("trailing '.'");
    }
  }
  if (steps.empty()) throw bad("empty key path");
  return steps;
}

}  // namespace

namespace {
void apply_one(YAML::Node& doc, std::string_view assignment,
               std::vector<std::pair<YAML::Node, std::string>>& overrides) {
  const std::string origin = std::string(kOverrideMarker) + std::string(assignment);
  const std::size_t eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw ConfigError(origin, 0, 0, "", "expected key.path=value, e.g. parallelism.pp=8");
  }
  const std::string_view path = assignment.substr(0, eq);
  const std::string_view value_text = assignment.substr(eq + 1);
  const auto steps = split_path(path, origin);
  YAML::Node value = parse_text(value_text, origin, YamlLimits{});
  if (!value.IsDefined() || value.IsNull()) {
    throw ConfigError(origin, 0, 0, std::string(path), "the value after '=' is empty");
  }

  YAML::Node cur;
  cur.reset(doc);
  std::string walked;
  for (std::size_t s = 0; s < steps.size(); ++s) {
    const PathStep& step = steps[s];
    const bool last = s + 1 == steps.size();
    if (step.index) {
      if (!cur.IsSequence()) {
        throw ConfigError(origin, 0, 0, walked,
                          fmt::format("cannot index [{}]: '{}' is not a list", *step.index,
                                      walked.empty() ? "<root>" : walked));
      }
      if (*step.index >= cur.size()) {
        throw ConfigError(origin, 0, 0, element_path(walked, *step.index),
                          fmt::format("index {} is out of range: '{}' has {} elements", *step.index,
                                      walked, cur.size()));
      }
      walked = element_path(walked, *step.index);
      if (last) {
        cur[*step.index] = value;
      } else {
        YAML::Node next = cur[*step.index];
        cur.reset(next);
      }
      continue;
    }
    if (!cur.IsMap()) {
      throw ConfigError(origin, 0, 0, walked,
                        fmt::format("cannot set '{}': '{}' is not a mapping", step.key,
                                    walked.empty() ? "<root>" : walked));
    }
    const std::string next_path = child_path(walked, step.key);
    const bool exists = cur[step.key].IsDefined();
    if (last) {
      cur[step.key] = value;
    } else {
      if (!exists) {
        std::vector<std::string> present;
        for (const auto& kv : cur) present.push_back(kv.first.Scalar());
        const std::string hint = closest_name(step.key, present);
        throw ConfigError(
            origin, 0, 0, next_path,
            fmt::format("no key '{}' under '{}'{}; present keys: {}", step.key,
                        walked.empty() ? "<root>" : walked,
                        hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint),
                        join_names(present)));
      }
      YAML::Node next = cur[step.key];
      cur.reset(next);
    }
    walked = next_path;
  }

  overrides.emplace_back(value, origin);
}
}  // namespace

ConfigNode apply_overrides(const ConfigNode& root, const std::vector<std::string>& assignments) {
  const ConfigNode::Impl& old = *root.impl_;
  // Re-parse the source rather than YAML::Clone, which drops the line/column marks that every
  // error about a field the overrides did not touch still needs.
  YAML::Node doc = old.text && old.path.empty() ? parse_text(*old.text, old.file, YamlLimits{})
                                                : YAML::Clone(old.node);
  auto overrides = std::make_shared<std::vector<std::pair<YAML::Node, std::string>>>();
  for (const auto& a : assignments) apply_one(doc, a, *overrides);
  auto impl = std::make_shared<ConfigNode::Impl>();
  impl->node = doc;
  impl->file = old.file;
  impl->path = old.path;
  impl->overrides = std::move(overrides);
  impl->text = old.text;
  return ConfigNode(std::move(impl));
}

ConfigNode apply_overrides(ConfigNode&& root, const std::vector<std::string>& assignments) {
  // Only a whole document nobody else holds, with no overrides yet: its tree still has every
  // mark, and changing it in place is seen by no one.
  // (load_string gives every document an empty override list: empty counts as none.)
  const bool overridden = root.impl_->overrides && !root.impl_->overrides->empty();
  if (root.impl_.use_count() != 1 || !root.impl_->path.empty() || overridden)
    return apply_overrides(static_cast<const ConfigNode&>(root), assignments);
  const ConfigNode::Impl& old = *root.impl_;
  YAML::Node doc = old.node;
  auto overrides = std::make_shared<std::vector<std::pair<YAML::Node, std::string>>>();
  for (const auto& a : assignments) apply_one(doc, a, *overrides);
  auto impl = std::make_shared<ConfigNode::Impl>();
  impl->node = doc;
  impl->file = old.file;
  impl->overrides = std::move(overrides);
  impl->text = old.text;
  root = ConfigNode();
  return ConfigNode(std::move(impl));
}

}  // namespace trainsim
