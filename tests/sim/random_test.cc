#include "sim/random.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "gtest/gtest.h"
#include "sim/network.h"

namespace epsim::sim {
namespace {

// The values below were computed once with this code and are pinned: if any
// changes, runs no longer replay across versions or platforms.

TEST(RngTest, SplitMixSeedingMatchesTheReference) {
  // splitmix64's first output for state 0 (Vigna's reference code).
  EXPECT_EQ(Mix64(0x9e3779b97f4a7c15ULL), 0xe220a8397b1dcdafULL);
}

TEST(RngTest, PinnedRawOutputs) {
  Rng rng(42);
  EXPECT_EQ(rng.Next(), 0x15780b2e0c2ec716ULL);
  EXPECT_EQ(rng.Next(), 0x6104d9866d113a7eULL);
  EXPECT_EQ(rng.Next(), 0xae17533239e499a1ULL);
  EXPECT_EQ(rng.Next(), 0xecb8ad4703b360a1ULL);
}

TEST(RngTest, PinnedIntegers) {
  Rng below(42);
  std::vector<uint64_t> got;
  for (int i = 0; i < 6; ++i) got.push_back(below.Below(1000));
  EXPECT_EQ(got, (std::vector<uint64_t>{83, 378, 680, 924, 991, 769}));

  Rng between(42);
  std::vector<int64_t> got2;
  for (int i = 0; i < 4; ++i) got2.push_back(between.Between(-5, 5));
  EXPECT_EQ(got2, (std::vector<int64_t>{-5, -1, 2, 5}));

  Rng bernoulli(42);
  std::vector<bool> got3;
  for (int i = 0; i < 6; ++i) got3.push_back(bernoulli.Bernoulli(0.3));
  EXPECT_EQ(got3, (std::vector<bool>{true, false, false, false, false, false}));
}

// Doubles are compared exactly: the code path is fully specified.
TEST(RngTest, PinnedReals) {
  Rng rng(42);
  EXPECT_EQ(rng.Real(), 0.083862971059882163);
  EXPECT_EQ(rng.Real(), 0.37898025066266861);
  EXPECT_EQ(rng.Real(), 0.68004341102813937);
}

TEST(RngTest, PinnedContinuousDistributions) {
  Rng e(42);
  EXPECT_DOUBLE_EQ(e.Exponential(2.0), 0.17517866116683514);
  EXPECT_DOUBLE_EQ(e.Exponential(2.0), 0.9527847901575448);
  EXPECT_DOUBLE_EQ(e.Exponential(2.0), 2.2791399037077551);
  Rng n(42);
  EXPECT_DOUBLE_EQ(n.Normal(1.0, 2.0), -0.45243827648957136);
  EXPECT_DOUBLE_EQ(n.Normal(1.0, 2.0), 1.4432454030071866);
  EXPECT_DOUBLE_EQ(n.Normal(1.0, 2.0), 1.9283546203249473);
  Rng l(42);
  EXPECT_DOUBLE_EQ(l.LogNormal(0.5, 0.25), 1.3749882909902249);
  EXPECT_DOUBLE_EQ(l.LogNormal(0.5, 0.25), 1.7426477906950517);
  EXPECT_DOUBLE_EQ(l.LogNormal(0.5, 0.25), 1.8515892558733913);
  Rng p(42);
  EXPECT_DOUBLE_EQ(p.Pareto(1.0, 3.0), 1.0296268381381586);
  EXPECT_DOUBLE_EQ(p.Pareto(1.0, 3.0), 1.1721005312887409);
  EXPECT_DOUBLE_EQ(p.Pareto(1.0, 3.0), 1.4620749868655196);
}

TEST(RngTest, PinnedJitterDraws) {
  struct Case {
    JitterSpec spec;
    std::vector<Duration> want;
  };
  const std::vector<Case> cases = {
      {{JitterSpec::kUniform, 100, 500}, {380, 211, 436, 493}},
      {{JitterSpec::kExponential, 1000, 0}, {1206, 327, 1830, 3968}},
      {{JitterSpec::kNormal, 1000, 300}, {1289, 909, 1091, 490}},
      {{JitterSpec::kLogNormal, 1000, 0.5}, {1620, 859, 1165, 427}},
      {{JitterSpec::kPareto, 1000, 2}, {827, 177, 1497, 6273}},
  };
  for (const Case& c : cases) {
    Rng rng(7);
    std::vector<Duration> got;
    for (size_t i = 0; i < c.want.size(); ++i) got.push_back(c.spec.Draw(rng));
    EXPECT_EQ(got, c.want) << c.spec.ToString();
  }
}

TEST(RngTest, PinnedFork) {
  Rng parent(42);
  Rng child = parent.Fork(7);
  EXPECT_EQ(child.Next(), 0xbbe4bf98de581fbdULL);
  EXPECT_EQ(child.Next(), 0xf137acdd14ca652cULL);
}

TEST(RngTest, ForkIsDeterministicAndDoesNotAdvanceTheParent) {
  Rng parent(5);
  Rng a = parent.Fork(1);
  Rng b = parent.Fork(1);
  Rng c = parent.Fork(2);
  const uint64_t a1 = a.Next();
  EXPECT_EQ(a1, b.Next());
  EXPECT_NE(a1, c.Next());
  Rng fresh(5);
  EXPECT_EQ(parent.Next(), fresh.Next());
}

TEST(RngTest, DifferentSeedsGiveDifferentStreams) {
  Rng a(1), b(2);
  EXPECT_NE(a.Next(), b.Next());
}

TEST(RngTest, BelowIsUniformOverSmallBound) {
  Rng rng(2024);
  constexpr int kBound = 10;
  constexpr int kDraws = 100000;
  std::vector<int> counts(kBound, 0);
  for (int i = 0; i < kDraws; ++i) ++counts[rng.Below(kBound)];
  double chi2 = 0;
  const double expected = static_cast<double>(kDraws) / kBound;
  for (int c : counts) chi2 += (c - expected) * (c - expected) / expected;
  // 9 degrees of freedom: 27.88 is the 99.9% quantile.
  EXPECT_LT(chi2, 27.88);
}

TEST(RngTest, BelowHasNoModuloBiasForHugeBound) {
  // bound = 3 * 2^62: plain Next() % bound would land below 2^62 half the
  // time; an unbiased draw does so a third of the time.
  const uint64_t bound = 3ULL << 62;
  Rng rng(99);
  constexpr int kDraws = 30000;
  int low = 0;
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t x = rng.Below(bound);
    ASSERT_LT(x, bound);
    if (x < (1ULL << 62)) ++low;
  }
  EXPECT_NEAR(static_cast<double>(low) / kDraws, 1.0 / 3, 0.015);
}

TEST(RngTest, BetweenCoversBothEndsAndFullRange) {
  Rng rng(3);
  bool saw_lo = false, saw_hi = false;
  for (int i = 0; i < 1000; ++i) {
    const int64_t x = rng.Between(-2, 2);
    ASSERT_GE(x, -2);
    ASSERT_LE(x, 2);
    saw_lo |= x == -2;
    saw_hi |= x == 2;
  }
  EXPECT_TRUE(saw_lo);
  EXPECT_TRUE(saw_hi);
  EXPECT_EQ(rng.Between(7, 7), 7);
  // The full int64 range must not divide by zero or loop.
  rng.Between(std::numeric_limits<int64_t>::min(),
              std::numeric_limits<int64_t>::max());
}

TEST(RngTest, RealStaysInHalfOpenUnitInterval) {
  Rng rng(11);
  for (int i = 0; i < 100000; ++i) {
    const double x = rng.Real();
    ASSERT_GE(x, 0.0);
    ASSERT_LT(x, 1.0);
  }
}

TEST(RngTest, BernoulliEdgesAndRate) {
  Rng rng(8);
  int hits = 0;
  for (int i = 0; i < 10000; ++i) {
    EXPECT_FALSE(rng.Bernoulli(0));
    EXPECT_TRUE(rng.Bernoulli(1));
    hits += rng.Bernoulli(0.25);
  }
  EXPECT_NEAR(hits / 10000.0, 0.25, 0.02);
}

TEST(RngTest, DistributionMomentsAreSane) {
  Rng rng(17);
  constexpr int kDraws = 200000;
  double exp_sum = 0, n_sum = 0, n_sq = 0, pareto_min = 1e300;
  for (int i = 0; i < kDraws; ++i) {
    exp_sum += rng.Exponential(3.0);
    const double z = rng.Normal(5.0, 2.0);
    n_sum += z;
    n_sq += z * z;
    pareto_min = std::min(pareto_min, rng.Pareto(2.0, 3.0));
  }
  EXPECT_NEAR(exp_sum / kDraws, 3.0, 0.05);
  const double mean = n_sum / kDraws;
  EXPECT_NEAR(mean, 5.0, 0.03);
  EXPECT_NEAR(std::sqrt(n_sq / kDraws - mean * mean), 2.0, 0.03);
  EXPECT_GE(pareto_min, 2.0);
}

TEST(JitterSpecTest, DrawsAreNeverNegative) {
  Rng rng(1);
  const JitterSpec normal{JitterSpec::kNormal, 0, 1000};
  for (int i = 0; i < 10000; ++i) ASSERT_GE(normal.Draw(rng), 0);
  EXPECT_EQ(JitterSpec{}.Draw(rng), 0);
}

TEST(JitterSpecTest, KindNamesRoundTrip) {
  for (auto k :
       {JitterSpec::kNone, JitterSpec::kUniform, JitterSpec::kExponential,
        JitterSpec::kNormal, JitterSpec::kLogNormal, JitterSpec::kPareto}) {
    auto parsed = JitterSpec::ParseKind(JitterSpec::KindName(k));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, k);
  }
  EXPECT_FALSE(JitterSpec::ParseKind("gaussian").ok());
  EXPECT_EQ(*ParseLinkKind("lossy"), LinkKind::kLossy);
  EXPECT_FALSE(ParseLinkKind("flaky").ok());
}

}  // namespace
}  // namespace epsim::sim
