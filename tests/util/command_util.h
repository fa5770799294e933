// Running the built `epsim` binary from tests (EPSIM_BINARY is set by CMake;
// tests run from the source root).
#ifndef EPSIM_TESTS_UTIL_COMMAND_UTIL_H_
#define EPSIM_TESTS_UTIL_COMMAND_UTIL_H_

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace epsim::testing_util {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr, interleaved
};

inline CommandResult RunEpsim(const std::string& args) {
  const std::string command = std::string(EPSIM_BINARY) + " " + args + " 2>&1";
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.out.append(buffer.data(), n);
  }
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace epsim::testing_util

#endif  // EPSIM_TESTS_UTIL_COMMAND_UTIL_H_
