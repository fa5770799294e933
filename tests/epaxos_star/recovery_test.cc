// Every recovery branch of Fig. 5 reached by a scripted schedule, with the
// outcome each must give (docs/protocols.md I.8). n = 3 (A, B, C) where enough,
// else n = 5, f = e = 2 (A..E): slow and fast quorums 3, |Q| - e = 1,
// n - f - e = 1. D = 3 owns ballots 4, 9, ...; E = 4 owns 5, 10, ...
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/epaxos_star/cluster.h"

namespace epsim::protocol::epaxos_star::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr NodeId A = 0, B = 1, C = 2, D = 3, E = 4;

bool CommittedNop(Cluster& c, NodeId at, const CommandId& id) {
  auto r = c.CommitAt(at, id);
  return r.has_value() && r->command.nop;
}

// Every live replica executed each payload exactly once (maybe under a new
// id after a Nop), and nothing was reported twice.
void ExpectExecutedOnce(Cluster& c, const std::vector<Command>& payloads) {
  for (NodeId i = 0; i < c.n(); ++i) {
    if (c.crashed(i)) continue;
    for (const Command& p : payloads) {
      int fresh = 0;
      for (const ExecutionRecord& e : c.executions(i)) {
        if (e.command == p && !e.duplicate) ++fresh;
      }
      EXPECT_EQ(fresh, 1) << "p" << i << " " << p.ToString();
    }
  }
}

TEST(StarRecoveryTest, CommittedReplyWins) {
  Cluster c(3);
  const Command px = Put("k", "x");
  const CommandId x = c.Submit(A, px);
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, A, B));
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, B, A));
  ASSERT_TRUE(c.Deliver(MsgKind::kCommit, A, B));
  c.Drop({{}, A, C, {}});  // C knows nothing of x
  ASSERT_TRUE(c.replica(C).StartRecovery(x, std::nullopt).ok());
  ASSERT_TRUE(c.Deliver(MsgKind::kRecover, C, B));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecoverOK, B, C));
  EXPECT_EQ(c.coverage("recover/committed"), 1);
  ASSERT_TRUE(c.CommitAt(C, x).has_value());
  EXPECT_EQ(c.CommitAt(C, x)->command, px);
  EXPECT_EQ(c.CommitAt(C, x)->ballot, 3u);
  c.RunToQuiescence();
  EXPECT_THAT(c.violations(), IsEmpty());
  ExpectExecutedOnce(c, {px});
}

TEST(StarRecoveryTest, AcceptedReplyWinsAfterFastPathTimer) {
  Cluster c(3);
  const Command px = Put("k", "x"), py = Put("k", "y");
  const CommandId x = c.Submit(A, px);  // A's messages held
  const CommandId y = c.Submit(B, py);
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, B, A, y));  // D_A = {x}
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, A, B, y));
  // One mismatch of e = 1 allowed: B waits for C, then T1 fires.
  EXPECT_EQ(c.Count({MsgKind::kAccept, B, {}, y}), 0u);
  ASSERT_TRUE(c.FireTimer(B, kFastPathTimer));
  EXPECT_EQ(c.coverage("fast-path-timer"), 1);
  ASSERT_TRUE(c.Deliver(MsgKind::kAccept, B, A, y));
  EXPECT_EQ(c.At(A, y)->phase, Phase::kAccepted);
  c.Crash(B);
  c.Drop({{}, B, {}, {}});
  ASSERT_TRUE(c.replica(C).StartRecovery(y, std::nullopt).ok());
  ASSERT_TRUE(c.Deliver(MsgKind::kRecover, C, A, y));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecoverOK, A, C, y));
  EXPECT_EQ(c.coverage("recover/accepted"), 1);
  ASSERT_TRUE(c.Deliver(MsgKind::kAccept, C, A, y));
  ASSERT_TRUE(c.Deliver(MsgKind::kAcceptOK, A, C, y));
  ASSERT_TRUE(c.CommitAt(C, y).has_value());
  EXPECT_EQ(c.CommitAt(C, y)->command, py);
  EXPECT_THAT(c.CommitAt(C, y)->deps, ElementsAre(x));
  c.RunToQuiescence();
  EXPECT_THAT(c.violations(), IsEmpty());
  ExpectExecutedOnce(c, {px, py});
}

TEST(StarRecoveryTest, TooFewWitnessesGiveNop) {
  Cluster c(3);
  const CommandId z = c.Submit(C, Put("k", "z"));  // held
  const CommandId x = c.Submit(A, Put("k", "x"));
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, A, C, x));  // dep {z} != {}
  EXPECT_THAT(c.At(C, x)->dep.ToVector(), ElementsAre(z));
  c.Crash(A);
  c.Drop({{}, A, {}, {}});
  ASSERT_TRUE(c.replica(B).StartRecovery(x, std::nullopt).ok());
  ASSERT_TRUE(c.Deliver(MsgKind::kRecover, B, C, x));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecoverOK, C, B, x));
  EXPECT_EQ(c.coverage("recover/rmax-too-small-nop"), 1);
  ASSERT_TRUE(c.Deliver(MsgKind::kAccept, B, C, x));
  ASSERT_TRUE(c.Deliver(MsgKind::kAcceptOK, C, B, x));
  EXPECT_TRUE(CommittedNop(c, B, x));
  c.RunToQuiescence();
  EXPECT_THAT(c.violations(), IsEmpty());
  EXPECT_EQ(c.coverage("resubmit"), 0);  // A crashed: nobody resubmits
}

TEST(StarRecoveryTest, RecoverWithExplicitBallotIsChecked) {
  Cluster c(3);
  const CommandId x = c.Submit(A, Put("k", "x"));
  EXPECT_FALSE(c.replica(B).StartRecovery(x, Ballot{3}).ok());  // C's
  EXPECT_FALSE(c.replica(B).StartRecovery(x, Ballot{0}).ok());
  EXPECT_TRUE(c.replica(B).StartRecovery(x, Ballot{5}).ok());
  EXPECT_FALSE(c.replica(B).StartRecovery(x, Ballot{5}).ok());  // not above
  EXPECT_EQ(c.replica(B).RecoveryBallot(x), Ballot{5});
}

// n = 5: D recovers x (A's, pre-accepted only by B) with Q = {D, B, C},
// while C's conflicting z is pre-accepted at D and C: Validate finds z in
// I and, since initCoord(z) = C is in Q, the attempt waits.
void ReachWait(Cluster& c, const CommandId& x) {
  ASSERT_TRUE(c.replica(D).StartRecovery(x, std::nullopt).ok());
  ASSERT_EQ(c.replica(D).RecoveryBallot(x), Ballot{4});
  ASSERT_TRUE(c.Deliver(MsgKind::kRecover, D, B, x));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecoverOK, B, D, x));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecover, D, C, x));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecoverOK, C, D, x));
  ASSERT_EQ(c.coverage("recover/validate"), 1);
  ASSERT_TRUE(c.Deliver(MsgKind::kValidate, D, B, x));
  ASSERT_TRUE(c.Deliver(MsgKind::kValidate, D, C, x));
  ASSERT_TRUE(c.Deliver(MsgKind::kValidateOK, B, D, x));
  ASSERT_TRUE(c.Deliver(MsgKind::kValidateOK, C, D, x));
  ASSERT_EQ(c.coverage("validate/wait"), 1);
  ASSERT_FALSE(c.At(D, x)->phase == Phase::kAccepted);
  ASSERT_EQ(c.Count({MsgKind::kAccept, D, {}, x}), 0u);
}

struct XZ {
  Command px, pz;
  CommandId x, z;
};
// A submits x, pre-accepted by B; C submits z, pre-accepted by D.
XZ SubmitXZ(Cluster& c) {
  XZ s{Put("k", "x"), Put("k", "z"), {}, {}};
  s.x = c.Submit(A, s.px);
  EXPECT_TRUE(c.Deliver(MsgKind::kPreAccept, A, B, s.x));
  s.z = c.Submit(C, s.pz);
  EXPECT_TRUE(c.Deliver(MsgKind::kPreAccept, C, D, s.z));
  return s;
}

TEST(StarRecoveryTest, CommittedConflictInIGivesNop) {
  Cluster c(5);
  const Command px = Put("k", "x"), pz = Put("k", "z");
  const CommandId x = c.Submit(A, px);
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, A, B, x));  // B: a witness
  const CommandId z = c.Submit(C, pz);
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, C, D, z));
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, C, E, z));
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, D, C, z));
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, E, C, z));
  ASSERT_TRUE(c.CommitAt(C, z).has_value());  // fast, without x
  ASSERT_TRUE(c.Deliver(MsgKind::kCommit, C, D, z));
  c.Crash(A);
  c.Drop({{}, A, {}, {}});
  ASSERT_TRUE(c.replica(D).StartRecovery(x, std::nullopt).ok());
  ASSERT_TRUE(c.Deliver(MsgKind::kRecover, D, B, x));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecoverOK, B, D, x));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecover, D, E, x));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecoverOK, E, D, x));
  ASSERT_EQ(c.coverage("recover/validate"), 1);
  ASSERT_EQ(c.DeliverAll({MsgKind::kValidate, D, {}, x}), 2);
  ASSERT_EQ(c.DeliverAll({MsgKind::kValidateOK, {}, D, x}), 2);
  EXPECT_EQ(c.coverage("validate/committed-conflict-nop"), 1);
  c.RunToQuiescence();
  EXPECT_TRUE(CommittedNop(c, D, x));
  EXPECT_THAT(c.violations(), IsEmpty());
}

TEST(StarRecoveryTest, TightWitnessCountWithCoordinatorOutsideQGivesNop) {
  Cluster c(5);
  const XZ s = SubmitXZ(c);
  c.Crash(A);
  c.Drop({{}, A, {}, {}});
  // Q = {D, B, E}: initCoord(z) = C is outside.
  ASSERT_TRUE(c.replica(D).StartRecovery(s.x, std::nullopt).ok());
  ASSERT_TRUE(c.Deliver(MsgKind::kRecover, D, B, s.x));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecoverOK, B, D, s.x));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecover, D, E, s.x));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecoverOK, E, D, s.x));
  ASSERT_EQ(c.DeliverAll({MsgKind::kValidate, D, {}, s.x}), 2);
  ASSERT_EQ(c.DeliverAll({MsgKind::kValidateOK, {}, D, s.x}), 2);
  EXPECT_EQ(c.coverage("validate/tight-rmax-nop"), 1);
  c.RunToQuiescence();
  EXPECT_TRUE(CommittedNop(c, D, s.x));
  EXPECT_THAT(c.violations(), IsEmpty());
  ExpectExecutedOnce(c, {s.pz});
}

TEST(StarRecoveryTest, WaitEndedByW1) {
  Cluster c(5);
  const XZ s = SubmitXZ(c);
  c.Crash(A);
  c.Drop({{}, A, {}, {}});
  ReachWait(c, s.x);
  // z commits fast without x (C, D, E never saw x's PreAccept).
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, C, E, s.z));
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, D, C, s.z));
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, E, C, s.z));
  ASSERT_EQ(c.CommitAt(C, s.z)->path, "fast");
  ASSERT_TRUE(c.Deliver(MsgKind::kCommit, C, D, s.z));
  EXPECT_EQ(c.coverage("wait/W1"), 1);
  c.RunToQuiescence();
  EXPECT_TRUE(CommittedNop(c, D, s.x));
  EXPECT_THAT(c.violations(), IsEmpty());
}

TEST(StarRecoveryTest, WaitEndedByW2) {
  Cluster c(5);
  const XZ s = SubmitXZ(c);
  c.Crash(A);
  c.Drop({{}, A, {}, {}});
  ReachWait(c, s.x);
  // z goes slow and picks up x from B: z's final deps contain x.
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, C, B, s.z));
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, D, C, s.z));
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, B, C, s.z));
  ASSERT_TRUE(c.FireTimer(C, kFastPathTimer));
  ASSERT_TRUE(c.Deliver(MsgKind::kAccept, C, B, s.z));
  ASSERT_TRUE(c.Deliver(MsgKind::kAccept, C, D, s.z));
  ASSERT_TRUE(c.Deliver(MsgKind::kAcceptOK, B, C, s.z));
  ASSERT_TRUE(c.Deliver(MsgKind::kAcceptOK, D, C, s.z));
  ASSERT_THAT(c.CommitAt(C, s.z)->deps, ElementsAre(s.x));
  ASSERT_TRUE(c.Deliver(MsgKind::kCommit, C, D, s.z));
  EXPECT_EQ(c.coverage("wait/W2"), 1);
  c.RunToQuiescence();
  ASSERT_TRUE(c.CommitAt(D, s.x).has_value());
  EXPECT_EQ(c.CommitAt(D, s.x)->command, s.px);
  EXPECT_THAT(c.violations(), IsEmpty());
  ExpectExecutedOnce(c, {s.px, s.pz});
}

TEST(StarRecoveryTest, WaitEndedByW3) {
  Cluster c(5);
  const XZ s = SubmitXZ(c);
  c.Crash(A);
  c.Drop({{}, A, {}, {}});
  ReachWait(c, s.x);
  // E pre-accepts z without knowing x; E then recovers z with Q = {E, D, B}:
  // two witnesses (D, E), x in I, not tight: E waits and publishes k = 2.
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, C, E, s.z));
  ASSERT_TRUE(c.replica(E).StartRecovery(s.z, std::nullopt).ok());
  ASSERT_TRUE(c.Deliver(MsgKind::kRecover, E, D, s.z));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecoverOK, D, E, s.z));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecover, E, B, s.z));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecoverOK, B, E, s.z));
  ASSERT_EQ(c.coverage("recover/validate"), 2);
  ASSERT_EQ(c.DeliverAll({MsgKind::kValidate, E, {}, s.z}), 2);
  ASSERT_EQ(c.DeliverAll({MsgKind::kValidateOK, {}, E, s.z}), 2);
  ASSERT_EQ(c.coverage("validate/wait"), 2);
  EXPECT_EQ(c.coverage("wait/W3"), 0);
  ASSERT_TRUE(c.Deliver(MsgKind::kWaiting, E, D, s.z));
  EXPECT_EQ(c.coverage("wait/W3"), 1);
  c.RunToQuiescence();
  EXPECT_TRUE(CommittedNop(c, D, s.x));
  ASSERT_TRUE(c.CommitAt(E, s.z).has_value());
  EXPECT_EQ(c.CommitAt(E, s.z)->command, s.pz);
  EXPECT_THAT(c.violations(), IsEmpty());
  ExpectExecutedOnce(c, {s.pz});
}

TEST(StarRecoveryTest, WaitEndedByLateCommittedReply) {
  Cluster c(5);
  const Command px = Put("k", "x"), pz = Put("k", "z");
  const CommandId x = c.Submit(A, px);
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, A, B, x));
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, A, E, x));
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, B, A, x));
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, E, A, x));
  ASSERT_EQ(c.CommitAt(A, x)->path, "fast");
  ASSERT_TRUE(c.Deliver(MsgKind::kCommit, A, E, x));
  const CommandId z = c.Submit(C, pz);
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, C, D, z));
  c.Crash(A);
  c.Drop({{}, A, {}, {}});
  ReachWait(c, x);
  ASSERT_TRUE(c.Deliver(MsgKind::kRecover, D, E, x));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecoverOK, E, D, x));
  EXPECT_EQ(c.coverage("wait/W4-committed"), 1);
  ASSERT_TRUE(c.CommitAt(D, x).has_value());
  EXPECT_EQ(c.CommitAt(D, x)->command, px);
  c.RunToQuiescence();
  EXPECT_THAT(c.violations(), IsEmpty());
  ExpectExecutedOnce(c, {px, pz});
}

TEST(StarRecoveryTest, WaitEndedByLateAcceptedReply) {
  Cluster c(5);
  const Command px = Put("k", "x"), pz = Put("k", "z");
  const CommandId z = c.Submit(C, pz);
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, C, D, z));
  const CommandId x = c.Submit(A, px);
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, A, B, x));  // {}
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, A, D, x));  // {z}
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, B, A, x));
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, D, A, x));
  ASSERT_TRUE(c.FireTimer(A, kFastPathTimer));  // slow: Accept(0, x, {z})
  ASSERT_TRUE(c.Deliver(MsgKind::kAccept, A, E, x));
  ASSERT_EQ(c.At(E, x)->phase, Phase::kAccepted);
  c.Crash(A);
  c.Drop({{}, A, {}, {}});
  ReachWait(c, x);
  ASSERT_TRUE(c.Deliver(MsgKind::kRecover, D, E, x));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecoverOK, E, D, x));
  EXPECT_EQ(c.coverage("wait/W4-accepted"), 1);
  c.RunToQuiescence();
  ASSERT_TRUE(c.CommitAt(D, x).has_value());
  EXPECT_EQ(c.CommitAt(D, x)->command, px);
  EXPECT_THAT(c.CommitAt(D, x)->deps, ElementsAre(z));
  EXPECT_THAT(c.violations(), IsEmpty());
  ExpectExecutedOnce(c, {px, pz});
}

TEST(StarRecoveryTest, WaitEndedByLateCoordinatorReply) {
  Cluster c(5);
  const XZ s = SubmitXZ(c);  // A stays up, its messages held
  ReachWait(c, s.x);
  ASSERT_TRUE(c.Deliver(MsgKind::kRecover, D, A, s.x));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecoverOK, A, D, s.x));
  EXPECT_EQ(c.coverage("wait/W4-coord-nop"), 1);
  c.RunToQuiescence();
  EXPECT_TRUE(CommittedNop(c, A, s.x));
  EXPECT_EQ(c.coverage("resubmit"), 1);
  EXPECT_THAT(c.violations(), IsEmpty());
  ExpectExecutedOnce(c, {s.px, s.pz});
}

TEST(StarRecoveryTest, CommitBeforeRecoverIsBufferedNotDropped) {
  Cluster c(3);
  const Command px = Put("k", "x");
  const CommandId x = c.Submit(A, px);
  ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, A, B));
  c.Crash(A);
  c.Drop({{}, A, {}, {}});
  ASSERT_TRUE(c.replica(B).StartRecovery(x, std::nullopt).ok());
  ASSERT_TRUE(c.Deliver(MsgKind::kRecover, B, C));
  ASSERT_TRUE(c.Deliver(MsgKind::kRecoverOK, C, B));
  ASSERT_TRUE(c.Deliver(MsgKind::kValidate, B, C));
  ASSERT_TRUE(c.Deliver(MsgKind::kValidateOK, C, B));
  ASSERT_TRUE(c.Deliver(MsgKind::kAccept, B, C));
  ASSERT_TRUE(c.Deliver(MsgKind::kAcceptOK, C, B));
  ASSERT_TRUE(c.CommitAt(B, x).has_value());
  // A second recoverer at C pushes the decision at ballot 6 ... but first a
  // bare Commit at a ballot C has not joined must wait, not vanish.
  auto commit = std::make_shared<StarMessage>();
  commit->kind = MsgKind::kCommit;
  commit->id = CommandId{0, 99};
  commit->ballot = 5;
  commit->cmd = std::make_shared<const Command>(px);
  c.replica(C).OnMessage(B, *commit);
  EXPECT_EQ(c.coverage("buffer/held"), 1);
  EXPECT_FALSE(c.CommitAt(C, CommandId{0, 99}).has_value());
  auto recover = std::make_shared<StarMessage>();
  recover->kind = MsgKind::kRecover;
  recover->id = CommandId{0, 99};
  recover->ballot = 5;
  c.replica(C).OnMessage(B, *recover);
  EXPECT_EQ(c.coverage("buffer/released"), 1);
  EXPECT_TRUE(c.CommitAt(C, CommandId{0, 99}).has_value());
}

// `epsim explore` merges states by StateHash: two recoverers that differ
// only in what one RecoverOK said must hash differently (they can still
// decide differently once the quorum is complete).
TEST(StarRecoveryTest, StateHashCoversRecoverReplyContents) {
  const Command px = Put("k", "x");  // one request id for every run
  auto recoverer_hash = [&px](bool b_saw_preaccept) {
    Cluster c(5);
    const CommandId x = c.Submit(A, px);
    if (b_saw_preaccept) {
      EXPECT_TRUE(c.Deliver(MsgKind::kPreAccept, A, B));
    }
    c.Drop({{}, A, {}, {}});
    EXPECT_TRUE(c.replica(C).StartRecovery(x, std::nullopt).ok());
    EXPECT_TRUE(c.Deliver(MsgKind::kRecover, C, B));
    EXPECT_TRUE(c.Deliver(MsgKind::kRecoverOK, B, C));
    // Two of the n - f = 3 replies: still collecting.
    EXPECT_FALSE(c.CommitAt(C, x).has_value());
    return c.replica(C).StateHash();
  };
  EXPECT_NE(recoverer_hash(true), recoverer_hash(false));
  EXPECT_EQ(recoverer_hash(true), recoverer_hash(true));
}

// Once a recovery's ballot reaches the coordinator, what it collected at
// ballot 0 can never be read again (C3 needs bal = 0), so two coordinators
// that differ only in the PreAcceptOKs they had must hash alike: otherwise
// `epsim explore` counts the same future twice.
TEST(StarRecoveryTest, DeadBallotZeroBookkeepingIsForgotten) {
  const Command px = Put("k", "x");
  auto coordinator_hash = [&px](bool got_reply) {
    Cluster c(5);
    const CommandId x = c.Submit(A, px);
    EXPECT_TRUE(c.Deliver(MsgKind::kPreAccept, A, B));
    if (got_reply) {
      EXPECT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, B, A));
    }
    c.Drop({{}, A, {}, {}});
    c.Drop({{}, B, {}, {}});
    EXPECT_TRUE(c.replica(C).StartRecovery(x, std::nullopt).ok());
    EXPECT_TRUE(c.Deliver(MsgKind::kRecover, C, A));
    return c.replica(A).StateHash();
  };
  EXPECT_EQ(coordinator_hash(true), coordinator_hash(false));
}

// The open questions (options.h; docs/open-questions.md has what exploring
// them found). Each test shows the option's behaviour on the one schedule
// where it matters, and that the run still ends with every check ok.

// A commits x fast with B and crashes with its Commits unsent; C recovers
// x with Q = {C, B} (B a witness, I empty), so its Accept(3) carries x's
// value. Returns once C's Accept(3) is in flight to A, which is committed.
// `recover_first`: A joined Recover(3) before the Accept reaches it.
CommandId CommittedProcessMeetsRecoveryAccept(Cluster& c, const Command& px,
                                              bool recover_first) {
  const CommandId x = c.Submit(A, px);
  EXPECT_TRUE(c.Deliver(MsgKind::kPreAccept, A, B));
  EXPECT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, B, A));
  EXPECT_EQ(c.CommitAt(A, x)->path, "fast");
  c.Drop({{}, A, {}, {}});
  EXPECT_TRUE(c.replica(C).StartRecovery(x, std::nullopt).ok());
  EXPECT_TRUE(c.Deliver(MsgKind::kRecover, C, B));
  EXPECT_TRUE(c.Deliver(MsgKind::kRecoverOK, B, C));
  EXPECT_TRUE(c.Deliver(MsgKind::kValidate, C, B));
  EXPECT_TRUE(c.Deliver(MsgKind::kValidateOK, B, C));
  EXPECT_EQ(c.coverage("validate/empty-I-accept"), 1);
  if (recover_first) {
    EXPECT_TRUE(c.Deliver(MsgKind::kRecover, C, A));
    EXPECT_EQ(c.At(A, x)->bal, Ballot{3});
  }
  EXPECT_EQ(c.Count({MsgKind::kAccept, C, A, x}), 1u);
  return x;
}

TEST(StarOpenQuestionTest, AcceptGuardAtACommittedProcess) {
  struct Case {
    std::string guard;
    bool recover_first;
    bool answers;     // A sends AcceptOK(3)
    bool downgrades;  // A becomes ACCEPTED until Commit(3)
  };
  for (const Case& k : std::vector<Case>{
           // abal = b => phase != COMMITTED: abal is 0 at A, so it holds.
           {"abal", true, true, false},
           {"abal", false, true, false},
           {"abal-downgrade", true, true, true},
           {"abal-downgrade", false, true, true},
           // bal = b => phase != COMMITTED: A ignores the Accept of the
           // Recover it joined, and takes one that overtook its Recover.
           {"bal", true, false, false},
           {"bal", false, true, false},
           {"bal-downgrade", true, false, false},
           {"bal-downgrade", false, true, true},
       }) {
    SCOPED_TRACE(k.guard + (k.recover_first ? ", recover first" : ""));
    Cluster c(3, "accept_guard=" + k.guard);
    const Command px = Put("k", "x");
    const CommandId x =
        CommittedProcessMeetsRecoveryAccept(c, px, k.recover_first);
    ASSERT_TRUE(c.Deliver(MsgKind::kAccept, C, A));
    EXPECT_EQ(c.At(A, x)->bal, Ballot{3});
    EXPECT_EQ(c.Count({MsgKind::kAcceptOK, A, C, x}), k.answers ? 1u : 0u);
    EXPECT_EQ(c.At(A, x)->phase,
              k.downgrades ? Phase::kAccepted : Phase::kCommitted);
    EXPECT_EQ(c.coverage("accept/committed-ok"),
              k.answers && !k.downgrades ? 1 : 0);
    EXPECT_EQ(c.coverage("accept/downgrade"), k.downgrades ? 1 : 0);
    c.RunToQuiescence();
    EXPECT_EQ(c.At(A, x)->phase, Phase::kCommitted);
    EXPECT_EQ(c.coverage("commit/after-downgrade"), k.downgrades ? 1 : 0);
    EXPECT_EQ(c.CommitAt(C, x)->command, px);
    EXPECT_THAT(c.violations(), IsEmpty());
    ExpectExecutedOnce(c, {px});
  }
}

// D waits on x with z in I (ReachWait), then recovers z itself and waits
// there too, publishing Waiting(z, 2). Only its own copy of that message
// can end its wait on x by W3: nobody else recovers x.
TEST(StarOpenQuestionTest, WaitingToSelfEndsTheRecoverersOwnWait) {
  for (bool to_self : {true, false}) {
    SCOPED_TRACE(to_self ? "to self" : "to the others");
    Cluster c(5, to_self ? "" : "waiting_to_self=false");
    const XZ s = SubmitXZ(c);
    c.Crash(A);
    c.Drop({{}, A, {}, {}});
    ReachWait(c, s.x);
    ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, C, E, s.z));
    ASSERT_TRUE(c.replica(D).StartRecovery(s.z, std::nullopt).ok());
    ASSERT_TRUE(c.Deliver(MsgKind::kRecover, D, E, s.z));
    ASSERT_TRUE(c.Deliver(MsgKind::kRecoverOK, E, D, s.z));
    ASSERT_TRUE(c.Deliver(MsgKind::kRecover, D, B, s.z));
    ASSERT_TRUE(c.Deliver(MsgKind::kRecoverOK, B, D, s.z));
    ASSERT_EQ(c.DeliverAll({MsgKind::kValidate, D, {}, s.z}), 2);
    ASSERT_EQ(c.DeliverAll({MsgKind::kValidateOK, {}, D, s.z}), 2);
    ASSERT_EQ(c.coverage("validate/wait"), 2);
    EXPECT_EQ(c.Count({MsgKind::kWaiting, D, {}, s.z}), 4u);
    EXPECT_EQ(c.coverage("wait/W3"), to_self ? 1 : 0);
    c.RunToQuiescence();
    EXPECT_THAT(c.violations(), IsEmpty());
    ExpectExecutedOnce(c, {s.pz});
  }
}

TEST(StarOpenQuestionTest, ValidateOkToAllReachesEveryProcess) {
  for (bool to_all : {false, true}) {
    SCOPED_TRACE(to_all ? "to all" : "to the sender");
    Cluster c(3, to_all ? "validate_ok_to=all" : "");
    const Command px = Put("k", "x");
    const CommandId x = c.Submit(A, px);
    ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, A, B));
    c.Crash(A);
    c.Drop({{}, A, {}, {}});
    ASSERT_TRUE(c.replica(C).StartRecovery(x, std::nullopt).ok());
    ASSERT_TRUE(c.Deliver(MsgKind::kRecover, C, B));
    ASSERT_TRUE(c.Deliver(MsgKind::kRecoverOK, B, C));
    ASSERT_TRUE(c.Deliver(MsgKind::kValidate, C, B));
    EXPECT_EQ(c.Count({MsgKind::kValidateOK, B, C, x}), 1u);
    EXPECT_EQ(c.Count({MsgKind::kValidateOK, B, {}, x}), to_all ? 2u : 1u);
    c.RunToQuiescence();
    EXPECT_EQ(c.CommitAt(B, x)->command, px);
    EXPECT_THAT(c.violations(), IsEmpty());
    ExpectExecutedOnce(c, {px});
  }
}

// B joins C's Recover(3) for x before A's fast Commit(0) reaches it.
TEST(StarOpenQuestionTest, CommitAtALowerBallot) {
  for (bool lower : {false, true}) {
    SCOPED_TRACE(lower ? "taken" : "dead (the paper)");
    Cluster c(3, lower ? "commit_lower_ballot=true" : "");
    const Command px = Put("k", "x");
    const CommandId x = c.Submit(A, px);
    ASSERT_TRUE(c.Deliver(MsgKind::kPreAccept, A, B));
    ASSERT_TRUE(c.Deliver(MsgKind::kPreAcceptOK, B, A));
    ASSERT_TRUE(c.replica(C).StartRecovery(x, std::nullopt).ok());
    ASSERT_TRUE(c.Deliver(MsgKind::kRecover, C, B));
    ASSERT_TRUE(c.Deliver(MsgKind::kCommit, A, B));
    EXPECT_EQ(c.CommitAt(B, x).has_value(), lower);
    EXPECT_EQ(c.At(B, x)->bal, Ballot{3});
    EXPECT_EQ(c.coverage("commit/lower-ballot"), lower ? 1 : 0);
    EXPECT_EQ(c.coverage("trigger/dead-commit"), lower ? 0 : 1);
    c.RunToQuiescence();
    EXPECT_THAT(c.violations(), IsEmpty());
    ExpectExecutedOnce(c, {px});
  }
}

}  // namespace
}  // namespace epsim::protocol::epaxos_star::testing
