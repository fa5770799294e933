#include "scenarios/script.h"

#include <algorithm>
#include <limits>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/strings.h"
#include "scenarios/json_reader.h"
#include "sim/scheduler.h"

namespace epsim::scenarios {
namespace {

using protocol::Ballot;
using protocol::CommandId;
using protocol::ProtocolSpec;

struct RoleEntry {
  const char* type;
  MessageRole role;
};

// The role tables (docs/bug-corpus.md §0.3). EPaxos:
// protocol/epaxos/messages.h; EPaxos*: docs/protocols.md I.5.
constexpr RoleEntry kEpaxosRoles[] = {
    {"PreAccept", MessageRole::kPhase1},
    {"PreAcceptReply", MessageRole::kPhase1Reply},
    {"Accept", MessageRole::kAccept},
    {"AcceptReply", MessageRole::kAcceptReply},
    {"Commit", MessageRole::kCommit},
    {"CommitShort", MessageRole::kCommit},
    {"Prepare", MessageRole::kRecovery},
    {"TryPreAccept", MessageRole::kRecovery},
    {"PrepareReply", MessageRole::kRecoveryReply},
    {"TryPreAcceptReply", MessageRole::kRecoveryReply},
};
constexpr RoleEntry kEpaxosStarRoles[] = {
    {"PreAccept", MessageRole::kPhase1},
    {"PreAcceptOK", MessageRole::kPhase1Reply},
    {"Accept", MessageRole::kAccept},
    {"AcceptOK", MessageRole::kAcceptReply},
    {"Commit", MessageRole::kCommit},
    {"Recover", MessageRole::kRecovery},
    {"Validate", MessageRole::kRecovery},
    {"Waiting", MessageRole::kRecovery},
    {"RecoverOK", MessageRole::kRecoveryReply},
    {"ValidateOK", MessageRole::kRecoveryReply},
    {"BallotHint", MessageRole::kRecoveryReply},  // "my ballot is higher"
};

struct RoleName {
  MessageRole role;
  const char* name;
};
constexpr RoleName kRoleNames[] = {
    {MessageRole::kPhase1, "phase-1"},
    {MessageRole::kPhase1Reply, "phase-1-reply"},
    {MessageRole::kAccept, "accept"},
    {MessageRole::kAcceptReply, "accept-reply"},
    {MessageRole::kCommit, "commit"},
    {MessageRole::kRecovery, "recovery"},
    {MessageRole::kRecoveryReply, "recovery-reply"},
};

template <size_t N>
std::optional<MessageRole> Lookup(const RoleEntry (&table)[N],
                                  std::string_view type) {
  for (const RoleEntry& e : table) {
    if (type == e.type) return e.role;
  }
  return std::nullopt;
}

// The role any protocol's table gives `type` (tables agree where they
// share a name).
std::optional<MessageRole> AnyRole(std::string_view type) {
  if (auto r = Lookup(kEpaxosRoles, type)) return r;
  return Lookup(kEpaxosStarRoles, type);
}

std::string AllRoleNames() {
  std::vector<std::string> names;
  for (const RoleName& r : kRoleNames) names.push_back(r.name);
  return absl::StrJoin(names, ", ");
}

// --- Reading -----------------------------------------------------------------

// A string or an array of strings.
std::vector<std::string> StringList(const nlohmann::json& v,
                                    const std::string& file,
                                    const std::string& path) {
  std::vector<std::string> out;
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
  } else if (v.is_array() && !v.empty()) {
    for (const nlohmann::json& e : v) {
      if (!e.is_string()) {
        FailAt(file, path, "a string or a non-empty array of strings", v);
      }
      out.push_back(e.get<std::string>());
    }
  } else {
    FailAt(file, path, "a string or a non-empty array of strings", v);
  }
  return out;
}

// A replica index or an array of them.
std::vector<int> ReplicaList(const nlohmann::json& v, const std::string& file,
                             const std::string& path, int n) {
  const std::string expected = absl::StrCat("a replica index in [0, ", n - 1,
                                            "] or a non-empty array of them");
  std::vector<int> out;
  auto one = [&](const nlohmann::json& e) {
    if (!e.is_number_integer() || e.get<int64_t>() < 0 ||
        e.get<int64_t>() >= n) {
      FailAt(file, path, expected, v);
    }
    out.push_back(e.get<int>());
  };
  if (v.is_array()) {
    if (v.empty()) FailAt(file, path, expected, v);
    for (const nlohmann::json& e : v) one(e);
  } else {
    one(v);
  }
  return out;
}

class Reader {
 public:
  Reader(std::string file, int n) : file_(std::move(file)), n_(n) {}

  Script Read(const nlohmann::json& json) {
    ObjectReader r(json, file_, "script");
    Script script;
    for (const auto& [path, step] : r.Array("steps")) {
      script.steps.push_back(ReadStep(*step, path));
    }
    if (script.steps.empty()) r.Fail("steps", "at least one step");
    r.Done();
    return script;
  }

 private:
  ScriptStep ReadStep(const nlohmann::json& json, const std::string& path) {
    ObjectReader r(json, file_, path);
    ScriptStep step;
    step.path = path;
    step.note = r.String("note", "");
    if (r.Has("only")) step.only = ReadSelector(r, "only");
    if (r.Has("optional")) step.optional = ReadSelector(r, "optional");
    struct Action {
      const char* key;
      ScriptStep::Kind kind;
    };
    static constexpr Action kActions[] = {
        {"submit", ScriptStep::Kind::kSubmit},
        {"deliver", ScriptStep::Kind::kDeliver},
        {"deliver_all", ScriptStep::Kind::kDeliverAll},
        {"lose", ScriptStep::Kind::kLose},
        {"crash", ScriptStep::Kind::kCrash},
        {"recover", ScriptStep::Kind::kRecover},
        {"fire_timer", ScriptStep::Kind::kFireTimer},
        {"run", ScriptStep::Kind::kRun},
    };
    std::vector<const Action*> given;
    for (const Action& a : kActions) {
      if (r.Has(a.key)) given.push_back(&a);
    }
    if (given.size() != 1) {
      FailAt(file_, path,
             "an object with exactly one of submit, deliver, deliver_all, "
             "lose, crash, recover, fire_timer, run (plus note, only, "
             "optional)",
             json);
    }
    step.kind = given[0]->kind;
    const std::string key = given[0]->key;
    switch (step.kind) {
      case ScriptStep::Kind::kSubmit:
        ReadSubmit(r.Object(key), step);
        break;
      case ScriptStep::Kind::kDeliver: {
        const nlohmann::json& v = r.Raw(key);
        if (v.is_array()) {
          if (v.empty()) r.Fail(key, "a filter object or an array of them");
          for (const auto& [fpath, f] : r.Array(key)) {
            step.filters.push_back(ReadFilter(ObjectReader(*f, file_, fpath)));
          }
        } else {
          step.filters.push_back(ReadFilter(r.Object(key)));
        }
        break;
      }
      case ScriptStep::Kind::kDeliverAll:
      case ScriptStep::Kind::kLose:
        step.filters.push_back(ReadFilter(r.Object(key)));
        break;
      case ScriptStep::Kind::kCrash: {
        ObjectReader c = r.Object(key);
        step.replica = static_cast<int>(c.Int("replica", 0, n_ - 1));
        step.keep_sent = c.Bool("keep_sent", false);
        c.Done();
        break;
      }
      case ScriptStep::Kind::kRecover: {
        ObjectReader c = r.Object(key);
        step.replica = static_cast<int>(c.Int("replica", 0, n_ - 1));
        step.target = c.String("command");
        CheckLabel(c, "command", step.target);
        if (c.Has("ballot")) step.ballot_round = c.Int("ballot", 1, 1 << 20);
        c.Done();
        break;
      }
      case ScriptStep::Kind::kFireTimer: {
        ObjectReader c = r.Object(key);
        step.replica = static_cast<int>(c.Int("replica", 0, n_ - 1));
        if (c.Has("tag")) {
          step.tag = static_cast<uint64_t>(
              c.Int("tag", 0, std::numeric_limits<int64_t>::max()));
        }
        c.Done();
        break;
      }
      case ScriptStep::Kind::kRun: {
        ObjectReader c = r.Object(key);
        const std::string mode = c.String("mode", "quiescent");
        if (mode == "quiescent") {
          step.mode = ScriptStep::RunMode::kQuiescent;
        } else if (mode == "timed") {
          step.mode = ScriptStep::RunMode::kTimed;
        } else {
          c.Fail("mode", "\"quiescent\" or \"timed\"");
        }
        step.run_for = static_cast<sim::Duration>(
            c.Number("for_ms", 1, 1e9, 60000) * 1000);
        step.max_steps = c.Int("max_steps", 1, 100000000, 100000);
        c.Done();
        break;
      }
    }
    r.Done();
    return step;
  }

  ProtocolSelector ReadSelector(ObjectReader& r, const std::string& key) {
    ProtocolSelector s;
    const nlohmann::json& v = r.Raw(key);
    if (v.is_boolean()) {
      s.all = v.get<bool>();
      return s;
    }
    for (const std::string& text : StringList(v, file_, r.Path(key))) {
      absl::StatusOr<ProtocolSpec> spec = ProtocolSpec::Parse(text);
      if (!spec.ok()) {
        r.Fail(key,
               absl::StrCat("protocol specs (", spec.status().message(), ")"));
      }
      s.specs.push_back(*std::move(spec));
    }
    return s;
  }

  void ReadSubmit(ObjectReader r, ScriptStep& step) {
    step.replica = static_cast<int>(r.Int("replica", 0, n_ - 1));
    protocol::Command& c = step.command;
    const std::string op = r.String("op");
    if (op == "put") {
      c.op = protocol::OpType::kPut;
    } else if (op == "get") {
      c.op = protocol::OpType::kGet;
    } else if (op == "append") {
      c.op = protocol::OpType::kAppend;
    } else if (op == "cas") {
      c.op = protocol::OpType::kCas;
    } else {
      r.Fail("op", "one of put, get, append, cas");
    }
    c.key = r.String("key");
    if (c.op != protocol::OpType::kGet) c.value = r.String("value");
    if (c.op == protocol::OpType::kCas && r.Has("expected")) {
      c.expected = r.String("expected");
    }
    ++submits_;
    step.label = r.String("as", absl::StrCat("c", submits_));
    if (labels_.contains(step.label)) {
      r.Fail("as", absl::StrCat("a label not used by an earlier submit (\"",
                                step.label, "\" is taken)"));
    }
    labels_.insert(step.label);
    r.Done();
  }

  void CheckLabel(ObjectReader& r, const std::string& key,
                  const std::string& label) {
    if (labels_.contains(label)) return;
    r.Fail(key,
           absl::StrCat("the label of a command submitted by an earlier step (",
                        labels_.empty() ? std::string("none yet")
                                        : absl::StrJoin(labels_, ", "),
                        ")"));
  }

  MessageFilter ReadFilter(ObjectReader r) {
    MessageFilter f;
    if (r.Has("type"))
      f.types = StringList(r.Raw("type"), file_, r.Path("type"));
    if (r.Has("role")) {
      for (const std::string& name :
           StringList(r.Raw("role"), file_, r.Path("role"))) {
        std::optional<MessageRole> role = ParseMessageRole(name);
        if (!role) r.Fail("role", absl::StrCat("roles among ", AllRoleNames()));
        f.roles.push_back(*role);
      }
    }
    if (r.Has("from"))
      f.from = ReplicaList(r.Raw("from"), file_, r.Path("from"), n_);
    if (r.Has("to")) f.to = ReplicaList(r.Raw("to"), file_, r.Path("to"), n_);
    if (r.Has("command")) {
      f.commands = StringList(r.Raw("command"), file_, r.Path("command"));
      for (const std::string& label : f.commands)
        CheckLabel(r, "command", label);
    }
    if (r.Has("ballot")) {
      const nlohmann::json& b = r.Raw("ballot");
      if (b.is_number_integer() && b.get<int64_t>() == 0) {
        f.ballot = std::make_pair(int64_t{0}, 0);
      } else if (b.is_array() && b.size() == 2 && b[0].is_number_integer() &&
                 b[0].get<int64_t>() >= 1 && b[1].is_number_integer() &&
                 b[1].get<int64_t>() >= 0 && b[1].get<int64_t>() < n_) {
        f.ballot = std::make_pair(b[0].get<int64_t>(), b[1].get<int>());
      } else {
        r.Fail("ballot",
               absl::StrCat("0 or [round >= 1, owner in [0, ", n_ - 1, "]]"));
      }
    }
    r.Done();
    return f;
  }

  std::string file_;
  int n_;
  int submits_ = 0;
  absl::btree_set<std::string> labels_;
};

// --- Running -----------------------------------------------------------------

struct Candidate {
  int index = 0;  // in the choice scheduler's Pending()
  int from = 0;
  int to = 0;
  std::string type;
  std::optional<MessageRole> role;
  std::optional<CommandId> command;
  std::optional<Ballot> ballot;
  std::string description;
};

class Driver {
 public:
  Driver(const std::string& file, const ProtocolSpec& spec, int n,
         ScriptHost& host)
      : file_(file),
        spec_(spec),
        n_(n),
        host_(host),
        choice_(*host.world().choice()) {}

  absl::Status Run(const Script& script) {
    for (size_t i = 0; i < script.steps.size(); ++i) {
      const ScriptStep& step = script.steps[i];
      if (!step.only.specs.empty() && !step.only.Matches(spec_)) {
        host_.Verbose(absl::StrCat("step ", i + 1, " skipped (only for ",
                                   Selector(step.only),
                                   "): ", step.Describe()));
        continue;
      }
      // One simulated millisecond per step keeps the history's real-time
      // order equal to the script's order.
      host_.world().RunUntil(host_.world().Now() + sim::kMillisecond);
      host_.Verbose(absl::StrCat("step ", i + 1, ": ", step.Describe(),
                                 step.note.empty() ? "" : "  -- ", step.note));
      if (absl::Status s = Execute(step); !s.ok()) {
        if (absl::IsNotFound(s) && step.optional.Matches(spec_)) {
          host_.Verbose(
              absl::StrCat("  (optional, nothing done: ", s.message(), ")"));
          continue;
        }
        return absl::InvalidArgumentError(
            absl::StrCat(file_, ": ", step.path, " (", step.Describe(), ") on ",
                         spec_.ToString(), ": ", s.message()));
      }
      FlushPlumbing();
    }
    return absl::OkStatus();
  }

 private:
  static std::string Selector(const ProtocolSelector& s) {
    std::vector<std::string> names;
    for (const ProtocolSpec& spec : s.specs) names.push_back(spec.ToString());
    return absl::StrJoin(names, ", ");
  }

  absl::Status Execute(const ScriptStep& step) {
    switch (step.kind) {
      case ScriptStep::Kind::kSubmit: {
        absl::StatusOr<CommandId> id = host_.Submit(step.replica, step.command);
        if (!id.ok()) return id.status();
        labels_[step.label] = *id;
        host_.Verbose(absl::StrCat("  ", step.label, " = ", id->ToString()));
        return absl::OkStatus();
      }
      case ScriptStep::Kind::kDeliver:
        for (const MessageFilter& f : step.filters) {
          absl::StatusOr<std::vector<Candidate>> found = Matching(f);
          if (!found.ok()) return found.status();
          if (found->empty()) return NothingMatches(f);
          choice_.Deliver(found->front().index);
          FlushPlumbing();
        }
        return absl::OkStatus();
      case ScriptStep::Kind::kDeliverAll:
      case ScriptStep::Kind::kLose: {
        absl::StatusOr<std::vector<Candidate>> found =
            Matching(step.filters.front());
        if (!found.ok()) return found.status();
        if (found->empty()) return NothingMatches(step.filters.front());
        // By message id: indexes shift as deliveries send new messages.
        std::vector<uint64_t> ids;
        for (const Candidate& c : *found) ids.push_back(MessageIdAt(c.index));
        for (uint64_t id : ids) {
          const int index = IndexOfMessage(id);
          if (index < 0) continue;  // its receiver crashed meanwhile
          if (step.kind == ScriptStep::Kind::kLose) {
            host_.Verbose(
                absl::StrCat("  lost: ", Describe(choice_.Pending()[index])));
            choice_.Drop(index);
          } else {
            choice_.Deliver(index);
            FlushPlumbing();
          }
        }
        return absl::OkStatus();
      }
      case ScriptStep::Kind::kCrash: {
        host_.Crash(step.replica);
        if (!step.keep_sent) {
          // What it sent but the script still held never leaves it.
          for (int i = choice_.PendingCount() - 1; i >= 0; --i) {
            const sim::PendingChoice c = choice_.Pending()[i];
            if (c.kind == sim::PendingChoice::Kind::kMessage &&
                c.from == step.replica) {
              choice_.Drop(i);
            }
          }
        }
        return absl::OkStatus();
      }
      case ScriptStep::Kind::kRecover: {
        std::optional<Ballot> ballot;
        if (step.ballot_round) {
          ballot =
              EncodeBallot(spec_.name, *step.ballot_round, step.replica, n_);
          if (!ballot) {
            return absl::InvalidArgumentError(absl::StrCat(
                "no ballot encoding known for protocol ", spec_.name));
          }
        }
        auto target = labels_.find(step.target);
        if (target == labels_.end()) {
          return absl::NotFoundError(absl::StrCat(
              "command ", step.target, " was not submitted in this run"));
        }
        return host_.StartRecovery(step.replica, target->second, ballot);
      }
      case ScriptStep::Kind::kFireTimer: {
        const std::vector<sim::PendingChoice> pending = choice_.Pending();
        for (const sim::PendingChoice& c : pending) {
          if (c.kind == sim::PendingChoice::Kind::kTimer &&
              c.to == step.replica && (!step.tag || c.tag == *step.tag)) {
            choice_.Fire(c.index);
            return absl::OkStatus();
          }
        }
        return absl::NotFoundError(absl::StrCat(
            "no pending timer at r", step.replica,
            step.tag ? absl::StrCat(" with tag ", *step.tag) : ""));
      }
      case ScriptStep::Kind::kRun:
        return step.mode == ScriptStep::RunMode::kQuiescent
                   ? RunQuiescent(step.max_steps)
                   : RunTimed(step.run_for);
    }
    return absl::OkStatus();
  }

  // Messages first, oldest first; a timer (earliest due) only when no
  // message is in flight. Stops when nothing is pending, or when only timers
  // are left and every submitted command executed everywhere.
  absl::Status RunQuiescent(int64_t max_steps) {
    for (int64_t k = 0; k < max_steps; ++k) {
      FlushPlumbing();
      const std::vector<sim::PendingChoice> pending = choice_.Pending();
      const sim::PendingChoice* next = nullptr;
      for (const sim::PendingChoice& c : pending) {
        if (c.kind == sim::PendingChoice::Kind::kMessage) {
          next = &c;
          break;
        }
        if (next == nullptr || c.since < next->since) next = &c;
      }
      if (next == nullptr) break;
      if (next->kind == sim::PendingChoice::Kind::kTimer) {
        if (host_.AllDone()) break;
        if (next->since > host_.world().Now()) {
          host_.world().RunUntil(next->since);
        }
      }
      choice_.Execute(next->index);
    }
    FlushPlumbing();
    return absl::OkStatus();
  }

  // As the timed scheduler would: each message arrives after its link's
  // base delay, each timer at its due time, in that order (ties in creation
  // order), for `duration` of simulated time or until nothing is left to do.
  absl::Status RunTimed(sim::Duration duration) {
    sim::World& world = host_.world();
    const sim::Time end = world.Now() + duration;
    while (true) {
      FlushPlumbing();
      const std::vector<sim::PendingChoice> pending = choice_.Pending();
      const sim::PendingChoice* next = nullptr;
      sim::Time next_due = 0;
      bool messages = false;
      for (const sim::PendingChoice& c : pending) {
        sim::Time due = c.since;
        if (c.kind == sim::PendingChoice::Kind::kMessage) {
          messages = true;
          due += world.BaseDelay(c.from, c.to);
        }
        if (next == nullptr || due < next_due) {
          next = &c;
          next_due = due;
        }
      }
      if (next == nullptr || next_due > end) break;
      if (!messages && host_.AllDone()) break;
      if (next_due > world.Now()) world.RunUntil(next_due);
      choice_.Execute(next->index);
    }
    FlushPlumbing();
    return absl::OkStatus();
  }

  // Client requests and replies are the harness's own traffic: never held.
  void FlushPlumbing() {
    bool again = true;
    while (again) {
      again = false;
      const std::vector<sim::PendingChoice> pending = choice_.Pending();
      for (const sim::PendingChoice& c : pending) {
        if (c.kind == sim::PendingChoice::Kind::kMessage &&
            host_.MessageOf(*c.payload) == nullptr) {
          choice_.Deliver(c.index);
          again = true;
          break;
        }
      }
    }
  }

  uint64_t MessageIdAt(int index) const {
    return choice_.Pending()[index].message_id;
  }
  int IndexOfMessage(uint64_t id) const {
    for (const sim::PendingChoice& c : choice_.Pending()) {
      if (c.kind == sim::PendingChoice::Kind::kMessage && c.message_id == id) {
        return c.index;
      }
    }
    return -1;
  }

  std::string Describe(const sim::PendingChoice& c) {
    if (c.kind == sim::PendingChoice::Kind::kTimer) {
      return absl::StrCat("timer at r", c.to, " tag ", c.tag);
    }
    return absl::StrCat("r", c.from, " -> r", c.to, ": ",
                        c.payload->Describe());
  }

  absl::StatusOr<std::vector<Candidate>> Matching(const MessageFilter& f) {
    std::optional<Ballot> ballot;
    if (f.ballot) {
      ballot = EncodeBallot(spec_.name, f.ballot->first, f.ballot->second, n_);
      if (!ballot) {
        return absl::InvalidArgumentError(
            absl::StrCat("no ballot encoding known for protocol ", spec_.name));
      }
    }
    std::vector<CommandId> commands;
    for (const std::string& label : f.commands) {
      auto it = labels_.find(label);
      if (it == labels_.end()) {
        return absl::NotFoundError(
            absl::StrCat("command ", label, " was not submitted in this run"));
      }
      commands.push_back(it->second);
    }
    std::vector<Candidate> out;
    for (const sim::PendingChoice& c : choice_.Pending()) {
      if (c.kind != sim::PendingChoice::Kind::kMessage) continue;
      const protocol::Message* m = host_.MessageOf(*c.payload);
      if (m == nullptr) continue;
      Candidate cand;
      cand.index = c.index;
      cand.from = c.from;
      cand.to = c.to;
      cand.type = std::string(m->Type());
      cand.role = RoleOf(spec_.name, cand.type);
      cand.command = m->Command();
      cand.ballot = m->MessageBallot();
      if (!f.types.empty() && !std::any_of(f.types.begin(), f.types.end(),
                                           [&](const std::string& t) {
                                             return TypeMatches(t, cand);
                                           })) {
        continue;
      }
      if (!f.roles.empty() &&
          (!cand.role || std::find(f.roles.begin(), f.roles.end(),
                                   *cand.role) == f.roles.end())) {
        continue;
      }
      if (!f.from.empty() &&
          std::find(f.from.begin(), f.from.end(), cand.from) == f.from.end()) {
        continue;
      }
      if (!f.to.empty() &&
          std::find(f.to.begin(), f.to.end(), cand.to) == f.to.end()) {
        continue;
      }
      if (!commands.empty() &&
          (!cand.command || std::find(commands.begin(), commands.end(),
                                      *cand.command) == commands.end())) {
        continue;
      }
      if (ballot && cand.ballot != ballot) continue;
      out.push_back(std::move(cand));
    }
    return out;
  }

  // Exact type, or, for a type this protocol does not have, any message of
  // the same role (an EPaxos "Prepare" filter picks EPaxos*'s Recover).
  bool TypeMatches(const std::string& type, const Candidate& c) const {
    if (type == c.type) return true;
    if (RoleOf(spec_.name, type)) return false;
    const std::optional<MessageRole> role = AnyRole(type);
    return role && c.role == role;
  }

  absl::Status NothingMatches(const MessageFilter& f) {
    std::vector<std::string> pending;
    for (const sim::PendingChoice& c : choice_.Pending()) {
      if (c.kind != sim::PendingChoice::Kind::kMessage) continue;
      if (host_.MessageOf(*c.payload) == nullptr) continue;
      pending.push_back(absl::StrCat("\n    ", Describe(c)));
    }
    std::vector<std::string> bound;
    for (const auto& [label, id] : labels_) {
      bound.push_back(absl::StrCat(label, "=", id.ToString()));
    }
    return absl::NotFoundError(absl::StrCat(
        "no pending message matches ", f.ToString(), " (commands ",
        absl::StrJoin(bound, ", "), "); pending messages:",
        pending.empty() ? std::string(" none") : absl::StrJoin(pending, "")));
  }

  const std::string& file_;
  const ProtocolSpec& spec_;
  int n_;
  ScriptHost& host_;
  sim::ChoiceScheduler& choice_;
  absl::btree_map<std::string, CommandId> labels_;
};

}  // namespace

std::string_view MessageRoleName(MessageRole role) {
  for (const RoleName& r : kRoleNames) {
    if (r.role == role) return r.name;
  }
  return "?";
}

std::optional<MessageRole> ParseMessageRole(std::string_view name) {
  for (const RoleName& r : kRoleNames) {
    if (name == r.name) return r.role;
  }
  return std::nullopt;
}

std::optional<MessageRole> RoleOf(std::string_view protocol,
                                  std::string_view type) {
  if (protocol == "epaxos") return Lookup(kEpaxosRoles, type);
  if (protocol == "epaxos-star") return Lookup(kEpaxosStarRoles, type);
  return std::nullopt;
}

std::optional<Ballot> EncodeBallot(std::string_view protocol, int64_t round,
                                   protocol::NodeId owner, int n) {
  if (round == 0) return Ballot{0};
  // EPaxos: (round << 8) | owner (protocol/epaxos/messages.h MakeBallot).
  if (protocol == "epaxos") {
    return (static_cast<Ballot>(round) << 8) | static_cast<Ballot>(owner);
  }
  // EPaxos*: process p owns p+1, p+1+n, ... (docs/protocols.md I.3); its k-th
  // ballot is (k-1)*n + p + 1.
  if (protocol == "epaxos-star") {
    return static_cast<Ballot>((round - 1) * n + owner + 1);
  }
  return std::nullopt;
}

std::string MessageFilter::ToString() const {
  std::vector<std::string> parts;
  if (!types.empty())
    parts.push_back(absl::StrCat("type ", absl::StrJoin(types, "|")));
  if (!roles.empty()) {
    parts.push_back(absl::StrCat(
        "role ", absl::StrJoin(roles, "|", [](std::string* out, MessageRole r) {
          absl::StrAppend(out, Av(MessageRoleName(r)));
        })));
  }
  if (!from.empty())
    parts.push_back(absl::StrCat("from ", absl::StrJoin(from, "|")));
  if (!to.empty()) parts.push_back(absl::StrCat("to ", absl::StrJoin(to, "|")));
  if (!commands.empty()) {
    parts.push_back(absl::StrCat("command ", absl::StrJoin(commands, "|")));
  }
  if (ballot) {
    parts.push_back(ballot->first == 0
                        ? std::string("ballot 0")
                        : absl::StrCat("ballot <", ballot->first, ",r",
                                       ballot->second, ">"));
  }
  return parts.empty() ? std::string("{any message}")
                       : absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

bool ProtocolSelector::Matches(const ProtocolSpec& run) const {
  if (all) return true;
  for (const ProtocolSpec& s : specs) {
    if (s.name != run.name) continue;
    bool same = true;
    for (const auto& [key, value] : s.options) {
      auto it = run.options.find(key);
      if (it == run.options.end() || it->second != value) same = false;
    }
    if (same) return true;
  }
  return false;
}

std::string ScriptStep::Describe() const {
  auto filters_text = [this] {
    std::vector<std::string> parts;
    for (const MessageFilter& f : filters) parts.push_back(f.ToString());
    return absl::StrJoin(parts, " then ");
  };
  switch (kind) {
    case Kind::kSubmit:
      return absl::StrCat("submit ", label, " = ", Av(OpTypeName(command.op)),
                          "(", command.key.str(),
                          command.op == protocol::OpType::kGet
                              ? std::string()
                              : absl::StrCat(", \"", command.value, "\""),
                          ") at r", replica);
    case Kind::kDeliver:
      return absl::StrCat("deliver ", filters_text());
    case Kind::kDeliverAll:
      return absl::StrCat("deliver all ", filters_text());
    case Kind::kLose:
      return absl::StrCat("lose ", filters_text());
    case Kind::kCrash:
      return absl::StrCat("crash r", replica, keep_sent ? " (sent kept)" : "");
    case Kind::kRecover:
      return absl::StrCat(
          "recover ", target, " at r", replica,
          ballot_round
              ? absl::StrCat(" ballot <", *ballot_round, ",r", replica, ">")
              : std::string(""));
    case Kind::kFireTimer:
      return absl::StrCat("fire timer at r", replica,
                          tag ? absl::StrCat(" tag ", *tag) : std::string(""));
    case Kind::kRun:
      return mode == RunMode::kQuiescent
                 ? std::string("run the rest until quiescent")
                 : absl::StrCat("run the rest timed for ", run_for / 1000,
                                "ms");
  }
  return "?";
}

bool Script::EndsWithRun() const {
  return !steps.empty() && steps.back().kind == ScriptStep::Kind::kRun &&
         steps.back().only.specs.empty();
}

absl::StatusOr<Script> Script::FromJson(const nlohmann::json& json,
                                        const std::string& file, int replicas) {
  try {
    return Reader(file, replicas).Read(json);
  } catch (const JsonInputError& e) {
    return absl::InvalidArgumentError(e.message);
  }
}

absl::StatusOr<Expectation> Expectation::FromJson(const nlohmann::json& json,
                                                  const std::string& file) {
  try {
    if (!json.is_object()) FailAt(file, "expect", "an object", json);
    Expectation e;
    for (const auto& [key, value] : json.items()) {
      const std::string path = absl::StrCat("expect.", key);
      if (!value.is_string()) FailAt(file, path, "a string", value);
      const std::string text = value.get<std::string>();
      if (key == "class") {
        e.bug_class = text;
      } else if (key == "layer") {
        e.layer = text;
      } else if (key == "note") {
        e.note = text;
      } else {
        absl::StatusOr<ProtocolSpec> spec = ProtocolSpec::Parse(key);
        if (!spec.ok()) {
          FailAt(file, path,
                 "class, layer, note, or a protocol spec (NAME[:k=v,...])",
                 value);
        }
        if (text.empty() || text.find(' ') != std::string::npos) {
          FailAt(file, path, "\"ok\" or the name of the check that must fail",
                 value);
        }
        e.verdicts.emplace_back(key, text);
      }
    }
    if (e.verdicts.empty()) {
      FailAt(file, "expect", "at least one protocol with its verdict", json);
    }
    return e;
  } catch (const JsonInputError& e) {
    return absl::InvalidArgumentError(e.message);
  }
}

absl::Status RunScript(const Script& script, const std::string& file,
                       const ProtocolSpec& spec, int replicas,
                       ScriptHost& host) {
  if (host.world().choice() == nullptr) {
    return absl::FailedPreconditionError(
        "a script needs the world's choice scheduler");
  }
  return Driver(file, spec, replicas, host).Run(script);
}

}  // namespace epsim::scenarios
