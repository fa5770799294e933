// `epsim explore`: bounded exhaustive exploration of a small configuration
// (explore/explore.h), and `epsim explore --replay FILE` to re-run the
// violating schedule it wrote.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/strings.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "explore/explore.h"
#include "nlohmann/json.hpp"
#include "protocol/common/protocol.h"
#include "scenarios/coverage.h"
#include "scenarios/scenario.h"
#include "scenarios/simulation.h"

namespace epsim::cli {

using explore::Explore;
using explore::ExploreConfig;
using explore::ExploreReached;
using explore::ExploreResult;
using explore::ExploreViolation;
using explore::ReachedScheduleToJson;
using explore::RecoveryTimerClassifier;
using explore::ReplaySchedule;
using explore::ScheduleFile;
using explore::ScheduleFromJson;
using explore::ScheduleToJson;
using explore::ScheduleToScenario;
namespace {

constexpr char kName[] = "epsim explore";

// Enumerated flags: the options in the order of their enum values.
using Options = std::vector<const char*>;
const Options kConflictsOptions = {"all", "none", "pairs"};
const Options kSubmitOptions = {"start", "any"};
const Options kModelOptions = {"reliable", "lossy"};
const Options kReduceOptions = {"ignored", "none"};
const Options kTimersOptions = {"choice", "ignore"};
const Options kSearchOptions = {"dfs", "bfs", "guided"};

absl::Status ChooseOption(const char* flag, const std::string& value,
                          const Options& options, int* index) {
  const size_t N = options.size();
  for (size_t i = 0; i < N; ++i) {
    if (value == options[i]) {
      *index = static_cast<int>(i);
      return absl::OkStatus();
    }
  }
  std::string expected = options[0];
  for (size_t i = 1; i < N; ++i) {
    absl::StrAppend(&expected, i + 1 == N ? " or " : ", ", options[i]);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, " \"", value, "\": expected ", expected));
}

int BadInput(absl::string_view message) {
  std::cerr << kName << ": " << message << "\n";
  return kExitBadInput;
}

// "1234567" -> "1,234,567".
std::string Grouped(uint64_t v) {
  std::string digits = absl::StrCat(v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<protocol::Protocol>> MakeProtocol(
    ExploreConfig& config) {
  absl::StatusOr<protocol::ProtocolSpec> spec =
      protocol::ProtocolSpec::Parse(config.protocol);
  if (!spec.ok()) return spec.status();
  protocol::ProtocolContext context;
  context.replicas = config.replicas;
  // Timer durations do not matter here (time stands still); any positive
  // round trip keeps option defaults valid.
  context.max_round_trip = protocol::kMillisecond;
  auto made =
      protocol::ProtocolRegistry::Builtin().Make(config.protocol, context);
  if (!made.ok()) return made.status();
  config.is_recovery_timer = RecoveryTimerClassifier(*spec);
  return made;
}

const ExploreReached* FindReached(const ExploreResult& r,
                                  const std::string& branch) {
  for (const ExploreReached& reached : r.reached) {
    if (reached.branch == branch) return &reached;
  }
  return nullptr;
}

// Where --out writes the schedule that reaches `branch`: the file itself
// for one target, a file per branch inside the folder for several.
std::string ReachOutPath(const ExploreConfig& config, const std::string& out,
                         const std::string& branch) {
  if (out.empty() || config.reach.size() == 1) return out;
  std::string name = branch;
  std::replace(name.begin(), name.end(), '/', '-');
  return absl::StrCat(out, "/", name, ".json");
}

nlohmann::json ResultJson(const ExploreConfig& config,
                          const std::string& protocol_name,
                          const ExploreResult& r) {
  nlohmann::json j;
  j["protocol"] = protocol_name;
  j["config"] = config.Describe();
  j["states"] = r.states;
  j["transitions"] = r.transitions;
  j["max_depth"] = r.max_depth;
  j["seconds"] = r.seconds;
  j["states_per_second"] = r.StatesPerSecond();
  j["complete"] = r.complete;
  j["time_limited"] = r.time_limited;
  j["coverage"] = r.coverage;
  if (!config.reach.empty()) {
    // Per target: reached (with the schedule's length), or not; exhaustive
    // when the search was complete, so "not reached" is a proof.
    nlohmann::json reach = nlohmann::json::object();
    bool all = true;
    for (const std::string& branch : config.reach) {
      const ExploreReached* found = FindReached(r, branch);
      all &= found != nullptr;
      nlohmann::json entry;
      entry["reached"] = found != nullptr;
      entry["exhaustive"] = found == nullptr && r.complete;
      if (found != nullptr) {
        entry["length"] = found->schedule.size();
        entry["schedule"] = ReachedScheduleToJson(config, *found);
      }
      reach[branch] = std::move(entry);
    }
    j["reach"] = std::move(reach);
    j["reached"] = all;
    j["exhaustive"] = !all && r.complete;
  }
  if (r.violation) {
    nlohmann::json v = ScheduleToJson(config, *r.violation);
    v["length"] = r.violation->schedule.size();
    v["shortest_proven"] = r.shortest_proven;
    j["violation"] = std::move(v);
  } else {
    j["violation"] = nullptr;
  }
  return j;
}

void PrintText(const ExploreConfig& config, const std::string& protocol_name,
               const ExploreResult& r, const std::string& out_path) {
  std::cout << "protocol     " << protocol_name << "\n"
            << "config       " << config.Describe() << "\n"
            << "states       " << Grouped(r.states) << " distinct\n"
            << "transitions  " << Grouped(r.transitions) << "\n"
            << "max depth    " << r.max_depth << "\n"
            << absl::StrFormat(
                   "time         %.2f s (%s states/s)\n", r.seconds,
                   Grouped(static_cast<uint64_t>(r.StatesPerSecond())));
  for (const std::string& branch : config.reach) {
    const ExploreReached* found = FindReached(r, branch);
    if (found == nullptr) {
      std::cout << "reach        " << branch << ": "
                << (r.complete ? "unreachable within these bounds"
                               : "not found before the limit")
                << "\n";
      continue;
    }
    std::cout << "reach        " << branch << ": reached in "
              << found->schedule.size() << " steps"
              << (config.search == ExploreConfig::Search::kBfs ? " (shortest)"
                                                               : "")
              << "\n";
    for (size_t i = 0; i < found->schedule.size(); ++i) {
      std::cout << absl::StrFormat("  %3d. ", i + 1) << found->schedule[i].text
                << "\n";
    }
    if (!out_path.empty()) {
      const std::string path = ReachOutPath(config, out_path, branch);
      std::cout << "written to   " << path << " (replay: epsim explore "
                << "--replay " << path << ")\n";
    }
  }
  if (r.violation) {
    std::cout << "result       VIOLATION of " << r.violation->check << ": "
              << r.violation->detail << "\n"
              << "schedule     " << r.violation->schedule.size() << " steps ("
              << (r.shortest_proven ? "shortest"
                                    : "shortest not proven: time limit")
              << ")\n";
    for (size_t i = 0; i < r.violation->schedule.size(); ++i) {
      std::cout << absl::StrFormat("  %3d. ", i + 1)
                << r.violation->schedule[i].text << "\n";
    }
    if (!out_path.empty()) {
      std::cout << "written to   " << out_path << " (replay: epsim explore "
                << "--replay " << out_path << ")\n";
    }
  } else if (!config.reach.empty() && !r.complete &&
             r.reached.size() == config.reach.size()) {
    std::cout << "result       every target reached, no violation on the "
                 "way\n";
  } else if (r.complete) {
    std::cout << "result       complete"
              << (config.max_depth > 0 ? " within the depth bound" : "")
              << ", no violation\n";
  } else {
    std::cout << "result       stopped by the "
              << (r.state_limited ? "state limit" : "time limit")
              << " before completion, no violation so far\n";
  }
  absl::btree_set<std::string> branches;
  for (const auto& [branch, count] : r.coverage) branches.insert(branch);
  scenarios::PrintCoverage(r.coverage, branches, "transitions of the search",
                           std::cout);
}

// --replay FILE --scenario OUT: the schedule as a scenario script, written
// only once `epsim run` of it has been checked: it must run the schedule's
// branch (or break its check), and, for a --reach schedule, pass every
// check once the rest of the run is released.
int WriteScenario(const ScheduleFile& file, const protocol::Protocol& protocol,
                  const std::string& path, bool json) {
  const std::string name = std::filesystem::path(path).stem();
  absl::StatusOr<nlohmann::json> scenario =
      ScheduleToScenario(file, protocol, name);
  if (!scenario.ok()) {
    return BadInput(absl::StrCat("--scenario: cannot convert ", path, ": ",
                                 scenario.status().message()));
  }
  absl::StatusOr<scenarios::Scenario> loaded =
      scenarios::Scenario::FromJson(*scenario, path);
  if (!loaded.ok()) {
    return BadInput(
        absl::StrCat("--scenario: the converted scenario does "
                     "not load: ",
                     loaded.status().message()));
  }
  absl::StatusOr<scenarios::RunResult> run =
      scenarios::Simulate(*loaded, scenarios::RunOptions{});
  if (!run.ok()) {
    return BadInput(
        absl::StrCat("--scenario: the converted scenario does "
                     "not run: ",
                     run.status().message()));
  }
  auto count = [&](const std::string& branch) -> int64_t {
    auto it = run->coverage.find(branch);
    return it == run->coverage.end() ? 0 : it->second;
  };
  std::vector<std::string> broken;
  for (const scenarios::Violation& v : run->violations) {
    broken.push_back(v.check);
  }
  const bool ok =
      file.reached.empty()
          ? std::find(broken.begin(), broken.end(), file.check) != broken.end()
          : count(file.reached) > 0 && broken.empty();
  if (ok) {
    if (auto s = WriteFileAtomically(path, scenario->dump(2) + "\n"); !s.ok()) {
      return BadInput(s.message());
    }
  }
  if (!json) {
    std::cout << "scenario     " << path << " (epsim run " << path << "): ";
    if (!file.reached.empty()) {
      std::cout << "reaches " << file.reached << " " << count(file.reached)
                << " times, checks "
                << (broken.empty() ? "ok" : absl::StrJoin(broken, ", "))
                << "\n";
    } else {
      std::cout << (ok ? "breaks " : "does not break ") << file.check << "\n";
    }
    if (!ok) std::cout << "(not written)\n";
  }
  return ok ? kExitOk : kExitViolation;
}

int Replay(const std::string& path, bool json, bool quiet,
           const std::string& scenario_path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return BadInput(text.status().message());
  nlohmann::json parsed = nlohmann::json::parse(*text, nullptr, false);
  if (parsed.is_discarded()) {
    return BadInput(absl::StrCat(path, ": not valid JSON"));
  }
  absl::StatusOr<ScheduleFile> file = ScheduleFromJson(parsed, path);
  if (!file.ok()) return BadInput(file.status().message());
  auto protocol = MakeProtocol(file->config);
  if (!protocol.ok()) {
    return BadInput(
        absl::StrCat(path, ": protocol: ", protocol.status().message()));
  }
  auto trace = [&](const std::string& line) {
    if (!json && !quiet) std::cout << line << "\n";
  };
  scenarios::Coverage coverage;
  auto replayed =
      ReplaySchedule(file->config, **protocol, file->steps, trace, &coverage);
  if (!replayed.ok()) {
    return BadInput(absl::StrCat(path, ": ", replayed.status().message()));
  }
  const std::optional<ExploreViolation>& v = *replayed;
  const bool same = v && v->check == file->check;
  // The schedule does what its file says: breaks the recorded check, or
  // runs the recorded branch without a violation.
  const bool reproduced =
      file->reached.empty() ? same : !v && coverage[file->reached] > 0;
  if (!scenario_path.empty()) {
    if (!reproduced) {
      return BadInput(
          absl::StrCat(path, ": the schedule does not ",
                       file->reached.empty() ? "reproduce " : "reach ",
                       file->reached.empty() ? file->check : file->reached,
                       "; no scenario written"));
    }
  }
  if (json) {
    nlohmann::json j;
    j["file"] = path;
    j["steps"] = v ? v->schedule.size() : file->steps.size();
    j["violation"] =
        v ? nlohmann::json{{"check", v->check}, {"detail", v->detail}}
          : nlohmann::json(nullptr);
    j["expected"] = file->check;
    j["reproduced"] = reproduced;
    j["coverage"] = coverage;
    if (!file->reached.empty()) {
      j["reached"] = file->reached;
    }
    std::cout << j.dump(2) << "\n";
  } else if (v) {
    std::cout << "VIOLATION of " << v->check << " after " << v->schedule.size()
              << " steps: " << v->detail << "\n";
    if (!same && !file->check.empty()) {
      std::cout << "(the file recorded a violation of " << file->check << ")\n";
    }
  } else {
    std::cout << "no violation after " << file->steps.size() << " steps"
              << (file->check.empty()
                      ? std::string()
                      : absl::StrCat(" (the file recorded ", file->check, ")"))
              << "\n";
  }
  if (!file->reached.empty() && !v) {
    const int64_t count = coverage[file->reached];
    if (!json) {
      std::cout << (count > 0 ? "reached " : "did not reach ") << file->reached
                << (count > 0 ? absl::StrCat(" (", count, " times)") : "")
                << "\n";
    }
  }
  if (!scenario_path.empty()) {
    return WriteScenario(*file, **protocol, scenario_path, json);
  }
  if (!file->reached.empty()) return reproduced ? kExitOk : kExitViolation;
  return v ? kExitViolation : kExitOk;
}

}  // namespace

int ExploreCommand(const Args& args) {
  std::string protocol_spec, conflicts = "all", submit = "start",
                             model = "reliable", timers = "choice", search,
                             out_path, replay_path, reach, scenario_path,
                             reduce = "ignored", recoverers;
  int64_t n = 3, commands = 2, max_crashes = 0, max_recoveries = 0,
          max_depth = 0, max_states = 0;
  double time_limit = 0;
  bool json = false, quiet = false, shortest = true, check_reductions = false;
  FlagParser flags(
      kName,
      "Explores every schedule of a small configuration (every delivery "
      "order,\nevery crash and recovery point up to the bounds), checking "
      "agreement,\nvalidity, the protocol's own checks, execution order and "
      "exactly-once\nin every state, and handler assertions. Prints distinct "
      "states,\ntransitions, depth and speed, or the shortest violating "
      "schedule found.\nExit 0: no violation; 1: violation; 3: stopped by "
      "--time-limit first.\nWith --reach: 0 every branch reached, 1 a "
      "violation or a branch proven\nunreachable within the bounds, 3 not "
      "found before the limit.");
  flags.String("protocol", &protocol_spec,
               "protocol NAME[:opt=val,...] (required unless --replay)");
  flags.Int("n", &n, "replicas (default 3)");
  flags.Int("commands", &commands,
            "client commands; command i goes to replica i mod n (default 2)");
  flags.String("conflicts", &conflicts,
               "all | none | pairs (1 conflicts with 2 and 3; default all)");
  flags.String("submit", &submit,
               "start (all commands submitted first, default) | any (each "
               "submission is a choice)");
  flags.String("model", &model,
               "reliable (default) | lossy (dropping a message is a choice)");
  flags.Int("max-crashes", &max_crashes, "crash choices in total (default 0)");
  flags.String("recoverers", &recoverers,
               "R[,R...]: only these replicas start recoveries (default: all)");
  flags.Int("max-recoveries", &max_recoveries,
            "recoveries per (replica, command) (default 0)");
  flags.Int("max-depth", &max_depth, "steps per schedule (default: none)");
  flags.String("timers", &timers,
               "choice (non-recovery timers fire as choices, default) | "
               "ignore");
  flags.String("search", &search,
               "dfs (default; then a bounded re-search for the shortest "
               "violation) | bfs | guided (with --reach, the default: "
               "best-first,\nfurthest along the protocol's path to the "
               "target first, in rounds of growing depth bounds)");
  flags.String("reduce", &reduce,
               "ignored (default: a message its receiver would ignore leaves "
               "the state at once) | none");
  flags.Bool("check-reductions", &check_reductions,
             "check in every state that an ignored message stays ignored (the "
             "premise\nof --reduce ignored; use with --reduce none)");
  flags.Bool("shortest", &shortest,
             "dfs: search for the shortest violation (default true)");
  flags.Double("time-limit", &time_limit, "seconds (default: none)");
  flags.Int("max-states", &max_states,
            "stop after this many distinct states (default: none)");
  flags.String("reach", &reach,
               "BRANCH[,BRANCH...]: search for a schedule that runs each "
               "coverage branch\n(guided unless --search says otherwise; bfs "
               "finds a shortest one); stops once all are reached");
  flags.String("out", &out_path,
               "write the violating schedule here (JSON); with --reach the "
               "schedule reaching\nthe branch (several branches: FILE is a "
               "folder, one file per branch)");
  flags.String("replay", &replay_path,
               "re-run the schedule FILE written by --out instead");
  flags.String("scenario", &scenario_path,
               "with --replay: write the schedule as a scenario FILE whose "
               "script takes\nits steps (epsim run FILE), after checking "
               "that the run does the same");
  flags.Bool("json", &json, "print one JSON object");
  flags.Bool("quiet", &quiet, "no progress line");
  if (auto status = flags.Parse(args); !status.ok()) return flags.Fail(status);

  if (!replay_path.empty()) {
    return Replay(replay_path, json, quiet, scenario_path);
  }
  if (!scenario_path.empty()) {
    return flags.Fail(
        absl::InvalidArgumentError("--scenario needs --replay FILE"));
  }
  if (protocol_spec.empty()) {
    return flags.Fail(absl::InvalidArgumentError("--protocol is required"));
  }
  ExploreConfig config;
  config.protocol = protocol_spec;
  config.replicas = static_cast<int>(n);
  config.commands = static_cast<int>(commands);
  config.max_crashes = static_cast<int>(max_crashes);
  config.max_recoveries = static_cast<int>(max_recoveries);
  config.max_depth = static_cast<int>(max_depth);
  config.max_states = static_cast<uint64_t>(std::max<int64_t>(max_states, 0));
  config.time_limit = time_limit;
  config.shortest = shortest;
  if (!reach.empty()) {
    for (absl::string_view branch : absl::StrSplit(reach, ',')) {
      config.reach.emplace_back(branch);
    }
    if (search.empty()) search = "guided";
  }
  if (search.empty()) search = "dfs";
  // Each enumerated flag's value, as an index into its options.
  int conflicts_index = 0, submit_index = 0, model_index = 0, timers_index = 0,
      search_index = 0, reduce_index = 0;
  for (auto [flag, value, options, index] :
       {std::tuple{"conflicts", &conflicts, &kConflictsOptions,
                   &conflicts_index},
        std::tuple{"submit", &submit, &kSubmitOptions, &submit_index},
        std::tuple{"model", &model, &kModelOptions, &model_index},
        std::tuple{"timers", &timers, &kTimersOptions, &timers_index},
        std::tuple{"search", &search, &kSearchOptions, &search_index},
        std::tuple{"reduce", &reduce, &kReduceOptions, &reduce_index}}) {
    if (absl::Status s = ChooseOption(flag, *value, *options, index); !s.ok()) {
      return flags.Fail(s);
    }
  }
  config.conflicts = static_cast<ExploreConfig::Conflicts>(conflicts_index);
  config.submit = static_cast<ExploreConfig::Submit>(submit_index);
  config.lossy = model_index == 1;
  config.timers = timers_index == 0;
  config.search = static_cast<ExploreConfig::Search>(search_index);
  config.reduce_ignored = reduce_index == 0;
  if (!recoverers.empty()) {
    for (absl::string_view r : absl::StrSplit(recoverers, ',')) {
      int replica = -1;
      if (!absl::SimpleAtoi(r, &replica) || replica < 0 || replica >= n) {
        return flags.Fail(absl::InvalidArgumentError(absl::StrCat(
            "--recoverers: \"", r, "\" is not a replica 0..", n - 1)));
      }
      config.recoverers.push_back(replica);
    }
  }
  config.check_reductions = check_reductions;
  if (time_limit < 0) {
    return flags.Fail(absl::InvalidArgumentError("--time-limit must be >= 0"));
  }

  auto protocol = MakeProtocol(config);
  if (!protocol.ok()) return BadInput(protocol.status().message());
  const std::string protocol_name = (*protocol)->Name();
  {
    const std::vector<std::string> known = (*protocol)->CoverageBranches();
    for (const std::string& branch : config.reach) {
      if (std::find(known.begin(), known.end(), branch) == known.end()) {
        return BadInput(absl::StrCat(
            "--reach \"", branch, "\": not a coverage branch of ",
            protocol_name, " (expected one of: ", absl::StrJoin(known, ", "),
            ")"));
      }
    }
  }

  ProgressLine progress(quiet || json);
  auto on_progress = [&](uint64_t states, uint64_t transitions, int depth,
                         double seconds) {
    progress.Update(absl::StrFormat(
        "explore: %s states, %s transitions, depth %d, %.0f states/s, %.0f s",
        Grouped(states), Grouped(transitions), depth,
        seconds > 0 ? static_cast<double>(states) / seconds : 0.0, seconds));
  };
  absl::StatusOr<ExploreResult> result =
      Explore(config, **protocol, on_progress);
  progress.Finish();
  if (!result.ok()) return BadInput(result.status().message());

  for (const ExploreReached& reached : result->reached) {
    if (out_path.empty()) break;
    const std::string path = ReachOutPath(config, out_path, reached.branch);
    const std::string text =
        ReachedScheduleToJson(config, reached).dump(2) + "\n";
    if (auto s = WriteFileAtomically(path, text); !s.ok()) {
      return BadInput(s.message());
    }
  }
  if (result->violation && !out_path.empty() && config.reach.empty()) {
    const std::string text =
        ScheduleToJson(config, *result->violation).dump(2) + "\n";
    if (auto s = WriteFileAtomically(out_path, text); !s.ok()) {
      return BadInput(s.message());
    }
  }
  if (json) {
    std::cout << ResultJson(config, protocol_name, *result).dump(2) << "\n";
  } else {
    PrintText(config, protocol_name, *result, out_path);
  }
  if (result->violation) return kExitViolation;
  if (!config.reach.empty()) {
    // Every target reached: 0; one proven unreachable: 1; else undecided.
    if (result->reached.size() == config.reach.size()) return kExitOk;
    return result->complete ? kExitViolation : kExitUndecided;
  }
  return result->complete ? kExitOk : kExitUndecided;
}

}  // namespace epsim::cli
