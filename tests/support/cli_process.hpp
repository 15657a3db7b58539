#pragma once
// Test support: runs the `trainsim` program (TRAINSIM_CLI, set by the test's CMake target) as a
// subprocess and collects its exit status and output, for the CLI tests.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace trainsim::test {

struct CliOutput {
  int status = -1;   ///< exit status; −1 if the process did not exit normally
  std::string text;  ///< stdout and stderr together
};

/// Runs `trainsim ARGS 2>&1` through the shell (ARGS is shell text: quote what needs it).
inline CliOutput run_cli(const std::string& args) {
  const std::string cmd = std::string(TRAINSIM_CLI) + " " + args + " 2>&1";
  CliOutput out;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 4096> buf{};
  while (fgets(buf.data(), buf.size(), pipe) != nullptr) out.text += buf.data();
  const int rc = pclose(pipe);
  out.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

}  // namespace trainsim::test
