#pragma once
// The bodies of the fuzz targets that reach past the parser, callable both from libFuzzer
// (simulate_fuzzer.cpp, report_fuzzer.cpp) and from fuzz_regression_test.cpp, which replays every
// kept finding under tests/fuzz/regressions/ in the ordinary test suite. Each returns normally
// when the input is handled (loaded and simulated, or refused with trainsim::Error); anything else
// (another exception, a sanitizer report, a broken invariant) is a finding.
#include <string_view>

namespace trainsim::fuzz {

/// Scenario text → load and validate → the batch-ramp walk of every phase → one `--symmetric`
/// step of the first phase, when it is small enough to simulate within the fuzzer's time budget
/// (see kStepBudget in fuzz_targets.cpp).
void simulate_one(std::string_view text);

/// Result JSON text → read back → result.json, report.md, the CSV tables and report.html in
/// memory. Invariants: writing what was read and reading it again gives the same JSON (the round
/// trip of reports/result_json_reader.hpp), and no chart spec in the page holds a raw '<'.
void report_one(std::string_view text);

}  // namespace trainsim::fuzz
