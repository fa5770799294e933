// The linearizability checker on hand-written histories (each says why it is
// or is not linearizable) and against brute-force enumeration on thousands
// of small random histories.
#include "checker/linearizability.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace epsim::checker {
namespace {

using protocol::OpType;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr std::optional<int64_t> kPending = std::nullopt;

// Builds histories tersely; ids are assigned in order, one client per
// operation unless given.
class Builder {
 public:
  Builder& Initial(std::string key, std::string value) {
    h_.initial[key] = value;
    return *this;
  }
  Builder& Put(std::string key, std::string value, int64_t call,
               std::optional<int64_t> ret) {
    return Add(OpType::kPut, key, value, std::nullopt, {}, call, ret);
  }
  Builder& Append(std::string key, std::string value, int64_t call,
                  std::optional<int64_t> ret) {
    return Add(OpType::kAppend, key, value, std::nullopt, {}, call, ret);
  }
  Builder& Get(std::string key, std::optional<std::string> output, int64_t call,
               std::optional<int64_t> ret) {
    return Add(OpType::kGet, key, "", std::nullopt,
               {.value = output, .cas_succeeded = false}, call, ret);
  }
  Builder& Cas(std::string key, std::optional<std::string> expected,
               std::string value, bool swapped, int64_t call,
               std::optional<int64_t> ret) {
    return Add(OpType::kCas, key, value, expected,
               {.value = std::nullopt, .cas_succeeded = swapped}, call, ret);
  }
  const History& history() const { return h_; }

 private:
  Builder& Add(OpType type, std::string key, std::string value,
               std::optional<std::string> expected, protocol::KvResult output,
               int64_t call, std::optional<int64_t> ret) {
    Operation op;
    op.id = static_cast<int64_t>(h_.operations.size());
    op.client = op.id;
    op.op = type;
    op.key = key;
    op.value = value;
    op.expected = expected;
    op.output = output;
    op.call = call;
    op.ret = ret;
    h_.operations.push_back(op);
    return *this;
  }
  History h_;
};

Verdict Check(const History& h) {
  EXPECT_TRUE(ValidateHistory(h, "test").ok());
  return CheckLinearizability(h).verdict;
}

std::vector<int64_t> Ids(const History& h, const std::vector<size_t>& ops) {
  std::vector<int64_t> ids;
  for (size_t i : ops) ids.push_back(h.operations[i].id);
  return ids;
}

TEST(LinearizabilityTest, EmptyHistoryIsLinearizable) {
  EXPECT_EQ(Check(History{}), Verdict::kLinearizable);
}

TEST(LinearizabilityTest, StaleRead) {
  // The put of "b" returned before the get was called, so the get must see
  // "b"; it saw "a".
  Builder b;
  b.Put("x", "a", 0, 10).Put("x", "b", 20, 30).Get("x", "a", 40, 50);
  const LinearizabilityResult r = CheckLinearizability(b.history());
  ASSERT_EQ(r.verdict, Verdict::kViolation);
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].key, "x");
  // Dropping any of the three makes it linearizable.
  EXPECT_THAT(Ids(b.history(), r.results[0].conflict), ElementsAre(0, 1, 2));
  EXPECT_THAT(DescribeKeyResult(b.history(), r.results[0]),
              HasSubstr("key \"x\": not linearizable"));
}

TEST(LinearizabilityTest, ReadConcurrentWithWriteMaySeeEither) {
  // The get overlaps the put of "b", so both "a" and "b" are valid.
  for (const char* seen : {"a", "b"}) {
    Builder b;
    b.Put("x", "a", 0, 10).Put("x", "b", 20, 40).Get("x", seen, 30, 50);
    EXPECT_EQ(Check(b.history()), Verdict::kLinearizable) << seen;
  }
}

TEST(LinearizabilityTest, LostUpdate) {
  // Two appends both returned before the read, yet the read sees only one:
  // whichever order they took, the second extends the first.
  Builder b;
  b.Append("x", "1", 0, 10).Append("x", "2", 5, 15).Get("x", "2", 20, 30);
  EXPECT_EQ(Check(b.history()), Verdict::kViolation);
  // Both effects visible, in either order, is fine.
  for (const char* seen : {"12", "21"}) {
    Builder ok;
    ok.Append("x", "1", 0, 10).Append("x", "2", 5, 15).Get("x", seen, 20, 30);
    EXPECT_EQ(Check(ok.history()), Verdict::kLinearizable) << seen;
  }
}

TEST(LinearizabilityTest, ReadOfAValueNeverWritten) {
  // Nobody wrote "z".
  Builder b;
  b.Put("x", "a", 0, 10).Get("x", "z", 5, 15);
  const LinearizabilityResult r = CheckLinearizability(b.history());
  ASSERT_EQ(r.verdict, Verdict::kViolation);
  // The get alone cannot be ordered: it is the whole explanation.
  EXPECT_THAT(Ids(b.history(), r.results[0].conflict), ElementsAre(1));
}

TEST(LinearizabilityTest, OverlappingWritesEitherOrder) {
  // The two puts overlap, so later reads agreeing on either is fine ...
  for (const char* final_value : {"a", "b"}) {
    Builder b;
    b.Put("x", "a", 0, 10)
        .Put("x", "b", 5, 15)
        .Get("x", final_value, 20, 30)
        .Get("x", final_value, 31, 40);
    EXPECT_EQ(Check(b.history()), Verdict::kLinearizable) << final_value;
  }
  // ... but two later reads must agree with each other.
  Builder b;
  b.Put("x", "a", 0, 10)
      .Put("x", "b", 5, 15)
      .Get("x", "b", 20, 30)
      .Get("x", "a", 31, 40);
  EXPECT_EQ(Check(b.history()), Verdict::kViolation);
}

TEST(LinearizabilityTest, EqualTimesOverlap) {
  // The put returns at 10 and the get is called at 10: they overlap, so the
  // get may still see the old (absent) value.
  Builder b;
  b.Put("x", "a", 0, 10).Get("x", std::nullopt, 10, 20);
  EXPECT_EQ(Check(b.history()), Verdict::kLinearizable);
  // One tick later it may not.
  Builder late;
  late.Put("x", "a", 0, 10).Get("x", std::nullopt, 11, 20);
  EXPECT_EQ(Check(late.history()), Verdict::kViolation);
}

TEST(LinearizabilityTest, PendingPutThatMustHaveHappened) {
  // The put never returned, but a later read sees its value: it took effect.
  Builder b;
  b.Put("x", "a", 0, 10)
      .Put("x", "b", 20, kPending)
      .Get("x", "b", 100, 110)
      .Get("x", "b", 120, 130);
  EXPECT_EQ(Check(b.history()), Verdict::kLinearizable);
}

TEST(LinearizabilityTest, PendingPutThatNeverHappened) {
  // The put never returned and nothing ever saw it: it may never have taken
  // effect.
  Builder b;
  b.Put("x", "a", 0, 10).Put("x", "b", 20, kPending).Get("x", "a", 100, 110);
  EXPECT_EQ(Check(b.history()), Verdict::kLinearizable);
}

TEST(LinearizabilityTest, PendingPutTakesEffectAtMostOnceAndNotBeforeCall) {
  // Seen, then gone again with nothing else writing: impossible.
  Builder b;
  b.Put("x", "a", 0, 10)
      .Put("x", "b", 20, kPending)
      .Get("x", "b", 30, 40)
      .Get("x", "a", 50, 60);
  EXPECT_EQ(Check(b.history()), Verdict::kViolation);
  // Seen before it was called: impossible.
  Builder early;
  early.Get("x", "b", 0, 10).Put("x", "b", 20, kPending);
  EXPECT_EQ(Check(early.history()), Verdict::kViolation);
}

TEST(LinearizabilityTest, PendingOperationsAlone) {
  Builder b;
  b.Put("x", "a", 0, kPending)
      .Cas("x", "q", "r", true, 0, kPending)
      .Get("y", "nonsense", 3, kPending);  // output of a pending get ignored
  EXPECT_EQ(Check(b.history()), Verdict::kLinearizable);
}

TEST(LinearizabilityTest, CasRaces) {
  // Two concurrent cas(null -> own value): exactly one may win.
  Builder one_wins;
  one_wins.Cas("x", std::nullopt, "a", true, 0, 10)
      .Cas("x", std::nullopt, "b", false, 0, 10)
      .Get("x", "a", 20, 30);
  EXPECT_EQ(Check(one_wins.history()), Verdict::kLinearizable);

  Builder both_win;
  both_win.Cas("x", std::nullopt, "a", true, 0, 10)
      .Cas("x", std::nullopt, "b", true, 0, 10);
  EXPECT_EQ(Check(both_win.history()), Verdict::kViolation);

  // The loser's value cannot be read afterwards.
  Builder wrong_read;
  wrong_read.Cas("x", std::nullopt, "a", true, 0, 10)
      .Cas("x", std::nullopt, "b", false, 0, 10)
      .Get("x", "b", 20, 30);
  EXPECT_EQ(Check(wrong_read.history()), Verdict::kViolation);

  // Both failing while the key is absent: null matched, so one must win.
  Builder none_win;
  none_win.Cas("x", std::nullopt, "a", false, 0, 10)
      .Cas("x", std::nullopt, "b", false, 0, 10);
  EXPECT_EQ(Check(none_win.history()), Verdict::kViolation);

  // A chain of cas: a -> b -> c, concurrent, both succeed in the only order.
  Builder chain;
  chain.Initial("x", "a")
      .Cas("x", "b", "c", true, 0, 10)
      .Cas("x", "a", "b", true, 0, 10)
      .Get("x", "c", 11, 12);
  EXPECT_EQ(Check(chain.history()), Verdict::kLinearizable);
}

TEST(LinearizabilityTest, AppendOrder) {
  // Sequential appends build the value in order; a reader in between sees
  // the prefix.
  Builder b;
  b.Append("x", "a", 0, 10)
      .Get("x", "a", 11, 12)
      .Append("x", "b", 13, 20)
      .Get("x", "ab", 21, 30);
  EXPECT_EQ(Check(b.history()), Verdict::kLinearizable);
  // "ba" contradicts real-time order.
  Builder wrong;
  wrong.Append("x", "a", 0, 10).Append("x", "b", 13, 20).Get("x", "ba", 21, 30);
  EXPECT_EQ(Check(wrong.history()), Verdict::kViolation);
  // Appending to an initial value.
  Builder init;
  init.Initial("x", "0").Append("x", "1", 0, 10).Get("x", "01", 11, 12);
  EXPECT_EQ(Check(init.history()), Verdict::kLinearizable);
}

TEST(LinearizabilityTest, InitialValuesAndAbsentKeys) {
  Builder b;
  b.Initial("x", "0").Get("x", "0", 0, 1).Get("y", std::nullopt, 0, 1);
  EXPECT_EQ(Check(b.history()), Verdict::kLinearizable);
  Builder absent;
  absent.Initial("x", "0").Get("x", std::nullopt, 0, 1);
  EXPECT_EQ(Check(absent.history()), Verdict::kViolation);
  Builder not_absent;
  not_absent.Get("y", "0", 0, 1);  // y has no initial value
  EXPECT_EQ(Check(not_absent.history()), Verdict::kViolation);
  // cas expecting null succeeds only on an absent key.
  Builder cas;
  cas.Initial("x", "0").Cas("x", std::nullopt, "1", true, 0, 1);
  EXPECT_EQ(Check(cas.history()), Verdict::kViolation);
}

TEST(LinearizabilityTest, KeysAreIndependentAndReportedInKeyOrder) {
  // Each key alone is fine; a violation on "b" is reported for "b" only.
  Builder b;
  b.Put("c", "1", 0, 10).Get("c", "1", 20, 30);
  b.Put("b", "1", 0, 10).Get("b", "2", 20, 30);
  b.Put("a", "1", 0, 10).Get("a", "1", 20, 30);
  const LinearizabilityResult r = CheckLinearizability(b.history());
  EXPECT_EQ(r.verdict, Verdict::kViolation);
  EXPECT_EQ(r.keys, 3u);
  EXPECT_EQ(r.operations, 6u);
  ASSERT_EQ(r.results.size(), 3u);
  EXPECT_EQ(r.results[0].key, "a");
  EXPECT_EQ(r.results[1].key, "b");
  EXPECT_EQ(r.results[1].verdict, Verdict::kViolation);
  EXPECT_EQ(r.results[0].verdict, Verdict::kLinearizable);
  EXPECT_THAT(r.results[0].conflict, IsEmpty());
}

TEST(LinearizabilityTest, LongestPrefixIsReported) {
  // put a; get a; put b; get a (stale). The longest linearization places the
  // first three.
  Builder b;
  b.Put("x", "a", 0, 10)
      .Get("x", "a", 11, 20)
      .Put("x", "b", 21, 30)
      .Get("x", "a", 31, 40);
  const LinearizabilityResult r = CheckLinearizability(b.history());
  ASSERT_EQ(r.verdict, Verdict::kViolation);
  EXPECT_THAT(Ids(b.history(), r.results[0].longest_prefix),
              ElementsAre(0, 1, 2));
  EXPECT_THAT(Ids(b.history(), r.results[0].conflict),
              UnorderedElementsAre(0, 2, 3));
}

TEST(LinearizabilityTest, TimeoutAbandonsTheKey) {
  // Concurrent appends, then a read of a value they cannot produce: the
  // search must try every order before failing, far more than one poll
  // period, so a limit that has expired already abandons the key.
  SearchLimits limits;
  limits.expired = [] { return true; };
  Builder hard;
  for (int i = 0; i < 16; ++i) hard.Append("k", std::to_string(i % 10), 0, 100);
  hard.Get("k", "never", 101, 102);
  const LinearizabilityResult r = CheckLinearizability(hard.history(), limits);
  EXPECT_EQ(r.verdict, Verdict::kTimeout);
  EXPECT_EQ(r.results[0].key, "k");
  EXPECT_THAT(DescribeKeyResult(hard.history(), r.results[0]),
              HasSubstr("key \"k\": undecided"));
}

// ---------------------------------------------------------------------------
// Brute force: every order of every subset of pending operations.

struct Brute {
  const History& h;
  std::vector<bool> placed;
  std::map<std::string, std::optional<std::string>> state;

  bool Search(size_t returned_left) {
    if (returned_left == 0) return true;
    for (size_t i = 0; i < h.operations.size(); ++i) {
      if (placed[i] || !Ready(i)) continue;
      const Operation& op = h.operations[i];
      std::optional<std::string>& value = state[op.key];
      const std::optional<std::string> saved = value;
      bool legal = true;
      switch (op.op) {
        case OpType::kPut:
          value = op.value;
          break;
        case OpType::kGet:
          legal = !op.returned() || op.output.value == value;
          break;
        case OpType::kAppend:
          value = value.value_or("") + op.value;
          break;
        case OpType::kCas: {
          const bool matches = value == op.expected;
          if (op.returned() && op.output.cas_succeeded != matches) {
            legal = false;
          } else if (matches) {
            value = op.value;
          }
          break;
        }
      }
      if (legal) {
        placed[i] = true;
        if (Search(returned_left - (op.returned() ? 1 : 0))) return true;
        placed[i] = false;
      }
      value = saved;
    }
    return false;
  }
  // Every operation that precedes i is placed already.
  bool Ready(size_t i) const {
    for (size_t j = 0; j < h.operations.size(); ++j) {
      if (!placed[j] && h.operations[j].Precedes(h.operations[i])) {
        return false;
      }
    }
    return true;
  }
};

bool BruteForceLinearizable(const History& h) {
  Brute b{h, std::vector<bool>(h.operations.size(), false), {}};
  for (const auto& [k, v] : h.initial) b.state[k] = v;
  size_t returned = 0;
  for (const Operation& op : h.operations) returned += op.returned() ? 1 : 0;
  return b.Search(returned);
}

// A tiny deterministic generator (splitmix64).
class Rand {
 public:
  explicit Rand(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  int Below(int n) { return static_cast<int>(Next() % n); }
  bool OneIn(int n) { return Below(n) == 0; }

 private:
  uint64_t state_;
};

// A random history of at most 8 operations on 1-2 keys. Half the time the
// outputs come from a real register executing each operation at a random
// instant inside its interval (linearizable by construction, unless a
// pending operation's effect is dropped); otherwise they are random.
History RandomHistory(Rand& rng) {
  History h;
  const int keys = 1 + rng.Below(2);
  const int clients = 1 + rng.Below(4);
  const int count = 1 + rng.Below(8);
  const bool real = rng.OneIn(2);
  const std::vector<std::string> values = {"a", "b", "ab"};
  auto random_value = [&]() -> std::optional<std::string> {
    const int v = rng.Below(4);
    if (v == 3) return std::nullopt;
    return values[v];
  };
  if (rng.OneIn(3)) h.initial["k0"] = "a";
  std::vector<int64_t> client_free(clients, 0);
  std::vector<bool> client_done(clients, false);
  struct Timed {
    int64_t at;
    size_t index;
  };
  std::vector<Timed> effects;
  for (int i = 0; i < count; ++i) {
    const int c = rng.Below(clients);
    if (client_done[c]) continue;
    Operation op;
    op.id = static_cast<int64_t>(h.operations.size());
    op.client = c;
    op.op = static_cast<OpType>(rng.Below(4));
    op.key = "k" + std::to_string(rng.Below(keys));
    if (op.op != OpType::kGet) op.value = rng.OneIn(2) ? "a" : "b";
    if (op.op == OpType::kCas) op.expected = random_value();
    op.call = client_free[c] + rng.Below(6);
    const int64_t length = rng.Below(8);
    if (rng.OneIn(6)) {
      client_done[c] = true;  // never returns; the client stops
    } else {
      op.ret = op.call + length;
      client_free[c] = *op.ret + 1;
    }
    if (!real) {
      op.output.value = random_value();
      op.output.cas_succeeded = rng.OneIn(2);
    }
    effects.push_back({op.call + rng.Below(static_cast<int>(length) + 1),
                       h.operations.size()});
    h.operations.push_back(op);
  }
  if (real) {
    std::stable_sort(
        effects.begin(), effects.end(),
        [](const Timed& a, const Timed& b) { return a.at < b.at; });
    std::map<std::string, std::optional<std::string>> state;
    for (const auto& [k, v] : h.initial) state[k] = v;
    for (const Timed& t : effects) {
      Operation& op = h.operations[t.index];
      // A pending operation sometimes never takes effect.
      if (!op.returned() && rng.OneIn(2)) continue;
      std::optional<std::string>& value = state[op.key];
      switch (op.op) {
        case OpType::kPut:
          value = op.value;
          break;
        case OpType::kGet:
          op.output.value = value;
          break;
        case OpType::kAppend:
          value = value.value_or("") + op.value;
          break;
        case OpType::kCas:
          op.output.cas_succeeded = value == op.expected;
          if (op.output.cas_succeeded) value = op.value;
          break;
      }
    }
    // Now and then corrupt one output, to get near-miss violations.
    if (!h.operations.empty() && rng.OneIn(3)) {
      Operation& op = h.operations[rng.Below(h.operations.size())];
      op.output.value = random_value();
      op.output.cas_succeeded = !op.output.cas_succeeded;
    }
  }
  return h;
}

// Whether another returned operation of `h` saw the value operation `i`
// wrote.
bool Observed(const History& h, size_t i) {
  const Operation& w = h.operations[i];
  if (w.op == OpType::kGet) return false;
  for (size_t j = 0; j < h.operations.size(); ++j) {
    const Operation& r = h.operations[j];
    if (j == i || !r.returned()) continue;
    const std::optional<std::string> seen =
        r.op == OpType::kGet
            ? r.output.value
            : (r.op == OpType::kCas ? r.expected : std::nullopt);
    if (seen && seen->find(w.value) != std::string::npos) return true;
  }
  return false;
}

TEST(LinearizabilityCrossCheck, AgreesWithBruteForceOnSmallRandomHistories) {
  int linearizable = 0;
  int violations = 0;
  for (uint64_t seed = 1; seed <= 20000; ++seed) {
    Rand rng(seed);
    const History h = RandomHistory(rng);
    ASSERT_TRUE(ValidateHistory(h, "random").ok()) << seed;
    const bool expected = BruteForceLinearizable(h);
    const LinearizabilityResult r = CheckLinearizability(h);
    ASSERT_EQ(r.verdict,
              expected ? Verdict::kLinearizable : Verdict::kViolation)
        << "seed " << seed << "\n"
        << HistoryToJson(h);
    if (expected) {
      ++linearizable;
      continue;
    }
    ++violations;
    // The reported operations of the violated key cannot be ordered, and
    // dropping any one of them makes them orderable (shrinking finished:
    // these are tiny histories), unless it wrote a value another reported
    // operation saw (the report keeps the writer of every value read).
    for (const KeyResult& k : r.results) {
      if (k.verdict != Verdict::kViolation) continue;
      History conflict;
      conflict.initial = h.initial;
      for (size_t i : k.conflict)
        conflict.operations.push_back(h.operations[i]);
      ASSERT_FALSE(BruteForceLinearizable(conflict)) << "seed " << seed;
      for (size_t drop = 0; drop < conflict.operations.size(); ++drop) {
        History smaller = conflict;
        smaller.operations.erase(smaller.operations.begin() + drop);
        EXPECT_TRUE(BruteForceLinearizable(smaller) || Observed(conflict, drop))
            << "seed " << seed << ": not minimal, can drop " << drop << "\n"
            << HistoryToJson(conflict);
      }
    }
  }
  // Both verdicts are well represented, so the comparison means something.
  EXPECT_GT(linearizable, 4000);
  EXPECT_GT(violations, 4000);
}

}  // namespace
}  // namespace epsim::checker
