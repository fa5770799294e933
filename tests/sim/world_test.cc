#include "sim/world.h"

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/sim/test_processes.h"

namespace epsim::sim {
namespace {

using testing::Echo;
using ::testing::ElementsAre;
using testing::MakeNote;
using testing::Recorder;

constexpr Duration kOneWay = 5 * kMillisecond;  // RTT 10 ms between sites

NetworkConfig Lossy() {
  NetworkConfig c;
  c.link_kind = LinkKind::kLossy;
  return c;
}

// n recorders, node i at site i, 10 ms RTT between sites.
class Net {
 public:
  explicit Net(NetworkConfig config = {}, int n = 3, uint64_t seed = 1)
      : world(seed, Topology::Uniform("test", n, 10.0), config) {
    for (int i = 0; i < n; ++i) {
      nodes.push_back(std::make_unique<Recorder>(&world));
      world.AddNode(absl::StrCat("n", i), i, nodes.back().get());
    }
  }
  Recorder& node(int i) { return *nodes[i]; }
  void Send(NodeId from, NodeId to, int value) {
    world.Send(from, to, MakeNote(value));
  }
  void RunAll() {
    while (world.Step()) {
    }
  }

  World world;
  std::vector<std::unique_ptr<Recorder>> nodes;
};

// --- Event order and time ----------------------------------------------------

TEST(WorldTest, EqualTimesRunInSchedulingOrder) {
  Net net;
  std::vector<int> order;
  net.world.At(
      100, [&] { order.push_back(1); }, "first");
  net.world.At(
      50, [&] { order.push_back(0); }, "earlier");
  net.world.At(
      100, [&] { order.push_back(2); }, "second");
  net.world.At(
      100, [&] { order.push_back(3); }, "third");
  net.RunAll();
  EXPECT_THAT(order, ElementsAre(0, 1, 2, 3));
  EXPECT_EQ(net.world.Now(), 100);
}

TEST(WorldTest, SimultaneousMessagesArriveInSendOrder) {
  NetworkConfig config;
  config.same_site_delay = 0;
  World world(1, Topology::Uniform("one", 1, 0), config);
  Recorder a(&world), b(&world);
  world.AddNode("a", 0, &a);
  world.AddNode("b", 0, &b);
  for (int v = 0; v < 20; ++v) world.Send(0, 1, MakeNote(v));
  while (world.Step()) {
  }
  std::vector<int> want(20);
  for (int v = 0; v < 20; ++v) want[v] = v;
  EXPECT_EQ(b.Values(), want);
  EXPECT_EQ(world.Now(), 0);
}

TEST(WorldTest, DelayIsHalfTheRttOrTheSameSiteDelay) {
  NetworkConfig config;
  config.same_site_delay = 70;
  World world(1, Topology::Uniform("two", 2, 10.0), config);
  Recorder a(&world), b(&world), c(&world);
  world.AddNode("a", 0, &a);
  world.AddNode("b", 1, &b);
  world.AddNode("c", 0, &c);
  world.Send(0, 1, MakeNote(1));
  world.Send(0, 2, MakeNote(2));
  while (world.Step()) {
  }
  ASSERT_EQ(b.received.size(), 1u);
  EXPECT_EQ(b.received[0].at, kOneWay);
  ASSERT_EQ(c.received.size(), 1u);
  EXPECT_EQ(c.received[0].at, 70);
}

TEST(WorldTest, RunUntilStopsAtTheEndAndSetsNow) {
  Net net;
  net.Send(0, 1, 1);
  net.world.RunUntil(kOneWay - 1);
  EXPECT_TRUE(net.node(1).received.empty());
  EXPECT_EQ(net.world.Now(), kOneWay - 1);
  net.world.RunUntil(kOneWay);
  EXPECT_EQ(net.node(1).received.size(), 1u);
  EXPECT_TRUE(net.world.Idle());
  net.world.RunUntil(kSecond);
  EXPECT_EQ(net.world.Now(), kSecond);
}

TEST(WorldTest, SlowdownMultipliesTheDelayBothWays) {
  Net net;
  net.world.SetSlowdown(0, 1, 3.0);
  net.Send(0, 1, 1);
  net.Send(1, 0, 2);
  net.Send(0, 2, 3);
  net.RunAll();
  EXPECT_EQ(net.node(1).received.at(0).at, 3 * kOneWay);
  EXPECT_EQ(net.node(0).received.at(0).at, 3 * kOneWay);
  EXPECT_EQ(net.node(2).received.at(0).at, kOneWay);
  EXPECT_EQ(net.world.BaseDelay(0, 1), 3 * kOneWay);
}

// --- Timers
// ----------------------------------------------------------------------

TEST(WorldTest, TimersFireInOrderAndCancelledOnesDoNot) {
  Net net;
  const TimerId late = net.world.SetTimer(0, 300, 3);
  const TimerId cancelled = net.world.SetTimer(0, 200, 2);
  const TimerId early = net.world.SetTimer(0, 100, 1);
  net.world.CancelTimer(0, cancelled);
  net.world.CancelTimer(0, cancelled);  // twice: harmless
  net.RunAll();
  EXPECT_THAT(net.node(0).fired,
              ElementsAre(std::pair{early, 1u}, std::pair{late, 3u}));
  EXPECT_THAT(net.node(0).fired_at, ElementsAre(100, 300));
  EXPECT_EQ(net.world.stats().timers_fired, 2u);
}

TEST(WorldTest, ManyCancelledTimersNeverFireAndLiveOnesKeepTheirOrder) {
  // Enough set-and-cancel churn (a timeout per command) to make the world
  // compact its queue and trim its record of dead timer ids, with live
  // timers set before, between and after.
  Net net;
  std::vector<std::pair<TimerId, uint64_t>> expected;
  std::vector<Time> expected_at;
  const TimerId first = net.world.SetTimer(0, 50'000, 1);
  for (int i = 0; i < 20'000; ++i) {
    const TimerId t = net.world.SetTimer(1, 1'000 + i, 2);
    if (i % 1000 == 999) {
      expected.push_back({t, 2});
      expected_at.push_back(1'000 + i);
    } else {
      net.world.CancelTimer(1, t);
    }
  }
  const TimerId last = net.world.SetTimer(0, 60'000, 3);
  net.world.CancelTimer(1, expected.front().first);  // a live one, late
  expected.erase(expected.begin());
  expected_at.erase(expected_at.begin());
  net.RunAll();
  EXPECT_THAT(net.node(0).fired,
              ElementsAre(std::pair{first, 1u}, std::pair{last, 3u}));
  EXPECT_EQ(net.node(1).fired, expected);
  EXPECT_EQ(net.node(1).fired_at, expected_at);
  EXPECT_EQ(net.world.stats().timers_fired, 2u + expected.size());
  EXPECT_EQ(net.world.stats().events, net.world.stats().timers_fired);
  // Cancelling long-dead ids is still harmless.
  net.world.CancelTimer(0, first);
  net.world.CancelTimer(1, expected.back().first);
  EXPECT_TRUE(net.world.Idle());
}

TEST(WorldTest, CancelledTimerLeavesTheWorldIdle) {
  Net net;
  net.world.CancelTimer(0, net.world.SetTimer(0, kSecond, 1));
  EXPECT_TRUE(net.world.Idle());
  EXPECT_FALSE(net.world.Step());
}

// --- Crash, restart, pause
// ---------------------------------------------------------

TEST(WorldTest, CrashedNodeReceivesNothingAndFiresNoTimer) {
  Net net;
  net.world.SetTimer(1, kSecond, 7);
  net.Send(0, 1, 1);  // in flight when 1 crashes
  net.Send(1, 0, 2);  // sent by 1 before it crashes: still arrives
  net.world.At(
      kMillisecond, [&] { net.world.Crash(1); }, "crash");
  net.world.At(
      2 * kMillisecond, [&] { net.Send(0, 1, 3); }, "send to dead");
  net.world.At(
      3 * kMillisecond, [&] { net.Send(1, 0, 4); }, "dead sends");
  net.RunAll();
  EXPECT_TRUE(net.world.IsCrashed(1));
  EXPECT_TRUE(net.node(1).received.empty());
  EXPECT_TRUE(net.node(1).fired.empty());
  EXPECT_EQ(net.node(1).crashes, 1);
  EXPECT_THAT(net.node(0).Values(), ElementsAre(2));
  EXPECT_EQ(net.world.stats().dropped, 2u);
}

TEST(WorldTest, RestartCallsOnRestartAndOldMessagesStayLost) {
  Net net;
  net.Send(0, 1, 1);  // would arrive at 5 ms, after the restart
  net.world.SetTimer(1, 4 * kMillisecond, 9);
  net.world.At(
      kMillisecond, [&] { net.world.Crash(1); }, "crash");
  net.world.At(
      2 * kMillisecond, [&] { net.world.Restart(1); }, "restart");
  net.world.At(
      3 * kMillisecond, [&] { net.Send(0, 1, 2); }, "new message");
  net.RunAll();
  EXPECT_FALSE(net.world.IsCrashed(1));
  EXPECT_EQ(net.node(1).restarts, 1);
  EXPECT_THAT(net.node(1).Values(), ElementsAre(2));
  EXPECT_TRUE(net.node(1).fired.empty());  // timers died with the crash
}

TEST(WorldTest, RestartOfALiveNodeDoesNothing) {
  Net net;
  net.world.Restart(0);
  EXPECT_EQ(net.node(0).restarts, 0);
}

TEST(WorldTest, PauseDelaysButLosesNothing) {
  Net net;
  net.world.Pause(1);
  for (int v = 0; v < 5; ++v) net.Send(0, 1, v);
  net.world.SetTimer(1, kMillisecond, 4);
  net.world.At(
      20 * kMillisecond, [&] { net.world.Resume(1); }, "resume");
  net.world.RunUntil(19 * kMillisecond);
  EXPECT_TRUE(net.world.IsPaused(1));
  EXPECT_TRUE(net.node(1).received.empty());
  EXPECT_TRUE(net.node(1).fired.empty());
  net.RunAll();
  EXPECT_THAT(net.node(1).Values(), ElementsAre(0, 1, 2, 3, 4));
  for (const auto& r : net.node(1).received) EXPECT_EQ(r.at, 20 * kMillisecond);
  EXPECT_THAT(net.node(1).fired_at, ElementsAre(20 * kMillisecond));
  EXPECT_EQ(net.world.stats().dropped, 0u);
}

TEST(WorldTest, CrashWhilePausedDropsTheHeldMessages) {
  Net net;
  net.world.Pause(1);
  net.Send(0, 1, 1);
  net.world.At(
      10 * kMillisecond, [&] { net.world.Crash(1); }, "crash");
  net.world.At(
      11 * kMillisecond, [&] { net.world.Restart(1); }, "restart");
  net.RunAll();
  EXPECT_TRUE(net.node(1).received.empty());
  EXPECT_FALSE(net.world.IsPaused(1));
  EXPECT_EQ(net.world.stats().dropped, 1u);
}

// --- Partitions and cuts
// ---------------------------------------------------------

// Sends one note along every ordered pair and returns which pairs got through.
std::vector<std::pair<int, int>> Reachable(Net& net) {
  const int n = net.world.NodeCount();
  std::vector<size_t> before(n);
  for (int i = 0; i < n; ++i) before[i] = net.node(i).received.size();
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) {
      if (a != b) net.Send(a, b, a * 10 + b);
    }
  }
  net.world.RunUntil(net.world.Now() + kSecond);
  std::vector<std::pair<int, int>> got;
  for (int b = 0; b < n; ++b) {
    for (size_t k = before[b]; k < net.node(b).received.size(); ++k) {
      got.push_back({net.node(b).received[k].from, b});
    }
  }
  std::sort(got.begin(), got.end());
  return got;
}

TEST(WorldTest, PartitionBlocksExactlyTheCutDirectionsAndHealRestores) {
  Net net(Lossy(), 4);
  // Node 3 is not listed: it joins the group of unlisted nodes (alone here).
  net.world.Partition({{0}, {1, 2}});
  EXPECT_THAT(Reachable(net), ElementsAre(std::pair{1, 2}, std::pair{2, 1}));
  net.world.HealPartition();
  EXPECT_EQ(Reachable(net).size(), 12u);
}

TEST(WorldTest, UnlistedNodesFormOneGroup) {
  Net net(Lossy(), 3);
  net.world.Partition({{0}});
  EXPECT_THAT(Reachable(net), ElementsAre(std::pair{1, 2}, std::pair{2, 1}));
}

TEST(WorldTest, OneWayCut) {
  Net net(Lossy(), 2);
  net.world.CutLink(0, 1);
  EXPECT_THAT(Reachable(net), ElementsAre(std::pair{1, 0}));
  net.world.RestoreLink(0, 1);
  EXPECT_THAT(Reachable(net), ElementsAre(std::pair{0, 1}, std::pair{1, 0}));
  net.world.CutLink(1, 0);
  net.world.HealPartition();  // also ends cuts
  EXPECT_EQ(Reachable(net).size(), 2u);
}

TEST(WorldTest, ReliableLinkDeliversAcrossAPartitionAfterHeal) {
  Net net;  // reliable by default
  net.world.Partition({{0}, {1, 2}});
  net.Send(0, 1, 5);
  net.world.At(
      kSecond, [&] { net.world.HealPartition(); }, "heal");
  net.world.RunUntil(kSecond - 1);
  EXPECT_TRUE(net.node(1).received.empty());
  net.world.RunUntil(3 * kSecond);
  ASSERT_THAT(net.node(1).Values(), ElementsAre(5));
  EXPECT_GE(net.node(1).received[0].at, kSecond);
  EXPECT_EQ(net.world.stats().dropped, 0u);
  EXPECT_GT(net.world.stats().retransmitted, 0u);
}

TEST(WorldTest, PerLinkKindOverridesTheGlobalOne) {
  Net net;  // reliable
  net.world.SetLinkKind(0, 1, LinkKind::kLossy);
  EXPECT_EQ(net.world.LinkKindOf(0, 1), LinkKind::kLossy);
  EXPECT_EQ(net.world.LinkKindOf(1, 0), LinkKind::kReliable);
  net.world.CutLink(0, 1);
  net.world.CutLink(0, 2);
  net.Send(0, 1, 1);  // lossy: gone
  net.Send(0, 2, 2);  // reliable: waits
  net.world.At(
      kSecond, [&] { net.world.HealPartition(); }, "heal");
  net.world.RunUntil(2 * kSecond);
  EXPECT_TRUE(net.node(1).received.empty());
  EXPECT_THAT(net.node(2).Values(), ElementsAre(2));
}

// --- Loss, duplication, jitter
// -------------------------------------------------

TEST(WorldTest, LossyLinksWithoutLossDeliverEverything) {
  Net net(Lossy(), 2);
  for (int v = 0; v < 100; ++v) net.Send(0, 1, v);
  net.RunAll();
  EXPECT_EQ(net.node(1).received.size(), 100u);
}

TEST(WorldTest, LossyLinksWithLossOneDeliverNothing) {
  NetworkConfig config = Lossy();
  config.loss = 1;
  Net net(config, 2);
  for (int v = 0; v < 100; ++v) net.Send(0, 1, v);
  net.RunAll();
  EXPECT_TRUE(net.node(1).received.empty());
  EXPECT_EQ(net.world.stats().dropped, 100u);
}

TEST(WorldTest, ReliableLinksWithLossStillDeliverEverythingOnce) {
  NetworkConfig config;
  config.loss = 0.5;
  Net net(config, 2);
  std::vector<int> want;
  for (int v = 0; v < 200; ++v) {
    net.Send(0, 1, v);
    want.push_back(v);
  }
  net.RunAll();
  EXPECT_EQ(net.node(1).SortedValues(), want);
  EXPECT_EQ(net.world.stats().dropped, 0u);
  const auto late =
      std::count_if(net.node(1).received.begin(), net.node(1).received.end(),
                    [](const Recorder::Received& r) { return r.at > kOneWay; });
  EXPECT_GT(late, 50);
}

TEST(WorldTest, DuplicationDeliversTwice) {
  NetworkConfig config;
  config.duplication = 1;
  Net net(config, 2);
  std::vector<int> want;
  for (int v = 0; v < 10; ++v) {
    net.Send(0, 1, v);
    want.insert(want.end(), {v, v});
  }
  net.RunAll();
  EXPECT_EQ(net.node(1).SortedValues(), want);
  EXPECT_EQ(net.world.stats().duplicated, 10u);
}

TEST(WorldTest, JitterReordersMessagesBetweenTwoNodes) {
  Net net(NetworkConfig{}, 2);
  net.world.SetJitter({JitterSpec::kUniform, 0, 10 * kMillisecond});
  for (int v = 0; v < 100; ++v) net.Send(0, 1, v);
  net.RunAll();
  const std::vector<int> got = net.node(1).Values();
  ASSERT_EQ(got.size(), 100u);
  EXPECT_FALSE(std::is_sorted(got.begin(), got.end()));
}

// --- Determinism and the trace
// -------------------------------------------------

struct EchoRun {
  uint64_t hash;
  std::string trace;
  World::Stats stats;
};

EchoRun RunEcho(uint64_t seed) {
  NetworkConfig config;
  config.jitter = {JitterSpec::kExponential, 2 * kMillisecond, 0};
  config.loss = 0.1;
  config.duplication = 0.02;  // each duplicate starts a chain: keep it rare
  World world(seed, Topology::Uniform("t", 3, 20.0), config);
  std::vector<std::unique_ptr<Echo>> nodes;
  for (int i = 0; i < 3; ++i) {
    nodes.push_back(std::make_unique<Echo>(&world, i, 60));
    world.AddNode(absl::StrCat("e", i), i, nodes.back().get());
  }
  std::ostringstream trace;
  world.SetTraceSink(&trace);
  world.Send(0, 1, MakeNote(0));
  world.Send(2, 1, MakeNote(0));
  world.At(
      30 * kMillisecond,
      [&] {
        world.Partition({{0}, {1, 2}});
      },
      "cut");
  world.At(
      90 * kMillisecond, [&] { world.HealPartition(); }, "heal");
  world.RunUntil(60 * kSecond);
  return {world.TraceHash(), trace.str(), world.stats()};
}

TEST(WorldTest, SameSeedGivesSameTraceAndHash) {
  const EchoRun a = RunEcho(7);
  const EchoRun b = RunEcho(7);
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_GT(a.stats.delivered, 120u);
  EXPECT_GT(a.stats.timers_fired, 6u);
  EXPECT_GT(a.stats.retransmitted, 0u);
}

// Pinned once: the same seed must give this hash on every machine and with
// every compiler (docs/design.md, determinism rule 5). A deliberate change to
// the trace or the network model updates the constant.
TEST(WorldTest, TraceHashIsPinned) {
  EXPECT_EQ(RunEcho(7).hash, 0x2505d26539bd4da2ULL);
}

TEST(WorldTest, DifferentSeedsGiveDifferentHashes) {
  EXPECT_NE(RunEcho(7).hash, RunEcho(8).hash);
}

TEST(WorldTest, TraceIsJsonLinesWithOneObjectPerEvent) {
  const EchoRun run = RunEcho(3);
  std::istringstream lines(run.trace);
  std::string line;
  int delivers = 0, sends = 0, partitions = 0;
  while (std::getline(lines, line)) {
    const nlohmann::json j = nlohmann::json::parse(line);
    ASSERT_TRUE(j.contains("t")) << line;
    const std::string ev = j.at("ev");
    delivers += ev == "deliver";
    sends += ev == "send";
    partitions += ev == "partition";
  }
  EXPECT_EQ(static_cast<uint64_t>(delivers), run.stats.delivered);
  EXPECT_EQ(static_cast<uint64_t>(sends), run.stats.messages_sent);
  EXPECT_EQ(partitions, 1);
}

TEST(WorldTest, DeliveryObserverSeesEveryDelivery) {
  Net net;
  std::vector<uint64_t> ids;
  net.world.SetDeliveryObserver([&](const DeliveryEvent& e) {
    EXPECT_EQ(e.time, net.world.Now());
    ids.push_back(e.message_id);
  });
  net.Send(0, 1, 1);
  net.Send(0, 2, 2);
  net.RunAll();
  EXPECT_EQ(ids.size(), 2u);
}

// --- The choice scheduler
// -------------------------------------------------------

TEST(ChoiceSchedulerTest, DriverChoosesOrderAndDrops) {
  Net net;
  ChoiceScheduler& choice = net.world.UseChoiceScheduler();
  EXPECT_EQ(net.world.scheduler().Name(), "choice");
  net.Send(0, 1, 10);
  net.Send(0, 1, 11);
  net.Send(2, 1, 12);
  net.world.SetTimer(2, kSecond, 5);
  net.RunAll();  // nothing happens on its own
  EXPECT_TRUE(net.node(1).received.empty());

  std::vector<PendingChoice> pending = choice.Pending();
  ASSERT_EQ(pending.size(), 4u);
  EXPECT_EQ(pending[0].type, "Note");
  EXPECT_EQ(pending[2].from, 2);
  EXPECT_EQ(pending[3].kind, PendingChoice::Kind::kTimer);
  EXPECT_EQ(pending[3].tag, 5u);

  choice.Deliver(2);  // 12 first
  choice.Drop(1);     // 11 is lost
  choice.Deliver(0);  // then 10
  EXPECT_THAT(net.node(1).Values(), ElementsAre(12, 10));
  ASSERT_EQ(choice.PendingCount(), 1);
  choice.Fire(0);
  EXPECT_THAT(net.node(2).fired, ElementsAre(std::pair{TimerId{1}, 5u}));
  EXPECT_EQ(choice.PendingCount(), 0);
  EXPECT_EQ(net.world.stats().dropped, 1u);
  EXPECT_EQ(net.world.Now(), 0);
}

TEST(ChoiceSchedulerTest, CrashForgetsWhatWasAddressedToTheNode) {
  Net net;
  ChoiceScheduler& choice = net.world.UseChoiceScheduler();
  net.Send(0, 1, 1);
  net.Send(1, 0, 2);
  net.world.SetTimer(1, 10, 3);
  const TimerId cancelled = net.world.SetTimer(0, 10, 4);
  net.world.CancelTimer(0, cancelled);
  ASSERT_EQ(choice.PendingCount(), 3);
  net.world.Crash(1);
  const std::vector<PendingChoice> pending = choice.Pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].from, 1);  // what 1 sent still counts
  choice.Execute(0);
  EXPECT_THAT(net.node(0).Values(), ElementsAre(2));
}

TEST(ChoiceSchedulerTest, PausedReceiverGetsTheMessageBackAsAChoice) {
  Net net;
  ChoiceScheduler& choice = net.world.UseChoiceScheduler();
  net.Send(0, 1, 1);
  net.world.Pause(1);
  choice.Deliver(0);
  EXPECT_TRUE(net.node(1).received.empty());
  EXPECT_EQ(choice.PendingCount(), 0);
  net.world.Resume(1);
  ASSERT_EQ(choice.PendingCount(), 1);
  choice.Deliver(0);
  EXPECT_THAT(net.node(1).Values(), ElementsAre(1));
}

TEST(ChoiceSchedulerTest, ScheduledActionsStillRunInTime) {
  Net net;
  ChoiceScheduler& choice = net.world.UseChoiceScheduler();
  net.world.At(
      kSecond, [&] { net.Send(0, 1, 1); }, "late send");
  EXPECT_EQ(choice.PendingCount(), 0);
  net.world.RunUntil(kSecond);
  EXPECT_EQ(choice.PendingCount(), 1);
  EXPECT_EQ(choice.Pending()[0].since, kSecond);
}

}  // namespace
}  // namespace epsim::sim
