#include "protocol/common/key_ids.h"

#include <vector>

#include "gtest/gtest.h"

namespace epsim::protocol {
namespace {

CommandId Id(uint32_t origin, uint64_t counter) { return {origin, counter}; }

std::vector<CommandId> Appended(const KeyIds& key, bool write) {
  std::vector<CommandId> out;
  key.AppendConflicting(write, out);
  return out;
}

TEST(KeyIdsTest, AWriteConflictsWithEveryIdAReadWithTheWrites) {
  KeyIds key;
  key.Insert(Id(1, 2), /*write=*/true);
  key.Insert(Id(0, 1), /*write=*/false);
  key.Insert(Id(2, 1), /*write=*/true);
  key.Insert(Id(2, 1), /*write=*/true);  // already in
  EXPECT_EQ(Appended(key, true),
            (std::vector<CommandId>{Id(0, 1), Id(2, 1), Id(1, 2)}));
  EXPECT_EQ(Appended(key, false), (std::vector<CommandId>{Id(2, 1), Id(1, 2)}));
  EXPECT_EQ(key.Conflicts(true), IdSet(Appended(key, true)));
  EXPECT_EQ(key.Conflicts(false), IdSet(Appended(key, false)));
  key.Erase(Id(2, 1), /*write=*/true);
  key.Erase(Id(2, 1), /*write=*/true);  // not in any more
  EXPECT_EQ(key.Conflicts(true), (IdSet{Id(0, 1), Id(1, 2)}));
  EXPECT_EQ(key.Conflicts(false), (IdSet{Id(1, 2)}));
}

// A busy key answers from its kept sets; they follow inserts (also out of
// order) and erases exactly, and a copy answers the same without them.
TEST(KeyIdsTest, ABusyKeysKeptSetsFollowEveryChange) {
  KeyIds key;
  std::vector<CommandId> all;
  std::vector<CommandId> writes;
  // A D from elsewhere: ids of this key and ids of others (origin 7).
  const std::vector<CommandId> base_ids = {Id(0, 2), Id(7, 5), Id(1, 90),
                                           Id(7, 150), Id(2, 260)};
  const IdSet base(base_ids);
  auto with_base = [&](std::vector<CommandId> ids) {
    ids.insert(ids.end(), base_ids.begin(), base_ids.end());
    return IdSet(ids);
  };
  auto check = [&](const KeyIds& k) {
    // Merged into a base first (answers with ids not yet folded into the
    // kept sets), then on their own.
    EXPECT_EQ(k.UnionWithConflicts(base, true), with_base(all));
    EXPECT_EQ(k.UnionWithConflicts(base, false), with_base(writes));
    EXPECT_EQ(k.Conflicts(true), IdSet(all));
    EXPECT_EQ(k.Conflicts(false), IdSet(writes));
    EXPECT_EQ(Appended(k, true), IdSet(all).ToVector());
  };
  for (uint64_t c = 1; c <= 200; ++c) {
    for (uint32_t o = 0; o < 3; ++o) {
      if ((c + o) % 7 == 3) continue;  // holes, filled in below
      const bool write = (c * 3 + o) % 4 != 0;
      key.Insert(Id(o, c), write);
      all.push_back(Id(o, c));
      if (write) writes.push_back(Id(o, c));
    }
    if (c % 25 == 0 || (c > 30 && c < 60)) check(key);
  }
  for (uint64_t c = 3; c <= 200; c += 7) {  // the holes, late
    key.Insert(Id(0, c), /*write=*/true);
    all.push_back(Id(0, c));
    writes.push_back(Id(0, c));
  }
  check(key);
  key.Erase(Id(0, 3), /*write=*/true);
  std::erase(all, Id(0, 3));
  std::erase(writes, Id(0, 3));
  check(key);
  const KeyIds copy = key;
  check(copy);
  KeyIds assigned;
  assigned.Insert(Id(9, 9), /*write=*/true);
  assigned.Conflicts(true);
  assigned = key;
  check(assigned);
}

}  // namespace
}  // namespace epsim::protocol
