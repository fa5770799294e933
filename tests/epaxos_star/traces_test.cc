// The four small traces of docs/protocols.md I.13 (n = 3, f = e = 1; A = 0,
// B = 1, C = 2; x submitted at A and y at B conflict).
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/epaxos_star/cluster.h"

namespace epsim::protocol::epaxos_star::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr NodeId A = 0, B = 1, C = 2;

TEST(StarTracesTest, FastPath) {
  Cluster c(3);
  const Command payload = Put("k", "x");
  const CommandId x = c.Submit(A, payload);
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, A, B));
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, B, A));
  EXPECT_EQ(c.coverage("fast-path"), 1);
  ASSERT_TRUE(c.CommitAt(A, x).has_value());
  EXPECT_EQ(c.CommitAt(A, x)->path, "fast");
  EXPECT_THAT(c.CommitAt(A, x)->deps, IsEmpty());
  // C applies the Commit directly although it never saw the PreAccept.
  ASSERT_TRUE(c.Deliver(MsgKind::kCommit, A, C));
  ASSERT_TRUE(c.CommitAt(C, x).has_value());
  EXPECT_EQ(c.CommitAt(C, x)->command, payload);
  ASSERT_EQ(c.executions(C).size(), 1u);
  EXPECT_EQ(c.executions(C)[0].id, x);
  c.Settle();
  EXPECT_THAT(c.violations(), IsEmpty());
  EXPECT_TRUE(c.AllDone());
}

TEST(StarTracesTest, SlowPathAndVisibility) {
  Cluster c(3);
  const CommandId y = c.Submit(B, Put("k", "y"));  // B pre-accepts y
  const CommandId x = c.Submit(A, Put("k", "x"));
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, A, B, x));  // D_B = {y}
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, A, C, x));  // D_C = {}
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, B, C, y));  // D_C(y) = {x}
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, B, A, y));  // D_A(y) = {x}
  EXPECT_THAT(c.At(B, x)->dep.ToVector(), ElementsAre(y));
  // x: A and C match initDep = {}: fast as soon as C's reply is in.
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, C, A, x));
  ASSERT_TRUE(c.CommitAt(A, x).has_value());
  EXPECT_EQ(c.CommitAt(A, x)->path, "fast");
  EXPECT_THAT(c.CommitAt(A, x)->deps, IsEmpty());
  // y: one mismatch is not enough to give up the fast path (e = 1)...
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, C, B, y));
  EXPECT_EQ(c.Count({MsgKind::kAccept, B, {}, y}), 0u);
  // ...two are: slow path with the union.
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, A, B, y));
  EXPECT_EQ(c.coverage("slow-path"), 1);
  EXPECT_EQ(c.coverage("fast-path-timer"), 0);
  ASSERT_EQ(c.Count({MsgKind::kAccept, B, {}, y}), 2u);
  ASSERT_TRUE(c.Deliver(MsgKind::kAccept, B, C, y));
  ASSERT_TRUE(c.Deliver(MsgKind::kAcceptOK, C, B, y));
  ASSERT_TRUE(c.CommitAt(B, y).has_value());
  EXPECT_EQ(c.CommitAt(B, y)->path, "slow");
  EXPECT_THAT(c.CommitAt(B, y)->deps, ElementsAre(x));
  c.Settle();
  EXPECT_THAT(c.violations(), IsEmpty());
  for (NodeId i : {A, B, C}) {
    ASSERT_EQ(c.executions(i).size(), 2u) << i;
    EXPECT_EQ(c.executions(i)[0].id, x);
    EXPECT_EQ(c.executions(i)[1].id, y);
    EXPECT_THAT(c.replica(i).kv().Find("k"),
                ::testing::Pointee(std::string("y")));
  }
}

TEST(StarTracesTest, RecoveryKeepsTheCommand) {
  Cluster c(3);
  const Command payload = Put("k", "x");
  const CommandId x = c.Submit(A, payload);
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, A, B));  // reply to A delayed
  c.Crash(A);
  c.Drop({{}, A, {}, {}});  // C never hears of x
  ASSERT_TRUE(c.replica(B).StartRecovery(x, std::nullopt).ok());
  EXPECT_EQ(c.replica(B).RecoveryBallot(x), Ballot{2});
  ASSERT_TRUE(c.Deliver(MsgKind::kRecover, B, C));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecoverOK, C, B));
  EXPECT_EQ(c.coverage("recover/validate"), 1);
  ASSERT_TRUE(c.Deliver(MsgKind::kValidate, B, C));
  ASSERT_TRUE(c.Deliver(MsgKind::kValidateOK, C, B));
  EXPECT_EQ(c.coverage("validate/empty-I-accept"), 1);
  ASSERT_TRUE(c.Deliver(MsgKind::kAccept, B, C));
  ASSERT_TRUE(c.Deliver(MsgKind::kAcceptOK, C, B));
  ASSERT_TRUE(c.CommitAt(B, x).has_value());
  EXPECT_EQ(c.CommitAt(B, x)->command, payload);
  EXPECT_THAT(c.CommitAt(B, x)->deps, IsEmpty());
  EXPECT_EQ(c.CommitAt(B, x)->path, "recovery");
  EXPECT_EQ(c.CommitAt(B, x)->ballot, 2u);
  c.Settle();
  ASSERT_TRUE(c.CommitAt(C, x).has_value());
  EXPECT_EQ(c.executions(C).size(), 1u);
  EXPECT_THAT(c.violations(), IsEmpty());
}

TEST(StarTracesTest, RecoveryGivesNopWhenTheCoordinatorAnswers) {
  Cluster c(3);
  const Command payload = Put("k", "x", 7, 1);
  const CommandId x = c.Submit(A, payload);
  // A is partitioned: its PreAccepts are held. A's commit timer fires.
  ASSERT_TRUE(c.FireTimer(A, kRecoveryTimer));
  EXPECT_EQ(c.replica(A).RecoveryBallot(x), Ballot{1});
  // The Recover(1) overtakes the PreAccept at B, which is then dead.
  ASSERT_TRUE(c.Deliver(MsgKind::kRecover, A, B));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecoverOK, B, A));
  EXPECT_EQ(c.coverage("recover/coord-in-Q-nop"), 1);
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, A, B, x));
  EXPECT_EQ(c.At(B, x)->phase, Phase::kInitial);
  ASSERT_TRUE(c.Deliver(MsgKind::kAccept, A, B, x));
  ASSERT_TRUE(c.Deliver(MsgKind::kAcceptOK, B, A, x));
  ASSERT_TRUE(c.CommitAt(A, x).has_value());
  EXPECT_TRUE(c.CommitAt(A, x)->command.nop);
  EXPECT_THAT(c.CommitAt(A, x)->deps, IsEmpty());
  EXPECT_EQ(c.coverage("nop-commit"), 1);
  EXPECT_EQ(c.coverage("resubmit"), 1);
  // The payload goes again under a new id.
  const CommandId again = c.NewestPreAccept(A);
  EXPECT_NE(again, x);
  EXPECT_EQ(*c.At(A, again)->cmd, payload);
  c.RunToQuiescence();
  EXPECT_THAT(c.violations(), IsEmpty());
  for (NodeId i : {A, B, C}) {
    ASSERT_EQ(c.executions(i).size(), 1u) << i;
    EXPECT_EQ(c.executions(i)[0].id, again);
    EXPECT_FALSE(c.executions(i)[0].duplicate);
  }
}

}  // namespace
}  // namespace epsim::protocol::epaxos_star::testing
