#pragma once
// SHA-256 (FIPS 180-4) of a byte string, as lower-case hex: the provenance hash of a calibration
// input (a profiler trace) recorded in the profile derived from it.
#include <string>
#include <string_view>

namespace trainsim::calibration {

/// 64 lower-case hex digits; sha256_hex("abc") starts "ba7816bf".
std::string sha256_hex(std::string_view data);

}  // namespace trainsim::calibration
