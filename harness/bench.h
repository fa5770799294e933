// The parts of `epsim bench`. harness/bench_command.cc parses the command
// line and calls one of these; each prints medians of several runs and
// returns an exit code.
#ifndef EPSIM_HARNESS_BENCH_H_
#define EPSIM_HARNESS_BENCH_H_

#include <cstdint>
#include <string>

namespace epsim::harness {

struct BenchOptions {
  int64_t repetitions = 5;  // runs per figure; the median is reported
  bool json = false;
  bool quiet = false;
};

// Events per second of the bare event loop (world only, no protocol).
int BenchWorld(const BenchOptions& options);
// Median events per second of the bare two-node ping-pong loop, the
// reference the protocol figures are compared to (harness/bench_world.cc).
double BareLoopEventsPerSecond(int64_t repetitions);
// Messages and commits per second of wall time for one protocol, and the
// cost per event relative to the bare loop.
int BenchProtocol(const std::string& protocol, const BenchOptions& options);
// Linearizability checker: operations per second on generated histories.
int BenchCheck(const BenchOptions& options);

}  // namespace epsim::harness

#endif  // EPSIM_HARNESS_BENCH_H_
