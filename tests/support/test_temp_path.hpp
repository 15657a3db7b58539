// A temporary path that belongs to the running test alone.
//
// ctest runs every discovered test in its own process, several at once (`ctest -j`), all of them
// sharing ::testing::TempDir(); a helper that writes a fixed file name there races with the same
// helper in another test. Prefixing the test's suite and name keeps the paths apart.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace trainsim::test {

/// ::testing::TempDir() + "trainsim-<Suite>.<Test>-<name>" for the test now running (or
/// "trainsim-<name>" outside one).
inline std::string test_temp_path(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string prefix = "trainsim-";
  if (info != nullptr) prefix += std::string(info->test_suite_name()) + "." + info->name() + "-";
  return ::testing::TempDir() + prefix + name;
}

}  // namespace trainsim::test
