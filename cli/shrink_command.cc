// `epsim shrink VIOLATION.json`: the smallest scenario (fault events,
// commands, clients, timer options) that still fails the same check
// (fuzz/shrink.h).
#include <iostream>

#include "absl/strings/str_cat.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "fuzz/shrink.h"
#include "scenarios/scenario.h"

namespace epsim::cli {

using fuzz::MinimalScenarioJson;
using fuzz::Shrink;
using fuzz::ShrinkOptions;
using fuzz::ShrinkResult;

int ShrinkCommand(const Args& args) {
  std::string path, protocol, out_path, check;
  int64_t max_runs = 1000;
  bool quiet = false;
  FlagParser flags(
      "epsim shrink",
      "Minimises a violating scenario by delta debugging over its fault "
      "events, then\nits commands per client, clients and the protocol's "
      "timer options, keeping the\nsame failing check, until no single "
      "removal keeps it failing. Writes the\nminimal scenario (with "
      "\"seed\" and \"expect\") and says what it removed.");
  flags.Positional("VIOLATION", &path, "violating scenario file (JSON)");
  flags.String("protocol", &protocol,
               "protocol NAME[:opt=val,...] (default: the scenario's)");
  flags.String("out", &out_path, "output file (default: VIOLATION.min.json)");
  flags.String("check", &check,
               "the check that must keep failing (default: the scenario's "
               "\"expect\", else the first violation)");
  flags.Int("max-runs", &max_runs, "candidate runs at most (1000)");
  flags.Bool("quiet", &quiet, "no progress line");
  if (auto status = flags.Parse(args); !status.ok()) return flags.Fail(status);
  auto bad = [](const std::string& message) {
    std::cerr << "epsim shrink: " << message << "\n";
    return kExitBadInput;
  };
  if (max_runs < 1) return bad("--max-runs: expected at least 1");
  absl::StatusOr<scenarios::Scenario> scenario =
      scenarios::Scenario::Load(path);
  if (!scenario.ok()) return bad(std::string(scenario.status().message()));
  if (out_path.empty()) {
    out_path = path.ends_with(".json")
                   ? path.substr(0, path.size() - 5) + ".min.json"
                   : path + ".min.json";
  }
  ProgressLine progress(quiet);
  ShrinkOptions options;
  options.protocol = protocol;
  options.check = check;
  options.max_runs = static_cast<int>(max_runs);
  options.progress = [&progress](const std::string& text) {
    progress.Update(text);
  };
  absl::StatusOr<ShrinkResult> result = Shrink(*scenario, options);
  progress.Finish();
  if (!result.ok()) return bad(std::string(result.status().message()));
  const nlohmann::json json = MinimalScenarioJson(
      *result,
      absl::StrCat("epsim shrink of ", path, ": ", result->Describe()));
  if (auto s = WriteFileAtomically(out_path, json.dump(2) + "\n"); !s.ok()) {
    return bad(std::string(s.message()));
  }
  std::cout << "shrunk " << path << " (" << result->check << " with "
            << result->protocol << "): " << result->Describe() << "\n"
            << "wrote " << out_path << "\n";
  if (!result->verified) {
    std::cout << "warning: the written file no longer fails " << result->check
              << " when read back\n";
  }
  std::cout << "replay: epsim run " << out_path << "\n";
  return kExitOk;
}

}  // namespace epsim::cli
