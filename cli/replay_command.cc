// `epsim replay SCENARIO`: one run printed step by step: every script step,
// every delivery and every change the replicas report to the commands
// involved (phase, ballots, deps, seq), then the summary and the verdicts.
#include <iostream>
#include <sstream>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/run_report.h"
#include "scenarios/scenario.h"
#include "scenarios/simulation.h"

namespace epsim::cli {

int ReplayCommand(const Args& args) {
  std::string scenario_path, protocol;
  int64_t seed = -1;
  bool verbose = false;
  FlagParser flags(
      "epsim replay",
      "Runs one scenario and prints it step by step: script steps, each\n"
      "delivery (time, sender -> receiver, message) and each state change\n"
      "the replicas report, then the summary and every check's verdict.\n"
      "Works for scripted (bug corpus) and timed scenarios. Exit 1 if a\n"
      "check fails, 2 on bad input or a script step that cannot be done.");
  flags.Positional("SCENARIO", &scenario_path, "scenario file (JSON)");
  flags.String("protocol", &protocol,
               "protocol NAME[:opt=val,...] (default: the scenario's)");
  flags.Int("seed", &seed, "seed (default: the scenario's)");
  flags.Bool("verbose", &verbose,
             "also print every world event (sends, timers, drops, crashes) "
             "as JSON lines");
  if (auto status = flags.Parse(args); !status.ok()) return flags.Fail(status);

  absl::StatusOr<scenarios::Scenario> scenario =
      scenarios::Scenario::Load(scenario_path);
  if (!scenario.ok()) {
    std::cerr << "epsim replay: " << scenario.status().message() << "\n";
    return kExitBadInput;
  }
  scenarios::RunOptions options;
  if (seed >= 0) options.seed = static_cast<uint64_t>(seed);
  options.protocol = protocol;
  // Lines go out as they happen, so a run that dies still shows its steps.
  options.verbose = [](const std::string& line) { std::cout << line << "\n"; };
  if (verbose) options.trace = &std::cout;
  std::cout << "replay " << scenario->name << " ("
            << (protocol.empty() ? scenario->protocol : protocol) << ")\n";
  absl::StatusOr<scenarios::RunResult> result =
      scenarios::Simulate(*scenario, options);
  std::cout.flush();
  if (!result.ok()) {
    std::cerr << "epsim replay: " << result.status().message() << "\n";
    return kExitBadInput;
  }
  std::cout << "\n";
  PrintRunSummary(*result, std::cout);
  return result->ok() ? kExitOk : kExitViolation;
}

}  // namespace epsim::cli
