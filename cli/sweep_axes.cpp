#include "cli/sweep_axes.hpp"

#include <fmt/format.h>

#include <cctype>
#include <optional>

#include "cli/options.hpp"
#include "core/error.hpp"
#include "core/yaml_reader.hpp"

namespace trainsim::cli {
namespace {

std::string with_commas(std::size_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b])) != 0) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1])) != 0) --e;
  return s.substr(b, e - b);
}

/// Splits `items` at the commas outside brackets, braces and quotes (YAML flow syntax: '' is a
/// quote inside single quotes, \" inside double quotes).
std::vector<std::string> split_items(const std::string& items, const std::string& option) {
  std::vector<std::string> out;
  std::string closers;  // the brackets open at this point, innermost last
  char quote = 0;
  std::string cur;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const char c = items[i];
    cur += c;
    if (quote == '\'') {
      if (c == '\'') {
        if (i + 1 < items.size() && items[i + 1] == '\'') {
          cur += items[++i];
        } else {
          quote = 0;
        }
      }
      continue;
    }
    if (quote == '"') {
      if (c == '\\' && i + 1 < items.size()) {
        cur += items[++i];
      } else if (c == '"') {
        quote = 0;
      }
      continue;
    }
    if (c == '\'' || c == '"') {
      // A quote opens a quoted scalar where a scalar can begin (after '{', '[', ',', ':' or at
      // the item's start); inside a plain scalar (it's) it is an ordinary character.
      const std::string before = trim(cur.substr(0, cur.size() - 1));
      if (!before.empty() && std::string("{[,:").find(before.back()) == std::string::npos) {
        continue;
      }
      quote = c;
      continue;
    }
    if (c == '{') {
      closers += '}';
    } else if (c == '[') {
      closers += ']';
    } else if (c == '}' || c == ']') {
      if (closers.empty() || closers.back() != c) {
        throw po::error(
            fmt::format("--vary '{}': '{}' closes nothing (items are YAML flow items: "
                        "{{tp: 8, pp: 4}}, [1, 2], 'text, with commas')",
                        option, c));
      }
      closers.pop_back();
    } else if (c == ',' && closers.empty()) {
      cur.pop_back();
      out.push_back(trim(cur));
      cur.clear();
    }
  }
  if (quote != 0) {
    throw po::error(
        fmt::format("--vary '{}': unclosed {} quote", option, quote == '"' ? "double" : "single"));
  }
  if (!closers.empty()) {
    throw po::error(fmt::format("--vary '{}': unclosed '{}' (expected '{}')", option,
                                closers.back() == '}' ? '{' : '[', closers.back()));
  }
  out.push_back(trim(cur));
  return out;
}

/// The node at a dotted key path ("parallelism", "phases[0].batch", "phases.0.batch"), if any.
std::optional<ConfigNode> find_path(const ConfigNode& root, const std::string& path) {
  std::optional<ConfigNode> cur = root;
  std::size_t i = 0;
  while (i < path.size() && cur) {
    std::size_t end = i;
    while (end < path.size() && path[end] != '.' && path[end] != '[') ++end;
    const std::string key = path.substr(i, end - i);
    if (!key.empty()) {
      const bool numeric = key.find_first_not_of("0123456789") == std::string::npos;
      if (numeric && cur->is_sequence()) {
        const std::size_t n = std::stoul(key.substr(0, 9));
        cur = n < cur->size() ? std::optional<ConfigNode>((*cur)[n]) : std::nullopt;
      } else {
        cur = cur->is_map() ? cur->find(key) : std::nullopt;
      }
    }
    i = end;
    while (cur && i < path.size() && path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string::npos) return std::nullopt;
      const std::string digits = path.substr(i + 1, close - i - 1);
      if (digits.empty() || digits.size() > 9 ||
          digits.find_first_not_of("0123456789") != std::string::npos || !cur->is_sequence()) {
        return std::nullopt;
      }
      const std::size_t n = std::stoul(digits);
      cur = n < cur->size() ? std::optional<ConfigNode>((*cur)[n]) : std::nullopt;
      i = close + 1;
    }
    if (i < path.size() && path[i] == '.') ++i;
  }
  return cur;
}

/// The overrides `item` stands for at `path`: key by key into a mapping the base holds there,
/// recursively; whole otherwise (`text` is the item as written, when it is the whole item).
void expand(const std::string& path, const ConfigNode& item, const std::string& text,
            const std::optional<ConfigNode>& target, std::vector<std::string>& out) {
  if (item.is_map() && target && target->is_map()) {
    for (const auto& k : item.keys()) {
      const ConfigNode child = item.at(k);
      expand(path + "." + k, child, child.dump(), target->find(k), out);
    }
    return;
  }
  out.push_back(path + "=" + text);
}

}  // namespace

Axis parse_axis(const std::string& text, const ConfigNode& base) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || trim(text.substr(eq + 1)).empty()) {
    throw po::error(fmt::format(
        "--vary '{}': expected key.path=v1,v2,... (or key={{a: 1, b: 2}},{{a: 2, b: 1}})", text));
  }
  Axis a{trim(text.substr(0, eq)), text, {}};
  const auto target = find_path(base, a.key);
  for (const auto& item : split_items(text.substr(eq + 1), text)) {
    if (item.empty()) throw po::error(fmt::format("--vary '{}': empty value", text));
    const ConfigNode node = ConfigNode::load_string(item, "--vary " + text);
    if (node.is_null()) throw po::error(fmt::format("--vary '{}': empty value '{}'", text, item));
    if (node.is_map() && node.keys().empty()) {
      throw po::error(fmt::format("--vary '{}': the mapping {} changes nothing", text, item));
    }
    AxisValue v{item, {}};
    expand(a.key, node, item, target, v.overrides);
    a.values.push_back(std::move(v));
  }
  return a;
}

std::vector<std::vector<std::size_t>> sweep_points(const std::vector<Axis>& axes, bool zip,
                                                   std::size_t max_points) {
  std::vector<std::vector<std::size_t>> points;
  if (axes.empty()) return points;
  if (zip) {
    const std::size_t n = axes.front().values.size();
    for (const auto& a : axes) {
      if (a.values.size() != n) {
        std::string counts;
        for (const auto& b : axes) {
          counts += fmt::format("{}{} has {}", counts.empty() ? "" : ", ", b.key, b.values.size());
        }
        throw po::error(fmt::format(
            "--zip takes the i-th value of every --vary together, so each needs the same number "
            "of values: {}",
            counts));
      }
    }
    if (n > max_points) {
      throw po::error(fmt::format("the sweep has more than {} points", with_commas(max_points)));
    }
    for (std::size_t i = 0; i < n; ++i) points.emplace_back(axes.size(), i);
    return points;
  }
  std::size_t total = 1;
  for (const auto& a : axes) {
    total *= a.values.size();
    if (total > max_points) {
      throw po::error(fmt::format("the sweep has more than {} points", with_commas(max_points)));
    }
  }
  for (std::size_t i = 0; i < total; ++i) {
    std::vector<std::size_t> idx(axes.size());
    std::size_t rest = i;
    for (std::size_t k = axes.size(); k-- > 0;) {
      idx[k] = rest % axes[k].values.size();
      rest /= axes[k].values.size();
    }
    points.push_back(std::move(idx));
  }
  return points;
}

}  // namespace trainsim::cli
