#include "protocol/common/id_set.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "protocol/common/hash.h"
#include "sim/random.h"

namespace epsim::protocol {
namespace {

CommandId Id(uint32_t origin, uint64_t counter) { return {origin, counter}; }

TEST(IdSetTest, SortsAndDeduplicatesWhatItIsGiven) {
  const IdSet set =
      std::vector<CommandId>{Id(1, 3), Id(0, 1), Id(1, 3), Id(2, 1)};
  EXPECT_EQ(set.ToVector(),
            (std::vector<CommandId>{Id(0, 1), Id(2, 1), Id(1, 3)}));
  EXPECT_TRUE(set.Contains(Id(2, 1)));
  EXPECT_FALSE(set.Contains(Id(2, 3)));
  EXPECT_EQ(set.ToString(), "{0.1,2.1,1.3}");
}

TEST(IdSetTest, DigestIsTheSetDigestOfItsIds) {
  const IdSet set = {Id(0, 1), Id(4, 7)};
  EXPECT_EQ(set.digest(), SetDigest(set.ToVector()));
  EXPECT_EQ(IdSet().digest(), SetDigest({}));
}

TEST(IdSetTest, EqualityLooksAtTheIdsNotOnlyTheStorage) {
  const IdSet a = {Id(0, 1), Id(1, 2)};
  const IdSet b = {Id(0, 1), Id(1, 2)};  // built apart: other storage
  const IdSet c = {Id(0, 1), Id(1, 3)};
  const IdSet copy = a;
  EXPECT_FALSE(a.SharesStorageWith(b));
  EXPECT_TRUE(a.SharesStorageWith(copy));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, IdSet());
  EXPECT_EQ(IdSet(), IdSet(std::vector<CommandId>{}));
}

TEST(IdSetTest, UnionSharesAnOperandThatHoldsTheOther) {
  const IdSet big = {Id(0, 1), Id(1, 1), Id(0, 2)};
  const IdSet small = {Id(1, 1)};
  EXPECT_TRUE(Union(big, small).SharesStorageWith(big));
  EXPECT_TRUE(Union(small, big).SharesStorageWith(big));
  EXPECT_TRUE(Union(IdSet(), small).SharesStorageWith(small));

  const IdSet other = {Id(2, 1), Id(0, 2)};
  const IdSet both = Union(big, other);
  EXPECT_EQ(both.ToVector(),
            (std::vector<CommandId>{Id(0, 1), Id(1, 1), Id(2, 1), Id(0, 2)}));
  EXPECT_EQ(both.digest(), SetDigest(both.ToVector()));
}

TEST(IdSetTest, UnionWithASortedVector) {
  const IdSet set = {Id(0, 1), Id(1, 2)};
  EXPECT_TRUE(UnionSorted(set, std::vector<CommandId>{Id(1, 2)})
                  .SharesStorageWith(set));
  EXPECT_TRUE(
      UnionSorted(set, std::vector<CommandId>{}).SharesStorageWith(set));
  const IdSet grown =
      UnionSorted(set, std::vector<CommandId>{Id(2, 0), Id(0, 3)});
  EXPECT_EQ(grown.ToVector(),
            (std::vector<CommandId>{Id(2, 0), Id(0, 1), Id(1, 2), Id(0, 3)}));
  EXPECT_EQ(grown.digest(), SetDigest(grown.ToVector()));
  EXPECT_EQ(UnionSorted(IdSet(), std::vector<CommandId>{Id(3, 3)}),
            IdSet({Id(3, 3)}));
}

// Counters far enough apart to land in different blocks.
constexpr uint64_t kBlock = uint64_t{1} << IdSet::kBlockBits;

TEST(IdSetTest, IteratesInIdOrderAcrossBlocks) {
  const IdSet set = {Id(1, 3 * kBlock), Id(0, 1), Id(4, kBlock + 2),
                     Id(2, kBlock + 2), Id(0, 3 * kBlock + 1)};
  EXPECT_EQ(set.size(), 5u);
  EXPECT_EQ(set.chunks().size(), 3u);
  EXPECT_EQ(set.ToVector(), (std::vector<CommandId>{
                                Id(0, 1), Id(2, kBlock + 2), Id(4, kBlock + 2),
                                Id(1, 3 * kBlock), Id(0, 3 * kBlock + 1)}));
  EXPECT_TRUE(set.Contains(Id(4, kBlock + 2)));
  EXPECT_FALSE(set.Contains(Id(3, kBlock + 2)));
  EXPECT_FALSE(set.Contains(Id(0, 2 * kBlock)));
  EXPECT_EQ(set.digest(), SetDigest(set.ToVector()));
}

TEST(IdSetTest, EqualBlocksBuiltApartAreOneChunk) {
  // Two replicas build their sets independently; the old blocks are equal.
  std::vector<CommandId> old;
  for (uint64_t c = 1; c < 3 * kBlock; c += 3) old.push_back(Id(c % 5, c));
  std::vector<CommandId> here = old, there = old;
  here.push_back(Id(0, 5 * kBlock));
  there.push_back(Id(1, 5 * kBlock + 1));
  const IdSet a = IdSet::FromSorted(here);
  const IdSet b = IdSet::FromSorted(there);
  ASSERT_EQ(a.chunks().size(), 4u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(a.chunks()[i], b.chunks()[i]);
  EXPECT_NE(a.chunks()[3], b.chunks()[3]);
  // Their union shares the old blocks and merges only the last one.
  const IdSet both = Union(a, b);
  ASSERT_EQ(both.chunks().size(), 4u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(both.chunks()[i], a.chunks()[i]);
  EXPECT_EQ(both.size(), old.size() + 2);
  EXPECT_EQ(both.digest(), SetDigest(both.ToVector()));
}

TEST(IdSetTest, WithoutRemovesOneIdAndSharesWhenItIsAbsent) {
  const IdSet set = {Id(0, 1), Id(1, 1), Id(0, 2 * kBlock)};
  EXPECT_TRUE(Without(set, Id(2, 1)).SharesStorageWith(set));
  EXPECT_EQ(Without(set, Id(1, 1)), IdSet({Id(0, 1), Id(0, 2 * kBlock)}));
  const IdSet last_of_block = Without(set, Id(0, 2 * kBlock));
  EXPECT_EQ(last_of_block, IdSet({Id(0, 1), Id(1, 1)}));
  EXPECT_EQ(last_of_block.chunks().size(), 1u);
  EXPECT_EQ(last_of_block.digest(), SetDigest({Id(0, 1), Id(1, 1)}));
  EXPECT_TRUE(Without(IdSet({Id(3, 3)}), Id(3, 3)).empty());
}

TEST(IdSetTest, WithoutSortedRemovesManyAndSharesTheBlocksItLeaves) {
  const IdSet set = {Id(0, 1),      Id(1, 1),          Id(0, kBlock),
                     Id(1, kBlock), Id(0, 2 * kBlock), Id(0, 3 * kBlock)};
  EXPECT_TRUE(WithoutSorted(set, {}).SharesStorageWith(set));
  EXPECT_TRUE(
      WithoutSorted(set, {Id(2, 1), Id(2, 5 * kBlock)}).SharesStorageWith(set));
  const IdSet less =
      WithoutSorted(set, {Id(1, 1), Id(2, 1), Id(0, 2 * kBlock)});
  EXPECT_EQ(less,
            IdSet({Id(0, 1), Id(0, kBlock), Id(1, kBlock), Id(0, 3 * kBlock)}));
  ASSERT_EQ(less.chunks().size(), 3u);
  EXPECT_NE(less.chunks()[0], set.chunks()[0]);  // 1.1 left it
  EXPECT_EQ(less.chunks()[1], set.chunks()[1]);  // untouched: shared
  EXPECT_EQ(less.chunks()[2], set.chunks()[3]);  // block 2 emptied
  EXPECT_EQ(less.digest(), SetDigest(less.ToVector()));
  EXPECT_TRUE(WithoutSorted(set, set.ToVector()).empty());
}

// Every operation against std::set on random sets over a few blocks and
// origins, where chunks are shared, merged and equal by content.
TEST(IdSetTest, AgreesWithAPlainSortedSet) {
  sim::Rng rng(7);
  const auto random_ids = [&rng](size_t count) {
    std::set<CommandId> ids;
    for (size_t i = 0; i < count; ++i) {
      ids.insert(
          Id(static_cast<uint32_t>(rng.Below(5)), rng.Below(4 * kBlock)));
    }
    return ids;
  };
  const auto as_vector = [](const std::set<CommandId>& ids) {
    return std::vector<CommandId>(ids.begin(), ids.end());
  };
  for (int round = 0; round < 300; ++round) {
    const std::set<CommandId> x = random_ids(rng.Below(200));
    // y: x and a few more, a part of x, or unrelated.
    std::set<CommandId> y;
    switch (rng.Below(3)) {
      case 0:
        y = x;
        for (size_t extra = rng.Below(4); extra > 0; --extra) {
          y.insert(
              Id(static_cast<uint32_t>(rng.Below(5)), rng.Below(4 * kBlock)));
        }
        break;
      case 1:
        for (const CommandId& id : x) {
          if (rng.Below(4) != 0) y.insert(id);
        }
        break;
      default:
        y = random_ids(rng.Below(200));
    }
    const IdSet a = IdSet::FromSorted(as_vector(x));
    const IdSet b = IdSet::FromSorted(as_vector(y));
    std::set<CommandId> both = x;
    both.insert(y.begin(), y.end());
    for (const IdSet& u :
         {Union(a, b), Union(b, a), UnionSorted(a, as_vector(y))}) {
      EXPECT_EQ(u.ToVector(), as_vector(both));
      EXPECT_EQ(u.size(), both.size());
      EXPECT_EQ(u.digest(), SetDigest(as_vector(both)));
      EXPECT_EQ(u, IdSet::FromSorted(as_vector(both)));
    }
    EXPECT_EQ(a == b, x == y);
    // An operand that holds the other is the union itself.
    if (std::includes(x.begin(), x.end(), y.begin(), y.end())) {
      EXPECT_TRUE(Union(a, b).SharesStorageWith(a));
      EXPECT_TRUE(UnionSorted(a, as_vector(y)).SharesStorageWith(a));
    } else if (std::includes(y.begin(), y.end(), x.begin(), x.end())) {
      EXPECT_TRUE(Union(a, b).SharesStorageWith(b));
    }
    const CommandId probe(
        Id(static_cast<uint32_t>(rng.Below(5)), rng.Below(4 * kBlock)));
    EXPECT_EQ(a.Contains(probe), x.contains(probe));
    std::set<CommandId> less = x;
    less.erase(probe);
    EXPECT_EQ(Without(a, probe).ToVector(), as_vector(less));
    EXPECT_EQ(Without(a, probe).digest(), SetDigest(as_vector(less)));
    std::set<CommandId> minus;
    std::set_difference(x.begin(), x.end(), y.begin(), y.end(),
                        std::inserter(minus, minus.end()));
    const IdSet d = WithoutSorted(a, as_vector(y));
    EXPECT_EQ(d.ToVector(), as_vector(minus));
    EXPECT_EQ(d.digest(), SetDigest(as_vector(minus)));
    EXPECT_EQ(d, IdSet::FromSorted(as_vector(minus)));
  }
}

}  // namespace
}  // namespace epsim::protocol
