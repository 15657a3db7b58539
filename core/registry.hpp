#pragma once
// Name → implementation registries with a one-line description and a citation per entry.
// An unknown name is an error that lists the valid ones.
#include <fmt/format.h>

#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace trainsim {

/// One registered implementation. `make` builds it; description and citation are shown by `list`.
template <typename Product>
struct RegistryEntry {
  std::string name;
  std::string description;
  std::string citation;
  std::function<Product()> make;
};

/// An ordered registry (listing order = registration order). Lookups are linear: registries
/// hold a handful of entries and are consulted once per scenario.
template <typename Product>
class Registry {
 public:
  explicit Registry(std::string what) : what_(std::move(what)) {}

  void add(RegistryEntry<Product> entry) { entries_.push_back(std::move(entry)); }

  const std::vector<RegistryEntry<Product>>& entries() const { return entries_; }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : entries_) out.push_back(e.name);
    return out;
  }

  const RegistryEntry<Product>* find(const std::string& name) const {
    for (const auto& e : entries_) {
      if (e.name == name) return &e;
    }
    return nullptr;
  }

  /// The entry called `name`; throws ModelError listing the valid names.
  const RegistryEntry<Product>& get(const std::string& name) const {
    if (const auto* e = find(name)) return *e;
    std::string valid;
    for (const auto& e : entries_) valid += (valid.empty() ? "" : ", ") + e.name;
    throw ModelError(fmt::format("unknown {} '{}'; valid: {}", what_, name, valid));
  }

 private:
  std::string what_;
  std::vector<RegistryEntry<Product>> entries_;
};

}  // namespace trainsim
