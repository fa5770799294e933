// The parts of `epsim bench`. cli/bench_command.cc parses the command
// line and calls one of these; each prints medians of several runs and
// returns an exit code.
#ifndef EPSIM_CLI_BENCH_H_
#define EPSIM_CLI_BENCH_H_

#include <cstdint>
#include <string>
#include <vector>

namespace epsim::cli {

struct BenchOptions {
  int64_t repetitions = 5;  // runs per figure; the median is reported
  bool json = false;
  bool quiet = false;
  // --protocol only: the conflict rates to run (default 0 and 0.25).
  std::vector<double> conflicts = {0.0, 0.25};
  // --protocol only: each of the 50 clients' commands (longer runs show how
  // the cost per message grows with a hot key's history).
  int64_t commands_per_client = 400;
};

// The median (the mean of the two middle values for an even count); 0 for
// none.
double Median(std::vector<double> v);

// CPU time of the calling thread: on a loaded machine it says more than the
// wall clock about the code's own cost.
double ThreadCpuSeconds();

// Events per second of the bare two-node ping-pong loop, the reference the
// protocol figures are compared to, by wall-clock and by CPU time.
struct BareLoopRate {
  double wall = 0;
  double cpu = 0;
};

// Events per second of the bare event loop (world only, no protocol).
int BenchWorld(const BenchOptions& options);
// Median rates of the bare loop over `repetitions` runs
// (cli/bench_world.cc).
BareLoopRate BareLoopEventsPerSecond(int64_t repetitions);
// Messages and commits per second of wall time for one protocol, and the
// cost per event relative to the bare loop.
int BenchProtocol(const std::string& protocol, const BenchOptions& options);
// Linearizability checker: operations per second on generated histories.
int BenchCheck(const BenchOptions& options);

}  // namespace epsim::cli

#endif  // EPSIM_CLI_BENCH_H_
