// Multi-Paxos on a tiny fake cluster: steady state, forwarding, leader
// failure, duplicates, catch-up, restarts, and many random schedules.
#include <algorithm>
#include <string>
#include <vector>

#include "base/check.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "protocol/common/protocol.h"
#include "protocol/multipaxos/messages.h"
#include "protocol/multipaxos/replica.h"
#include "tests/multipaxos/fake_cluster.h"

namespace epsim::testing {
namespace {

using protocol::kMillisecond;
using protocol::kSecond;
using protocol::OpType;
using protocol::ProtocolContext;
using protocol::ProtocolRegistry;
using protocol::multipaxos::MultiPaxosReplica;
using protocol::multipaxos::SlotId;
using ::testing::HasSubstr;

Command Append(int client, const std::string& key, const std::string& value,
               int64_t number = 1) {
  Command c;
  c.request = {client, number};
  c.op = OpType::kAppend;
  c.key = key;
  c.value = value;
  return c;
}

MultiPaxosReplica& Mp(FakeCluster& c, NodeId id) {
  return dynamic_cast<MultiPaxosReplica&>(c.replica(id));
}

std::vector<Command> CommandsOf(const std::vector<CommitRecord>& commits) {
  std::vector<CommitRecord> sorted = commits;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  std::vector<Command> out;
  for (const CommitRecord& r : sorted) out.push_back(r.command);
  return out;
}

FakeCluster::Filter TypeIs(std::string_view type) {
  return [type](const FakeCluster::Envelope& e) {
    return e.message->Type() == type;
  };
}

TEST(MultiPaxosTest, SteadyStateCommitsInSlotOrderEverywhere) {
  FakeCluster c("multipaxos:leader=0", 3, /*seed=*/1);
  std::vector<Command> requests;
  for (int i = 0; i < 5; ++i)
    requests.push_back(Append(i, "k", std::to_string(i)));
  for (const Command& r : requests) c.Submit(0, r);
  c.DeliverAll();

  EXPECT_TRUE(c.AllExecuted(requests));
  for (NodeId id = 0; id < 3; ++id) {
    // The leader gave slots in arrival order; every replica committed them.
    EXPECT_EQ(CommandsOf(c.commits(id)), requests) << "replica " << id;
    ASSERT_EQ(c.executions(id).size(), 5u);
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(c.executions(id)[i].id, SlotId(i + 1));
    }
    EXPECT_THAT(Mp(c, id).store().Find("k"),
                ::testing::Pointee(std::string("01234")));
  }
  for (const CommitRecord& r : c.commits(1)) {
    EXPECT_EQ(r.ballot, 1u);  // the initial leader's ballot, no phase 1
    EXPECT_EQ(r.path, "slow");
    EXPECT_EQ(r.seq, static_cast<int64_t>(r.id.counter));
  }
  EXPECT_EQ(c.Covered("phase1-start"), 0);
  EXPECT_EQ(c.Covered("phase2-commit"), 5);
  EXPECT_THAT(c.violations(), ::testing::IsEmpty());
  EXPECT_EQ(c.ExecutionOrderMismatch(), "");
}

TEST(MultiPaxosTest, FollowerForwardsToTheLeader) {
  FakeCluster c("multipaxos:leader=1", 3, /*seed=*/2);
  const Command a = Append(1, "x", "a");
  c.Submit(2, a);
  ASSERT_EQ(c.InFlight().size(), 1u);
  EXPECT_EQ(c.InFlight()[0].message->Type(), "Forward");
  EXPECT_EQ(c.InFlight()[0].to, 1);
  c.DeliverAll();
  EXPECT_TRUE(c.AllExecuted({a}));
  EXPECT_EQ(c.Covered("forward"), 1);
  EXPECT_THAT(c.violations(), ::testing::IsEmpty());
}

TEST(MultiPaxosTest, LeaderCrashElectsNewLeaderAndServesPendingRequests) {
  FakeCluster c("multipaxos:leader=0", 5, /*seed=*/3);
  const Command a = Append(1, "k", "a");
  c.Submit(0, a);
  c.DeliverAll();
  ASSERT_TRUE(c.AllExecuted({a}));

  c.Crash(0);
  const Command b = Append(2, "k", "b");
  const Command d = Append(3, "k", "d");
  c.Submit(1, b);  // forwarded to the dead leader: lost
  c.Submit(3, d);
  ASSERT_TRUE(c.RunUntil(
      [&] {
        return c.AllExecuted({a, b, d});
      },
      30 * kSecond));

  int leaders = 0;
  for (NodeId id = 1; id < 5; ++id) {
    if (Mp(c, id).role() == MultiPaxosReplica::Role::kLeader) {
      ++leaders;
      EXPECT_GT(Mp(c, id).promised(), 1u);
    }
  }
  EXPECT_EQ(leaders, 1);
  EXPECT_GE(c.Covered("leader-suspected"), 1);
  EXPECT_GE(c.Covered("phase1-won"), 1);
  EXPECT_THAT(c.violations(), ::testing::IsEmpty());
  EXPECT_EQ(c.ExecutionOrderMismatch(), "");
}

TEST(MultiPaxosTest, NewLeaderFillsGapsWithNopAndReproposesAcceptedValues) {
  FakeCluster c("multipaxos:leader=0", 3, /*seed=*/4);
  const Command a = Append(1, "k", "a");
  const Command b = Append(2, "k", "b");
  c.Submit(0, a);
  ASSERT_EQ(c.Drop(TypeIs("Accept")), 2);  // slot 1 reaches nobody
  c.Submit(0, b);
  c.Hold(TypeIs("Accepted"));  // slot 2 accepted by 1 and 2, never chosen
  c.DeliverAll();
  c.Crash(0);
  c.ReleaseHold();
  ASSERT_TRUE(c.RunUntil([&] { return c.AllExecuted({b}); }, 30 * kSecond));

  for (NodeId id = 1; id < 3; ++id) {
    const std::vector<Command> log = CommandsOf(c.commits(id));
    ASSERT_GE(log.size(), 2u);
    EXPECT_TRUE(log[0].nop) << "slot 1 at replica " << id;
    EXPECT_EQ(log[1], b);
    EXPECT_EQ(c.commits(id)[0].path, "recovery");
  }
  EXPECT_GE(c.Covered("gap-noop"), 1);
  EXPECT_GE(c.Covered("phase1-reproposed"), 1);

  // The client of `a` retries at a live replica and is served.
  c.Submit(1, a);
  ASSERT_TRUE(c.RunUntil([&] { return c.AllExecuted({a, b}); }, 10 * kSecond));
  EXPECT_THAT(c.violations(), ::testing::IsEmpty());
  EXPECT_EQ(c.ExecutionOrderMismatch(), "");
}

TEST(MultiPaxosTest, DuplicateRequestsTakeEffectOnce) {
  FakeCluster c("multipaxos:leader=0", 3, /*seed=*/5);
  const Command a = Append(7, "k", "a");
  c.Submit(1, a);
  c.Submit(2, a);  // the client retried elsewhere while the first was in flight
  // Both Forwards reach the leader while the first copy is in flight: one
  // slot.
  c.Hold(TypeIs("Accepted"));
  c.DeliverAll();
  EXPECT_EQ(c.Covered("duplicate-request-skipped"), 1);
  c.ReleaseHold();
  c.DuplicateOne();  // the network duplicates whatever it likes
  c.DuplicateOne();
  c.DeliverAll();
  EXPECT_TRUE(c.AllExecuted({a}));
  EXPECT_EQ(c.commits(0).size(), 1u);

  // A retry after it took effect gets a slot, executes as a duplicate and
  // changes nothing.
  c.Submit(2, a);
  c.DeliverAll();
  for (NodeId id = 0; id < 3; ++id) {
    ASSERT_EQ(c.executions(id).size(), 2u);
    EXPECT_TRUE(c.executions(id)[1].duplicate);
    EXPECT_THAT(Mp(c, id).store().Find("k"),
                ::testing::Pointee(std::string("a")));
  }
  EXPECT_TRUE(c.AllExecuted({a}));
  EXPECT_THAT(c.violations(), ::testing::IsEmpty());
}

TEST(MultiPaxosTest, LaggingReplicaCatchesUpFromHeartbeats) {
  FakeCluster c("multipaxos:leader=0", 3, /*seed=*/6);
  std::vector<Command> requests = {Append(1, "k", "a"), Append(2, "k", "b"),
                                   Append(3, "j", "c")};
  c.Hold([](const FakeCluster::Envelope& e) { return e.to == 2; });
  for (const Command& r : requests) c.Submit(0, r);
  c.DeliverAll();
  EXPECT_TRUE(c.executions(2).empty());
  EXPECT_EQ(c.executions(1).size(), 3u);
  // Replica 2 missed everything (Pending shows nothing is known there).
  c.Drop([](const FakeCluster::Envelope& e) { return e.to == 2; });
  c.ReleaseHold();
  ASSERT_TRUE(c.RunUntil([&] { return c.AllExecuted(requests); }, 5 * kSecond));
  EXPECT_GE(c.Covered("catch-up-serve"), 3);
  EXPECT_EQ(c.Covered("phase1-start"), 0);
  EXPECT_EQ(Mp(c, 0).role(), MultiPaxosReplica::Role::kLeader);
  EXPECT_EQ(c.ExecutionOrderMismatch(), "");
}

TEST(MultiPaxosTest, PendingShowsChosenSlotWaitingOnTheGap) {
  FakeCluster c("multipaxos:leader=0", 3, /*seed=*/7);
  c.Submit(0, Append(1, "k", "a"));
  c.Submit(0, Append(2, "k", "b"));
  // Replica 2 never hears about slot 1.
  c.Drop([](const FakeCluster::Envelope& e) {
    return e.to == 2 && e.message->Command() == SlotId(1);
  });
  c.Hold([](const FakeCluster::Envelope& e) {
    return e.to == 2 && e.message->Command() == SlotId(1);
  });
  c.DeliverAll();
  const std::vector<protocol::PendingCommand> pending = c.replica(2).Pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].id, SlotId(2));
  EXPECT_EQ(pending[0].phase, "committed");
  EXPECT_THAT(pending[0].waiting_on, ::testing::ElementsAre(SlotId(1)));
  EXPECT_TRUE(c.replica(1).Pending().empty());
}

TEST(MultiPaxosTest, RestartedReplicasKeepTheirLogAndDoNotReexecute) {
  FakeCluster c("multipaxos:leader=0", 3, /*seed=*/8);
  std::vector<Command> requests = {Append(1, "k", "a"), Append(2, "k", "b")};
  c.Submit(0, requests[0]);
  c.DeliverAll();
  c.Crash(1);
  c.Submit(0, requests[1]);
  c.DeliverAll();
  c.Restart(1);
  ASSERT_TRUE(c.RunUntil([&] { return c.AllExecuted(requests); }, 5 * kSecond));
  EXPECT_EQ(c.executions(1).size(), 2u);

  // The leader restarts too: it comes back as a follower, someone wins
  // phase 1 at a higher ballot, and service resumes.
  c.Crash(0);
  c.Restart(0);
  EXPECT_EQ(Mp(c, 0).role(), MultiPaxosReplica::Role::kFollower);
  requests.push_back(Append(3, "k", "c"));
  c.Submit(0, requests.back());
  ASSERT_TRUE(
      c.RunUntil([&] { return c.AllExecuted(requests); }, 10 * kSecond));
  EXPECT_GE(c.Covered("phase1-won"), 1);
  EXPECT_GE(c.Covered("restart"), 2);
  EXPECT_THAT(c.violations(), ::testing::IsEmpty());
  EXPECT_EQ(c.ExecutionOrderMismatch(), "");
}

TEST(MultiPaxosTest, CompetingCandidatesPreemptEachOther) {
  FakeCluster c("multipaxos:leader=0", 3, /*seed=*/9);
  c.Crash(0);
  // Both followers time out before any Prepare is delivered.
  while (c.Covered("phase1-start") < 2) ASSERT_TRUE(c.FireNextTimer());
  const Command a = Append(1, "k", "a");
  c.Submit(1, a);
  c.Submit(2, a);
  ASSERT_TRUE(c.RunUntil([&] { return c.AllExecuted({a}); }, 30 * kSecond));
  EXPECT_GE(c.Covered("phase1-nack") + c.Covered("phase1-preempted"), 1);
  EXPECT_THAT(c.violations(), ::testing::IsEmpty());
}

TEST(MultiPaxosTest, CloneAndStateHashFollowTheState) {
  FakeCluster c("multipaxos:leader=0", 3, /*seed=*/10);
  FakeCluster d("multipaxos:leader=0", 3, /*seed=*/10);
  EXPECT_EQ(c.replica(1).StateHash(), d.replica(1).StateHash());
  c.Submit(0, Append(1, "k", "a"));
  c.DeliverAll();
  EXPECT_NE(c.replica(1).StateHash(), d.replica(1).StateHash());

  std::unique_ptr<protocol::Replica> clone = c.replica(1).Clone(d.env(1));
  EXPECT_EQ(clone->StateHash(), c.replica(1).StateHash());
  // The clone talks through the environment it was bound to.
  const size_t before = c.InFlight().size();
  clone->OnClientRequest(Append(2, "k", "b"));
  EXPECT_EQ(c.InFlight().size(), before);
  ASSERT_EQ(d.InFlight().size(), 1u);
  EXPECT_EQ(d.InFlight()[0].message->Type(), "Forward");
  EXPECT_NE(clone->StateHash(), c.replica(1).StateHash());
}

TEST(MultiPaxosTest, RegistryAcceptsIndexesAndRejectsNames) {
  const ProtocolRegistry& registry = ProtocolRegistry::Builtin();
  const ProtocolContext context{5, 100 * kMillisecond};
  auto made = registry.Make("multipaxos:leader=2", context);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ((*made)->Name(), "multipaxos:leader=2,n=5");
  EXPECT_EQ((*made)->Replicas(), 5);
  EXPECT_EQ((*made)->MaxFailures(), 2);
  ASSERT_TRUE(registry.Make((*made)->Name(), context).ok());
  EXPECT_EQ((*registry.Make("multipaxos", context))->Name(),
            "multipaxos:leader=0,n=5");

  auto site = registry.Make("multipaxos:leader=CA", context);
  EXPECT_EQ(site.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(site.status().message()),
              HasSubstr("leader=\"CA\": expected a replica index 0..4"));
  EXPECT_FALSE(registry.Make("multipaxos:leader=5", context).ok());
  EXPECT_FALSE(registry.Make("multipaxos:leader=-1", context).ok());
  EXPECT_FALSE(registry.Make("multipaxos:n=3", context).ok());
  auto unknown = registry.Make("multipaxos:thrifty=1", context);
  EXPECT_THAT(std::string(unknown.status().message()),
              HasSubstr("unknown option \"thrifty\""));
}

TEST(MultiPaxosTest, ChecksFlagMisshapenCommitsAndSteadyStateNops) {
  auto made = ProtocolRegistry::Builtin().Make("multipaxos:leader=1",
                                               ProtocolContext{3, 0});
  ASSERT_TRUE(made.ok());
  auto checks = (*made)->MakeChecks();
  ASSERT_EQ(checks.size(), 2u);
  auto any_violation = [&](const CommitRecord& r) {
    std::string out;
    for (auto& check : checks) {
      if (auto v = check->OnFirstCommit(r)) out += *v;
    }
    return out;
  };
  CommitRecord good;
  good.id = SlotId(3);
  good.command = Append(1, "k", "v");
  good.deps = {SlotId(2)};
  good.seq = 3;
  good.ballot = 2;
  EXPECT_EQ(any_violation(good), "");

  CommitRecord wrong_deps = good;
  wrong_deps.deps = {};
  EXPECT_THAT(any_violation(wrong_deps),
              HasSubstr("not shaped like log slot 3"));
  CommitRecord wrong_origin = good;
  wrong_origin.id.origin = 2;
  EXPECT_THAT(any_violation(wrong_origin), HasSubstr("not shaped"));

  CommitRecord steady_nop = good;
  steady_nop.command = Command::Nop();
  EXPECT_THAT(any_violation(steady_nop), HasSubstr("only fill a gap"));
  steady_nop.ballot = 5;
  EXPECT_EQ(any_violation(steady_nop), "");
}

// Many seeded schedules: random delivery order, timers firing early, loss,
// duplication, crashes (at most f at a time) and restarts; then the network
// heals. Safety must hold throughout, and every request whose replica stayed
// up must execute once everywhere, in one order.
void RandomSchedule(int n, uint64_t seed) {
  SCOPED_TRACE("n=" + std::to_string(n) + " seed=" + std::to_string(seed));
  const int f = (n - 1) / 2;
  FakeCluster c("multipaxos:leader=" + std::to_string(seed % n), n, seed);
  sim::Rng rng(seed * 7919 + 17);
  std::vector<Command> all;
  std::vector<NodeId> origin;
  std::vector<bool> eligible;
  for (int i = 0; i < 8; ++i) {
    all.push_back(Append(i, i % 2 ? "a" : "b", std::to_string(i)));
  }
  size_t submitted = 0;
  auto crashed = [&] {
    int down = 0;
    for (NodeId id = 0; id < n; ++id) down += c.up(id) ? 0 : 1;
    return down;
  };
  for (int step = 0; step < 400; ++step) {
    const uint64_t r = rng.Below(100);
    if (r < 55) {
      c.DeliverOne();
    } else if (r < 65) {
      c.FireNextTimer();
    } else if (r < 70) {
      auto pool = c.InFlight();
      if (!pool.empty()) {
        const size_t victim = rng.Below(pool.size());
        int seen = 0;
        c.Drop([&](const FakeCluster::Envelope&) {
          return static_cast<size_t>(seen++) == victim;
        });
      }
    } else if (r < 74) {
      c.DuplicateOne();
    } else if (r < 82) {
      const NodeId at = static_cast<NodeId>(rng.Below(n));
      if (submitted < all.size() && c.up(at)) {
        origin.push_back(at);
        eligible.push_back(true);
        c.Submit(at, all[submitted++]);
      }
    } else if (r < 84) {
      const NodeId victim = static_cast<NodeId>(rng.Below(n));
      if (c.up(victim) && crashed() < f) {
        c.Crash(victim);
        for (size_t i = 0; i < origin.size(); ++i) {
          if (origin[i] == victim) eligible[i] = false;
        }
      }
    } else if (r < 87) {
      const NodeId back = static_cast<NodeId>(rng.Below(n));
      if (!c.up(back)) c.Restart(back);
    }
  }
  // Heal: reliable from now on; the rest of the requests go to live replicas.
  while (submitted < all.size()) {
    NodeId at = static_cast<NodeId>(rng.Below(n));
    while (!c.up(at)) at = (at + 1) % n;
    origin.push_back(at);
    eligible.push_back(true);
    c.Submit(at, all[submitted++]);
  }
  std::vector<Command> owed;
  for (size_t i = 0; i < all.size(); ++i) {
    if (eligible[i]) owed.push_back(all[i]);
  }
  EXPECT_TRUE(c.RunUntil([&] { return c.AllExecuted(owed); }, 120 * kSecond));
  // Let the live replicas converge on the same prefix.
  auto converged = [&] {
    protocol::multipaxos::Slot top = 0;
    for (NodeId id = 0; id < n; ++id) {
      if (c.up(id)) top = std::max(top, Mp(c, id).executed_below());
    }
    for (NodeId id = 0; id < n; ++id) {
      if (c.up(id) && Mp(c, id).executed_below() != top) return false;
    }
    return true;
  };
  EXPECT_TRUE(c.RunUntil(converged, 30 * kSecond));
  EXPECT_THAT(c.violations(), ::testing::IsEmpty());
  EXPECT_EQ(c.ExecutionOrderMismatch(), "");
  const protocol::KvStore* first = nullptr;
  for (NodeId id = 0; id < n; ++id) {
    if (!c.up(id)) continue;
    if (first == nullptr) first = &Mp(c, id).store();
    EXPECT_EQ(Mp(c, id).store(), *first) << "replica " << id;
    // Exactly once: no request took effect twice at one replica.
    absl::btree_set<protocol::RequestId> fresh;
    for (const ExecutionRecord& e : c.executions(id)) {
      if (e.duplicate) continue;
      EXPECT_TRUE(fresh.insert(e.command.request).second)
          << "replica " << id << " executed " << e.command.ToString()
          << " twice";
    }
  }
}

TEST(MultiPaxosTest, RandomSchedulesKeepAgreementAndOneExecutionOrder) {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    for (int n : {3, 5}) {
      try {
        RandomSchedule(n, seed);
      } catch (const CheckFailure& failure) {
        ADD_FAILURE() << "n=" << n << " seed=" << seed << ": "
                      << failure.what();
      }
    }
    if (::testing::Test::HasFailure()) break;
  }
}

}  // namespace
}  // namespace epsim::testing
