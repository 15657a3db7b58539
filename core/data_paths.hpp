#pragma once
// Where the bundled catalogs, profiles and scenarios live. Compiled in from CMake (the source
// tree), overridable at run time with the TRAINSIM_DATA_DIR environment variable.
#include <string>

namespace trainsim {

/// Root holding hardware/catalog, models/catalog, calibration/profiles and scenarios/.
std::string data_root();

/// data_root() + "/" + relative.
std::string data_path(const std::string& relative);

}  // namespace trainsim
