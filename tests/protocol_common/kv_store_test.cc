#include "protocol/common/kv_store.h"

#include <optional>
#include <string>

#include "base/check.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace epsim::protocol {
namespace {

Command Make(int32_t client, int64_t number, OpType op, std::string key,
             std::string value = "",
             std::optional<std::string> expected = std::nullopt) {
  Command c;
  c.request = {client, number};
  c.op = op;
  c.key = std::move(key);
  c.value = std::move(value);
  c.expected = std::move(expected);
  return c;
}

TEST(KvStoreTest, PutGetAppend) {
  KvStore kv;
  EXPECT_EQ(kv.Apply(Make(1, 1, OpType::kGet, "k")).result.value, std::nullopt);
  EXPECT_FALSE(kv.Apply(Make(1, 2, OpType::kPut, "k", "a")).duplicate);
  EXPECT_EQ(kv.Apply(Make(1, 3, OpType::kGet, "k")).result.value, "a");
  kv.Apply(Make(1, 4, OpType::kAppend, "k", "b"));
  kv.Apply(Make(1, 5, OpType::kAppend, "fresh", "x"));
  EXPECT_EQ(kv.Apply(Make(1, 6, OpType::kGet, "k")).result.value, "ab");
  EXPECT_THAT(kv.Find("fresh"), ::testing::Pointee(std::string("x")));
}

TEST(KvStoreTest, CasOnAbsentAndPresentKeys) {
  KvStore kv;
  // Expecting "absent" on an absent key succeeds.
  auto first = kv.Apply(Make(1, 1, OpType::kCas, "k", "v1", std::nullopt));
  EXPECT_TRUE(first.result.cas_succeeded);
  EXPECT_THAT(kv.Find("k"), ::testing::Pointee(std::string("v1")));
  // Expecting "absent" on a present key fails and changes nothing.
  auto second = kv.Apply(Make(1, 2, OpType::kCas, "k", "v2", std::nullopt));
  EXPECT_FALSE(second.result.cas_succeeded);
  EXPECT_THAT(kv.Find("k"), ::testing::Pointee(std::string("v1")));
  // Expecting a value on an absent key fails.
  EXPECT_FALSE(kv.Apply(Make(1, 3, OpType::kCas, "other", "x", "y"))
                   .result.cas_succeeded);
  EXPECT_EQ(kv.Find("other"), nullptr);
  // Wrong expectation fails, right one succeeds.
  EXPECT_FALSE(
      kv.Apply(Make(1, 4, OpType::kCas, "k", "v3", "zz")).result.cas_succeeded);
  EXPECT_TRUE(
      kv.Apply(Make(1, 5, OpType::kCas, "k", "v3", "v1")).result.cas_succeeded);
  EXPECT_THAT(kv.Find("k"), ::testing::Pointee(std::string("v3")));
}

TEST(KvStoreTest, RetriedRequestTakesEffectOnce) {
  KvStore kv;
  const Command append = Make(7, 1, OpType::kAppend, "k", "x");
  auto first = kv.Apply(append);
  EXPECT_FALSE(first.duplicate);
  const uint64_t digest = kv.Digest();
  // Same request committed again under another id (client retry).
  auto again = kv.Apply(append);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.result, first.result);
  EXPECT_THAT(kv.Find("k"), ::testing::Pointee(std::string("x")));
  EXPECT_EQ(kv.Digest(), digest);
  // A cas retried returns the first outcome even though re-running it now
  // would give another answer.
  auto cas = kv.Apply(Make(7, 2, OpType::kCas, "k", "y", "x"));
  EXPECT_TRUE(cas.result.cas_succeeded);
  auto cas_again = kv.Apply(Make(7, 2, OpType::kCas, "k", "y", "x"));
  EXPECT_TRUE(cas_again.duplicate);
  EXPECT_TRUE(cas_again.result.cas_succeeded);
  EXPECT_THAT(kv.Find("k"), ::testing::Pointee(std::string("y")));
  // Other clients are independent.
  EXPECT_FALSE(kv.Apply(Make(8, 1, OpType::kAppend, "k", "z")).duplicate);
  EXPECT_THAT(kv.Find("k"), ::testing::Pointee(std::string("yz")));
}

// A replica may execute a client's request n+1 before request n: they touch
// different keys, so nothing orders them. Request n must still take effect.
TEST(KvStoreTest, RequestsOfOneClientMayExecuteOutOfOrder) {
  KvStore kv;
  EXPECT_FALSE(kv.Apply(Make(3, 2, OpType::kPut, "b", "2")).duplicate);
  EXPECT_FALSE(kv.Apply(Make(3, 1, OpType::kPut, "a", "1")).duplicate);
  EXPECT_THAT(kv.Find("a"), ::testing::Pointee(std::string("1")));
  EXPECT_THAT(kv.Find("b"), ::testing::Pointee(std::string("2")));
  EXPECT_TRUE(kv.Apply(Make(3, 1, OpType::kPut, "a", "9")).duplicate);
  EXPECT_THAT(kv.Find("a"), ::testing::Pointee(std::string("1")));
}

TEST(KvStoreTest, NopIsRejected) {
  KvStore kv;
  EXPECT_THROW(kv.Apply(Command::Nop()), CheckFailure);
}

}  // namespace
}  // namespace epsim::protocol
