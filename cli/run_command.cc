// `epsim run SCENARIO`: one seeded run, summarised and fully checked.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "checker/history.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/run_report.h"
#include "scenarios/scenario.h"
#include "scenarios/simulation.h"

namespace epsim::cli {

int RunCommand(const Args& args) {
  std::string scenario_path, protocol, out_dir, trace_path;
  int64_t seed = -1;
  bool json = false, quiet = false, trace_hash = false;
  FlagParser flags("epsim run",
                   "Runs one scenario with one seed and prints its summary: "
                   "commands,\ncommit paths, recoveries, latency per site, "
                   "the trace hash and every\ncheck's verdict. Exit 1 if any "
                   "check fails.");
  flags.Positional("SCENARIO", &scenario_path, "scenario file (JSON)");
  flags.Int("seed", &seed, "seed (default: the scenario's)");
  flags.String("protocol", &protocol,
               "protocol NAME[:opt=val,...] (default: the scenario's)");
  flags.String("out", &out_dir, "write history.json (and trace) here");
  flags.String("trace", &trace_path, "write every world event (JSON Lines)");
  flags.Bool("json", &json, "print one JSON object instead of the summary");
  flags.Bool("trace-hash", &trace_hash, "print only the trace hash");
  flags.Bool("quiet", &quiet, "no progress output");
  if (auto status = flags.Parse(args); !status.ok()) return flags.Fail(status);

  absl::StatusOr<scenarios::Scenario> scenario =
      scenarios::Scenario::Load(scenario_path);
  if (!scenario.ok()) {
    std::cerr << "epsim run: " << scenario.status().message() << "\n";
    return kExitBadInput;
  }
  if (!out_dir.empty() && !std::filesystem::is_directory(out_dir)) {
    std::error_code ec;
    std::filesystem::create_directories(out_dir, ec);
    if (ec) {
      std::cerr << "epsim run: --out " << out_dir << ": cannot create\n";
      return kExitBadInput;
    }
  }
  scenarios::RunOptions options;
  if (seed >= 0) options.seed = static_cast<uint64_t>(seed);
  options.protocol = protocol;
  std::ostringstream trace;
  if (!trace_path.empty()) options.trace = &trace;
  absl::StatusOr<scenarios::RunResult> result =
      scenarios::Simulate(*scenario, options);
  if (!result.ok()) {
    std::cerr << "epsim run: " << result.status().message() << "\n";
    return kExitBadInput;
  }
  if (!trace_path.empty()) {
    if (auto s = WriteFileAtomically(trace_path, trace.str()); !s.ok()) {
      std::cerr << "epsim run: " << s.message() << "\n";
      return kExitBadInput;
    }
  }
  if (!out_dir.empty()) {
    const std::string path =
        (std::filesystem::path(out_dir) / "history.json").string();
    if (auto s =
            WriteFileAtomically(path, checker::HistoryToJson(result->history));
        !s.ok()) {
      std::cerr << "epsim run: " << s.message() << "\n";
      return kExitBadInput;
    }
  }
  if (trace_hash) {
    std::cout << absl::StrFormat("%016x", result->trace_hash) << "\n";
  } else if (json) {
    std::cout << RunResultToJson(*result).dump(2) << "\n";
  } else {
    PrintRunSummary(*result, std::cout);
  }
  return result->ok() ? kExitOk : kExitViolation;
}

}  // namespace epsim::cli
