#include "protocol/common/stable_chunks.h"

#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace epsim::protocol {
namespace {

TEST(StableChunksTest, ElementsKeepTheirAddressAsTheArrayGrows) {
  StableChunks<int> values;
  int& first = values.Get(3);
  first = 7;
  for (size_t i = 0; i < 1000; ++i) values.Get(i) += 1;
  EXPECT_EQ(&values.Get(3), &first);
  EXPECT_EQ(first, 8);
}

TEST(StableChunksTest, OnlyChunksAskedForAreAllocatedAndVisited) {
  StableChunks<int> values;
  EXPECT_EQ(values.Find(0), nullptr);
  values.Get(200) = 5;  // the chunk of 192..255 only
  EXPECT_EQ(values.Find(0), nullptr);
  EXPECT_EQ(values.Find(300), nullptr);
  ASSERT_NE(values.Find(192), nullptr);
  EXPECT_EQ(*values.Find(192), 0);  // value-initialized
  std::vector<std::pair<size_t, int>> visited;
  values.ForEachAllocated([&](size_t i, int v) {
    if (v != 0) visited.emplace_back(i, v);
  });
  EXPECT_EQ(visited, (std::vector<std::pair<size_t, int>>{{200, 5}}));
  size_t count = 0;
  values.ForEachAllocated([&](size_t, int) { ++count; });
  EXPECT_EQ(count, StableChunks<int>::kChunkSize);
}

TEST(StableChunksTest, ACopyIsIndependent) {
  StableChunks<int> values;
  values.Get(1) = 1;
  values.Get(100) = 100;
  StableChunks<int> copy = values;
  copy.Get(1) = 2;
  copy.Get(500) = 500;
  EXPECT_EQ(*values.Find(1), 1);
  EXPECT_EQ(values.Find(500), nullptr);
  EXPECT_EQ(*copy.Find(100), 100);
  EXPECT_NE(copy.Find(100), values.Find(100));
}

}  // namespace
}  // namespace epsim::protocol
