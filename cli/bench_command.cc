// `epsim bench [check] [--protocol P [--conflict C] [--commands-per-client
// N]] [--repetitions N] [--json] [--quiet]`:
// with no argument, the bare event loop (cli/bench_world.cc); `check`,
// the linearizability checker; --protocol P, one protocol in the simulator.
#include <cmath>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cli/bench.h"
#include "cli/cli.h"
#include "cli/commands.h"

namespace epsim::cli {

int BenchCommand(const Args& args) {
  FlagParser flags(
      "epsim bench",
      "Measures speed: events/s of the bare event loop (default), a "
      "protocol's messages and commits per second (--protocol P), or the "
      "linearizability checker (check). Prints the median of several runs.");
  std::string what;
  std::string protocol;
  BenchOptions options;
  flags.Positional("WHAT", &what,
                   "\"check\" for the checker; omit for the event loop",
                   /*required=*/false);
  flags.String("protocol", &protocol, "benchmark this protocol instead");
  flags.Int("repetitions", &options.repetitions,
            "runs per figure; the median is reported (default 5)");
  // Sentinels for "not given" that no one types (so -1 or 0 are refused).
  double conflict = std::numeric_limits<double>::quiet_NaN();
  flags.Double("conflict", &conflict,
               "with --protocol: only this conflict rate, 0..1 (default: 0 "
               "and 0.25)");
  int64_t commands_per_client = std::numeric_limits<int64_t>::min();
  flags.Int("commands-per-client", &commands_per_client,
            "with --protocol: commands each of the 50 clients submits "
            "(default 400)");
  flags.Bool("json", &options.json, "print one JSON object instead of text");
  flags.Bool("quiet", &options.quiet, "no progress line");
  if (auto s = flags.Parse(args); !s.ok()) return flags.Fail(s);

  if (options.repetitions < 1) {
    return flags.Fail(absl::InvalidArgumentError(
        absl::StrCat("--repetitions: expected a positive number, got ",
                     options.repetitions)));
  }
  if (!std::isnan(conflict)) {
    if (protocol.empty()) {
      return flags.Fail(
          absl::InvalidArgumentError("--conflict needs --protocol"));
    }
    if (!(conflict >= 0 && conflict <= 1)) {
      return flags.Fail(absl::InvalidArgumentError(absl::StrCat(
          "--conflict: expected a rate between 0 and 1, got ", conflict)));
    }
    options.conflicts = {conflict};
  }
  if (commands_per_client != std::numeric_limits<int64_t>::min()) {
    if (protocol.empty()) {
      return flags.Fail(
          absl::InvalidArgumentError("--commands-per-client needs --protocol"));
    }
    if (commands_per_client < 1) {
      return flags.Fail(absl::InvalidArgumentError(
          absl::StrCat("--commands-per-client: expected a positive number, "
                       "got ",
                       commands_per_client)));
    }
    options.commands_per_client = commands_per_client;
  }
  if (!what.empty() && what != "check") {
    return flags.Fail(absl::InvalidArgumentError(absl::StrCat(
        "WHAT: expected \"check\" or nothing, got \"", what, "\"")));
  }
  if (what == "check" && !protocol.empty()) {
    return flags.Fail(absl::InvalidArgumentError(
        "give either \"check\" or --protocol, not both"));
  }
  if (what == "check") return BenchCheck(options);
  if (!protocol.empty()) return BenchProtocol(protocol, options);
  return BenchWorld(options);
}

}  // namespace epsim::cli
