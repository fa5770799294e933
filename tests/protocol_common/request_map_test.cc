#include "protocol/common/request_map.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "protocol/common/by_node.h"

namespace epsim::protocol {
namespace {

TEST(RequestMapTest, DenseAndSpilledRequestsReadBackAndIterateInOrder) {
  RequestMap<std::string> map;
  EXPECT_EQ(map.Find({0, 0}), nullptr);
  map[{1, 2}] = "dense";
  map[{-3, 5}] = "negative client";
  map[{0, int64_t{1} << 40}] = "huge number";
  map[{0, 1}] = "first client";
  ASSERT_NE(map.Find({1, 2}), nullptr);
  EXPECT_EQ(*map.Find({1, 2}), "dense");
  EXPECT_EQ(*map.Find({-3, 5}), "negative client");
  EXPECT_EQ(map.Find({-3, 6}), nullptr);
  EXPECT_EQ(map.Find({7, 0}), nullptr);
  // Entries below a created one exist and read as T{}.
  ASSERT_NE(map.Find({1, 0}), nullptr);
  EXPECT_EQ(*map.Find({1, 0}), "");

  std::vector<std::pair<RequestId, std::string>> seen;
  map.ForEach([&](const RequestId& r, const std::string& v) {
    seen.emplace_back(r, v);
  });
  const std::vector<std::pair<RequestId, std::string>> expected = {
      {{-3, 5}, "negative client"},
      {{0, 0}, ""},
      {{0, 1}, "first client"},
      {{0, int64_t{1} << 40}, "huge number"},
      {{1, 0}, ""},
      {{1, 1}, ""},
      {{1, 2}, "dense"}};
  EXPECT_EQ(seen, expected);
}

TEST(NodeMapTest, KeepsTheFirstEntryPerNodeInNodeOrder) {
  NodeMap<std::string> replies;
  EXPECT_TRUE(replies.emplace(3, "c"));
  EXPECT_TRUE(replies.emplace(1, "a"));
  EXPECT_FALSE(replies.emplace(3, "again"));
  EXPECT_TRUE(replies.contains(1));
  EXPECT_FALSE(replies.contains(2));
  std::vector<std::pair<NodeId, std::string>> seen(replies.begin(),
                                                   replies.end());
  EXPECT_EQ(seen,
            (std::vector<std::pair<NodeId, std::string>>{{1, "a"}, {3, "c"}}));
  NodeSet oks;
  EXPECT_TRUE(oks.insert(4));
  EXPECT_TRUE(oks.insert(0));
  EXPECT_FALSE(oks.insert(4));
  EXPECT_EQ(std::vector<NodeId>(oks.begin(), oks.end()),
            (std::vector<NodeId>{0, 4}));
  oks.clear();
  EXPECT_TRUE(oks.empty());
}

}  // namespace
}  // namespace epsim::protocol
