// Tests of the original EPaxos plug-in through a hand-driven cluster
// (fake_cluster.h): commits, execution order, option validation, recovery,
// Sutra's single-ballot counterexample and the headline quirks.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "protocol/builtin.h"
#include "protocol/epaxos/replica.h"
#include "tests/epaxos/fake_cluster.h"

namespace epsim::protocol::epaxos::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

CommandId Id(uint32_t owner, uint64_t instance) {
  return CommandId{owner, instance};
}

Match Msg(std::string type, NodeId from, NodeId to) {
  Match m;
  m.type = std::move(type);
  m.from = from;
  m.to = to;
  return m;
}

Match MsgAt(std::string type, NodeId from, NodeId to, Ballot ballot) {
  Match m = Msg(std::move(type), from, to);
  m.ballot = ballot;
  return m;
}

absl::Status MakeStatus(const std::string& spec, int n) {
  ProtocolContext context;
  context.replicas = n;
  context.max_round_trip = kMillisecond;
  return ProtocolRegistry::Builtin().Make(spec, context).status();
}

// ---------------------------------------------------------------------------
// Options

TEST(EpaxosOptions, DefaultIsOptimizedSingleNonThrifty) {
  ProtocolContext context;
  context.replicas = 5;
  auto protocol = ProtocolRegistry::Builtin().Make("epaxos", context);
  ASSERT_TRUE(protocol.ok()) << protocol.status();
  EXPECT_EQ((*protocol)->Name(),
            "epaxos:n=5,ballots=single,recovery=optimized,thrifty=false");
  EXPECT_EQ((*protocol)->MaxFailures(), 2);
}

TEST(EpaxosOptions, RefusesBadConfigurations) {
  EXPECT_THAT(MakeStatus("epaxos", 4).message(), HasSubstr("2F+1"));
  EXPECT_THAT(MakeStatus("epaxos:recovery=fast", 3).message(),
              HasSubstr("simple"));
  EXPECT_THAT(MakeStatus("epaxos:ballots=two", 3).message(),
              HasSubstr("split"));
  EXPECT_THAT(MakeStatus("epaxos:colour=blue", 3).message(),
              HasSubstr("unknown option"));
  EXPECT_THAT(MakeStatus("epaxos:quirks=exec-seq-tie,go-nonsense", 3).message(),
              HasSubstr("unknown quirk \"go-nonsense\""));
  EXPECT_THAT(MakeStatus("epaxos:thrifty_peers=0:1", 3).message(),
              HasSubstr("thrifty=true"));
  EXPECT_THAT(MakeStatus("epaxos:thrifty=true,thrifty_peers=0:0", 3).message(),
              HasSubstr("distinct"));
  EXPECT_THAT(MakeStatus("epaxos:recoverers=1+1", 3).message(),
              HasSubstr("distinct replica ids"));
  EXPECT_THAT(MakeStatus("epaxos:recoverers=3", 3).message(),
              HasSubstr("recoverers=\"3\""));
  EXPECT_TRUE(MakeStatus("epaxos:recoverers=2+0", 3).ok());
  // The unsafe mix: the optimized fast quorum (3 of 5) with simple recovery.
  EXPECT_THAT(MakeStatus("epaxos:recovery=simple,fast_quorum=3", 5).message(),
              HasSubstr("unsafe"));
  EXPECT_TRUE(MakeStatus("epaxos:recovery=simple,fast_quorum=4", 5).ok());
  EXPECT_TRUE(MakeStatus("epaxos:recovery=optimized,fast_quorum=3", 5).ok());
  EXPECT_TRUE(
      MakeStatus("epaxos:quirks=exec-seq-tie,go-exec-nil-cmds,ballots=split", 3)
          .ok());
}

// A quirk's coverage branch is listed only when the quirk is on, so a
// coverage table of the plain protocol does not flag it NEVER REACHED.
TEST(EpaxosOptions, QuirkBranchesAreListedOnlyWhenTheQuirkIsOn) {
  ProtocolContext context;
  context.replicas = 3;
  auto branches = [&](const std::string& spec) {
    auto protocol = ProtocolRegistry::Builtin().Make(spec, context);
    EXPECT_TRUE(protocol.ok()) << protocol.status();
    std::vector<std::string> quirks;
    for (const std::string& b : (*protocol)->CoverageBranches()) {
      if (b.starts_with("quirk/")) quirks.push_back(b);
    }
    return quirks;
  };
  EXPECT_THAT(branches("epaxos"), IsEmpty());
  EXPECT_THAT(branches("epaxos:quirks=go-exec-nil-cmds,go-prepare-miscount"),
              ::testing::UnorderedElementsAre("quirk/exec-nil-stall",
                                              "quirk/prepare-miscount"));
}

// ---------------------------------------------------------------------------
// Commit protocol

class FastPath : public ::testing::TestWithParam<int> {};

TEST_P(FastPath, LoneCommandCommitsFastEverywhere) {
  const int n = GetParam();
  FakeCluster c("epaxos", n);
  c.Submit(0, Put("x", "1", 1, 1));
  c.DeliverAllRandomly();
  for (NodeId i = 0; i < n; ++i) {
    auto r = c.FirstCommit(i, Id(0, 1));
    ASSERT_TRUE(r.has_value()) << "replica " << i;
    EXPECT_EQ(r->path, "fast");
    EXPECT_EQ(r->command, Put("x", "1", 1, 1));
    ASSERT_EQ(c.executions(i).size(), 1u);
  }
  EXPECT_GT(c.coverage().at("fast-path"), 0);
  EXPECT_THAT(c.unknown_branches(), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(N, FastPath, ::testing::Values(3, 5));

class SlowPath : public ::testing::TestWithParam<int> {};

TEST_P(SlowPath, ConcurrentConflictsGetDepsAndOneOrder) {
  const int n = GetParam();
  FakeCluster c("epaxos", n);
  c.Submit(0, Put("x", "a", 1, 1));
  c.Submit(1, Put("x", "b", 2, 1));
  // Each leader's PreAccept reaches the other leader first: both replies
  // add a dependency that is not committed, so both go slow.
  c.Step(Msg("PreAccept", 0, 1));
  c.Step(Msg("PreAccept", 1, 0));
  c.DeliverAllRandomly();
  for (NodeId i = 0; i < n; ++i) {
    ASSERT_EQ(c.executions(i).size(), 2u) << "replica " << i;
  }
  auto a = c.FirstCommit(0, Id(0, 1));
  auto b = c.FirstCommit(0, Id(1, 1));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(c.FirstCommit(0, Id(0, 1))->path, "slow");
  EXPECT_THAT(a->deps, ::testing::Contains(Id(1, 1)));
  EXPECT_THAT(b->deps, ::testing::Contains(Id(0, 1)));
  EXPECT_GT(*a->seq, 1);
  EXPECT_THAT(c.AgreementViolations(), IsEmpty());
  EXPECT_THAT(c.ExecutionOrderViolations(), IsEmpty());
  // Equal seq in a cycle: broken by (owner, instance) everywhere.
  if (*a->seq == *b->seq) {
    for (NodeId i = 0; i < n; ++i) {
      EXPECT_EQ(c.executions(i)[0].id, Id(0, 1));
    }
  }
  EXPECT_GT(c.coverage().at("slow-path"), 0);
}

INSTANTIATE_TEST_SUITE_P(N, SlowPath, ::testing::Values(3, 5));

// No faults, random delivery orders (with duplicates): every configuration
// commits everything with one decision per instance and executes
// conflicting commands in one order everywhere.
TEST(EpaxosRandom, NoFaultsKeepsAgreementAndOrderInEveryConfiguration) {
  const std::vector<std::string> configs = {
      "recovery=simple,ballots=single,thrifty=false",
      "recovery=simple,ballots=split,thrifty=false",
      "recovery=optimized,ballots=single,thrifty=false",
      "recovery=optimized,ballots=split,thrifty=false",
      "recovery=simple,ballots=single,thrifty=true",
      "recovery=simple,ballots=split,thrifty=true",
      "recovery=optimized,ballots=single,thrifty=true",
      "recovery=optimized,ballots=split,thrifty=true",
  };
  const std::vector<std::string> keys = {"x", "y", "z"};
  for (const std::string& config : configs) {
    for (int n : {3, 5}) {
      for (uint64_t seed = 1; seed <= 25; ++seed) {
        SCOPED_TRACE(config + " n=" + std::to_string(n) +
                     " seed=" + std::to_string(seed));
        FakeCluster c("epaxos:" + config, n, seed);
        const int commands = 14;
        int submitted = 0;
        while (submitted < commands || !c.pool().empty()) {
          if (submitted < commands &&
              (c.pool().empty() || c.NextRandom(3) == 0)) {
            const NodeId at = static_cast<NodeId>(c.NextRandom(n));
            const std::string& key = keys[c.NextRandom(keys.size())];
            ++submitted;
            c.Submit(at,
                     c.NextRandom(4) == 0
                         ? Get(key, submitted, 1)
                         : Put(key, std::to_string(submitted), submitted, 1));
          } else {
            const size_t i = c.NextRandom(c.pool().size());
            if (c.NextRandom(20) == 0) c.pool().push_back(c.pool()[i]);
            c.DeliverIndex(i);
          }
        }
        EXPECT_THAT(c.AgreementViolations(), IsEmpty());
        EXPECT_THAT(c.ExecutionOrderViolations(), IsEmpty());
        for (NodeId i = 0; i < n; ++i) {
          EXPECT_EQ(c.commits(i).size(), static_cast<size_t>(commands));
          EXPECT_EQ(c.executions(i).size(), static_cast<size_t>(commands));
          const auto& rep = static_cast<const EpaxosReplica&>(c.replica(i));
          EXPECT_EQ(
              rep.store().Digest(),
              static_cast<const EpaxosReplica&>(c.replica(0)).store().Digest());
          EXPECT_THAT(c.replica(i).Pending(), IsEmpty());
        }
        EXPECT_THAT(c.unknown_branches(), IsEmpty());
      }
    }
  }
}

// Faults: lost messages and commit timeouts fired at random replicas for
// random pending (or blocking) instances, then a healing phase that
// delivers everything and keeps timing out what is left. Every correct
// configuration stays safe and commits and executes everything.
TEST(EpaxosRandom, LossAndRecoveriesKeepSafetyAndLiveness) {
  const std::vector<std::string> configs = {
      "recovery=simple,ballots=split",
      "recovery=optimized,ballots=split",
      "recovery=optimized,ballots=single",
      "recovery=optimized,ballots=split,thrifty=true",
      "recovery=simple,ballots=split,thrifty=true",
      "ballots=split,quirks=go-exec-nil-cmds",  // the Go executor
  };
  for (const std::string& config : configs) {
    for (int n : {3, 5}) {
      for (uint64_t seed = 1; seed <= 30; ++seed) {
        SCOPED_TRACE(config + " n=" + std::to_string(n) +
                     " seed=" + std::to_string(seed));
        FakeCluster c("epaxos:" + config, n, seed);
        auto timeout_something = [&c, n] {
          std::vector<std::pair<NodeId, CommandId>> all;
          for (NodeId at = 0; at < n; ++at) {
            for (const PendingCommand& p : c.replica(at).Pending()) {
              all.emplace_back(at, p.id);
              for (const CommandId& w : p.waiting_on) all.emplace_back(at, w);
            }
          }
          if (all.empty()) return false;
          const auto& [at, id] = all[c.NextRandom(all.size())];
          c.Timeout(at, id);
          return true;
        };
        // Healing also means hearing again of a command whose messages to
        // this replica were all lost (no later command may ever name it):
        // a replica that misses a commit another one made times out on it.
        auto learn_missed_commit = [&c, n] {
          for (NodeId at = 0; at < n; ++at) {
            for (NodeId other = 0; other < n; ++other) {
              for (const CommitRecord& r : c.commits(other)) {
                if (!c.FirstCommit(at, r.id).has_value()) {
                  c.Timeout(at, r.id);
                  return true;
                }
              }
            }
          }
          return false;
        };
        int submitted = 0;
        for (int step = 0; step < 3000 && (submitted < 10 || !c.pool().empty());
             ++step) {
          const uint64_t r = c.NextRandom(100);
          if (submitted < 10 && r < 15) {
            ++submitted;
            c.Submit(static_cast<NodeId>(c.NextRandom(n)),
                     Put(c.NextRandom(2) ? "x" : "y", std::to_string(submitted),
                         submitted, 1));
          } else if (r < 20) {
            timeout_something();
          } else if (!c.pool().empty()) {
            const size_t i = c.NextRandom(c.pool().size());
            if (r < 23) {
              c.pool().erase(c.pool().begin() + i);  // lost
            } else {
              c.DeliverIndex(i);
            }
          }
        }
        for (int round = 0; round < 300; ++round) {
          c.DeliverAllRandomly();
          c.FireExecutorTimers();
          if (!timeout_something() && !learn_missed_commit()) break;
        }
        EXPECT_THAT(c.AgreementViolations(), IsEmpty());
        EXPECT_THAT(c.ExecutionOrderViolations(), IsEmpty());
        for (NodeId i = 0; i < n; ++i) {
          EXPECT_THAT(c.replica(i).Pending(), IsEmpty()) << "replica " << i;
          EXPECT_EQ(c.executions(i).size(), c.executions(0).size());
        }
        EXPECT_THAT(c.unknown_branches(), IsEmpty());
      }
    }
  }
}

// Thrifty: an owner whose fast quorum is silent resends to every peer, but
// only its fixed fast quorum's replies make the fast path: a recovery only
// trusts their pre-accepts.
TEST(EpaxosThrifty, ResendOutsideTheFastQuorumTakesTheSlowPath) {
  FakeCluster c(
      "epaxos:ballots=split,recovery=simple,thrifty=true,thrifty_peers=1:0", 3);
  // R3 knows a conflicting e, so its reply to c will carry deps {e}.
  c.Submit(2, Put("x", "3", 3, 1));
  Match e_msgs;
  e_msgs.from = 2;
  c.Drop(e_msgs);
  c.Submit(1, Put("x", "1", 1, 1));  // c = 1.1; fast quorum {R2, R1}
  Match to_r1 = Msg("PreAccept", 1, 0);
  ASSERT_TRUE(c.Drop(to_r1) > 0);  // R1 never answers
  c.Timeout(1, Id(1, 1));          // resend to R1 and R3
  c.Drop(Msg("PreAccept", 1, 0));
  c.Step(Msg("PreAccept", 1, 2));
  c.Step(Msg("PreAcceptReply", 2, 1));
  EXPECT_EQ(c.coverage().count("fast-path"), 0u);
  EXPECT_FALSE(c.FirstCommit(1, Id(1, 1)).has_value());
  c.Timeout(1, Id(1, 1));  // a slow quorum but no fast one: slow path
  c.DeliverAllRandomly();
  ASSERT_TRUE(c.FirstCommit(1, Id(1, 1)).has_value());
  EXPECT_EQ(c.FirstCommit(1, Id(1, 1))->path, "slow");
  EXPECT_THAT(c.AgreementViolations(), IsEmpty());
}

// ---------------------------------------------------------------------------
// Recovery

TEST(EpaxosRecovery, CrashedLeadersPreAcceptedCommandIsRecovered) {
  for (const char* spec : {"epaxos:ballots=split",
                           "epaxos:recovery=simple,ballots=split", "epaxos"}) {
    for (uint64_t seed = 1; seed <= 10; ++seed) {
      SCOPED_TRACE(std::string(spec) + " seed=" + std::to_string(seed));
      FakeCluster c(spec, 5, seed);
      const Command cmd = Put("x", "1", 1, 1);
      c.Submit(0, cmd);
      c.Step(Msg("PreAccept", 0, 1));
      c.Step(Msg("PreAccept", 0, 2));
      c.Crash(0);
      Match from0;
      from0.from = 0;
      c.Drop(from0);
      c.Timeout(1, Id(0, 1));
      c.DeliverAllRandomly();
      for (NodeId i = 1; i < 5; ++i) {
        auto r = c.FirstCommit(i, Id(0, 1));
        ASSERT_TRUE(r.has_value()) << "replica " << i;
        EXPECT_EQ(r->command, cmd) << "replica " << i;
        EXPECT_EQ(r->path, "recovery");
        ASSERT_EQ(c.executions(i).size(), 1u);
      }
      EXPECT_THAT(c.AgreementViolations(), IsEmpty());
      EXPECT_GT(c.coverage().at("recovery/started"), 0);
      EXPECT_THAT(c.unknown_branches(), IsEmpty());
    }
  }
}

TEST(EpaxosRecovery, UnseenCommandBecomesNopAndIsReproposed) {
  FakeCluster c("epaxos:ballots=split", 3);
  const Command cmd = Put("x", "1", 1, 1);
  c.Submit(0, cmd);
  // Nobody else saw 0.1; R1 recovers it with R2: no-op.
  Match pre;
  pre.type = "PreAccept";
  c.Drop(pre);
  c.Timeout(1, Id(0, 1));
  Match to0;
  to0.to = 0;
  c.Drop(to0);  // R0 hears nothing back until the commit
  while (!c.pool().empty()) {
    Match not_to0;
    size_t i = 0;
    while (i < c.pool().size() && c.pool()[i].to == 0) ++i;
    if (i == c.pool().size()) break;
    c.DeliverIndex(i);
  }
  auto nop = c.FirstCommit(1, Id(0, 1));
  ASSERT_TRUE(nop.has_value());
  EXPECT_TRUE(nop->command.nop);
  // The owner learns the no-op and proposes its command again as 0.2.
  c.Step(Msg("Commit", 1, 0));
  EXPECT_GT(c.coverage().at("repropose"), 0);
  c.DeliverAllRandomly();
  for (NodeId i = 0; i < 3; ++i) {
    auto again = c.FirstCommit(i, Id(0, 2));
    ASSERT_TRUE(again.has_value()) << "replica " << i;
    EXPECT_EQ(again->command, cmd);
  }
  EXPECT_THAT(c.AgreementViolations(), IsEmpty());
}

// ---------------------------------------------------------------------------
// Sutra's counterexample (docs/bug-corpus.md 3.1, docs/protocols.md II.3): p1,
// p2, p3 are replicas 0, 1, 2 with fixed thrifty quorums {p1,p3}, {p1,p2},
// {p2,p3}; c1 at p3 (instance 2.1), c2 at p1 (instance 0.1, the victim).
// Returns the cluster after the 24 scripted steps.
std::unique_ptr<FakeCluster> RunSutraSchedule(const std::string& ballots) {
  auto c = std::make_unique<FakeCluster>(
      "epaxos:thrifty=true,thrifty_peers=0:2,1:0,2:1,ballots=" + ballots, 3);
  const CommandId victim = Id(0, 1);
  const Ballot b1 = MakeBallot(1, 2), b2 = MakeBallot(2, 1),
               b3 = MakeBallot(3, 0), b4 = MakeBallot(4, 0);
  c->Submit(2, Put("x", "c1", 3, 1));   // 1: PreAccept(2.1) to p2 held
  c->Submit(0, Put("x", "c2", 1, 1));   // 2
  c->Step(Msg("PreAccept", 0, 2));      // 3: p3 adds 2.1; reply held
  c->Timeout(2, victim);                // 4: Prepare <1,p3> to p2 (6: self)
  c->Step(MsgAt("Prepare", 2, 1, b1));  // 5: p2 not seen
  c->Step(MsgAt("PrepareReply", 1, 2, b1));    // 7: Accept <1,p3> (held)
  c->Timeout(1, victim);                       // 8: Prepare <2,p2> to p1
  c->Step(MsgAt("Prepare", 1, 0, b2));         // 9
  c->Step(MsgAt("PrepareReply", 0, 1, b2));    // 10-11: Phase 1 at <2,p2>
  c->Step(MsgAt("PreAccept", 1, 0, b2));       // 12
  c->Step(MsgAt("PreAcceptReply", 0, 1, b2));  // 13: slow path
  c->Step(MsgAt("Accept", 1, 0, b2));          // 14: V2 chosen; reply held
  c->Timeout(0, victim);                       // 15: Prepare <3,p1> (19: self)
  c->Timeout(0, victim);                       // 17: Prepare <4,p1> (20: self)
  c->Step(MsgAt("Prepare", 0, 2, b3));         // 16
  c->Step(MsgAt("Prepare", 0, 2, b4));         // 18
  c->Step(MsgAt("PrepareReply", 2, 0, b3));    // stale attempt: ignored
  c->Step(MsgAt("PrepareReply", 2, 0, b4));    // 21: Accept <4,p1>
  c->Step(MsgAt("Accept", 0, 2, b4));          // 22
  c->Step(MsgAt("AcceptReply", 0, 1, b2));     // 23: p2 commits V2
  c->Step(MsgAt("AcceptReply", 2, 0, b4));     // 24: p1 commits
  return c;
}

TEST(SutraCounterexample, SingleBallotBreaksAgreement) {
  auto c = RunSutraSchedule("single");
  const CommandId victim = Id(0, 1);
  auto at_p1 = c->FirstCommit(0, victim);
  auto at_p2 = c->FirstCommit(1, victim);
  ASSERT_TRUE(at_p1 && at_p2);
  EXPECT_EQ(at_p1->command, at_p2->command);
  EXPECT_EQ(at_p1->deps, std::vector<CommandId>{Id(2, 1)});
  EXPECT_THAT(at_p2->deps, IsEmpty());
  EXPECT_THAT(c->AgreementViolations(), Not(IsEmpty()));
}

TEST(SutraCounterexample, SplitBallotsKeepAgreement) {
  auto c = RunSutraSchedule("split");
  const CommandId victim = Id(0, 1);
  auto at_p1 = c->FirstCommit(0, victim);
  auto at_p2 = c->FirstCommit(1, victim);
  ASSERT_TRUE(at_p1 && at_p2);
  EXPECT_TRUE(at_p1->SameDecision(*at_p2));
  c->DeliverAllRandomly();
  EXPECT_THAT(c->AgreementViolations(), IsEmpty());
  EXPECT_THAT(c->ExecutionOrderViolations(), IsEmpty());
}

// ---------------------------------------------------------------------------
// Quirks (docs/bug-corpus.md section 4 and 5): the documented symptom appears
// with the quirk and not without it.

// 4.1: two concurrent conflicting commands commit in a cycle with equal seq;
// each leader's executor starts its DFS at its own command.
std::unique_ptr<FakeCluster> RunSeqTie(const std::string& spec) {
  auto c = std::make_unique<FakeCluster>(spec, 3);
  c->Submit(0, Put("x", "1", 1, 1));
  c->Submit(1, Put("x", "2", 2, 1));
  c->Step(Msg("PreAccept", 0, 1));
  c->Step(Msg("PreAccept", 1, 0));
  c->Step(Msg("PreAcceptReply", 1, 0));
  c->Step(Msg("PreAcceptReply", 0, 1));
  c->Step(Msg("Accept", 0, 1));
  c->Step(Msg("Accept", 1, 0));
  c->Step(Msg("AcceptReply", 1, 0));  // R0 commits a, waits for b
  c->Step(Msg("AcceptReply", 0, 1));  // R1 commits b, waits for a
  c->Step(Msg("Commit", 1, 0));
  c->Step(Msg("Commit", 0, 1));
  c->DeliverAllRandomly();
  return c;
}

TEST(EpaxosQuirks, ExecSeqTieOrdersCycleByDfsRoot) {
  auto buggy = RunSeqTie("epaxos:quirks=exec-seq-tie");
  EXPECT_EQ(*buggy->FirstCommit(0, Id(0, 1))->seq,
            *buggy->FirstCommit(0, Id(1, 1))->seq);
  EXPECT_THAT(buggy->ExecutionOrderViolations(), Not(IsEmpty()));
  EXPECT_THAT(buggy->AgreementViolations(), IsEmpty());

  auto fixed = RunSeqTie("epaxos");
  EXPECT_THAT(fixed->ExecutionOrderViolations(), IsEmpty());
  // The Go-faithful executor with the (seq, owner, instance) tie-break.
  auto go_fixed = RunSeqTie("epaxos:quirks=go-exec-nil-cmds");
  EXPECT_THAT(go_fixed->ExecutionOrderViolations(), IsEmpty());
}

// 4.5: a recovery commits the live leader's instance; the leader, still
// holding the client proposal, proposes it again.
TEST(EpaxosQuirks, CommitShortReproposeRunsTheCommandTwice) {
  for (bool quirk : {true, false}) {
    SCOPED_TRACE(quirk);
    FakeCluster c(quirk ? "epaxos:quirks=go-commitshort-repropose" : "epaxos",
                  3);
    const Command cmd = Put("x", "7", 1, 1);
    c.Submit(0, cmd);
    c.Step(Msg("PreAccept", 0, 1));
    c.Step(Msg("PreAccept", 0, 2));
    // Links R2->R1 and R3->R1 are slow: R2 recovers 0.1 with R3 first.
    c.Timeout(1, Id(0, 1));
    c.Step(Msg("Prepare", 1, 2));
    c.Step(Msg("PrepareReply", 2, 1));
    c.Step(Msg("Accept", 1, 2));
    c.Step(Msg("AcceptReply", 2, 1));  // R2 commits 0.1 = cmd
    // The slow link delivers in order: R1 fast-commits, then learns R2's.
    c.Step(Msg("PreAcceptReply", 1, 0));
    c.Step(Msg("Prepare", 1, 0));
    c.Step(Msg("Accept", 1, 0));
    c.Step(Msg("Commit", 1, 0));
    c.DeliverAllRandomly();
    int instances_with_cmd = 0;
    for (const CommitRecord& r : c.commits(2)) {
      if (r.command == cmd) ++instances_with_cmd;
    }
    EXPECT_EQ(instances_with_cmd, quirk ? 2 : 1);
    EXPECT_EQ(c.coverage().count("quirk/commitshort-repropose"),
              quirk ? 1u : 0u);
    EXPECT_THAT(c.AgreementViolations(), IsEmpty());
  }
}

// 4.3: the Accept carries no command; a replica that missed the PreAccept
// votes without a payload and recovery adopts the empty vote.
TEST(EpaxosQuirks, AcceptNoPayloadLosesTheCommand) {
  for (bool quirk : {true, false}) {
    SCOPED_TRACE(quirk);
    FakeCluster c(quirk ? "epaxos:quirks=go-accept-no-payload,"
                          "go-prepare-reply-ballot"
                        : "epaxos",
                  3);
    c.Submit(2, Get("x", 3, 1));       // d at R3 (replica 2)
    c.Step(Msg("PreAccept", 2, 1));    // to R2; the copy to R1 waits
    c.Submit(0, Put("x", "1", 1, 1));  // c at R1 (replica 0)
    c.Step(Msg("PreAccept", 0, 1));    // R2 adds d: slow path
    c.Step(Msg("PreAcceptReply", 1, 0));
    c.Step(Msg("Accept", 0, 2));       // before the PreAccept(c) to R3
    c.Step(Msg("AcceptReply", 2, 0));  // R1 commits c
    c.Step(Msg("Accept", 0, 1));
    c.Crash(0);
    Match from0;
    from0.from = 0;
    c.Drop(from0);
    c.Timeout(1, Id(0, 1));
    c.DeliverAllRandomly();
    auto at_r1 = c.FirstCommit(0, Id(0, 1));
    auto at_r2 = c.FirstCommit(1, Id(0, 1));
    ASSERT_TRUE(at_r1 && at_r2);
    EXPECT_EQ(at_r1->command, Put("x", "1", 1, 1));
    if (quirk) {
      EXPECT_TRUE(at_r2->command.nop);  // the payload is gone
      EXPECT_THAT(c.AgreementViolations(), Not(IsEmpty()));
    } else {
      EXPECT_EQ(at_r2->command, at_r1->command);
      EXPECT_THAT(c.AgreementViolations(), IsEmpty());
    }
  }
}

// 5.1: the recoverer's own reply carries the new ballot, so it adopts its
// own empty state and commits a no-op over a command R1 committed.
TEST(EpaxosQuirks, SwiftLocalVbalWinsOverwritesCommittedValue) {
  for (bool quirk : {true, false}) {
    SCOPED_TRACE(quirk);
    FakeCluster c(std::string("epaxos:recovery=simple,ballots=split,"
                              "thrifty=true,thrifty_peers=2:1") +
                      (quirk ? ",quirks=swift-local-vbal-wins" : ""),
                  3);
    c.Submit(1, Put("x", "5", 2, 1));  // d at R2; PreAccept held
    c.Submit(0, Put("x", "1", 1, 1));  // c at R1, thrifty to R2
    c.Step(Msg("PreAccept", 0, 1));
    c.Step(Msg("PreAcceptReply", 1, 0));  // fast commit at R1
    ASSERT_TRUE(c.FirstCommit(0, Id(0, 1)).has_value());
    Match commits;
    commits.type = "Commit";
    c.Drop(commits);
    c.Timeout(2, Id(0, 1));  // R3 never saw c; link R3-R1 down
    c.DeliverAllRandomly();
    auto at_r3 = c.FirstCommit(2, Id(0, 1));
    ASSERT_TRUE(at_r3.has_value());
    EXPECT_EQ(at_r3->command.nop, quirk);
    EXPECT_EQ(!c.AgreementViolations().empty(), quirk);
  }
}

// 4.11: TryPreAccept sends the last PreAccept; a receiver without that
// instance dereferences nil and the replica crashes.
TEST(EpaxosQuirks, TpaWrongMessagePanicsReceiver) {
  for (bool quirk : {true, false}) {
    SCOPED_TRACE(quirk);
    FakeCluster c(quirk ? "epaxos:quirks=go-tpa-wrong-message" : "epaxos", 5);
    // Warm-up: one command of every row executed everywhere (other keys).
    for (NodeId i = 0; i < 5; ++i) {
      c.Submit(i, Put("w" + std::to_string(i), "0", 10 + i, 1));
      c.DeliverAllRandomly();
    }
    // R2 proposes d (1.2), whose PreAccepts are lost; R1 proposes c (0.2),
    // seen by R2 only (deps {1.2}); R1 crashes.
    c.Submit(1, Put("x", "5", 2, 1));
    Match d_pre;
    d_pre.type = "PreAccept";
    d_pre.id = Id(1, 2);
    c.Drop(d_pre);
    c.Submit(0, Put("x", "1", 1, 1));
    c.Step(Msg("PreAccept", 0, 1));
    c.Crash(0);
    Match from0;
    from0.from = 0;
    c.Drop(from0);
    // R2 recovers c: one pre-accept in Q, not enough to accept: TryPreAccept.
    c.Timeout(1, Id(0, 2));
    c.DeliverAllRandomly();
    EXPECT_GT(c.coverage().count("prepare/trypreaccept"), 0u);
    int panicked = 0;
    for (NodeId i = 1; i < 5; ++i) {
      if (static_cast<const EpaxosReplica&>(c.replica(i)).inert()) ++panicked;
    }
    EXPECT_EQ(panicked > 0, quirk);
    EXPECT_EQ(c.coverage().count("panic/tpa-nil-instance") > 0, quirk);
    // Without the quirk c is recovered everywhere.
    if (!quirk) {
      for (NodeId i = 1; i < 5; ++i) {
        EXPECT_TRUE(c.FirstCommit(i, Id(0, 2)).has_value());
      }
    }
  }
}

// 4.11: a recoverer that never broadcast a PreAccept sends GO's zeroed
// global `pa`, which names Go's instance R1.0 (our 0.1), not the instance
// being recovered.
TEST(EpaxosQuirks, TpaWrongMessageFromAFreshReplicaNamesTheFirstInstance) {
  for (bool quirk : {true, false}) {
    SCOPED_TRACE(quirk);
    FakeCluster c(quirk ? "epaxos:quirks=go-tpa-wrong-message" : "epaxos", 5);
    // Warm-up: rows R1..R4 executed everywhere; R5 proposes nothing.
    for (NodeId i = 0; i < 4; ++i) {
      c.Submit(i, Put("w" + std::to_string(i), "0", 10 + i, 1));
      c.DeliverAllRandomly();
    }
    // R1 proposes c (0.2), seen by R5 only; R1 crashes.
    c.Submit(0, Put("x", "1", 1, 1));
    c.Step(Msg("PreAccept", 0, 4));
    c.Crash(0);
    Match from0;
    from0.from = 0;
    c.Drop(from0);
    // R5 recovers c with R2, R3: one pre-accept (its own): TryPreAccept.
    c.Timeout(4, Id(0, 2));
    c.Step(Msg("Prepare", 4, 1));
    c.Step(Msg("Prepare", 4, 2));
    c.Step(Msg("PrepareReply", 1, 4));
    c.Step(Msg("PrepareReply", 2, 4));
    EXPECT_GT(c.coverage().count("prepare/trypreaccept"), 0u);
    std::vector<CommandId> named;
    for (const InFlight& f : c.pool()) {
      if (f.m().kind == MsgKind::kTryPreAccept) named.push_back(f.m().id);
    }
    ASSERT_FALSE(named.empty());
    for (const CommandId& id : named) {
      EXPECT_EQ(id, quirk ? Id(0, 1) : Id(0, 2));
    }
  }
}

// 4.14: the owner's PrepareReply returns before the quorum test. Thrifty
// n = 3: R3's Prepare goes to R1 only, so the owner's reply is the one that
// completes the quorum and the attempt never decides.
TEST(EpaxosQuirks, LeaderReplyEarlyReturnLeavesTheAttemptUndecided) {
  for (bool quirk : {true, false}) {
    SCOPED_TRACE(quirk);
    FakeCluster c(quirk ? "epaxos:thrifty=true,quirks=go-leader-reply-early-"
                          "return"
                        : "epaxos:thrifty=true",
                  3);
    c.Submit(0, Put("x", "1", 1, 1));
    c.Step(Msg("PreAccept", 0, 1));  // R2's reply to R1 stays in flight
    c.Timeout(2, Id(0, 1));
    c.Step(Msg("Prepare", 2, 0));
    c.Step(Msg("PrepareReply", 0, 2));
    int decided = 0;
    for (const InFlight& f : c.pool()) {
      decided += f.from == 2 && f.m().kind != MsgKind::kPrepare;
    }
    EXPECT_EQ(decided > 0, !quirk);
    EXPECT_EQ(c.coverage().count("prepare/leader-early-return") > 0, quirk);
    // The retry asks every peer (epsim has no failure detector to tell
    // which thrifty peer is alive) and the owner's reply no longer completes
    // the quorum: c commits everywhere either way.
    c.Timeout(2, Id(0, 1));
    c.DeliverAllRandomly();
    for (NodeId i = 0; i < 3; ++i) {
      EXPECT_TRUE(c.FirstCommit(i, Id(0, 1)).has_value()) << i;
    }
    EXPECT_THAT(c.AgreementViolations(), IsEmpty());
  }
}

// 4.15: a commit that arrives after execution flips EXECUTED back; an
// instance executed inside a DFS rooted in another row runs again.
TEST(EpaxosQuirks, CommitOverExecutedExecutesTwice) {
  for (bool quirk : {true, false}) {
    SCOPED_TRACE(quirk);
    FakeCluster c(quirk ? "epaxos:quirks=go-commit-over-executed"
                        : "epaxos:quirks=go-exec-nil-cmds",
                  3);
    c.Submit(0, Put("y", "1", 1, 1));  // 0.1
    c.Step(Msg("PreAccept", 0, 1));
    c.Step(Msg("PreAccept", 0, 2));
    c.Step(Msg("PreAcceptReply", 1, 0));  // R1 commits 0.1; Commits held
    c.Submit(1, Put("y", "2", 2, 1));     // 1.1 depends on 0.1
    c.Step(Msg("PreAccept", 1, 2));
    c.Step(Msg("PreAcceptReply", 2, 1));  // slow: 0.1 not committed
    c.Step(Msg("Accept", 1, 2));
    c.Step(Msg("AcceptReply", 2, 1));  // R2 commits 1.1: DFS from 1.1 waits
    c.Step(Msg("Commit", 0, 1));       // runs 0.1, 1.1 from root 1.1
    ASSERT_EQ(c.executions(1).size(), 2u);
    // A second Commit for 0.1 (e.g. a recoverer's) arrives late.
    EpaxosMessage dup = c.pool()[0].m();
    for (const InFlight& f : c.pool()) {
      if (f.m().kind == MsgKind::kCommit && f.m().id == Id(0, 1)) dup = f.m();
    }
    ASSERT_EQ(dup.id, Id(0, 1));
    c.replica(1).OnMessage(0, dup);
    EXPECT_EQ(c.commits(1).size(), quirk ? 3u : 2u);
    EXPECT_EQ(c.executions(1).size(), quirk ? 3u : 2u);
  }
}

// 4.2 (issue #29): recovery counts pre-accept replies against its local
// copy; a lone EQ reply without b's dependency wins and a loses it (VIS).
TEST(EpaxosQuirks, PrepareMiscountLosesADependency) {
  for (bool quirk : {true, false}) {
    SCOPED_TRACE(quirk);
    FakeCluster c(quirk ? "epaxos:quirks=go-prepare-miscount" : "epaxos", 5);
    c.Submit(1, Put("x", "B", 2, 1));  // b = 1.1
    c.Step(Msg("PreAccept", 1, 3));
    c.Step(Msg("PreAccept", 1, 4));
    c.Step(Msg("PreAcceptReply", 3, 1));
    c.Step(Msg("PreAcceptReply", 4, 1));  // b fast-commits, deps {}
    c.Step(Msg("Commit", 1, 3));
    c.Step(Msg("Commit", 1, 4));
    c.Submit(0, Put("x", "A", 1, 1));  // a = 0.1
    c.Step(Msg("PreAccept", 0, 2));    // R3 has not seen b: EQ
    c.Step(Msg("PreAccept", 0, 3));
    c.Step(Msg("PreAccept", 0, 4));
    c.Crash(0);
    Match from0;
    from0.from = 0;
    c.Drop(from0);
    c.Timeout(4, Id(0, 1));
    c.Step(Msg("Prepare", 4, 2));
    c.Step(Msg("PrepareReply", 2, 4));  // EQ, differs: the candidate
    c.Step(Msg("Prepare", 4, 3));
    c.Step(Msg("PrepareReply", 3, 4));  // equals R5's local copy: count 2
    c.DeliverAllRandomly();
    auto checks = c.protocol().MakeChecks();
    ASSERT_EQ(checks.size(), 1u);
    std::vector<std::string> violations;
    for (const CommitRecord& r : c.commits(4)) {
      if (auto v = checks[0]->OnFirstCommit(r)) violations.push_back(*v);
    }
    EXPECT_EQ(!violations.empty(), quirk);
    EXPECT_THAT(c.AgreementViolations(), IsEmpty());
  }
}

// 4.6 (issue #26): the executor waits inside its DFS on an orphaned
// dependency, and the recovery trigger lives in the same loop.
TEST(EpaxosQuirks, ExecBusywaitNeverRecoversTheOrphan) {
  for (bool quirk : {true, false}) {
    SCOPED_TRACE(quirk);
    FakeCluster c(quirk ? "epaxos:quirks=go-exec-busywait"
                        : "epaxos:quirks=go-exec-nil-cmds",
                  3);
    c.Submit(0, Put("x", "1", 1, 1));  // a = 0.1 reaches R2 only
    c.Step(Msg("PreAccept", 0, 1));
    c.Crash(0);
    Match from0;
    from0.from = 0;
    c.Drop(from0);
    c.Submit(1, Put("x", "2", 2, 1));  // b = 1.1 depends on a
    c.DeliverAllRandomly();
    ASSERT_TRUE(c.FirstCommit(2, Id(1, 1)).has_value());
    c.Timeout(1, Id(0, 1));
    c.Timeout(2, Id(0, 1));
    c.DeliverAllRandomly();
    EXPECT_EQ(c.FirstCommit(1, Id(0, 1)).has_value(), !quirk);
    EXPECT_EQ(c.executions(2).size(), quirk ? 0u : 2u);
  }
}

// 4.7: a recovered no-op (Go: nil Cmds) stalls the executor for good.
TEST(EpaxosQuirks, ExecNilCmdsStallsOnANoop) {
  for (bool quirk : {true, false}) {
    SCOPED_TRACE(quirk);
    FakeCluster c(
        quirk ? "epaxos:quirks=go-exec-nil-cmds" : "epaxos:quirks=exec-seq-tie",
        3);
    c.Submit(0, Put("x", "1", 1, 1));  // 0.1: nobody sees it
    Match pre;
    pre.type = "PreAccept";
    c.Drop(pre);
    c.Submit(0, Put("y", "1", 1, 2));  // 0.2 commits normally
    c.DeliverAllRandomly();
    c.Crash(0);
    c.Timeout(1, Id(0, 1));  // no-op for 0.1
    c.DeliverAllRandomly();
    auto nop = c.FirstCommit(1, Id(0, 1));
    ASSERT_TRUE(nop.has_value());
    EXPECT_TRUE(nop->command.nop);
    EXPECT_EQ(c.executions(1).size(), quirk ? 0u : 1u);
    EXPECT_EQ(c.coverage().count("quirk/exec-nil-stall") > 0, quirk);
  }
}

TEST(EpaxosReplica, CloneAndStateHash) {
  FakeCluster c("epaxos", 3);
  c.Submit(0, Put("x", "1", 1, 1));
  c.Step(Msg("PreAccept", 0, 1));
  FakeEnv other(&c, 1);
  auto copy = c.replica(1).Clone(other);
  EXPECT_EQ(copy->StateHash(), c.replica(1).StateHash());
  c.DeliverAllRandomly();
  EXPECT_NE(copy->StateHash(), c.replica(1).StateHash());
}

}  // namespace
}  // namespace epsim::protocol::epaxos::testing
