#include "cli/terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace trainsim::cli {

bool is_terminal(int fd) {
  return ::isatty(fd) == 1;
}

std::optional<std::size_t> columns_from_environment() {
  const char* env = std::getenv("COLUMNS");
  if (env == nullptr || *env == '\0') return std::nullopt;
  std::size_t n = 0;
  for (const char* p = env; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9') return std::nullopt;
    n = n * 10 + static_cast<std::size_t>(*p - '0');
    if (n > 100000) return std::nullopt;
  }
  if (n == 0) return std::nullopt;
  return n;
}

std::size_t table_width(bool wide) {
  if (wide) return 0;
  if (const auto env = columns_from_environment()) return *env;
  if (!is_terminal(STDOUT_FILENO)) return 0;
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;  // a terminal that does not say how wide it is: the classic width
}

}  // namespace trainsim::cli
