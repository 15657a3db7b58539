#pragma once
// The points of `trainsim sweep --vary`. Each `--vary KEY=ITEMS` is an axis; ITEMS are YAML flow
// items separated by commas, and a comma inside {}, [] or quotes does not split one
// (`parallelism={tp: 8, pp: 4},{tp: 4, pp: 8}` is two items). A mapping item under a key that
// holds a mapping merges into it key by key (as --set parallelism.tp=8 --set parallelism.pp=4
// would); any other item replaces the key's value, as --set KEY=ITEM does. The points are the
// cross product of the axes, or with --zip the i-th item of every axis together.
#include <cstddef>
#include <string>
#include <vector>

namespace trainsim {
class ConfigNode;
}

namespace trainsim::cli {

/// One item of an axis: the text as written (shown in tables) and the --set overrides it means.
struct AxisValue {
  std::string text;
  std::vector<std::string> overrides;
};

struct Axis {
  std::string key;     ///< the key path before '=', e.g. "parallelism" or "parallelism.pp"
  std::string option;  ///< the whole --vary text, for messages
  std::vector<AxisValue> values;
};

/// Parses "key.path=item,item,..." (the text after --vary). Throws po::error for a malformed
/// option (no '=', an empty item, an unclosed bracket or quote) and ConfigError (origin
/// "--vary ...") for an item that is not YAML. `base` is the scenario with --set applied: it
/// decides whether a mapping item merges into the key or replaces it.
Axis parse_axis(const std::string& text, const ConfigNode& base);

/// The points: for each, the index of its item on every axis, in axis order. The cross product
/// (the last axis varies fastest), or with `zip` the i-th item of every axis (the axes must have
/// equal lengths: po::error otherwise). More than `max_points` points is a po::error.
std::vector<std::vector<std::size_t>> sweep_points(const std::vector<Axis>& axes, bool zip,
                                                   std::size_t max_points);

}  // namespace trainsim::cli
