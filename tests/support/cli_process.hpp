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

/// Runs shell text `COMMAND 2>&1` (wrapped in a subshell) and collects its status and output.
inline CliOutput run_shell(const std::string& command) {
  const std::string cmd = "(" + command + ") 2>&1";
  CliOutput out;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 4096> buf{};
  while (fgets(buf.data(), buf.size(), pipe) != nullptr) out.text += buf.data();
  const int rc = pclose(pipe);
  out.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

/// Runs `trainsim ARGS 2>&1` through the shell (ARGS is shell text: quote what needs it).
inline CliOutput run_cli(const std::string& args) {
  return run_shell(std::string(TRAINSIM_CLI) + " " + args);
}

}  // namespace trainsim::test
