// A fuzz campaign: many seeds of one base scenario and protocol, run in
// parallel (one thread per job; each run is single-threaded and shares
// nothing), collected by seed so that the outcome does not depend on the job
// count, and summarised in a form that shards of one campaign can be merged
// into (`epsim fuzz --shard i/N`, `epsim merge`).
#ifndef EPSIM_FUZZ_FUZZ_CAMPAIGN_H_
#define EPSIM_FUZZ_FUZZ_CAMPAIGN_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/status/statusor.h"
#include "fuzz/fuzz_plan.h"
#include "nlohmann/json.hpp"
#include "scenarios/scenario.h"

namespace epsim::fuzz {

struct FuzzConfig {
  scenarios::Scenario base;
  std::string base_name;  // the file, or "built-in"
  bool vary_replicas = false;
  std::string protocol;  // as the user gave it
  FaultModel model = FaultModel::kCrashStop;
  uint64_t first_seed = 1;   // inclusive
  uint64_t last_seed = 200;  // inclusive
  int shard_index = 0;       // runs the seeds s with s % shard_count == index
  int shard_count = 1;
  int jobs = 1;
  double time_limit_s = 0;  // 0: none
  std::string out_dir;      // violation files go here
  bool shrink = true;
  int shrink_max_runs = 300;
  // Write every seed's case (passing or not) to out_dir/cases/ before it
  // runs, so a seed that hangs or runs slowly can be replayed on its own.
  bool write_cases = false;
  // Called now and then from the thread that called RunFuzz.
  std::function<void(const std::string&)> progress;
};

// One violating seed, as reported.
struct FuzzFinding {
  uint64_t seed = 0;
  std::string check;                // the first violation's check
  std::string protocol;             // the spec the seed drew
  std::string detail;               // first line of the first violation
  uint64_t trace_hash = 0;          // `epsim run FILE --trace-hash` prints it
  std::vector<std::string> checks;  // every check that failed
  std::string file;                 // the violation scenario
  std::string shrunk_file;          // "" when not shrunk
  std::string shrink_note;          // what shrinking removed
};

// The result of a campaign or of a merge of shards. Everything but the
// timing fields is a function of the configuration (not of the job count
// or the sharding).
struct FuzzSummary {
  std::string protocol;
  std::string model;
  std::string scenario;
  std::string seed_range;  // "A:B"
  std::string shard;       // "i/N"; empty for a whole campaign
  int64_t seeds = 0;       // seeds run
  bool time_limited = false;
  std::vector<FuzzFinding> findings;               // by seed
  absl::btree_map<std::string, int64_t> by_check;  // seeds failing it
  absl::btree_map<std::string, int64_t> coverage;  // summed over seeds
  absl::btree_set<std::string> branches;  // every branch of the protocol
  // Timing.
  double elapsed_s = 0;

  nlohmann::json ToJson() const;
  static absl::StatusOr<FuzzSummary> FromJson(const nlohmann::json& json,
                                              const std::string& file);
};

// Runs the campaign. Errors: bad configuration (the protocol cannot run on
// the base, the out folder cannot be written).
absl::StatusOr<FuzzSummary> RunFuzz(const FuzzConfig& config);

// Combines the shard summaries of one campaign (same protocol, model,
// scenario, seed range; shards 0..N-1 each once) into what the unsharded
// campaign reports.
absl::StatusOr<FuzzSummary> MergeShards(
    const std::vector<std::pair<std::string, FuzzSummary>>& shards);

// The human report: counts by check, each finding with its files, the
// coverage table with branches never reached flagged.
void PrintFuzzSummary(const FuzzSummary& summary, std::ostream& out);

// "A:B" (inclusive) or "N" (1:N).
absl::StatusOr<std::pair<uint64_t, uint64_t>> ParseSeedRange(
    const std::string& text);
// "i/N" with 0 <= i < N.
absl::StatusOr<std::pair<int, int>> ParseShard(const std::string& text);

}  // namespace epsim::fuzz

#endif  // EPSIM_FUZZ_FUZZ_CAMPAIGN_H_
