#include "protocol/common/key.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace epsim::protocol {
namespace {

TEST(KeyTest, EqualTextIsTheSameKey) {
  const Key a("key-test-a");
  const Key b(std::string("key-test-") + "a");
  const Key c("key-test-c");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.index(), b.index());
  EXPECT_NE(a, c);
  EXPECT_NE(a.index(), c.index());
  EXPECT_EQ(a.str(), "key-test-a");
  EXPECT_TRUE(Key().empty());
  EXPECT_EQ(Key(), Key(""));
}

TEST(KeyTest, OrdersByTextNotByIndex) {
  // Interned in the opposite order of their text.
  const Key z("key-order-z");
  const Key a("key-order-a");
  EXPECT_GT(a.index(), z.index());
  EXPECT_LT(a, z);
}

TEST(KeyTest, InterningIsSharedAcrossThreads) {
  const size_t before = Key::InternedCount();
  std::vector<uint32_t> seen(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([t, &seen] {
      for (int i = 0; i < 1000; ++i) Key(std::to_string(i) + "-key-threads");
      seen[t] = Key("999-key-threads").index();
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(seen[0], seen[1]);
  EXPECT_EQ(Key::InternedCount(), before + 1000);
}

TEST(KeyMapTest, LooksUpByKeyAndVisitsInInsertionOrder) {
  KeyMap<int> m;
  EXPECT_EQ(m.Find("km-b"), nullptr);
  m["km-b"] = 2;
  m["km-a"] = 1;
  int& b = m["km-b"];
  ++b;
  m["km-c"];  // default-constructed
  ASSERT_NE(m.Find("km-b"), nullptr);
  EXPECT_EQ(*m.Find("km-b"), 3);
  EXPECT_EQ(*m.Find("km-c"), 0);
  EXPECT_EQ(m.size(), 3u);
  std::vector<std::string> order;
  m.ForEach([&](const Key& k, int) { order.push_back(k.str()); });
  EXPECT_EQ(order, (std::vector<std::string>{"km-b", "km-a", "km-c"}));
}

TEST(KeyMapTest, EntriesStayInPlaceAsKeysAreAdded) {
  KeyMap<std::string> m;
  std::string& first = m["kp-0"];
  first = "kept";
  for (int i = 1; i < 5000; ++i) m["kp-" + std::to_string(i)] = "x";
  EXPECT_EQ(&first, m.Find("kp-0"));
  EXPECT_EQ(first, "kept");
}

TEST(KeyMapTest, EqualityIgnoresInsertionOrder) {
  KeyMap<std::string> a, b;
  a["ke-1"] = "x";
  a["ke-2"] = "y";
  b["ke-2"] = "y";
  b["ke-1"] = "x";
  EXPECT_TRUE(a == b);
  b["ke-1"] = "z";
  EXPECT_FALSE(a == b);
  b["ke-1"] = "x";
  b["ke-3"] = "";
  EXPECT_FALSE(a == b);
}

}  // namespace
}  // namespace epsim::protocol
