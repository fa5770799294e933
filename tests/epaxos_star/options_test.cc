#include "protocol/epaxos_star/options.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "protocol/builtin.h"
#include "protocol/epaxos_star/replica.h"

namespace epsim::protocol::epaxos_star {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<StarOptions> Parse(const std::string& text, int n,
                                  Duration rtt = 100 * kMillisecond) {
  absl::StatusOr<ProtocolSpec> spec = ProtocolSpec::Parse(text);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return ParseStarOptions(*spec, ProtocolContext{n, rtt});
}

TEST(StarOptionsTest, DefaultsFollowOriginalEpaxos) {
  absl::StatusOr<StarOptions> o5 = Parse("epaxos-star", 5);
  ASSERT_TRUE(o5.ok()) << o5.status();
  EXPECT_EQ(o5->f, 2);
  EXPECT_EQ(o5->e, 2);
  EXPECT_EQ(o5->ToString(), "epaxos-star:n=5,f=2,e=2");
  absl::StatusOr<StarOptions> o3 = Parse("epaxos-star", 3);
  ASSERT_TRUE(o3.ok());
  EXPECT_EQ(o3->f, 1);
  EXPECT_EQ(o3->e, 1);
  absl::StatusOr<StarOptions> o7 = Parse("epaxos-star", 7);
  ASSERT_TRUE(o7.ok());
  EXPECT_EQ(o7->f, 3);
  EXPECT_EQ(o7->e, 2);
  // Timers derive from the round trip.
  EXPECT_EQ(o5->commit_timeout, 300 * kMillisecond);
  EXPECT_EQ(o5->recovery_timeout, 400 * kMillisecond);
  EXPECT_EQ(o5->fast_timeout, 50 * kMillisecond);
}

TEST(StarOptionsTest, ValidTriplesOfTheTable) {
  for (auto [n, f, e] : {std::tuple{3, 1, 1},
                         {3, 1, 0},
                         {5, 2, 2},
                         {5, 2, 1},
                         {5, 1, 1},
                         {7, 3, 2},
                         {7, 3, 1},
                         {7, 2, 2}}) {
    absl::StatusOr<StarOptions> o = Parse(
        "epaxos-star:f=" + std::to_string(f) + ",e=" + std::to_string(e), n);
    EXPECT_TRUE(o.ok()) << n << " " << f << " " << e << ": " << o.status();
  }
}

TEST(StarOptionsTest, InvalidTriplesStateTheRule) {
  absl::StatusOr<StarOptions> o = Parse("epaxos-star:f=3,e=3", 7);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(o.status().message(),
              HasSubstr("n >= max(2e + f - 1, 2f + 1) = 8"));
  o = Parse("epaxos-star:f=2", 4);
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(), HasSubstr("2f + 1"));
  o = Parse("epaxos-star:f=1,e=2", 5);
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(), HasSubstr("e <= f"));
  EXPECT_FALSE(Parse("epaxos-star:f=0", 3).ok());
  EXPECT_FALSE(Parse("epaxos-star:e=-1", 3).ok());
  EXPECT_FALSE(Parse("epaxos-star:f=x", 3).ok());
  EXPECT_FALSE(Parse("epaxos-star", 2).ok());
  EXPECT_FALSE(Parse("epaxos-star:n=5", 3).ok());
  EXPECT_TRUE(Parse("epaxos-star:n=3", 3).ok());
  o = Parse("epaxos-star:bogus=1", 3);
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(), HasSubstr("unknown option \"bogus\""));
  EXPECT_FALSE(Parse("epaxos-star:hint=maybe", 3).ok());
  EXPECT_FALSE(Parse("epaxos-star:commit_timeout=0", 3).ok());
}

TEST(StarOptionsTest, ExplicitOptionsSurviveTheCanonicalName) {
  absl::StatusOr<StarOptions> o =
      Parse("epaxos-star:f=1,e=1,commit_timeout=5000,hint=false", 3);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->ToString(),
            "epaxos-star:n=3,f=1,e=1,commit_timeout=5000,hint=false");
  absl::StatusOr<StarOptions> again = Parse(o->ToString(), 3);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ToString(), o->ToString());
}

// The open-question options (options.h) are named only where they differ
// from today's choice, so older specs keep their names and trace hashes.
TEST(StarOptionsTest, OpenQuestionOptionsRoundTrip) {
  absl::StatusOr<StarOptions> o = Parse(
      "epaxos-star:accept_guard=abal,waiting_to_self=true,"
      "validate_ok_to=sender,commit_lower_ballot=false",
      3);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->ToString(), "epaxos-star:n=3,f=1,e=1");
  o = Parse(
      "epaxos-star:accept_guard=bal-downgrade,waiting_to_self=false,"
      "validate_ok_to=all,commit_lower_ballot=true",
      3);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->GuardOnBal());
  EXPECT_TRUE(o->Downgrades());
  EXPECT_FALSE(o->waiting_to_self);
  EXPECT_TRUE(o->validate_ok_to_all);
  EXPECT_TRUE(o->commit_lower_ballot);
  absl::StatusOr<StarOptions> again = Parse(o->ToString(), 3);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->ToString(), o->ToString());
  for (const char* guard : {"abal", "abal-downgrade", "bal", "bal-downgrade"}) {
    o = Parse(std::string("epaxos-star:accept_guard=") + guard, 3);
    ASSERT_TRUE(o.ok()) << guard;
    EXPECT_EQ(AcceptGuardName(o->accept_guard), guard);
  }
  // A variant's own coverage branches are listed only when it is on.
  EXPECT_THAT(StarCoverageBranches(*Parse("epaxos-star", 3)),
              ::testing::Not(::testing::Contains("accept/downgrade")));
  EXPECT_THAT(
      StarCoverageBranches(*Parse("epaxos-star:accept_guard=bal-downgrade", 3)),
      ::testing::Contains("accept/downgrade"));
  o = Parse("epaxos-star:accept_guard=paper", 3);
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(),
              HasSubstr("abal, abal-downgrade, bal or bal-downgrade"));
  o = Parse("epaxos-star:validate_ok_to=some", 3);
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(), HasSubstr("sender or all"));
  EXPECT_FALSE(Parse("epaxos-star:waiting_to_self=1", 3).ok());
  EXPECT_FALSE(Parse("epaxos-star:commit_lower_ballot=yes", 3).ok());
}

TEST(StarRegistryTest, RegistersUnderItsName) {
  ProtocolRegistry registry;
  RegisterEpaxosStar(registry);
  auto p = registry.Make("epaxos-star:f=2,e=2", ProtocolContext{5, 1000});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->Name(), "epaxos-star:n=5,f=2,e=2");
  EXPECT_EQ((*p)->Replicas(), 5);
  EXPECT_EQ((*p)->MaxFailures(), 2);
  EXPECT_EQ((*p)->MakeChecks().size(), 1u);
  EXPECT_THAT((*p)->CoverageBranches(), ::testing::Contains("wait/W3"));
  auto bad = registry.Make("epaxos-star:f=3,e=3", ProtocolContext{7, 1000});
  EXPECT_FALSE(bad.ok());
}

TEST(StarBallotTest, OwnedBallotsFollowTheZeroBasedRule) {
  // n = 3: A owns 1, 4, 7; B owns 2, 5, 8; C owns 3, 6, 9 (docs/protocols.md
  // I.13).
  EXPECT_EQ(NextOwnedBallot(0, 3, 0), 1u);
  EXPECT_EQ(NextOwnedBallot(0, 3, 1), 4u);
  EXPECT_EQ(NextOwnedBallot(0, 3, 3), 4u);
  EXPECT_EQ(NextOwnedBallot(0, 3, 4), 7u);
  EXPECT_EQ(NextOwnedBallot(1, 3, 0), 2u);
  EXPECT_EQ(NextOwnedBallot(1, 3, 2), 5u);
  EXPECT_EQ(NextOwnedBallot(2, 3, 2), 3u);
  EXPECT_EQ(NextOwnedBallot(2, 3, 3), 6u);
  for (NodeId p = 0; p < 5; ++p) {
    for (Ballot above = 0; above < 40; ++above) {
      const Ballot b = NextOwnedBallot(p, 5, above);
      EXPECT_GT(b, above);
      EXPECT_EQ(BallotOwner(b, 5), p);
      EXPECT_LE(b, above + 5);
    }
  }
}

}  // namespace
}  // namespace epsim::protocol::epaxos_star
