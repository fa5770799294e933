// `epsim fuzz [SCENARIO] --protocol P`: many seeds, each with its own fault
// plan, workload and protocol parameters (fuzz/fuzz_plan.h); every run
// fully checked; every violation written as a replayable scenario and
// shrunk (fuzz/fuzz_campaign.h, fuzz/shrink.h).
#include <filesystem>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "fuzz/fuzz_campaign.h"
#include "fuzz/fuzz_plan.h"
#include "scenarios/scenario.h"

namespace epsim::cli {

using fuzz::DefaultFuzzBase;
using fuzz::FaultModel;
using fuzz::FuzzConfig;
using fuzz::FuzzSummary;
using fuzz::ParseFaultModel;
using fuzz::ParseSeedRange;
using fuzz::ParseShard;
using fuzz::PrintFuzzSummary;
using fuzz::RunFuzz;

int FuzzCommand(const Args& args) {
  std::string scenario_path, protocol, seeds = "1:200", out_dir,
                                       model = "crash-stop", shard;
  int64_t jobs = 0, shrink_runs = 300;
  double time_limit = 0;
  bool json = false, no_shrink = false, quiet = false, write_cases = false;
  FlagParser flags(
      "epsim fuzz",
      "Runs many seeds, each with a fault plan, workload and protocol "
      "parameters drawn\nfrom the seed by swarm testing, and checks every "
      "run. Each violation is written\nto --out as a scenario that `epsim "
      "run` replays exactly, then shrunk. Without\nSCENARIO the base is "
      "built in: 3, 5 or 7 replicas on a 0.2 ms LAN, 200\ncommands. Exit 1 "
      "if any seed violates a check.");
  flags.Positional("SCENARIO", &scenario_path,
                   "base scenario file (default: the built-in LAN base)",
                   /*required=*/false);
  flags.String("protocol", &protocol,
               "protocol NAME[:opt=val,...] (default: the scenario's, or "
               "epaxos-star); options given are kept, others may be drawn");
  flags.String("seeds", &seeds, "seeds A:B (inclusive) or N for 1:N (1:200)");
  flags.Int("jobs", &jobs, "parallel runs (default: the number of cores)");
  flags.String("out", &out_dir,
               "folder for violation files and results (fuzz-out)");
  flags.Bool("json", &json, "print one JSON object instead of the report");
  flags.Double("time-limit", &time_limit,
               "start no new seed after this many seconds");
  flags.String("model", &model,
               "crash-stop (faults inside the model; safety and liveness) or "
               "any (lossy links, > f crashes, unhealed faults; safety only)");
  flags.Bool("no-shrink", &no_shrink, "do not shrink violations");
  flags.Int("shrink-runs", &shrink_runs,
            "at most this many runs to shrink each violation (300)");
  flags.String("shard", &shard,
               "i/N: run only the seeds s with s mod N = i and write the "
               "results to --out/shard-i-of-N.json (see `epsim merge`)");
  flags.Bool("write-cases", &write_cases,
             "write every seed's case to --out/cases/ before running it");
  flags.Bool("quiet", &quiet, "no progress line");
  if (auto status = flags.Parse(args); !status.ok()) return flags.Fail(status);

  auto bad = [](const std::string& message) {
    std::cerr << "epsim fuzz: " << message << "\n";
    return kExitBadInput;
  };
  FuzzConfig config;
  if (scenario_path.empty()) {
    config.base = DefaultFuzzBase();
    config.base_name = "built-in";
    config.vary_replicas = true;
    if (protocol.empty()) protocol = "epaxos-star";
  } else {
    absl::StatusOr<scenarios::Scenario> base =
        scenarios::Scenario::Load(scenario_path);
    if (!base.ok()) return bad(std::string(base.status().message()));
    config.base = *std::move(base);
    config.base_name = scenario_path;
    if (protocol.empty()) protocol = config.base.protocol;
  }
  config.protocol = protocol;
  absl::StatusOr<FaultModel> parsed_model = ParseFaultModel(model);
  if (!parsed_model.ok()) {
    return bad(std::string(parsed_model.status().message()));
  }
  config.model = *parsed_model;
  absl::StatusOr<std::pair<uint64_t, uint64_t>> range = ParseSeedRange(seeds);
  if (!range.ok()) return bad(std::string(range.status().message()));
  config.first_seed = range->first;
  config.last_seed = range->second;
  if (!shard.empty()) {
    absl::StatusOr<std::pair<int, int>> s = ParseShard(shard);
    if (!s.ok()) return bad(std::string(s.status().message()));
    config.shard_index = s->first;
    config.shard_count = s->second;
  }
  if (jobs < 0 || jobs > 4096) return bad("--jobs: expected 1 to 4096");
  config.jobs = jobs > 0 ? static_cast<int>(jobs)
                         : std::max(1u, std::thread::hardware_concurrency());
  if (time_limit < 0) return bad("--time-limit: expected seconds >= 0");
  config.time_limit_s = time_limit;
  if (shrink_runs < 1) return bad("--shrink-runs: expected at least 1");
  config.shrink_max_runs = static_cast<int>(shrink_runs);
  config.shrink = !no_shrink;
  config.write_cases = write_cases;
  const bool out_given = !out_dir.empty();
  config.out_dir = out_given ? out_dir : "fuzz-out";
  if (std::filesystem::exists(config.out_dir) &&
      !std::filesystem::is_directory(config.out_dir)) {
    return bad(absl::StrCat("--out ", config.out_dir, ": not a folder"));
  }
  ProgressLine progress(quiet);
  config.progress = [&progress](const std::string& text) {
    progress.Update(text);
  };

  absl::StatusOr<FuzzSummary> summary = RunFuzz(config);
  progress.Finish();
  if (!summary.ok()) return bad(std::string(summary.status().message()));

  // The result file: always for a shard (for `epsim merge`), otherwise when
  // --out was given or there is something in it.
  if (!shard.empty() || out_given || !summary->findings.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(config.out_dir, ec);
    const std::string name =
        shard.empty() ? "fuzz-summary.json"
                      : absl::StrCat("shard-", config.shard_index, "-of-",
                                     config.shard_count, ".json");
    const std::string path =
        (std::filesystem::path(config.out_dir) / name).string();
    if (auto s = WriteFileAtomically(path, summary->ToJson().dump(2) + "\n");
        !s.ok()) {
      return bad(std::string(s.message()));
    }
  }
  if (json) {
    std::cout << summary->ToJson().dump(2) << "\n";
  } else {
    PrintFuzzSummary(*summary, std::cout);
  }
  return summary->findings.empty() ? kExitOk : kExitViolation;
}

}  // namespace epsim::cli
