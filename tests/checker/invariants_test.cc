// Each invariant check fires on a deliberately broken log and stays quiet on
// a correct one.
#include "checker/invariants.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "checker/liveness.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace epsim::checker {
namespace {

using protocol::Command;
using protocol::CommandId;
using protocol::CommitRecord;
using protocol::ExecutionRecord;
using protocol::OpType;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

Command Put(int client, int64_t number, std::string key, std::string value) {
  Command c;
  c.request = {client, number};
  c.op = OpType::kPut;
  c.key = std::move(key);
  c.value = std::move(value);
  return c;
}

Command Get(int client, int64_t number, std::string key) {
  Command c;
  c.request = {client, number};
  c.op = OpType::kGet;
  c.key = std::move(key);
  return c;
}

CommandId Id(uint32_t origin, uint64_t counter) { return {origin, counter}; }

CommitRecord Commit(CommandId id, Command c, std::vector<CommandId> deps = {}) {
  CommitRecord r;
  r.id = id;
  r.command = std::move(c);
  r.deps = std::move(deps);
  return r;
}

ExecutionRecord Exec(CommandId id, Command c, bool duplicate = false) {
  ExecutionRecord r;
  r.id = id;
  r.command = std::move(c);
  r.duplicate = duplicate;
  return r;
}

Where At(int64_t time, int replica, std::string event = "test event") {
  return {time, replica, std::move(event)};
}

CheckVerdict VerdictOf(const RunChecker& checks, std::string_view name) {
  return checks.verdicts().at(std::string(name));
}

// A correct run: three replicas commit and execute a, b (conflicting) and c
// (another key) in the same order per key.
class InvariantsTest : public ::testing::Test {
 protected:
  InvariantsTest()
      : a_(Put(1, 1, "x", "1")), b_(Get(2, 1, "x")), c_(Put(3, 1, "y", "2")) {
    for (const Command& c : {a_, b_, c_}) checks_.OnSubmitted(c);
  }
  void CorrectRun() {
    for (int r = 0; r < 3; ++r) {
      checks_.OnCommitted(r, Commit(Id(0, 1), a_), At(10, r));
      checks_.OnCommitted(r, Commit(Id(1, 1), b_, {Id(0, 1)}), At(11, r));
      checks_.OnCommitted(r, Commit(Id(2, 1), c_), At(12, r));
    }
    for (int r = 0; r < 3; ++r) {
      // Replicas may interleave keys differently; per key the order agrees.
      if (r == 1) checks_.OnExecuted(r, Exec(Id(2, 1), c_), At(20, r));
      checks_.OnExecuted(r, Exec(Id(0, 1), a_), At(21, r));
      checks_.OnExecuted(r, Exec(Id(1, 1), b_), At(22, r));
      if (r != 1) checks_.OnExecuted(r, Exec(Id(2, 1), c_), At(23, r));
    }
  }
  Command a_, b_, c_;
  RunChecker checks_;
};

TEST_F(InvariantsTest, KnowsWhoExecutedWhat) {
  checks_.OnExecuted(2, Exec(Id(2, 1), c_), At(1, 2));
  checks_.OnExecuted(2, Exec(Id(0, 1), a_), At(2, 2));
  checks_.OnExecuted(0, Exec(Id(0, 1), a_), At(3, 0));
  EXPECT_TRUE(checks_.Executed(2, Id(2, 1)));
  EXPECT_TRUE(checks_.Executed(0, Id(0, 1)));
  EXPECT_FALSE(checks_.Executed(0, Id(2, 1)));
  EXPECT_FALSE(checks_.Executed(1, Id(0, 1)));
  EXPECT_FALSE(checks_.Executed(5, Id(0, 1)));
  EXPECT_EQ(checks_.ExecutedBy(2),
            (std::vector<CommandId>{Id(0, 1), Id(2, 1)}));
  EXPECT_EQ(checks_.ExecutedBy(0), (std::vector<CommandId>{Id(0, 1)}));
  EXPECT_TRUE(checks_.ExecutedBy(1).empty());
}

TEST_F(InvariantsTest, ListsExecutedIdsInIdOrder) {
  // Ids of three origins whose counters interleave, and one outside the
  // dense range, executed in no particular order.
  const std::vector<CommandId> ids = {
      Id(2, 9),  Id(0, 5),    Id(1, 3), Id(0, 1), Id(2, 2),       Id(1, 0),
      Id(1, 12), Id(5000, 4), Id(0, 9), Id(2, 0), Id(7, 1u << 30)};
  int client = 10;
  for (const CommandId& id : ids) {
    ++client;
    const Command c = Put(client, 1, absl::StrCat("k", client), "v");
    checks_.OnSubmitted(c);
    checks_.OnExecuted(1, Exec(id, c), At(client, 1));
  }
  std::vector<CommandId> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(checks_.ExecutedBy(1), sorted);
  EXPECT_TRUE(checks_.violations().empty());
}

TEST_F(InvariantsTest, CorrectRunIsQuiet) {
  CorrectRun();
  std::vector<ReplicaFinalState> finals = {
      {0, {Id(0, 1), Id(1, 1), Id(2, 1)}, 77},
      {1, {Id(2, 1), Id(0, 1), Id(1, 1)}, 77},
      {2, {Id(0, 1)}, 5}};  // executed less: may differ
  checks_.Finish(finals, At(100, -1, "end of run"));
  EXPECT_TRUE(checks_.ok());
  EXPECT_TRUE(checks_.violations().empty());
  EXPECT_EQ(VerdictOf(checks_, RunChecker::kAgreement), CheckVerdict::kOk);
  EXPECT_EQ(VerdictOf(checks_, RunChecker::kExecutionOrder), CheckVerdict::kOk);
  EXPECT_EQ(VerdictOf(checks_, RunChecker::kExactlyOnce), CheckVerdict::kOk);
  EXPECT_EQ(VerdictOf(checks_, RunChecker::kConvergence), CheckVerdict::kOk);
  EXPECT_EQ(VerdictOf(checks_, RunChecker::kLinearizability),
            CheckVerdict::kNotRun);
}

TEST_F(InvariantsTest, AgreementFiresOnDifferentDeps) {
  checks_.OnCommitted(0, Commit(Id(1, 1), b_, {Id(0, 1)}), At(10, 0));
  checks_.OnCommitted(2, Commit(Id(1, 1), b_, {}), At(15, 2, "deliver Commit"));
  ASSERT_EQ(checks_.violations().size(), 1u);
  const InvariantViolation& v = checks_.violations()[0];
  EXPECT_EQ(v.check, "agreement");
  EXPECT_EQ(v.where.time, 15);
  EXPECT_EQ(v.where.replica, 2);
  EXPECT_EQ(v.where.event, "deliver Commit");
  EXPECT_THAT(v.commands, ElementsAre(Id(1, 1)));
  EXPECT_THAT(v.replicas, ElementsAre(0, 2));
  EXPECT_THAT(v.ToString(), HasSubstr("agreement violated at t=15 replica 2"));
  EXPECT_FALSE(checks_.ok());
}

TEST_F(InvariantsTest, AgreementFiresOnDifferentCommandOrSeq) {
  checks_.OnCommitted(0, Commit(Id(1, 1), b_), At(10, 0));
  checks_.OnCommitted(1, Commit(Id(1, 1), Command::Nop()), At(11, 1));
  CommitRecord with_seq = Commit(Id(0, 1), a_);
  with_seq.seq = 3;
  checks_.OnCommitted(0, with_seq, At(12, 0));
  with_seq.seq = 4;
  checks_.OnCommitted(1, with_seq, At(13, 1));
  EXPECT_EQ(checks_.violation_counts().at("agreement"), 2);
}

TEST_F(InvariantsTest, ExecutionOrderFiresOnOppositeOrders) {
  checks_.OnExecuted(0, Exec(Id(0, 1), a_), At(1, 0));
  checks_.OnExecuted(0, Exec(Id(1, 1), b_), At(2, 0));
  checks_.OnExecuted(1, Exec(Id(1, 1), b_), At(3, 1));
  EXPECT_TRUE(checks_.ok());
  checks_.OnExecuted(1, Exec(Id(0, 1), a_), At(4, 1, "execute a"));
  ASSERT_EQ(checks_.violations().size(), 1u);
  const InvariantViolation& v = checks_.violations()[0];
  EXPECT_EQ(v.check, "execution-order");
  EXPECT_EQ(v.where.time, 4);
  EXPECT_THAT(v.commands, UnorderedElementsAre(Id(0, 1), Id(1, 1)));
  EXPECT_THAT(v.replicas, UnorderedElementsAre(0, 1));
}

TEST_F(InvariantsTest, ExecutionOrderFiresWhenTheOtherReplicaIsLast) {
  // r0: a then b; r1: b ... then a arrives at r1 last is the case above;
  // here r1 executes b first, then r0 runs a, b and the violation shows at
  // r0's b, with r1 lagging on a.
  checks_.OnExecuted(1, Exec(Id(1, 1), b_), At(1, 1));
  checks_.OnExecuted(1, Exec(Id(0, 1), a_), At(2, 1));
  checks_.OnExecuted(0, Exec(Id(0, 1), a_), At(3, 0));
  EXPECT_TRUE(checks_.ok());
  checks_.OnExecuted(0, Exec(Id(1, 1), b_), At(4, 0));
  EXPECT_EQ(VerdictOf(checks_, RunChecker::kExecutionOrder),
            CheckVerdict::kViolation);
}

TEST_F(InvariantsTest, ReadsMayBeReorderedAmongThemselves) {
  const Command b2 = Get(4, 1, "x");
  checks_.OnSubmitted(b2);
  checks_.OnExecuted(0, Exec(Id(1, 1), b_), At(1, 0));
  checks_.OnExecuted(0, Exec(Id(3, 1), b2), At(2, 0));
  checks_.OnExecuted(1, Exec(Id(3, 1), b2), At(3, 1));
  checks_.OnExecuted(1, Exec(Id(1, 1), b_), At(4, 1));
  // Other keys do not conflict either.
  checks_.OnExecuted(0, Exec(Id(2, 1), c_), At(5, 0));
  checks_.OnExecuted(1, Exec(Id(0, 1), a_), At(6, 1));
  checks_.OnExecuted(1, Exec(Id(2, 1), c_), At(7, 1));
  checks_.OnExecuted(0, Exec(Id(0, 1), a_), At(8, 0));
  EXPECT_TRUE(checks_.ok()) << checks_.violations()[0].ToString();
}

TEST_F(InvariantsTest, ExecutionOrderAcrossManyReplicasAndLag) {
  // 5 replicas execute a long sequence of writes to one key in the same
  // order at different paces: no violation; then one replica swaps two.
  std::vector<Command> cmds;
  for (int i = 0; i < 200; ++i) {
    cmds.push_back(Put(10 + i, 1, "k", std::to_string(i)));
    checks_.OnSubmitted(cmds.back());
  }
  for (int r = 0; r < 4; ++r) {
    for (int i = 0; i < 200 - 30 * r; ++i) {
      checks_.OnExecuted(r, Exec(Id(9, i), cmds[i]), At(i, r));
    }
  }
  EXPECT_TRUE(checks_.ok());
  for (int i = 0; i < 200; ++i) {
    const int j = i == 100 ? 101 : i == 101 ? 100 : i;
    checks_.OnExecuted(4, Exec(Id(9, j), cmds[j]), At(1000 + i, 4));
  }
  EXPECT_EQ(VerdictOf(checks_, RunChecker::kExecutionOrder),
            CheckVerdict::kViolation);
  EXPECT_THAT(checks_.violations()[0].commands,
              UnorderedElementsAre(Id(9, 100), Id(9, 101)));
}

TEST_F(InvariantsTest, ExactlyOnceFiresOnDoubleExecution) {
  checks_.OnExecuted(0, Exec(Id(0, 1), a_), At(1, 0));
  checks_.OnExecuted(0, Exec(Id(0, 1), a_), At(2, 0));
  ASSERT_EQ(checks_.violations().size(), 1u);
  EXPECT_EQ(checks_.violations()[0].check, "exactly-once");
  EXPECT_THAT(checks_.violations()[0].detail, HasSubstr("2 times"));
}

TEST_F(InvariantsTest, ExactlyOnceFiresOnRequestTakingEffectTwice) {
  // The same request under two ids: fine if the second is a recognised
  // duplicate ...
  checks_.OnExecuted(0, Exec(Id(0, 1), a_), At(1, 0));
  checks_.OnExecuted(0, Exec(Id(0, 2), a_, /*duplicate=*/true), At(2, 0));
  EXPECT_TRUE(checks_.ok());
  // ... not if it takes effect again.
  checks_.OnExecuted(0, Exec(Id(0, 3), a_), At(3, 0));
  ASSERT_EQ(checks_.violations().size(), 1u);
  EXPECT_THAT(checks_.violations()[0].detail, HasSubstr("took effect twice"));
  EXPECT_THAT(checks_.violations()[0].commands,
              ElementsAre(Id(0, 1), Id(0, 3)));
}

TEST_F(InvariantsTest, ValidityFiresOnUnsubmittedCommands) {
  checks_.OnCommitted(0, Commit(Id(5, 1), Command::Nop()), At(1, 0));
  EXPECT_TRUE(checks_.ok());  // a Nop is always allowed
  Command forged = a_;
  forged.value = "forged";
  checks_.OnCommitted(0, Commit(Id(5, 2), forged), At(2, 0));
  checks_.OnExecuted(1, Exec(Id(5, 3), Put(99, 1, "x", "z")), At(3, 1));
  EXPECT_EQ(checks_.violation_counts().at("exactly-once"), 2);
  EXPECT_THAT(checks_.violations()[0].detail,
              HasSubstr("which no client submitted"));
}

TEST_F(InvariantsTest, ConvergenceFiresOnDifferentDigests) {
  checks_.Finish({{0, {Id(0, 1), Id(1, 1)}, 1},
                  {1, {Id(1, 1), Id(0, 1)}, 2},
                  {2, {Id(0, 1)}, 3}},
                 At(100, -1, "quiescence"));
  ASSERT_EQ(checks_.violations().size(), 1u);
  EXPECT_EQ(checks_.violations()[0].check, "convergence");
  EXPECT_THAT(checks_.violations()[0].replicas, ElementsAre(0, 1));
  EXPECT_THAT(checks_.violations()[0].ToString(), Not(HasSubstr("replica -1")));
}

// A protocol check that objects to any command on key "bad".
class NoBadKey : public protocol::ProtocolCheck {
 public:
  std::string_view Name() const override { return "no-bad-key"; }
  std::optional<std::string> OnFirstCommit(const CommitRecord& r) override {
    ++calls;
    if (r.command.key == "bad") return "key bad committed";
    return std::nullopt;
  }
  static inline int calls = 0;
};

TEST(RunCheckerTest, RunsProtocolChecksAtFirstCommitOnly) {
  std::vector<std::unique_ptr<protocol::ProtocolCheck>> extra;
  extra.push_back(std::make_unique<NoBadKey>());
  RunChecker checks(std::move(extra));
  EXPECT_EQ(checks.verdicts().at("no-bad-key"), CheckVerdict::kOk);
  NoBadKey::calls = 0;
  const Command good = Put(1, 1, "x", "v");
  const Command bad = Put(2, 1, "bad", "v");
  checks.OnSubmitted(good);
  checks.OnSubmitted(bad);
  checks.OnCommitted(0, Commit(Id(0, 1), good), At(1, 0));
  checks.OnCommitted(1, Commit(Id(0, 1), good), At(2, 1));
  EXPECT_EQ(NoBadKey::calls, 1);
  EXPECT_TRUE(checks.ok());
  checks.OnCommitted(1, Commit(Id(0, 2), bad), At(3, 1));
  EXPECT_EQ(checks.verdicts().at("no-bad-key"), CheckVerdict::kViolation);
  EXPECT_EQ(checks.violations()[0].check, "no-bad-key");
  EXPECT_EQ(checks.violations()[0].detail, "key bad committed");
}

TEST(RunCheckerTest, LinearizabilityVerdictIsFedIn) {
  History h;
  Operation put;
  put.id = 0;
  put.op = OpType::kPut;
  put.key = "x";
  put.value = "a";
  put.call = 0;
  put.ret = 10;
  Operation get;
  get.id = 1;
  get.client = 1;
  get.key = "x";
  get.call = 20;
  get.ret = 30;  // returns absent after the put: stale
  h.operations = {put, get};
  RunChecker checks;
  checks.SetLinearizability(h, CheckLinearizability(h));
  EXPECT_EQ(checks.verdicts().at("linearizability"), CheckVerdict::kViolation);
  ASSERT_EQ(checks.violations().size(), 1u);
  EXPECT_THAT(checks.violations()[0].detail, HasSubstr("key \"x\""));

  RunChecker fine;
  h.operations[1].output.value = "a";
  fine.SetLinearizability(h, CheckLinearizability(h));
  EXPECT_EQ(fine.verdicts().at("linearizability"), CheckVerdict::kOk);
}

TEST(RunCheckerTest, CapsStoredViolationsButCountsAll) {
  RunChecker checks;
  for (int i = 0; i < 25; ++i) {
    checks.OnCommitted(0, Commit(Id(0, i), Put(1, i, "x", "v")), At(i, 0));
  }
  EXPECT_EQ(checks.violation_counts().at("exactly-once"), 25);
  EXPECT_EQ(checks.violations().size(),
            static_cast<size_t>(RunChecker::kMaxViolationsPerCheck));
}

TEST(LivenessTest, QuietWhenEverythingExecuted) {
  RequestStatus done{Put(1, 1, "x", "v"), {Id(0, 1)}, true};
  EXPECT_FALSE(CheckLiveness({{0, {}}}, {done}, At(5, -1)).has_value());
}

TEST(LivenessTest, ReportsTheWaitForGraph) {
  // 0.1 is committed at replica 0 but waits on 1.1, which replica 1 has only
  // preaccepted and is recovering; 1.1 waits on 2.7 which no live replica
  // knows.
  protocol::PendingCommand a{
      Id(0, 1), "committed", {Id(1, 1)}, std::nullopt, std::nullopt};
  protocol::PendingCommand b0{
      Id(1, 1), "preaccepted", {Id(2, 7)}, 4, std::nullopt};
  protocol::PendingCommand b1{
      Id(1, 1), "preaccepted", {}, std::nullopt, std::nullopt};
  RequestStatus stuck{Put(1, 1, "x", "v"), {Id(0, 1)}, false};
  RequestStatus unknown{Get(2, 3, "y"), {}, false};
  std::optional<InvariantViolation> v =
      CheckLiveness({{0, {a, b0}}, {1, {b1}}}, {stuck, unknown},
                    At(5000, -1, "liveness bound"));
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->check, "liveness");
  EXPECT_THAT(v->commands, ElementsAre(Id(0, 1)));
  EXPECT_THAT(v->replicas, ElementsAre(0));
  EXPECT_THAT(v->detail, HasSubstr("2 submitted request(s)"));
  EXPECT_THAT(v->detail, HasSubstr("(no command id known)"));
  EXPECT_THAT(v->detail,
              HasSubstr("0.1  replica 0: committed, waiting on 1.1; not "
                        "pending at the other 1 live replica(s)"));
  EXPECT_THAT(v->detail,
              HasSubstr("    1.1  replica 0: preaccepted, recovery ballot 4, "
                        "waiting on 2.7; replica 1: preaccepted"));
  EXPECT_THAT(v->detail, HasSubstr("      2.7  not pending at any live "
                                   "replica"));
  // It feeds the facade like any other check.
  RunChecker checks;
  checks.Report("liveness", std::move(v));
  EXPECT_EQ(checks.verdicts().at("liveness"), CheckVerdict::kViolation);
}

}  // namespace
}  // namespace epsim::checker
