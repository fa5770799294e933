// The explorer on toy protocols whose state spaces can be counted by hand,
// on a deliberately broken protocol, and on the real EPaxos*/EPaxos.
#include "explore/explore.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "protocol/common/protocol.h"
#include "scenarios/coverage.h"
#include "tests/util/command_util.h"

namespace epsim::explore {
namespace {

using protocol::CommandId;
using protocol::Message;
using protocol::NodeId;

// A client command travels to every other replica as one Propose.
class Propose final : public Message {
 public:
  explicit Propose(protocol::Command command) : command_(std::move(command)) {}
  const protocol::Command& command() const { return command_; }
  std::string_view Type() const override { return "Propose"; }
  std::optional<CommandId> Command() const override { return CommandId{0, 1}; }
  std::string Describe() const override {
    return absl::StrCat("Propose ", command_.ToString());
  }
  uint64_t ComputeFingerprint() const override {
    return 0x1234 + static_cast<uint64_t>(command_.request.client);
  }

 private:
  protocol::Command command_;
};

// Behaviours of the toy replica.
enum class Toy {
  kCollect,    // remembers which proposals arrived; commits nothing
  kFirstWins,  // commits the first proposal it receives as slot 0.1: broken
  kAssertOne,  // EPSIM_CHECK fails when a second proposal arrives
  kLateAct,    // ignores command 2's proposal until command 1's arrived:
               // breaks the ignored-message reduction's premise
  kTimerDies,  // a submitter's timer notes itself until command 1's
               // proposal arrives, and is a no-op from then on
  kTimerLate,  // the timer is a no-op until a proposal arrives: breaks the
               // premise for timers
};

class ToyReplica final : public protocol::Replica {
 public:
  ToyReplica(Toy toy, NodeId self, protocol::Env& env)
      : toy_(toy), self_(self), env_(&env) {}

  void OnClientRequest(const protocol::Command& command) override {
    if (toy_ == Toy::kTimerDies || toy_ == Toy::kTimerLate) {
      env_->SetTimer(1, 7);
    }
    for (NodeId to = 0; to < env_->ClusterSize(); ++to) {
      if (to != self_) env_->Send(to, std::make_shared<Propose>(command));
    }
  }
  void OnMessage(NodeId, const Message& message) override {
    const auto& p = static_cast<const Propose&>(message);
    if (toy_ == Toy::kLateAct && p.command().request.client == 1 &&
        !received_.contains(0)) {
      return;
    }
    if (toy_ == Toy::kAssertOne) {
      EPSIM_CHECK(received_.empty()) << "a second proposal at r" << self_;
    }
    received_.insert(p.command().request.client);
    if (toy_ == Toy::kFirstWins && received_.size() == 1) {
      protocol::CommitRecord record;
      record.id = CommandId{0, 1};
      record.command = p.command();
      record.path = "fast";
      env_->Committed(record);
    }
  }
  void OnTimer(protocol::TimerId, uint64_t) override {
    const bool acts =
        toy_ == Toy::kTimerDies ? !received_.contains(0) : !received_.empty();
    if (acts) received_.insert(-1);
  }
  void Restart() override {}
  uint64_t StoreDigest() const override { return 0; }  // no state machine
  std::vector<protocol::PendingCommand> Pending() const override { return {}; }
  std::unique_ptr<Replica> Clone(protocol::Env& env) const override {
    auto copy = std::make_unique<ToyReplica>(*this);
    copy->env_ = &env;
    return copy;
  }
  uint64_t StateHash() const override {
    uint64_t h = 17 + static_cast<uint64_t>(self_);
    for (int c : received_) h = h * 1000003 + static_cast<uint64_t>(c) + 1;
    return h;
  }

 private:
  Toy toy_;
  NodeId self_;
  protocol::Env* env_;
  absl::btree_set<int> received_;
};

class ToyProtocol final : public protocol::Protocol {
 public:
  ToyProtocol(Toy toy, int n) : toy_(toy), n_(n) {}
  std::string Name() const override { return "toy"; }
  int Replicas() const override { return n_; }
  int MaxFailures() const override { return (n_ - 1) / 2; }
  std::unique_ptr<protocol::Replica> MakeReplica(
      NodeId id, protocol::Env& env) const override {
    return std::make_unique<ToyReplica>(toy_, id, env);
  }
  std::vector<std::unique_ptr<protocol::ProtocolCheck>> MakeChecks()
      const override {
    return {};
  }
  std::vector<std::string> CoverageBranches() const override { return {}; }

 private:
  Toy toy_;
  int n_;
};

ExploreConfig ToyConfig() {
  ExploreConfig config;
  config.protocol = "toy";
  config.replicas = 3;
  config.commands = 2;
  return config;
}

TEST(ExploreTest, CountsEverySubsetOfDeliveries) {
  // Two commands, each proposed to the two other replicas: 4 messages, and
  // a state is the subset already delivered: 2^4 states, and every state
  // with k messages in flight has k successors: sum k*C(4,k) = 32.
  ToyProtocol toy(Toy::kCollect, 3);
  absl::StatusOr<ExploreResult> r = Explore(ToyConfig(), toy);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->complete);
  EXPECT_FALSE(r->violation.has_value());
  EXPECT_EQ(r->states, 16u);
  EXPECT_EQ(r->transitions, 32u);
  EXPECT_EQ(r->max_depth, 4);
}

TEST(ExploreTest, LossyLinksMakeDropAChoice) {
  // Each message is in flight, delivered or dropped: 3^4 states; a state
  // with k in flight has 2k successors: 2 * sum k*C(4,k)*2^(4-k) = 216.
  ToyProtocol toy(Toy::kCollect, 3);
  ExploreConfig config = ToyConfig();
  config.lossy = true;
  absl::StatusOr<ExploreResult> r = Explore(config, toy);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->states, 81u);
  EXPECT_EQ(r->transitions, 216u);
}

TEST(ExploreTest, SubmissionsAsChoicesAndCrashes) {
  // With submissions as choices, replica 0 or 1 may crash before
  // submitting; the bfs and dfs counts of the same space must agree.
  ToyProtocol toy(Toy::kCollect, 3);
  ExploreConfig config = ToyConfig();
  config.submit = ExploreConfig::Submit::kAny;
  config.max_crashes = 1;
  absl::StatusOr<ExploreResult> dfs = Explore(config, toy);
  config.search = ExploreConfig::Search::kBfs;
  absl::StatusOr<ExploreResult> bfs = Explore(config, toy);
  ASSERT_TRUE(dfs.ok() && bfs.ok());
  EXPECT_TRUE(dfs->complete && bfs->complete);
  EXPECT_EQ(dfs->states, bfs->states);
  EXPECT_GT(dfs->states, 16u);
}

TEST(ExploreTest, DepthBoundCountsStatesWithinIt) {
  // Within 2 steps: 1 + 4 + C(4,2) = 11 subsets.
  ToyProtocol toy(Toy::kCollect, 3);
  ExploreConfig config = ToyConfig();
  config.max_depth = 2;
  absl::StatusOr<ExploreResult> r = Explore(config, toy);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->complete);
  EXPECT_EQ(r->states, 11u);
  EXPECT_EQ(r->max_depth, 2);
}

TEST(ExploreTest, CheckReductionsCatchesAMessageIgnoredOnlyForNow) {
  // kLateAct drops command 2's proposal when it comes first but takes it
  // after command 1's: the reduction would lose that order, and
  // --check-reductions says so on the unreduced space.
  ToyProtocol toy(Toy::kLateAct, 3);
  ExploreConfig config = ToyConfig();
  config.reduce_ignored = false;
  config.check_reductions = true;
  absl::StatusOr<ExploreResult> r = Explore(config, toy);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->violation.has_value());
  EXPECT_EQ(r->violation->check, "reduction-premise");
  // The shortest: command 2's proposal ignored, then command 1's delivered.
  EXPECT_EQ(r->violation->schedule.size(), 1u);
  // The well-behaved toy keeps the premise.
  ToyProtocol collect(Toy::kCollect, 3);
  r = Explore(config, collect);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->complete);
  EXPECT_FALSE(r->violation.has_value());
}

TEST(ExploreTest, NoOpTimersLeaveTheStateAndTheirPremiseIsChecked) {
  ExploreConfig config = ToyConfig();
  ToyProtocol dies(Toy::kTimerDies, 3);
  absl::StatusOr<ExploreResult> reduced = Explore(config, dies);
  config.reduce_ignored = false;
  absl::StatusOr<ExploreResult> full = Explore(config, dies);
  ASSERT_TRUE(reduced.ok() && full.ok());
  EXPECT_TRUE(reduced->complete && full->complete);
  // Once r1 holds command 1's proposal, r1's timer is dead and leaves the
  // state; unreduced, firing it is one more choice to count.
  EXPECT_LT(reduced->states, full->states);
  config.check_reductions = true;
  absl::StatusOr<ExploreResult> checked = Explore(config, dies);
  ASSERT_TRUE(checked.ok());
  EXPECT_FALSE(checked->violation.has_value());
  // A timer that is a no-op only for now is caught.
  ToyProtocol late(Toy::kTimerLate, 3);
  checked = Explore(config, late);
  ASSERT_TRUE(checked.ok());
  ASSERT_TRUE(checked->violation.has_value());
  EXPECT_EQ(checked->violation->check, "reduction-premise");
  EXPECT_NE(checked->violation->detail.find("timer"), std::string::npos);
}

TEST(ExploreTest, BrokenProtocolGivesShortestAgreementViolation) {
  // r0 commits command 2 and r1 command 1 for the same slot after two
  // deliveries; no single delivery can break agreement.
  ToyProtocol toy(Toy::kFirstWins, 3);
  for (auto search :
       {ExploreConfig::Search::kDfs, ExploreConfig::Search::kBfs}) {
    ExploreConfig config = ToyConfig();
    config.search = search;
    absl::StatusOr<ExploreResult> r = Explore(config, toy);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->violation.has_value());
    EXPECT_EQ(r->violation->check, "agreement");
    EXPECT_EQ(r->violation->schedule.size(), 2u) << SearchName(search);
    EXPECT_TRUE(r->shortest_proven);

    // The schedule survives the file format and replays to the same check.
    const nlohmann::json file = ScheduleToJson(config, *r->violation);
    absl::StatusOr<ScheduleFile> parsed =
        ScheduleFromJson(nlohmann::json::parse(file.dump()), "schedule.json");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->check, "agreement");
    auto replayed = ReplaySchedule(parsed->config, toy, parsed->steps);
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    ASSERT_TRUE(replayed->has_value());
    EXPECT_EQ((*replayed)->check, "agreement");
    EXPECT_EQ((*replayed)->schedule.size(), 2u);
  }
}

TEST(ExploreTest, ReplayRejectsAStepThatIsNotEnabled) {
  ToyProtocol toy(Toy::kFirstWins, 3);
  ExploreStep crash;
  crash.kind = ExploreStep::Kind::kCrash;
  crash.replica = 1;
  crash.text = "crash r1";
  auto replayed = ReplaySchedule(ToyConfig(), toy, {crash});  // 0 crashes
  EXPECT_FALSE(replayed.ok());
  EXPECT_NE(replayed.status().message().find("steps[0]"), std::string::npos);
}

TEST(ExploreTest, FailedCheckInAHandlerIsAViolation) {
  ToyProtocol toy(Toy::kAssertOne, 3);
  absl::StatusOr<ExploreResult> r = Explore(ToyConfig(), toy);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->violation.has_value());
  EXPECT_EQ(r->violation->check, "assertion");
  EXPECT_NE(r->violation->detail.find("a second proposal at r2"),
            std::string::npos);
  EXPECT_EQ(r->violation->schedule.size(), 2u);
}

TEST(ExploreTest, ScheduleFileErrorsNameTheField) {
  nlohmann::json j = {{"format", "epsim-explore-schedule"},
                      {"version", 1},
                      {"protocol", "toy"},
                      {"replicas", 3},
                      {"commands", 2},
                      {"conflicts", "some"}};
  auto parsed = ScheduleFromJson(j, "f.json");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("f.json: conflicts: expected all"),
            std::string::npos)
      << parsed.status();

  // What decides which steps exist round-trips: the reduction and the
  // recoverers. A file without "reduce" predates the reduction: none.
  ExploreConfig config = ToyConfig();
  config.reduce_ignored = true;
  config.recoverers = {2};
  ExploreViolation v{"agreement", "", {}};
  parsed = ScheduleFromJson(ScheduleToJson(config, v), "f.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->config.reduce_ignored);
  EXPECT_EQ(parsed->config.recoverers, std::vector<int>{2});
  nlohmann::json old_file = ScheduleToJson(config, v);
  old_file.erase("reduce");
  parsed = ScheduleFromJson(old_file, "f.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(parsed->config.reduce_ignored);
  old_file["recoverers"] = {5};
  parsed = ScheduleFromJson(old_file, "f.json");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("f.json: recoverers: expected"),
            std::string::npos)
      << parsed.status();
}

// The real protocols, smallest configurations.
std::unique_ptr<protocol::Protocol> Make(const std::string& spec,
                                         ExploreConfig& config) {
  protocol::ProtocolContext context;
  context.replicas = config.replicas;
  context.max_round_trip = protocol::kMillisecond;
  auto made = protocol::ProtocolRegistry::Builtin().Make(spec, context);
  if (!made.ok()) return nullptr;
  config.protocol = spec;
  config.is_recovery_timer =
      RecoveryTimerClassifier(*protocol::ProtocolSpec::Parse(spec));
  return *std::move(made);
}

// The smallest configuration of the EPaxos* TLA+ transcription (3
// processes, f = e = 1, 2 conflicting commands, no recovery), explored to
// the end: every reachable state is safe (about 32,000 states).
TEST(ExploreTest, SmallestEpaxosStarConfigurationIsSafeAndDeterministic) {
  ExploreConfig config;
  config.commands = 2;
  config.conflicts = ExploreConfig::Conflicts::kPairs;
  config.reduce_ignored = false;
  std::unique_ptr<protocol::Protocol> p = Make("epaxos-star:f=1,e=1", config);
  ASSERT_NE(p, nullptr);
  absl::StatusOr<ExploreResult> first = Explore(config, *p);
  absl::StatusOr<ExploreResult> second = Explore(config, *p);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(first->complete);
  EXPECT_FALSE(first->violation.has_value())
      << first->violation->check << ": " << first->violation->detail;
  EXPECT_GT(first->states, 10000u);
  EXPECT_EQ(first->states, second->states);
  EXPECT_EQ(first->transitions, second->transitions);
}

// The ignored-message reduction on configurations small enough to finish
// without it (with and without a crash and a recovery): the premise holds
// in every state of the unreduced space (check_reductions), both reach the
// same set of end states' decisions (per command: Nop or payload, and
// deps), and the reduced space is smaller.
TEST(ExploreTest, IgnoredMessageReductionKeepsEveryOutcome) {
  struct Case {
    std::string spec;
    int commands;
    int max_crashes;
    int max_recoveries;
    std::vector<int> recoverers;
  };
  // Small enough for the sanitizer build too (about 70,000 unreduced
  // states in all).
  const std::vector<Case> cases = {
      {"epaxos-star:f=1,e=1", 2, 0, 0, {}},
      {"epaxos-star:f=1,e=1", 1, 0, 1, {1}},
      {"epaxos-star:f=1,e=1", 1, 1, 1, {1}},
      {"epaxos", 1, 0, 1, {1}},
  };
  for (const Case& c : cases) {
    ExploreConfig config;
    config.commands = c.commands;
    config.conflicts = ExploreConfig::Conflicts::kPairs;
    config.max_crashes = c.max_crashes;
    config.max_recoveries = c.max_recoveries;
    config.recoverers = c.recoverers;
    config.collect_outcomes = true;
    std::unique_ptr<protocol::Protocol> p = Make(c.spec, config);
    ASSERT_NE(p, nullptr);
    config.reduce_ignored = false;
    config.check_reductions = true;
    absl::StatusOr<ExploreResult> full = Explore(config, *p);
    config.reduce_ignored = true;
    config.check_reductions = false;
    absl::StatusOr<ExploreResult> reduced = Explore(config, *p);
    ASSERT_TRUE(full.ok() && reduced.ok());
    const std::string what = config.Describe();
    ASSERT_FALSE(full->violation.has_value())
        << what << ": " << full->violation->check << ": "
        << full->violation->detail;
    EXPECT_FALSE(reduced->violation.has_value()) << what;
    EXPECT_TRUE(full->complete && reduced->complete) << what;
    EXPECT_FALSE(full->terminal_outcomes.empty()) << what;
    if (c.max_crashes > 0 && c.max_recoveries > 0) {
      // A recovery after the coordinator crashed can end in Nop or in the
      // payload: more than one outcome to agree on.
      EXPECT_GT(full->terminal_outcomes.size(), 1u) << what;
    }
    EXPECT_EQ(full->terminal_outcomes, reduced->terminal_outcomes) << what;
    EXPECT_LT(reduced->states * 3, full->states) << what;
  }
}

// On the corpus's buggy variants the explorer reaches in a small
// configuration (the single-ballot and split-ballot recoveries, Swift's
// local-vote rule), the reduction finds the same violation, no longer.
TEST(ExploreTest, IgnoredMessageReductionFindsTheSameBugs) {
  for (const std::string spec :
       {"epaxos", "epaxos:ballots=split",
        "epaxos:ballots=split,recovery=simple,thrifty=true,thrifty_peers=2:1,"
        "quirks=swift-local-vbal-wins"}) {
    ExploreConfig config;
    config.commands = 2;
    config.max_recoveries = 1;
    config.search = ExploreConfig::Search::kBfs;
    config.max_states = 2000000;
    std::unique_ptr<protocol::Protocol> p = Make(spec, config);
    ASSERT_NE(p, nullptr) << spec;
    config.reduce_ignored = false;
    absl::StatusOr<ExploreResult> full = Explore(config, *p);
    config.reduce_ignored = true;
    absl::StatusOr<ExploreResult> reduced = Explore(config, *p);
    ASSERT_TRUE(full.ok() && reduced.ok());
    ASSERT_TRUE(full->violation.has_value()) << spec;
    ASSERT_TRUE(reduced->violation.has_value()) << spec;
    EXPECT_EQ(full->violation->check, reduced->violation->check) << spec;
    EXPECT_LE(reduced->violation->schedule.size(),
              full->violation->schedule.size())
        << spec;
  }
}

// A request that recovery replaced by Nop is resubmitted under a new id;
// the recovery budget counts per request, so the space stays finite.
TEST(ExploreTest, ResubmissionsShareTheirRequestsRecoveryBudget) {
  ExploreConfig config;
  config.commands = 1;
  config.max_recoveries = 1;
  config.recoverers = {1};
  config.max_states = 1000000;  // without the budget: no end, so a limit
  std::unique_ptr<protocol::Protocol> p = Make("epaxos-star:f=1,e=1", config);
  ASSERT_NE(p, nullptr);
  absl::StatusOr<ExploreResult> r = Explore(config, *p);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->complete);
  EXPECT_FALSE(r->violation.has_value());
  EXPECT_GT(r->coverage.at("resubmit"), 0);
}

TEST(ExploreTest, OneEpaxosCommandWithOneRecoveryIsSafe) {
  ExploreConfig config;
  config.commands = 1;
  config.max_recoveries = 1;
  config.max_depth = 6;
  std::unique_ptr<protocol::Protocol> p = Make("epaxos:ballots=split", config);
  ASSERT_NE(p, nullptr);
  absl::StatusOr<ExploreResult> first = Explore(config, *p);
  absl::StatusOr<ExploreResult> second = Explore(config, *p);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(first->complete);
  EXPECT_FALSE(first->violation.has_value())
      << first->violation->check << ": " << first->violation->detail;
  EXPECT_EQ(first->states, second->states);
}

TEST(ExploreCommandTest, ReportsJsonAndRejectsBadFlags) {
  auto ok = testing_util::RunEpsim(
      "explore --protocol epaxos --n 3 --commands 1 --json --quiet");
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  const nlohmann::json j = nlohmann::json::parse(ok.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << ok.out;
  EXPECT_TRUE(j["complete"].get<bool>());
  EXPECT_GT(j["states"].get<uint64_t>(), 1u);
  EXPECT_TRUE(j["violation"].is_null());

  auto bad = testing_util::RunEpsim(
      "explore --protocol epaxos --conflicts some --quiet");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("--conflicts \"some\": expected all, none or pairs"),
            std::string::npos)
      << bad.out;
  bad = testing_util::RunEpsim(
      "explore --protocol epaxos --recoverers 0,3 --quiet");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("--recoverers: \"3\" is not a replica 0..2"),
            std::string::npos)
      << bad.out;
  bad =
      testing_util::RunEpsim("explore --protocol epaxos --reduce all --quiet");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("--reduce \"all\": expected ignored or none"),
            std::string::npos)
      << bad.out;
}

TEST(ExploreCommandTest, WritesAViolatingScheduleThatReplays) {
  // The ported Go quirk commits an Accept/Commit without its payload.
  const std::string out = ::testing::TempDir() + "/explore_violation.json";
  auto found = testing_util::RunEpsim(
      "explore --protocol epaxos:quirks=go-accept-no-payload --commands 2 "
      "--quiet --out " +
      out);
  EXPECT_EQ(found.exit_code, 1) << found.out;
  EXPECT_NE(found.out.find("VIOLATION of agreement"), std::string::npos)
      << found.out;
  auto replayed = testing_util::RunEpsim("explore --replay " + out);
  EXPECT_EQ(replayed.exit_code, 1) << replayed.out;
  EXPECT_NE(replayed.out.find("VIOLATION of agreement"), std::string::npos)
      << replayed.out;
  EXPECT_EQ(replayed.out.find("the file recorded"), std::string::npos)
      << replayed.out;
}

// --reach on the Waiting path of EPaxos* recovery (Fig. 5, R6): the
// guided search finds a schedule whose last step runs wait/W2, and
// re-running that schedule runs wait/W2 again (it is not a label: the
// replay counts what the replicas' handlers report).
TEST(ExploreTest, ReachFindsAWaitingScheduleThatReplays) {
  ExploreConfig config;
  config.commands = 2;
  config.conflicts = ExploreConfig::Conflicts::kPairs;
  config.max_recoveries = 1;
  config.search = ExploreConfig::Search::kGuided;
  config.reach = {"wait/W2"};
  config.time_limit = 120;
  std::unique_ptr<protocol::Protocol> p = Make("epaxos-star:f=1,e=1", config);
  ASSERT_NE(p, nullptr);
  absl::StatusOr<ExploreResult> result = Explore(config, *p);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->violation.has_value());
  ASSERT_EQ(result->reached.size(), 1u);
  const ExploreReached& reached = result->reached[0];
  EXPECT_EQ(reached.branch, "wait/W2");
  EXPECT_GT(result->coverage.at("wait/W2"), 0);
  EXPECT_GT(result->coverage.at("validate/wait"), 0);

  scenarios::Coverage coverage;
  auto replayed = ReplaySchedule(config, *p, reached.schedule, {}, &coverage);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_FALSE(replayed->has_value());
  EXPECT_EQ(coverage.at("wait/W2"), 1);
  // Without its last step the schedule stops short of the branch.
  std::vector<ExploreStep> shorter = reached.schedule;
  shorter.pop_back();
  scenarios::Coverage before;
  ASSERT_TRUE(ReplaySchedule(config, *p, shorter, {}, &before).ok());
  EXPECT_EQ(before.at("wait/W2"), 0);
}

// With no recovery choice a recovery branch cannot run, and the search is
// exhaustive, so "not reached" is a proof within these bounds.
TEST(ExploreTest, ReachProvesABranchUnreachableWithinTheBounds) {
  ExploreConfig config;
  config.commands = 2;
  config.conflicts = ExploreConfig::Conflicts::kPairs;
  config.search = ExploreConfig::Search::kGuided;
  config.reach = {"recovery/started", "fast-path"};
  std::unique_ptr<protocol::Protocol> p = Make("epaxos-star:f=1,e=1", config);
  ASSERT_NE(p, nullptr);
  absl::StatusOr<ExploreResult> result = Explore(config, *p);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->complete);
  ASSERT_EQ(result->reached.size(), 1u);
  EXPECT_EQ(result->reached[0].branch, "fast-path");
  EXPECT_EQ(result->coverage.at("recovery/started"), 0);
}

TEST(ExploreCommandTest, ReachWritesAScheduleAndRejectsUnknownBranches) {
  const std::string out = ::testing::TempDir() + "/explore_reach.json";
  auto found = testing_util::RunEpsim(
      "explore --protocol epaxos-star:f=1,e=1 --commands 2 --conflicts pairs "
      "--max-recoveries 1 --reach recover/validate --quiet --json --out " +
      out);
  EXPECT_EQ(found.exit_code, 0) << found.out;
  const nlohmann::json j = nlohmann::json::parse(found.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << found.out;
  EXPECT_TRUE(j["reached"].get<bool>());
  EXPECT_FALSE(j["exhaustive"].get<bool>());
  EXPECT_GT(j["reach"]["recover/validate"]["length"].get<int>(), 0);
  EXPECT_GT(j["coverage"]["recover/validate"].get<int>(), 0);
  auto replayed = testing_util::RunEpsim("explore --replay " + out);
  EXPECT_EQ(replayed.exit_code, 0) << replayed.out;
  EXPECT_NE(replayed.out.find("reached recover/validate"), std::string::npos)
      << replayed.out;

  auto none = testing_util::RunEpsim(
      "explore --protocol epaxos-star:f=1,e=1 --commands 1 --reach "
      "recovery/started --quiet");
  EXPECT_EQ(none.exit_code, 1) << none.out;
  EXPECT_NE(none.out.find("recovery/started: unreachable within these bounds"),
            std::string::npos)
      << none.out;

  auto bad = testing_util::RunEpsim(
      "explore --protocol epaxos-star --reach wait/W9 --quiet");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("--reach \"wait/W9\": not a coverage branch"),
            std::string::npos)
      << bad.out;
}

// W4 on a late committed RecoverOK: out of reach of best-first search
// alone (it spends its budget below the first recovery), found by the
// deepening rounds, and the schedule becomes a scenario `epsim run`
// replays with the branch counted in its coverage and every check ok.
TEST(ExploreCommandTest, ReachScheduleBecomesAScenarioThatRunReplays) {
  const std::string schedule = ::testing::TempDir() + "/w4_committed.json";
  const std::string scenario =
      ::testing::TempDir() + "/w4_committed_scenario.json";
  auto found = testing_util::RunEpsim(
      "explore --protocol epaxos-star --commands 2 --conflicts pairs "
      "--max-recoveries 1 --reach wait/W4-committed --quiet --out " +
      schedule);
  ASSERT_EQ(found.exit_code, 0) << found.out;
  auto converted = testing_util::RunEpsim("explore --replay " + schedule +
                                          " --scenario " + scenario);
  EXPECT_EQ(converted.exit_code, 0) << converted.out;
  EXPECT_NE(converted.out.find("reaches wait/W4-committed"), std::string::npos)
      << converted.out;
  auto run = testing_util::RunEpsim("run " + scenario + " --json");
  EXPECT_EQ(run.exit_code, 0) << run.out;
  const nlohmann::json j = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << run.out;
  EXPECT_GE(j["coverage"]["wait/W4-committed"].get<int>(), 1);

  auto alone = testing_util::RunEpsim("explore --scenario " + scenario);
  EXPECT_EQ(alone.exit_code, 2) << alone.out;
  EXPECT_NE(alone.out.find("--scenario needs --replay"), std::string::npos);
}

}  // namespace
}  // namespace epsim::explore
