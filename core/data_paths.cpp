#include "core/data_paths.hpp"

#include <cstdlib>

#ifndef TRAINSIM_DATA_DIR
#error "TRAINSIM_DATA_DIR must be defined by the build"
#endif

namespace trainsim {

std::string data_root() {
  if (const char* env = std::getenv("TRAINSIM_DATA_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return TRAINSIM_DATA_DIR;
}

std::string data_path(const std::string& relative) {
  return data_root() + "/" + relative;
}

}  // namespace trainsim
