// The conflict indexes must give exactly what the literal rule gives
// (docs/protocols.md pitfall 9: dependency sets are exact). Random schedules
// with reads, writes, several keys and early timers (recoveries, Nops); at
// random moments every replica's indexed conflict set for a random command is
// compared with a scan of every id it knows.
#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/epaxos_star/cluster.h"

namespace epsim::protocol::epaxos_star::testing {
namespace {

constexpr uint64_t kMaxCounter = 200;  // ids per origin a run can reach

uint64_t Draw(uint64_t& state, uint64_t bound) {
  state += 0x9e3779b97f4a7c15ULL;
  return SplitMix64(state) % bound;
}

Command RandomCommand(uint64_t& state, int number) {
  Command c;
  c.op = Draw(state, 3) == 0 ? OpType::kGet : OpType::kPut;
  c.key = "k" + std::to_string(Draw(state, 3));
  c.value = "v" + std::to_string(number);
  c.request = {number + 1, 1};
  return c;
}

// The rule as written: every locally known id whose cmd conflicts with c.
std::vector<CommandId> LiteralConflicts(const StarReplica& r, int n,
                                        const Command& c,
                                        const CommandId& exclude) {
  std::vector<CommandId> out;
  for (uint32_t origin = 0; origin < static_cast<uint32_t>(n); ++origin) {
    for (uint64_t counter = 1; counter <= kMaxCounter; ++counter) {
      const CommandId id{origin, counter};
      const StarReplica::Instance* inst = r.Find(id);
      if (id == exclude || inst == nullptr || inst->cmd == nullptr) continue;
      if (Conflicts(*inst->cmd, c)) out.push_back(id);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(StarIndexTest, IndexedConflictsEqualTheLiteralScan) {
  int compared = 0;
  int nonempty = 0;
  int with_nop = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed=" << seed);
    const int n = seed % 2 == 0 ? 3 : 5;
    Cluster c(n, "", seed);
    uint64_t state = seed * 7919;
    int submitted = 0;
    for (int step = 0; step < 1500; ++step) {
      if (submitted < 40 && Draw(state, 8) == 0) {
        c.replica(static_cast<NodeId>(Draw(state, n)))
            .OnClientRequest(RandomCommand(state, submitted++));
      } else if (!c.in_flight().empty() && Draw(state, 20) != 0) {
        c.DeliverAt(Draw(state, c.in_flight().size()));
      } else if (!c.FireEarliestTimer() && c.in_flight().empty() &&
                 submitted >= 40) {
        break;
      }
      if (Draw(state, 10) != 0) continue;
      const Command probe = RandomCommand(state, 1000);
      const CommandId exclude{static_cast<uint32_t>(Draw(state, n)),
                              1 + Draw(state, 20)};
      for (NodeId i = 0; i < n; ++i) {
        const StarReplica& r = c.replica(i);
        const std::vector<CommandId> literal =
            LiteralConflicts(r, n, probe, exclude);
        ASSERT_EQ(r.ConflictsOf(probe, exclude), literal)
            << "p" << i << " probe " << probe.ToString();
        ++compared;
        nonempty += literal.empty() ? 0 : 1;
        for (const CommandId& id : literal) {
          if (IsNop(r.Find(id)->cmd)) {
            ++with_nop;
            break;
          }
        }
      }
    }
  }
  // The comparisons must have exercised the index, Nops included.
  EXPECT_GT(compared, 1000);
  EXPECT_GT(nonempty, compared / 4);
  EXPECT_GT(with_nop, 0);
}

}  // namespace
}  // namespace epsim::protocol::epaxos_star::testing
