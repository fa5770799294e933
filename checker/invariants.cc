#include "checker/invariants.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/check.h"
#include "base/strings.h"

namespace epsim::checker {
namespace {

using protocol::CommandId;
using protocol::NodeId;

std::string Ids(const std::vector<CommandId>& ids) {
  return absl::StrJoin(ids, ", ", [](std::string* out, const CommandId& id) {
    absl::StrAppend(out, id.ToString());
  });
}

// Grows `v` so that index `i` exists, filling with `fill`.
template <typename T>
void Reach(std::vector<T>& v, size_t i, const T& fill) {
  if (v.size() <= i) v.resize(i + 1, fill);
}

}  // namespace

std::string_view CheckVerdictName(CheckVerdict v) {
  switch (v) {
    case CheckVerdict::kOk:
      return "ok";
    case CheckVerdict::kViolation:
      return "violation";
    case CheckVerdict::kUndecided:
      return "undecided";
    case CheckVerdict::kNotRun:
      return "not-run";
  }
  return "?";
}

std::string InvariantViolation::ToString() const {
  std::string out = absl::StrCat(check, " violated at t=", where.time);
  if (where.replica >= 0) absl::StrAppend(&out, " replica ", where.replica);
  if (!where.event.empty()) absl::StrAppend(&out, " (", where.event, ")");
  absl::StrAppend(&out, ": ", detail);
  if (!commands.empty() || !replicas.empty()) {
    absl::StrAppend(&out, " [commands ", Ids(commands), "; replicas ",
                    absl::StrJoin(replicas, ", "), "]");
  }
  return out;
}

RunChecker::RunChecker(
    std::vector<std::unique_ptr<protocol::ProtocolCheck>> protocol_checks)
    : protocol_checks_(std::move(protocol_checks)) {
  for (std::string_view name : {kAgreement, kExecutionOrder, kExactlyOnce}) {
    verdicts_[std::string(name)] = CheckVerdict::kOk;
  }
  verdicts_[std::string(kConvergence)] = CheckVerdict::kNotRun;
  verdicts_[std::string(kLinearizability)] = CheckVerdict::kNotRun;
  for (const auto& check : protocol_checks_) {
    verdicts_[std::string(check->Name())] = CheckVerdict::kOk;
  }
}

bool RunChecker::ok() const {
  return std::none_of(verdicts_.begin(), verdicts_.end(), [](const auto& v) {
    return v.second == CheckVerdict::kViolation;
  });
}

void RunChecker::Violate(std::string_view check, const Where& where,
                         std::vector<CommandId> commands,
                         std::vector<NodeId> replicas, std::string detail) {
  const std::string name(check);
  verdicts_[name] = CheckVerdict::kViolation;
  if (++violation_counts_[name] > kMaxViolationsPerCheck) return;
  violations_.push_back({name, where, std::move(commands), std::move(replicas),
                         std::move(detail)});
}

void RunChecker::OnSubmitted(const protocol::Command& command) {
  submitted_.insert_or_assign(command.request, command);
}

bool RunChecker::Submitted(const protocol::Command& command) const {
  auto it = submitted_.find(command.request);
  return it != submitted_.end() && it->second == command;
}

void RunChecker::OnCommitted(NodeId replica,
                             const protocol::CommitRecord& record,
                             const Where& where) {
  auto [it, first] = first_commit_.try_emplace(record.id);
  if (!first) {
    const FirstCommit& earlier = it->second;
    if (!earlier.record.SameDecision(record)) {
      Violate(kAgreement, where, {record.id}, {earlier.replica, replica},
              absl::StrCat("replica ", earlier.replica, " committed ",
                           earlier.record.ToString(), " but replica ", replica,
                           " committed ", record.ToString()));
    }
    return;
  }
  it->second = {replica, record};
  if (!record.command.nop && !Submitted(record.command)) {
    Violate(kExactlyOnce, where, {record.id}, {replica},
            absl::StrCat("committed ", record.command.ToString(),
                         ", which no client submitted"));
  }
  for (const auto& check : protocol_checks_) {
    if (std::optional<std::string> problem = check->OnFirstCommit(record)) {
      Violate(check->Name(), where, {record.id}, {replica}, *problem);
    }
  }
}

void RunChecker::OnExecuted(NodeId replica,
                            const protocol::ExecutionRecord& record,
                            const Where& where) {
  EPSIM_CHECK(replica >= 0) << "replica ids are non-negative";
  absl::flat_hash_map<CommandId, int64_t>& executed = executed_[replica];
  if (auto [it, fresh] = executed.try_emplace(record.id, 1); !fresh) {
    ++it->second;
    Violate(kExactlyOnce, where, {record.id}, {replica},
            absl::StrCat("replica ", replica, " executed ",
                         record.id.ToString(), " ", record.command.ToString(),
                         " ", it->second, " times"));
    return;  // its first execution is the one ordered
  }
  if (record.command.nop || !Submitted(record.command)) {
    Violate(kExactlyOnce, where, {record.id}, {replica},
            absl::StrCat("executed ", record.command.ToString(),
                         ", which no client submitted"));
  }
  if (!record.duplicate) {
    auto [it, fresh] =
        took_effect_.try_emplace({replica, record.command.request}, record.id);
    if (!fresh) {
      Violate(kExactlyOnce, where, {it->second, record.id}, {replica},
              absl::StrCat("request c", record.command.request.client, "#",
                           record.command.request.number,
                           " took effect twice at replica ", replica, ": as ",
                           it->second.ToString(), " and as ",
                           record.id.ToString()));
    }
  }
  CheckExecutionOrder(replica, record, where);
}

// Replica r executes c now, after everything in its log for c's key. A
// violation is a pair (c, d) of conflicting commands with d before c at r and
// c before d at some r'. For each r' that executed c (at position p'),
// max_common[r][r'] is the largest r'-position of anything both executed, so
// "some d after p' at r' that r executed" is one comparison. The symmetric
// case (r' is the one executing last) is the same test with the roles
// swapped, made when r' executes. Each execution costs O(replicas).
void RunChecker::CheckExecutionOrder(NodeId replica,
                                     const protocol::ExecutionRecord& record,
                                     const Where& where) {
  const protocol::Command& c = record.command;
  const bool write = c.IsWrite();
  std::vector<KeyLog>& logs = key_logs_[c.key];
  Reach(logs, replica, KeyLog{});
  KeyLog& mine = logs[replica];
  const int64_t my_position = static_cast<int64_t>(mine.sequence.size());
  for (NodeId other = 0; other < static_cast<NodeId>(logs.size()); ++other) {
    if (other == replica) continue;
    KeyLog& theirs = logs[other];
    auto found = theirs.position.find(record.id);
    if (found == theirs.position.end()) continue;
    const int64_t their_position = found->second;
    Reach(mine.max_common, other, int64_t{-1});
    Reach(mine.max_common_write, other, int64_t{-1});
    const int64_t latest =
        write ? mine.max_common[other] : mine.max_common_write[other];
    if (latest > their_position) {
      // Find the witness: after c at `other`, conflicting, executed here.
      for (int64_t p = their_position + 1;
           p < static_cast<int64_t>(theirs.sequence.size()); ++p) {
        const KeyLog::Entry& d = theirs.sequence[p];
        if ((write || d.write) && mine.position.contains(d.id)) {
          Violate(
              kExecutionOrder, where, {d.id, record.id}, {replica, other},
              absl::StrCat("replica ", replica, " executed ", d.id.ToString(),
                           " before ", record.id.ToString(), " ", c.ToString(),
                           " but replica ", other,
                           " executed them in the opposite order (key ", c.key,
                           ")"));
          break;
        }
      }
    }
    // c is now executed by both.
    Reach(theirs.max_common, replica, int64_t{-1});
    Reach(theirs.max_common_write, replica, int64_t{-1});
    mine.max_common[other] = std::max(mine.max_common[other], their_position);
    theirs.max_common[replica] =
        std::max(theirs.max_common[replica], my_position);
    if (write) {
      mine.max_common_write[other] =
          std::max(mine.max_common_write[other], their_position);
      theirs.max_common_write[replica] =
          std::max(theirs.max_common_write[replica], my_position);
    }
  }
  mine.position.emplace(record.id, my_position);
  mine.sequence.push_back({record.id, write});
}

void RunChecker::Finish(const std::vector<ReplicaFinalState>& replicas,
                        const Where& where) {
  verdicts_.insert_or_assign(std::string(kConvergence), CheckVerdict::kOk);
  // Executed set -> the first replica with it.
  absl::btree_map<std::vector<CommandId>, const ReplicaFinalState*> groups;
  for (const ReplicaFinalState& state : replicas) {
    std::vector<CommandId> executed = state.executed;
    std::sort(executed.begin(), executed.end());
    auto [it, fresh] = groups.try_emplace(std::move(executed), &state);
    if (fresh || it->second->digest == state.digest) continue;
    Violate(kConvergence, where, {}, {it->second->replica, state.replica},
            absl::StrCat("replicas ", it->second->replica, " and ",
                         state.replica, " executed the same ", it->first.size(),
                         " commands but their key-value states differ "
                         "(digests ",
                         it->second->digest, " and ", state.digest, ")"));
  }
}

void RunChecker::SetLinearizability(const History& history,
                                    const LinearizabilityResult& result) {
  const std::string name(kLinearizability);
  switch (result.verdict) {
    case Verdict::kLinearizable:
      verdicts_[name] = CheckVerdict::kOk;
      return;
    case Verdict::kTimeout:
      verdicts_[name] = CheckVerdict::kUndecided;
      return;
    case Verdict::kSkipped:  // only ever a key's verdict
      return;
    case Verdict::kViolation:
      break;
  }
  for (const KeyResult& key : result.results) {
    if (key.verdict != Verdict::kViolation) continue;
    Where where;
    if (!key.conflict.empty()) {
      // The latest call among the operations that cannot be ordered: by
      // then the history could no longer be linearized.
      for (size_t i : key.conflict) {
        where.time = std::max(where.time, history.operations[i].call);
      }
    }
    where.event = absl::StrCat("history of key \"", key.key, "\"");
    Violate(kLinearizability, where, {}, {}, DescribeKeyResult(history, key));
  }
  verdicts_[name] = CheckVerdict::kViolation;
}

void RunChecker::Report(std::string_view check,
                        std::optional<InvariantViolation> violation) {
  const std::string name(check);
  if (!violation.has_value()) {
    auto [it, fresh] = verdicts_.try_emplace(name, CheckVerdict::kOk);
    if (it->second == CheckVerdict::kNotRun) it->second = CheckVerdict::kOk;
    return;
  }
  Violate(check, violation->where, std::move(violation->commands),
          std::move(violation->replicas), std::move(violation->detail));
}

}  // namespace epsim::checker
