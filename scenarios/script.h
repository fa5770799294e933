// Message-level scripts: the bug corpus's schedules (docs/bug-corpus.md §0.3).
//
// A scenario with a "script" runs under the world's choice scheduler: every
// protocol message and timer waits until a step says what happens to it, and
// whatever no step mentions is held to the end. Steps submit client commands,
// deliver or lose messages chosen by filters, crash replicas, start a
// replica's recovery of a command, fire timers, and finally may "run the
// rest" (release everything) so that liveness can be judged.
//
// One script drives several protocols. Filters name messages by *role*
// (phase-1, accept, commit, recovery and their replies), and every protocol
// has a role table for its own message types, so a filter written with
// EPaxos's "PreAccept"/"Prepare" also picks EPaxos*'s PreAccept/Recover with
// the same sender, receiver and command; EPaxos* messages no step matches are
// held. Commands are named by the script's own labels ("c1", or the label a
// submit step gives), bound to the protocol's CommandId when submitted.
//
//   "script": {"steps": [
//     {"submit": {"replica": 2, "op": "put", "key": "x", "value": "1",
//                 "as": "c1"}},
//     {"deliver": {"role": "phase-1", "from": 2, "to": 0, "command": "c1"}},
//     {"crash": {"replica": 2}},
//     {"recover": {"replica": 0, "command": "c1", "ballot": 1}},
//     {"run": {"mode": "quiescent"}}]}
//
// Every error names the file, the step's path and what was expected: a
// malformed step when the scenario loads, a step that matches nothing when
// the script runs (unless the step is "optional").
#ifndef EPSIM_SCENARIOS_SCRIPT_H_
#define EPSIM_SCENARIOS_SCRIPT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "protocol/common/command.h"
#include "protocol/common/message.h"
#include "protocol/common/protocol.h"
#include "protocol/common/types.h"
#include "sim/payload.h"
#include "sim/time.h"
#include "sim/world.h"

namespace epsim::scenarios {

// What a message does in the protocol, independent of its type name
// (docs/bug-corpus.md §0.3: "role = phase-1 / accept / commit / recovery").
enum class MessageRole : uint8_t {
  kPhase1,         // EPaxos PreAccept; EPaxos* PreAccept
  kPhase1Reply,    // PreAcceptReply; PreAcceptOK
  kAccept,         // Accept
  kAcceptReply,    // AcceptReply; AcceptOK
  kCommit,         // Commit, CommitShort
  kRecovery,       // Prepare, TryPreAccept; Recover, Validate, Waiting
  kRecoveryReply,  // PrepareReply, TryPreAcceptReply; RecoverOK, ValidateOK
};
std::string_view MessageRoleName(MessageRole role);
std::optional<MessageRole> ParseMessageRole(std::string_view name);
// The role of message type `type` in protocol `protocol` (a spec name such as
// "epaxos"), or nullopt when the protocol's role table does not list it.
std::optional<MessageRole> RoleOf(std::string_view protocol,
                                  std::string_view type);

// The ballot <round, owner> in protocol `protocol`'s encoding (round 0 is the
// initial coordinator's ballot 0). Nullopt for a protocol without a known
// encoding.
std::optional<protocol::Ballot> EncodeBallot(std::string_view protocol,
                                             int64_t round,
                                             protocol::NodeId owner, int n);

// Which messages a step means. Empty lists match anything.
struct MessageFilter {
  std::vector<std::string> types;  // exact type, or any of the same role
  std::vector<MessageRole> roles;
  std::vector<int> from;
  std::vector<int> to;
  std::vector<std::string> commands;  // script labels
  // <round, owner>; round 0 means ballot 0.
  std::optional<std::pair<int64_t, int>> ballot;

  std::string ToString() const;
};

// Protocol specs a step applies to ("epaxos", "epaxos:ballots=split"): a
// run matches an entry when the names are equal and every option the entry
// gives has the same value in the run's spec.
struct ProtocolSelector {
  std::vector<protocol::ProtocolSpec> specs;
  bool all = false;
  bool Matches(const protocol::ProtocolSpec& run) const;
};

struct ScriptStep {
  enum class Kind {
    kSubmit,      // a client command at a replica
    kDeliver,     // the oldest matching message, for each filter in order
    kDeliverAll,  // every matching message (those pending when it starts)
    kLose,        // every matching message, for good
    kCrash,       // crash-stop; unsent (held) messages of the replica lost
    kRecover,     // Replica::StartRecovery at a replica
    kFireTimer,   // the oldest pending timer of a replica (or with a tag)
    kRun,         // release everything (liveness phase)
  };
  enum class RunMode { kQuiescent, kTimed };

  Kind kind = Kind::kSubmit;
  std::string path;  // "script.steps[3]", for messages
  std::string note;
  ProtocolSelector only;      // empty: every protocol
  ProtocolSelector optional;  // matching nothing is fine for these

  int replica = -1;
  // kSubmit.
  protocol::Command command;
  std::string label;
  // kDeliver (one or more, in order), kDeliverAll, kLose.
  std::vector<MessageFilter> filters;
  // kCrash: keep messages it already sent but the script still holds.
  bool keep_sent = false;
  // kRecover.
  std::string target;  // label of the command to recover
  std::optional<int64_t> ballot_round;
  // kFireTimer.
  std::optional<uint64_t> tag;
  // kRun.
  RunMode mode = RunMode::kQuiescent;
  sim::Duration run_for = 60 * sim::kSecond;  // kTimed: simulated time
  int64_t max_steps = 100000;                 // kQuiescent: deliveries+fires

  std::string Describe() const;
};

struct Script {
  std::vector<ScriptStep> steps;
  // Whether liveness can be judged: the last step runs the rest.
  bool EndsWithRun() const;

  // Strict reading of the scenario's "script" value; `replicas` bounds the
  // replica indexes. Errors name `file`, the path and what was expected.
  static absl::StatusOr<Script> FromJson(const nlohmann::json& json,
                                         const std::string& file, int replicas);
};

// A corpus entry's expectations: what each protocol variant must give.
struct Expectation {
  std::string bug_class;  // "safety: agreement", "liveness: ..."
  std::string layer;      // "SPEC, PROTO", "GO", ...
  std::string note;
  // Protocol spec as written -> "ok" or the name of the check that must fail.
  std::vector<std::pair<std::string, std::string>> verdicts;

  static absl::StatusOr<Expectation> FromJson(const nlohmann::json& json,
                                              const std::string& file);
};

// What the script driver needs from the run it drives (implemented by
// scenarios/simulation.cc).
class ScriptHost {
 public:
  virtual ~ScriptHost() = default;
  virtual sim::World& world() = 0;
  // The protocol message inside a payload, or null for the harness's own
  // traffic (client requests and replies), which is never held.
  virtual const protocol::Message* MessageOf(const sim::Payload& payload) = 0;
  // Submits `command` as a client request at `replica`; returns the id the
  // protocol gave it.
  virtual absl::StatusOr<protocol::CommandId> Submit(
      int replica, const protocol::Command& command) = 0;
  virtual void Crash(int replica) = 0;
  virtual absl::Status StartRecovery(int replica, protocol::CommandId id,
                                     std::optional<protocol::Ballot> b) = 0;
  // Every submitted command executed at every live replica.
  virtual bool AllDone() = 0;
  virtual void Verbose(const std::string& line) = 0;
};

// Runs `script` against a world under the choice scheduler. `spec` is the
// protocol being run (role table, ballot encoding, step selectors). A step
// that cannot be carried out is an InvalidArgument error naming `file` and
// the step.
absl::Status RunScript(const Script& script, const std::string& file,
                       const protocol::ProtocolSpec& spec, int replicas,
                       ScriptHost& host);

}  // namespace epsim::scenarios

#endif  // EPSIM_SCENARIOS_SCRIPT_H_
