#include "checker/invariants.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/check.h"
#include "base/strings.h"
#include "protocol/common/hash.h"

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
template <typename Vector>
void Reach(Vector& v, size_t i, const typename Vector::value_type& fill) {
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

std::string Where::Event() const {
  if (!event.empty() || action.empty()) return event;
  return absl::StrCat(Av(action), " ", subject.ToString(), " at r", replica);
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
  InvariantViolation v{name, where, std::move(commands), std::move(replicas),
                       std::move(detail)};
  v.where.event = where.Event();
  v.where.action = {};
  violations_.push_back(std::move(v));
}

bool RunChecker::FirstCommit::Same(const protocol::CommitRecord& record) const {
  return record.seq == seq && record.command == command && record.deps == deps;
}

std::string RunChecker::FirstCommit::ToString(const CommandId& id) const {
  protocol::CommitRecord record;
  record.id = id;
  record.command = command;
  record.seq = seq;
  record.ballot = ballot;
  if (deps.size() <= kListedDeps) record.deps = deps;
  std::string out = record.ToString();
  if (deps.size() > kListedDeps) {
    // Too long to list: say which set it was.
    const std::string listed = "deps={}";
    const size_t at = out.find(listed);
    if (at != std::string::npos) {
      out.replace(
          at, listed.size(),
          absl::StrCat("deps={", deps.size(), " ids, digest ",
                       absl::Hex(deps.digest(), absl::kZeroPad16), "}"));
    }
  }
  return out;
}

void RunChecker::OnSubmitted(const protocol::Command& command) {
  submitted_[command.request] = command;
}

bool RunChecker::Submitted(const protocol::Command& command) const {
  const protocol::Command* found = submitted_.Find(command.request);
  return found != nullptr && *found == command;
}

void RunChecker::OnCommitted(NodeId replica,
                             const protocol::CommitRecord& record,
                             const Where& where) {
  FirstCommit& f = first_commit_[record.id];
  if (f.replica >= 0) {  // not the first commit
    const FirstCommit& earlier = f;
    if (!earlier.Same(record)) {
      Violate(kAgreement, where, {record.id}, {earlier.replica, replica},
              absl::StrCat("replica ", earlier.replica, " committed ",
                           earlier.ToString(record.id), " but replica ",
                           replica, " committed ", record.ToString()));
    }
    return;
  }
  f.replica = replica;
  f.command = record.command;
  f.seq = record.seq;
  f.ballot = record.ballot;
  f.deps = record.deps;
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
  Executions& executions = executions_[record.id];
  Reach(executions.position, replica, int32_t{-1});
  if (executions.position[replica] >= 0) {
    const int64_t times = 1 + ++repeated_[{replica, record.id}];
    Violate(
        kExactlyOnce, where, {record.id}, {replica},
        absl::StrCat("replica ", replica, " executed ", record.id.ToString(),
                     " ", record.command.ToString(), " ", times, " times"));
    return;  // its first execution is the one ordered
  }
  if (record.command.nop || !Submitted(record.command)) {
    Violate(kExactlyOnce, where, {record.id}, {replica},
            absl::StrCat("executed ", record.command.ToString(),
                         ", which no client submitted"));
  }
  if (!record.duplicate) {
    Reach(took_effect_, replica, {});
    std::optional<CommandId>& took =
        took_effect_[replica][record.command.request];
    if (!took.has_value()) {
      took = record.id;
    } else {
      Violate(kExactlyOnce, where, {*took, record.id}, {replica},
              absl::StrCat("request c", record.command.request.client, "#",
                           record.command.request.number,
                           " took effect twice at replica ", replica, ": as ",
                           took->ToString(), " and as ", record.id.ToString()));
    }
  }
  CheckExecutionOrder(replica, record, where, executions);
}

bool RunChecker::Executed(NodeId replica, const CommandId& id) const {
  const Executions* executions = executions_.Find(id);
  if (executions == nullptr || replica < 0) return false;
  const auto& position = executions->position;
  return static_cast<size_t>(replica) < position.size() &&
         position[replica] >= 0;
}

std::vector<CommandId> RunChecker::ExecutedBy(NodeId replica) const {
  std::vector<CommandId> out;
  executions_.ForEach([&](const CommandId& id, const Executions&) {
    if (Executed(replica, id)) out.push_back(id);
  });
  // IdMap visits ids by origin, then counter (then its sorted spill-over):
  // sorted runs, which merging puts in id order for less than a sort.
  std::vector<size_t> runs = {0};
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i] < out[i - 1]) runs.push_back(i);
  }
  runs.push_back(out.size());
  while (runs.size() > 2) {  // more than one run: merge them in pairs
    std::vector<size_t> merged = {0};
    size_t r = 0;
    for (; r + 2 < runs.size(); r += 2) {
      std::inplace_merge(out.begin() + runs[r], out.begin() + runs[r + 1],
                         out.begin() + runs[r + 2]);
      merged.push_back(runs[r + 2]);
    }
    if (r + 1 < runs.size()) merged.push_back(runs.back());  // an odd one
    runs = std::move(merged);
  }
  return out;
}

// Replica r executes c now, after everything in its log for c's key. A
// violation is a pair (c, d) of conflicting commands with d before c at r and
// c before d at some r'. For each r' that executed c (at position p'),
// common[r][r'] is the largest r'-position of anything both executed, so
// "some d after p' at r' that r executed" is one comparison. The symmetric
// case (r' is the one executing last) is the same test with the roles
// swapped, made when r' executes. Each execution costs O(replicas) and one
// look-up of the key; only a violation's witness search walks the log.
void RunChecker::CheckExecutionOrder(NodeId replica,
                                     const protocol::ExecutionRecord& record,
                                     const Where& where,
                                     Executions& executions) {
  const protocol::Command& c = record.command;
  const bool write = c.IsWrite();
  KeyLog& log = key_logs_[c.key];
  // Sized for every replica seen so far: a key's table is laid out once.
  replicas_seen_ = std::max({replicas_seen_, static_cast<size_t>(replica) + 1,
                             executions.position.size()});
  log.Fit(replicas_seen_);
  const int32_t my_position = log.length[replica]++;
  for (NodeId other = 0;
       other < static_cast<NodeId>(executions.position.size()); ++other) {
    const int32_t their_position = executions.position[other];
    if (other == replica || their_position < 0) continue;
    KeyLog::Common& mine = log.CommonOf(replica, other);
    const int32_t latest = write ? mine.any : mine.write;
    if (latest > their_position) {
      // Find the witness: after c at `other`, conflicting, executed here.
      for (const KeyLog::Entry& d : log.entries) {
        if (d.replica != other || d.position <= their_position) continue;
        if (!(write || d.write)) continue;
        const Executions& de = *executions_.Find(d.id);  // d was executed
        if (static_cast<size_t>(replica) < de.position.size() &&
            de.position[replica] >= 0) {
          Violate(
              kExecutionOrder, where, {d.id, record.id}, {replica, other},
              absl::StrCat("replica ", replica, " executed ", d.id.ToString(),
                           " before ", record.id.ToString(), " ", c.ToString(),
                           " but replica ", other,
                           " executed them in the opposite order (key ",
                           c.key.str(), ")"));
          break;
        }
      }
    }
    // c is now executed by both.
    KeyLog::Common& theirs = log.CommonOf(other, replica);
    mine.any = std::max(mine.any, their_position);
    theirs.any = std::max(theirs.any, my_position);
    if (write) {
      mine.write = std::max(mine.write, their_position);
      theirs.write = std::max(theirs.write, my_position);
    }
  }
  executions.position[replica] = my_position;
  log.entries.push_back({record.id, replica, my_position, write});
}

void RunChecker::KeyLog::Fit(size_t n) {
  if (n <= replicas) return;
  if (entries.empty()) entries.reserve(n);  // one execution per replica
  std::vector<Common> wider(n * n);
  for (size_t r = 0; r < replicas; ++r) {
    std::copy_n(common.begin() + r * replicas, replicas, wider.begin() + r * n);
  }
  common = std::move(wider);
  replicas = n;
  length.resize(n, 0);
}

void RunChecker::Finish(const std::vector<ReplicaFinalState>& replicas,
                        const Where& where) {
  verdicts_.insert_or_assign(std::string(kConvergence), CheckVerdict::kOk);
  // Executed set -> the first replica with it.
  absl::btree_map<std::vector<CommandId>, const ReplicaFinalState*> groups;
  for (const ReplicaFinalState& state : replicas) {
    std::vector<CommandId> executed = state.executed;
    if (!std::is_sorted(executed.begin(), executed.end())) {
      std::sort(executed.begin(), executed.end());
    }
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
