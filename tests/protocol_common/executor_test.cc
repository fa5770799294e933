#include "protocol/common/executor.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "base/check.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace epsim::protocol {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

CommandId Id(uint64_t counter, uint32_t origin = 0) {
  return CommandId{origin, counter};
}

// Records execution order.
class ExecutorTest : public ::testing::Test {
 protected:
  void Commit(CommandId id, std::vector<CommandId> deps, bool nop = false,
              ExecOrderKey key = {}) {
    std::sort(deps.begin(), deps.end());
    executor_.Commit(id, deps, nop, key,
                     [this](const CommandId& e) { order_.push_back(e); });
  }
  DependencyExecutor executor_;
  std::vector<CommandId> order_;
};

TEST_F(ExecutorTest, IndependentCommandExecutesAtOnce) {
  Commit(Id(1), {});
  EXPECT_THAT(order_, ElementsAre(Id(1)));
  EXPECT_TRUE(executor_.IsExecuted(Id(1)));
  EXPECT_EQ(executor_.executed_count(), 1);
}

TEST_F(ExecutorTest, ChainCommittedTopDownExecutesDependenciesFirst) {
  Commit(Id(3), {Id(2)});
  Commit(Id(2), {Id(1)});
  EXPECT_THAT(order_, IsEmpty());
  EXPECT_THAT(executor_.BlockedOn(Id(3)), ElementsAre(Id(1)));
  Commit(Id(1), {});
  EXPECT_THAT(order_, ElementsAre(Id(1), Id(2), Id(3)));
  EXPECT_THAT(executor_.BlockedOn(Id(3)), IsEmpty());
}

TEST_F(ExecutorTest, CycleRunsWholeInIdOrderOnlyWhenAllCommitted) {
  Commit(Id(2, 1), {Id(1, 0)});
  EXPECT_THAT(order_, IsEmpty());
  Commit(Id(1, 0), {Id(2, 1)});
  EXPECT_THAT(order_, ElementsAre(Id(1, 0), Id(2, 1)));
}

TEST_F(ExecutorTest, ComponentNeverRunsPartially) {
  // a <-> b, b -> c (uncommitted): nothing runs until c commits.
  const CommandId a = Id(1), b = Id(2), c = Id(3);
  Commit(a, {b});
  Commit(b, {a, c});
  EXPECT_THAT(order_, IsEmpty());
  EXPECT_THAT(executor_.BlockedOn(a), ElementsAre(c));
  Commit(c, {});
  EXPECT_THAT(order_, ElementsAre(c, a, b));
}

TEST_F(ExecutorTest, NopIsNeverExecutedButUnblocksDependents) {
  Commit(Id(2), {Id(1)});
  Commit(Id(1), {}, /*nop=*/true);
  EXPECT_THAT(order_, ElementsAre(Id(2)));
  EXPECT_TRUE(executor_.IsDone(Id(1)));
  EXPECT_FALSE(executor_.IsExecuted(Id(1)));
}

TEST_F(ExecutorTest, CycleClosedByLaterCommitThroughBlockedRegion) {
  // t -> d -> u and u -> t: t and d are blocked (remembered as blocked) until
  // u commits and closes the cycle.
  const CommandId t = Id(1), d = Id(2), u = Id(3);
  Commit(t, {d});
  Commit(d, {u});
  EXPECT_THAT(order_, IsEmpty());
  Commit(u, {t});
  EXPECT_THAT(order_, ElementsAre(t, d, u));
}

TEST_F(ExecutorTest, OrderKeyDecidesInsideComponent) {
  // EPaxos-style: seq first, then id.
  Commit(Id(1), {Id(2), Id(3)}, false, {5, 0, 0});
  Commit(Id(2), {Id(1)}, false, {3, 0, 0});
  Commit(Id(3), {Id(1)}, false, {3, 0, 0});
  EXPECT_THAT(order_, ElementsAre(Id(2), Id(3), Id(1)));
}

TEST_F(ExecutorTest, RecommitIsIdempotentAndDifferentDecisionFails) {
  Commit(Id(1), {});
  Commit(Id(1), {});
  EXPECT_THAT(order_, ElementsAre(Id(1)));
  EXPECT_THROW(Commit(Id(1), {Id(7)}), CheckFailure);
  EXPECT_THROW(Commit(Id(1), {}, /*nop=*/true), CheckFailure);
}

TEST_F(ExecutorTest, UncommittedDepsListsWhatStillHasToCommit) {
  EXPECT_THAT(executor_.UncommittedDeps(Id(9)), IsEmpty());  // unknown
  Commit(Id(1), {});
  Commit(Id(5), {Id(1), Id(2), Id(3), Id(4)});
  Commit(Id(3), {Id(2)});
  // 1 was done when 5 committed, 3 committed since; 2 and 4 never did.
  EXPECT_THAT(executor_.UncommittedDeps(Id(5)), ElementsAre(Id(2), Id(4)));
  EXPECT_THAT(executor_.UncommittedDeps(Id(3)), ElementsAre(Id(2)));
  EXPECT_THAT(executor_.UncommittedDeps(Id(2)), IsEmpty());  // not committed
  Commit(Id(2), {});
  Commit(Id(4), {});
  EXPECT_THAT(executor_.UncommittedDeps(Id(5)), IsEmpty());
  EXPECT_THAT(order_, ElementsAre(Id(1), Id(2), Id(3), Id(4), Id(5)));
}

TEST_F(ExecutorTest, IdsOutsideTheDenseTablesWorkAlike) {
  // Huge counters and origins take the hash-map side of the index.
  const CommandId far = Id(uint64_t{1} << 40, 7);
  const CommandId odd = Id(3, 5000);
  Commit(odd, {far, Id(1)});
  EXPECT_THAT(executor_.UncommittedDeps(odd), ElementsAre(Id(1), far));
  Commit(far, {});
  EXPECT_TRUE(executor_.IsExecuted(far));
  EXPECT_FALSE(executor_.IsCommitted(Id(1)));
  Commit(Id(1), {});
  EXPECT_THAT(order_, ElementsAre(far, Id(1), odd));
}

TEST_F(ExecutorTest, SelfDependencyFails) {
  EXPECT_THROW(Commit(Id(1), {Id(1)}), CheckFailure);
}

TEST_F(ExecutorTest, LongChainsNeedNoRecursion) {
  constexpr uint64_t kLength = 200000;
  // Committed newest first: everything waits for the oldest.
  for (uint64_t i = kLength; i >= 2; --i) Commit(Id(i), {Id(i - 1)});
  EXPECT_THAT(order_, IsEmpty());
  Commit(Id(1), {});
  ASSERT_EQ(order_.size(), kLength);
  EXPECT_EQ(order_.front(), Id(1));
  EXPECT_EQ(order_.back(), Id(kLength));
  // One big cycle.
  order_.clear();
  const uint64_t base = 10 * kLength;
  for (uint64_t i = 0; i < kLength; ++i) {
    Commit(Id(base + i), {Id(base + (i + 1) % kLength)});
  }
  EXPECT_EQ(order_.size(), kLength);
  EXPECT_TRUE(std::is_sorted(order_.begin(), order_.end()));
}

TEST_F(ExecutorTest, CommitsAboveBlockedRegionDoNotRewalkIt) {
  // A chain blocked on an uncommitted bottom keeps growing on top; each new
  // commit must stop at the remembered-blocked top (this would be quadratic
  // otherwise; the size makes a regression visible as a very slow test).
  constexpr uint64_t kLength = 100000;
  for (uint64_t i = 2; i <= kLength; ++i) Commit(Id(i), {Id(i - 1)});
  EXPECT_THAT(order_, IsEmpty());
  EXPECT_EQ(executor_.CommittedNotDone().size(), kLength - 1);
  Commit(Id(1), {});
  EXPECT_EQ(order_.size(), kLength);
}

// Executable set computed from scratch: committed, and every transitive
// dependency committed.
std::set<int> NaiveExecutable(
    const std::map<int, std::vector<int>>& committed) {
  std::set<int> out;
  for (const auto& [v, deps] : committed) {
    std::set<int> seen = {v};
    std::vector<int> work = {v};
    bool ok = true;
    while (ok && !work.empty()) {
      int x = work.back();
      work.pop_back();
      auto it = committed.find(x);
      if (it == committed.end()) {
        ok = false;
        break;
      }
      for (int d : it->second) {
        if (seen.insert(d).second) work.push_back(d);
      }
    }
    if (ok) out.insert(v);
  }
  return out;
}

bool Reaches(const std::vector<std::vector<int>>& deps, int from, int to) {
  std::vector<bool> seen(deps.size());
  std::vector<int> work = {from};
  while (!work.empty()) {
    int x = work.back();
    work.pop_back();
    if (x == to) return true;
    if (seen[x]) continue;
    seen[x] = true;
    for (int d : deps[x]) work.push_back(d);
  }
  return false;
}

// Commands are Id(v * spread): spread 1 keeps every id in one block of a
// dependency set; a wide spread puts ids in blocks of their own, so sets
// share blocks with earlier sets and the executor's skipping of blocks
// known done (and of the leading blocks of the previous set) is exercised.
class ExecutorRandomTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(ExecutorRandomTest, MatchesNaiveExecutableSetAndOrder) {
  const uint64_t spread = GetParam();
  uint64_t state = 12345;
  auto next = [&state](uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  };
  for (int round = 0; round < 300; ++round) {
    const int n = 2 + static_cast<int>(next(25));
    std::vector<std::vector<int>> deps(n);
    std::vector<bool> nop(n);
    // Every other round is a busy key: each command depends on all earlier
    // ones (sets that share their leading blocks), plus a few later ones.
    const bool busy_key = round % 2 == 1;
    for (int v = 0; v < n; ++v) {
      nop[v] = next(6) == 0;
      for (int w = 0; w < n; ++w) {
        if (w != v && ((busy_key && w < v) || next(100) < 15)) {
          deps[v].push_back(w);
        }
      }
    }
    std::vector<int> commit_order(n);
    for (int i = 0; i < n; ++i) commit_order[i] = i;
    for (int i = n - 1; i > 0; --i) {
      std::swap(commit_order[i], commit_order[next(i + 1)]);
    }
    DependencyExecutor executor;
    std::vector<int> order;
    std::map<int, std::vector<int>> committed;
    std::vector<IdSet> held;
    for (int v : commit_order) {
      std::vector<CommandId> ids;
      for (int d : deps[v]) ids.push_back(Id(d * spread));
      // Held, as a replica holds its instances' sets: equal blocks of
      // different sets are then one chunk object, as in a run.
      held.emplace_back(ids);
      executor.Commit(Id(v * spread), held.back(), nop[v], {},
                      [&](const CommandId& e) {
                        order.push_back(static_cast<int>(e.counter / spread));
                      });
      committed[v] = deps[v];
      std::set<int> expected;
      for (int x : NaiveExecutable(committed)) {
        if (!nop[x]) expected.insert(x);
      }
      std::set<int> got(order.begin(), order.end());
      ASSERT_EQ(got, expected) << "round " << round;
      ASSERT_EQ(got.size(), order.size()) << "executed twice";
      for (int x : NaiveExecutable(committed)) {
        ASSERT_TRUE(executor.IsDone(Id(x * spread)));
      }
    }
    // Order: dependencies first across components, id order inside one.
    std::vector<int> position(n, -1);
    for (size_t i = 0; i < order.size(); ++i) position[order[i]] = i;
    for (int a = 0; a < n; ++a) {
      for (int b = 0; b < n; ++b) {
        if (a == b || nop[a] || nop[b]) continue;
        const bool ab = Reaches(deps, a, b), ba = Reaches(deps, b, a);
        if (ab && ba) {
          ASSERT_EQ(position[a] < position[b], a < b) << "round " << round;
        } else if (ab) {
          ASSERT_LT(position[b], position[a]) << "round " << round;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(OneBlockAndManyBlocks, ExecutorRandomTest,
                         ::testing::Values(1, 29));

}  // namespace
}  // namespace epsim::protocol
