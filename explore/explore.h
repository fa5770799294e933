// Bounded exhaustive exploration of a small configuration: a model checker
// in the manner of TLC or Stateright, driving the protocol's real replica
// code (`epsim explore`).
//
// A state is every replica's state, the multiset of in-flight messages, the
// pending timers the explorer treats as choices, the crashed set, the
// recovery budget used per (process, command), which client commands were
// submitted, and what the checks have seen (first commits, execution logs).
// A step is one choice:
//   - deliver one in-flight message (its handler runs atomically);
//   - drop one (only with lossy links: under reliable links a message that
//     is never delivered is simply held, which already covers every safety
//     behaviour loss could cause);
//   - crash a replica (crash-stop, at most max_crashes): messages to it are
//     discarded, messages it sent still arrive;
//   - start a recovery (Replica::StartRecovery) of a command the replica
//     knows and has not executed, at most max_recoveries times per
//     (process, command), the TLA+ specification's bound on recovery
//     attempts;
//   - fire a pending non-recovery timer (EPaxos*'s fast-path timer T1);
//   - submit a client command (only with submit = kAny).
// Recovery timers are not choices: recovery is the StartRecovery choice
// above, which bounds it per (process, command) exactly as the TLA+ spec
// does; an unbounded timer would make every state space infinite.
//
// Every state is checked: agreement (every commit of a command has the
// same value), validity (a committed non-Nop command was submitted), the
// protocol's own checks (Protocol::MakeChecks, e.g. EPaxos*'s Visibility),
// execution order (two replicas never execute two conflicting commands in
// opposite orders), exactly-once (no replica executes a command twice), no
// failed EPSIM_CHECK inside a handler, no ported "panic/" branch.
//
// Visited states are kept as 112-bit fingerprints (StateKey in the .cc).
// The replicas' own StateHash() stands for their state, so two states are
// merged when every replica hash, the in-flight multiset (by message
// Fingerprint()), the pending timers, the crashed set, the budgets and the
// checks' memory agree. No replica-id symmetry is used: commands are placed
// at fixed replicas, ballots are ordered by owner id and the "pairs"
// conflicts single out command 1, so permuting replicas does not map the
// state space onto itself.
//
// The explorer's environment stands still: Now() is 0, Random() is 0, and
// each handler's effects (sends, timers, commits, executions) are buffered
// into the successor state. A replica's reaction to an input depends only
// on the replica object and the input, so it is computed once per
// (replica object, input) and shared by every state holding that object.
#ifndef EPSIM_EXPLORE_EXPLORE_H_
#define EPSIM_EXPLORE_EXPLORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "protocol/common/command.h"
#include "protocol/common/protocol.h"
#include "protocol/common/types.h"

namespace epsim::explore {

struct ExploreConfig {
  enum class Conflicts {
    kAll,    // every command writes key "x": all conflict pairwise
    kNone,   // command i writes key "k<i>": nothing conflicts
    kPairs,  // the TLA+ configuration: command 1 (put x) conflicts with every
             // other (get x), which do not conflict with each other
  };
  enum class Submit {
    kStart,  // every command submitted before the first step
    kAny,    // each submission is a choice, interleaved with the rest
  };
  enum class Search {
    kDfs,     // depth-first; after a violation, a depth-bounded re-search
              // for the shortest one
    kBfs,     // breadth-first: the first violation is a shortest one; keeps
              // the whole frontier in memory
    kGuided,  // --reach: best-first, one FIFO per level of progress along
              // the targets' Protocol::CoverageGuide chains, the highest
              // first: a probe without a depth bound on a small budget,
              // then under bounds 6, 8, 10, ... (up to max_depth) so that
              // no one prefix takes the whole budget (memory like BFS;
              // complete; not shortest)
  };

  std::string protocol;  // spec as given, for reports and the schedule file
  int replicas = 3;
  int commands = 2;
  Conflicts conflicts = Conflicts::kAll;
  Submit submit = Submit::kStart;
  bool lossy = false;
  int max_crashes = 0;
  int max_recoveries = 0;
  int max_depth = 0;   // 0: unbounded
  bool timers = true;  // non-recovery timers are choices (false: ignored)
  // The ignored-message reduction: a message whose delivery would change
  // nothing at its receiver (same state, no effect, no coverage branch) is
  // dropped from the state as soon as it is sent or its receiver moves on,
  // instead of staying a choice. Sound when an ignored message stays
  // ignored, which `check_reductions` verifies (docs/exploration.md).
  bool reduce_ignored = true;
  // Checks the reductions' premises in every state as an extra check
  // ("reduction-premise"), on the unreduced space: run it with
  // reduce_ignored off on a configuration that completes.
  bool check_reductions = false;
  // Replicas that may start recoveries (empty: all).
  std::vector<int> recoverers;
  // Record the decisions of every terminal state (a state with no enabled
  // step) in ExploreResult::terminal_outcomes.
  bool collect_outcomes = false;
  Search search = Search::kDfs;
  bool shortest = true;  // DFS: look for a shorter violation once found
  // Coverage branches to reach (`--reach`): the search records the first
  // (with BFS: a shortest) schedule whose last step runs each of them, and
  // stops once every one is reached. Empty: an ordinary exploration.
  std::vector<std::string> reach;
  double time_limit = 0;  // seconds; 0: none
  // 0: none. A safety valve for memory: the distinct states held at once
  // (guided search: per deepening round).
  uint64_t max_states = 0;

  // Whether a timer with this tag is the protocol's recovery timer (those
  // are never choices). Set by RecoveryTimerClassifier() for built-in
  // protocols; null means "none is".
  std::function<bool(uint64_t tag)> is_recovery_timer;

  // Command i (0-based) of the configuration; submitted at replica i % n.
  protocol::Command CommandAt(int i) const;
  bool Recovers(int replica) const;
  std::string Describe() const;  // "n=3 commands=2 conflicts=all ..."
};

std::string_view ConflictsName(ExploreConfig::Conflicts c);
std::string_view SubmitName(ExploreConfig::Submit s);
std::string_view SearchName(ExploreConfig::Search s);

// The recovery-timer test for a registered protocol name ("epaxos",
// "epaxos-star"); null for protocols whose timers are all ordinary.
std::function<bool(uint64_t)> RecoveryTimerClassifier(
    const protocol::ProtocolSpec& spec);

// One step of a schedule, identified so that it replays exactly.
struct ExploreStep {
  enum class Kind { kSubmit, kDeliver, kDrop, kCrash, kRecover, kTimer };
  Kind kind = Kind::kDeliver;
  int replica = -1;  // the replica that acts (deliver/drop: the receiver)
  int from = -1;     // deliver/drop: the sender
  uint64_t fingerprint = 0;  // deliver/drop: Message::Fingerprint()
  std::string type;          // deliver/drop: message type (for readers)
  std::optional<protocol::CommandId> command;  // recover; message's command
  uint64_t tag = 0;                            // timer
  int ordinal = 0;      // timer: index among the replica's timers with `tag`
  int submission = -1;  // submit: command index
  std::string text;     // one line for people

  nlohmann::json ToJson() const;
  static absl::StatusOr<ExploreStep> FromJson(const nlohmann::json& json,
                                              const std::string& where);
};
std::string_view StepKindName(ExploreStep::Kind kind);

struct ExploreViolation {
  std::string check;   // "agreement", "visibility", "assertion", ...
  std::string detail;  // what broke
  std::vector<ExploreStep> schedule;
};

// A schedule whose last step runs a coverage branch (`--reach`).
struct ExploreReached {
  std::string branch;
  std::vector<ExploreStep> schedule;
};

struct ExploreResult {
  uint64_t states = 0;       // distinct states visited (all phases)
  uint64_t transitions = 0;  // steps executed (all phases)
  int max_depth = 0;         // deepest state reached
  double seconds = 0;
  // Every reachable state within the bounds was visited.
  bool complete = false;
  bool time_limited = false;   // stopped by time_limit or max_states
  bool state_limited = false;  // ... and by max_states
  std::optional<ExploreViolation> violation;
  // BFS, or DFS whose shortening search finished: no violation is shorter.
  bool shortest_proven = false;
  // Per coverage branch of the protocol (every one listed, 0 included):
  // the transitions executed that ran it.
  absl::btree_map<std::string, int64_t> coverage;
  // --reach: the branches reached, in the order they were first reached.
  // A branch of config.reach missing here is unreachable within the bounds
  // when `complete`, else not found before the limit.
  std::vector<ExploreReached> reached;
  // With collect_outcomes: per terminal state reached, what it decided
  // (per command: its id, Nop or the payload, and its deps).
  absl::btree_set<std::string> terminal_outcomes;

  double StatesPerSecond() const {
    return seconds > 0 ? static_cast<double>(states) / seconds : 0;
  }
};

// Progress callback: (states, transitions, depth, seconds).
using ExploreProgress = std::function<void(uint64_t, uint64_t, int, double)>;

absl::StatusOr<ExploreResult> Explore(const ExploreConfig& config,
                                      const protocol::Protocol& protocol,
                                      const ExploreProgress& progress = {});

// Re-executes `schedule` from the initial state of `config`. Returns the
// first violation it reaches (with the steps taken up to it), or nullopt if
// none; a step that names no enabled choice is an InvalidArgument error
// naming the step. `trace` receives one line per step; `coverage`, when
// given, counts the branches the steps ran.
absl::StatusOr<std::optional<ExploreViolation>> ReplaySchedule(
    const ExploreConfig& config, const protocol::Protocol& protocol,
    const std::vector<ExploreStep>& schedule,
    const std::function<void(const std::string&)>& trace = {},
    absl::btree_map<std::string, int64_t>* coverage = nullptr);

// The schedule file: the configuration, the violation and its steps.
nlohmann::json ScheduleToJson(const ExploreConfig& config,
                              const ExploreViolation& violation);
// The same file for a --reach schedule: `reached` instead of `violation`.
nlohmann::json ReachedScheduleToJson(const ExploreConfig& config,
                                     const ExploreReached& reached);
struct ScheduleFile {
  ExploreConfig config;
  std::string check;  // the violation recorded in the file
  std::string detail;
  std::string reached;  // the branch a --reach schedule runs last
  std::vector<ExploreStep> steps;
};
// Strict: errors name `file`, the field and what was expected.
absl::StatusOr<ScheduleFile> ScheduleFromJson(const nlohmann::json& json,
                                              const std::string& file);

// A scenario (scenario-format JSON with a "script") whose `epsim run` takes
// the steps of `file` one by one, message by message, then releases
// everything held so liveness is judged too: the way to turn a --reach or
// violating schedule into a regression scenario. Fails (naming the step)
// where a script cannot say which message a step means: two in-flight
// messages with the same sender, receiver, type and command but other
// contents, or a timer other than the replica's oldest with its tag.
absl::StatusOr<nlohmann::json> ScheduleToScenario(
    const ScheduleFile& file, const protocol::Protocol& protocol,
    const std::string& name);

}  // namespace epsim::explore

#endif  // EPSIM_EXPLORE_EXPLORE_H_
