// Randomized schedules on the fake network: random delivery order,
// duplicated messages, timers firing early, up to f crashes. Checks
// Agreement and Visibility on every commit (the cluster does), then that
// every command of a surviving client executed exactly once everywhere, in
// the same order on every live replica, with equal final states.
#include <map>
#include <set>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/epaxos_star/cluster.h"

namespace epsim::protocol::epaxos_star::testing {
namespace {

using ::testing::IsEmpty;

struct Schedule {
  int n = 3;
  int crashes = 0;
  int commands = 12;
  int keys = 2;
  double timer_probability = 0.03;
  double duplicate_probability = 0.05;
};

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 0x9e3779b97f4a7c15ULL + 7) {}
  uint64_t Next(uint64_t bound) {
    state_ += 0x9e3779b97f4a7c15ULL;
    return SplitMix64(state_) % bound;
  }
  bool Chance(double p) { return Next(1000000) < p * 1000000; }

 private:
  uint64_t state_;
};

// Adds the run's coverage to `coverage`.
void RunOne(const Schedule& s, uint64_t seed,
            std::map<std::string, int64_t>& coverage) {
  SCOPED_TRACE(::testing::Message() << "n=" << s.n << " seed=" << seed);
  Cluster c(s.n, "", seed);
  Rng rng(seed);
  std::vector<std::pair<NodeId, Command>> submitted;
  std::set<NodeId> crashed;
  int next_command = 0;
  for (int step = 0; step < 4000; ++step) {
    const bool can_submit = next_command < s.commands;
    if (can_submit && rng.Chance(0.1)) {
      NodeId at = static_cast<NodeId>(rng.Next(s.n));
      if (crashed.contains(at)) continue;
      Command cmd;
      cmd.op = OpType::kAppend;
      cmd.key = "k" + std::to_string(rng.Next(s.keys));
      cmd.value = "v" + std::to_string(next_command) + ";";
      cmd.request = {next_command + 1, 1};
      ++next_command;
      c.replica(at).OnClientRequest(cmd);
      submitted.emplace_back(at, cmd);
      continue;
    }
    if (static_cast<int>(crashed.size()) < s.crashes && rng.Chance(0.01)) {
      NodeId victim = static_cast<NodeId>(rng.Next(s.n));
      if (crashed.insert(victim).second) c.Crash(victim);
      continue;
    }
    if (!c.in_flight().empty() && !rng.Chance(s.timer_probability)) {
      const size_t i = rng.Next(c.in_flight().size());
      c.DeliverAt(i, /*keep_copy=*/rng.Chance(s.duplicate_probability));
      continue;
    }
    if (!c.FireEarliestTimer() && !can_submit && c.in_flight().empty()) break;
  }
  // Submit whatever is left, then let the system settle.
  while (next_command < s.commands) {
    NodeId at = 0;
    while (crashed.contains(at)) ++at;
    Command cmd;
    cmd.op = OpType::kAppend;
    cmd.key = "k0";
    cmd.value = "v" + std::to_string(next_command) + ";";
    cmd.request = {next_command + 1, 1};
    ++next_command;
    c.replica(at).OnClientRequest(cmd);
    submitted.emplace_back(at, cmd);
  }
  c.RunToQuiescence(20000);
  for (const std::string& b : StarCoverageBranches(c.options())) {
    coverage[b] += c.coverage(b);
  }

  ASSERT_THAT(c.violations(), IsEmpty());
  ASSERT_TRUE(c.AllDone()) << "some command never committed or executed";
  std::vector<NodeId> live;
  for (NodeId i = 0; i < s.n; ++i) {
    if (!crashed.contains(i)) live.push_back(i);
  }
  for (NodeId i : live) {
    // Exactly once: each surviving client's request took effect once.
    std::map<RequestId, int> fresh;
    for (const ExecutionRecord& e : c.executions(i)) {
      if (!e.duplicate) ++fresh[e.command.request];
    }
    for (const auto& [at, cmd] : submitted) {
      if (crashed.contains(at)) {
        EXPECT_LE(fresh[cmd.request], 1);
      } else {
        EXPECT_EQ(fresh[cmd.request], 1) << "p" << i << " " << cmd.ToString();
      }
    }
  }
  // Same order of (conflicting) commands per key, same final state.
  auto per_key = [&](NodeId i) {
    std::map<std::string, std::vector<CommandId>> order;
    for (const ExecutionRecord& e : c.executions(i)) {
      order[e.command.key.str()].push_back(e.id);
    }
    return order;
  };
  for (NodeId i : live) {
    EXPECT_EQ(per_key(i), per_key(live.front())) << "p" << i;
    EXPECT_EQ(c.replica(i).kv(), c.replica(live.front()).kv()) << "p" << i;
  }
}

// The schedules must reach the interesting paths, or the test proves
// little: these branches have to be taken somewhere in each campaign.
void ExpectReached(const std::map<std::string, int64_t>& coverage,
                   const std::vector<std::string>& branches) {
  for (const std::string& b : branches) {
    auto it = coverage.find(b);
    EXPECT_TRUE(it != coverage.end() && it->second > 0) << b;
  }
}

TEST(StarRandomTest, ThreeReplicasNoCrash) {
  std::map<std::string, int64_t> coverage;
  for (uint64_t seed = 1; seed <= 150; ++seed) {
    RunOne({.n = 3}, seed, coverage);
  }
  ExpectReached(coverage, {"fast-path", "slow-path", "recovery/started"});
}

TEST(StarRandomTest, ThreeReplicasOneCrash) {
  std::map<std::string, int64_t> coverage;
  for (uint64_t seed = 1; seed <= 150; ++seed) {
    RunOne({.n = 3, .crashes = 1}, seed, coverage);
  }
  ExpectReached(coverage, {"fast-path", "slow-path", "recover/committed",
                           "recover/validate", "nop-commit"});
}

TEST(StarRandomTest, FiveReplicasTwoCrashes) {
  std::map<std::string, int64_t> coverage;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    RunOne({.n = 5, .crashes = 2, .commands = 15}, seed, coverage);
  }
  ExpectReached(coverage, {"fast-path", "slow-path", "recover/committed",
                           "recover/validate", "nop-commit"});
}

TEST(StarRandomTest, FiveReplicasEagerTimers) {
  // Timers fire often: many concurrent recoveries of live commands.
  std::map<std::string, int64_t> coverage;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    RunOne({.n = 5, .crashes = 1, .keys = 1, .timer_probability = 0.2}, seed,
           coverage);
  }
  ExpectReached(coverage, {"recover/coord-in-Q-nop", "recover/accepted",
                           "resubmit", "validate/wait", "hint/received"});
}

}  // namespace
}  // namespace epsim::protocol::epaxos_star::testing
