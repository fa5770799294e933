// Replica plumbing: Clone/StateHash, Restart (the durable state of
// docs/protocols.md I.4), Pending, Visibility check, trace lines.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/epaxos_star/cluster.h"

namespace epsim::protocol::epaxos_star::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr NodeId A = 0, B = 1, C = 2;

TEST(StarReplicaTest, CloneHasTheSameHashUntilItsStateMoves) {
  Cluster c(3);
  const CommandId x = c.Submit(A, Put("k", "x"));
  FakeEnv other(c, B);
  std::unique_ptr<Replica> copy = c.replica(B).Clone(other);
  EXPECT_EQ(copy->StateHash(), c.replica(B).StateHash());
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, A, B, x));
  EXPECT_NE(copy->StateHash(), c.replica(B).StateHash());
  // The copy reaches the same state from the same input.
  const auto& pre_accept = *std::find_if(
      c.in_flight().begin(), c.in_flight().end(), [&](const auto& m) {
        return m.message->kind == MsgKind::kPreAccept && m.to == C;
      });
  copy->OnMessage(A, *pre_accept.message);
  EXPECT_EQ(copy->StateHash(), c.replica(B).StateHash());
}

TEST(StarReplicaTest, RestartKeepsDurableStateAndRearmsRecovery) {
  Cluster c(3);
  const Command px = Put("k", "x");
  const CommandId x = c.Submit(A, px);
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, A, B, x));
  c.Restart(B);
  ASSERT_NE(c.At(B, x), nullptr);
  EXPECT_EQ(c.At(B, x)->phase, Phase::kPreAccepted);
  EXPECT_EQ(*c.At(B, x)->cmd, px);
  // Its recovery timer is back: firing it starts a recovery of x.
  ASSERT_TRUE(c.FireTimer(B, kRecoveryTimer));
  EXPECT_EQ(c.replica(B).RecoveryBallot(x), Ballot{2});
  c.RunToQuiescence();
  EXPECT_THAT(c.violations(), IsEmpty());
  EXPECT_TRUE(c.AllDone());
}

TEST(StarReplicaTest, PendingNamesWhatBlocksExecution) {
  Cluster c(3);
  const CommandId y = c.Submit(B, Put("k", "y"));  // held
  const CommandId x = c.Submit(A, Put("k", "x"));
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, B, C, y));
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, A, B, x));  // B: {y}
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, A, C, x));  // C: {y}
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, B, A, x));
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, C, A, x));  // slow
  ASSERT_TRUE(c.Deliver(MsgKind::kAccept, A, C, x));
  ASSERT_TRUE(c.Deliver(MsgKind::kAcceptOK, C, A, x));
  ASSERT_THAT(c.CommitAt(A, x)->deps, ElementsAre(y));
  std::vector<PendingCommand> pending = c.replica(A).Pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].id, x);
  EXPECT_EQ(pending[0].phase, "committed");
  EXPECT_THAT(pending[0].waiting_on, ElementsAre(y));
  EXPECT_EQ(c.coverage("trigger/blocked-execution"), 1);
  c.RunToQuiescence();
  EXPECT_TRUE(c.AllDone());
  EXPECT_THAT(c.violations(), IsEmpty());
}

TEST(StarReplicaTest, TraceLinesShowStateChanges) {
  Cluster c(3);
  c.set_trace(true);
  const CommandId x = c.Submit(A, Put("k", "x"));
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, A, B, x));
  bool found = false;
  for (const std::string& line : c.trace()) {
    found |= line.find("p1 0.1 preaccept: phase=preaccepted bal=0 abal=0") !=
             std::string::npos;
  }
  EXPECT_TRUE(found);
}

CommitRecord Rec(CommandId id, Command command, std::vector<CommandId> deps) {
  CommitRecord r;
  r.id = id;
  r.command = std::move(command);
  r.deps = std::move(deps);
  return r;
}

TEST(StarVisibilityCheckTest, FlagsConflictingCommitsThatIgnoreEachOther) {
  VisibilityCheck check("visibility");
  CommitRecord a = Rec({0, 1}, Put("k", "a"), {});
  CommitRecord b = Rec({1, 1}, Put("k", "b"), {});
  CommitRecord other = Rec({2, 1}, Put("j", "c"), {});
  CommitRecord d = Rec({2, 2}, Put("k", "d"), {{0, 1}});
  Command get;
  get.key = "k";
  CommitRecord r1 = Rec({0, 5}, get, {});
  CommitRecord r2 = Rec({1, 5}, get, {});
  EXPECT_EQ(check.OnFirstCommit(a), std::nullopt);
  EXPECT_EQ(check.OnFirstCommit(other), std::nullopt);  // other key
  EXPECT_NE(check.OnFirstCommit(b), std::nullopt);      // a, b: neither
  CommitRecord nop = Rec({2, 3}, Command::Nop(), {});
  EXPECT_EQ(check.OnFirstCommit(nop), std::nullopt);  // Nops are exempt
  VisibilityCheck fresh("visibility");
  EXPECT_EQ(fresh.OnFirstCommit(a), std::nullopt);
  EXPECT_EQ(fresh.OnFirstCommit(d), std::nullopt);   // d sees a
  EXPECT_NE(fresh.OnFirstCommit(r1), std::nullopt);  // get vs puts a, d
  VisibilityCheck reads("visibility");
  EXPECT_EQ(reads.OnFirstCommit(r1), std::nullopt);
  EXPECT_EQ(reads.OnFirstCommit(r2), std::nullopt);  // reads commute
}

TEST(StarVisibilityCheckTest, LooksIntoEveryBlockOfALongHistory) {
  // A key with a history over many blocks of counters, each command
  // depending on all before it: fine. Then one that misses a single old
  // command: a violation, unless that command depends on it.
  VisibilityCheck check("visibility");
  std::vector<CommandId> history;
  for (uint64_t c = 1; c <= 600; c += 7) {
    const CommandId id{static_cast<uint32_t>(c % 5), c};
    EXPECT_EQ(check.OnFirstCommit(Rec(id, Put("k", "v"), history)),
              std::nullopt);
    history.push_back(id);
  }
  std::vector<CommandId> missing_one = history;
  missing_one.erase(missing_one.begin() + 3);  // an early block's command
  EXPECT_NE(check.OnFirstCommit(Rec({4, 700}, Put("k", "w"), missing_one)),
            std::nullopt);
  VisibilityCheck seen("visibility");
  std::vector<CommandId> deps;
  for (const CommandId& id : history) {
    // Each old command already depends on the late one, (2, 800).
    std::vector<CommandId> with_late = deps;
    with_late.push_back({2, 800});
    EXPECT_EQ(seen.OnFirstCommit(Rec(id, Put("k", "v"), with_late)),
              std::nullopt);
    deps.push_back(id);
  }
  EXPECT_EQ(seen.OnFirstCommit(Rec({2, 800}, Put("k", "w"), {})), std::nullopt);
}

}  // namespace
}  // namespace epsim::protocol::epaxos_star::testing
