#include "protocol/common/id_map.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace epsim::protocol {
namespace {

TEST(IdMapTest, FindsOnlyWhatWasCreated) {
  IdMap<std::string> map;
  EXPECT_EQ(map.Find({0, 1}), nullptr);
  map[{0, 3}] = "a";
  EXPECT_EQ(map.size(), 1u);
  ASSERT_NE(map.Find({0, 3}), nullptr);
  EXPECT_EQ(*map.Find({0, 3}), "a");
  // Slots below it exist in the table but hold no entry.
  EXPECT_EQ(map.Find({0, 2}), nullptr);
  EXPECT_EQ(map.Find({1, 3}), nullptr);
  map[{0, 3}] += "b";
  EXPECT_EQ(map.size(), 1u);
  EXPECT_EQ(*map.Find({0, 3}), "ab");
}

TEST(IdMapTest, EntriesStayInPlaceWhileOthersAreAdded) {
  IdMap<std::string> map;
  std::string& first = map[{2, 1}];
  first = "kept";
  // New counters and new origins (both tables grow).
  for (uint64_t c = 0; c < 5000; ++c) map[{2, c + 2}] = "x";
  for (uint32_t o = 0; o < 40; ++o) map[{o, 7}] = "y";
  EXPECT_EQ(&first, map.Find({2, 1}));
  EXPECT_EQ(first, "kept");
}

TEST(IdMapTest, IdsOutsideTheDenseRangeWork) {
  IdMap<int> map;
  const CommandId huge_counter{1, uint64_t{1} << 40};
  const CommandId huge_origin{1u << 30, 5};
  map[huge_counter] = 1;
  map[huge_origin] = 2;
  map[{0, 0}] = 3;
  EXPECT_EQ(map.size(), 3u);
  EXPECT_EQ(*map.Find(huge_counter), 1);
  EXPECT_EQ(*map.Find(huge_origin), 2);
  EXPECT_EQ(map.Find({1, (uint64_t{1} << 40) + 1}), nullptr);
}

TEST(IdMapTest, IteratesInTheSameOrderWhateverTheInsertionOrder) {
  const std::vector<CommandId> ids = {
      {3, 1}, {0, 2}, {0, 1}, {1, uint64_t{1} << 30}, {1, 4}};
  IdMap<int> forward, backward;
  for (size_t i = 0; i < ids.size(); ++i) forward[ids[i]] = 1;
  for (size_t i = ids.size(); i-- > 0;) backward[ids[i]] = 1;
  std::vector<CommandId> a, b;
  forward.ForEach([&](const CommandId& id, int) { a.push_back(id); });
  backward.ForEach([&](const CommandId& id, int) { b.push_back(id); });
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, (std::vector<CommandId>{
                   {0, 1}, {0, 2}, {1, 4}, {3, 1}, {1, uint64_t{1} << 30}}));
}

TEST(IdMapTest, ACopyIsIndependent) {
  IdMap<std::string> original;
  original[CommandId{0, 3}] = "a";
  original[CommandId{2, 200}] = "b";
  original[CommandId{5000, 1}] = "spilled";
  IdMap<std::string> copy = original;
  original[CommandId{0, 3}] = "changed";
  original[CommandId{1, 1}] = "new";
  ASSERT_NE(copy.Find(CommandId{0, 3}), nullptr);
  EXPECT_EQ(*copy.Find(CommandId{0, 3}), "a");
  EXPECT_EQ(*copy.Find(CommandId{2, 200}), "b");
  EXPECT_EQ(*copy.Find(CommandId{5000, 1}), "spilled");
  EXPECT_EQ(copy.Find(CommandId{1, 1}), nullptr);
  EXPECT_EQ(copy.size(), 3u);
  EXPECT_EQ(original.size(), 4u);
}

}  // namespace
}  // namespace epsim::protocol
