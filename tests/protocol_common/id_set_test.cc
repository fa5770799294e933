#include "protocol/common/id_set.h"

#include <vector>

#include "gtest/gtest.h"
#include "protocol/common/hash.h"

namespace epsim::protocol {
namespace {

CommandId Id(uint32_t origin, uint64_t counter) { return {origin, counter}; }

TEST(IdSetTest, SortsAndDeduplicatesWhatItIsGiven) {
  const IdSet set =
      std::vector<CommandId>{Id(1, 3), Id(0, 1), Id(1, 3), Id(2, 1)};
  EXPECT_EQ(set.ids(), (std::vector<CommandId>{Id(0, 1), Id(2, 1), Id(1, 3)}));
  EXPECT_TRUE(set.Contains(Id(2, 1)));
  EXPECT_FALSE(set.Contains(Id(2, 3)));
  EXPECT_EQ(set.ToString(), "{0.1,2.1,1.3}");
}

TEST(IdSetTest, DigestIsTheSetDigestOfItsIds) {
  const IdSet set = {Id(0, 1), Id(4, 7)};
  EXPECT_EQ(set.digest(), SetDigest(set.ids()));
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
  EXPECT_EQ(both.ids(),
            (std::vector<CommandId>{Id(0, 1), Id(1, 1), Id(2, 1), Id(0, 2)}));
  EXPECT_EQ(both.digest(), SetDigest(both.ids()));
}

TEST(IdSetTest, UnionWithASortedVector) {
  const IdSet set = {Id(0, 1), Id(1, 2)};
  EXPECT_TRUE(
      Union(set, std::vector<CommandId>{Id(1, 2)}).SharesStorageWith(set));
  EXPECT_TRUE(Union(set, std::vector<CommandId>{}).SharesStorageWith(set));
  const IdSet grown = Union(set, std::vector<CommandId>{Id(2, 0), Id(0, 3)});
  EXPECT_EQ(grown.ids(),
            (std::vector<CommandId>{Id(2, 0), Id(0, 1), Id(1, 2), Id(0, 3)}));
  EXPECT_EQ(grown.digest(), SetDigest(grown.ids()));
  EXPECT_EQ(Union(IdSet(), std::vector<CommandId>{Id(3, 3)}),
            IdSet({Id(3, 3)}));
}

}  // namespace
}  // namespace epsim::protocol
