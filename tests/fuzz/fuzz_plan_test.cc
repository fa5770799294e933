// The fuzzer's per-seed cases: deterministic, swarm (families vary per
// seed), inside the crash-stop model when asked, valid protocol parameters.
#include "fuzz/fuzz_plan.h"

#include <algorithm>
#include <set>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "fuzz/shrink.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "protocol/common/protocol.h"

namespace epsim::fuzz {
namespace {

using scenarios::FaultEvent;
using Kind = FaultEvent::Kind;

protocol::ProtocolSpec Spec(const std::string& text) {
  absl::StatusOr<protocol::ProtocolSpec> spec =
      protocol::ProtocolSpec::Parse(text);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

FuzzCase Generate(const std::string& protocol, uint64_t seed,
                  FaultModel model = FaultModel::kCrashStop) {
  FuzzPlanOptions options;
  options.model = model;
  options.vary_replicas = true;
  absl::StatusOr<FuzzCase> c =
      GenerateFuzzCase(DefaultFuzzBase(), Spec(protocol), seed, options);
  EXPECT_TRUE(c.ok()) << c.status();
  return *std::move(c);
}

int OptionOr(const protocol::ProtocolSpec& spec, const std::string& key,
             int fallback) {
  auto it = spec.options.find(key);
  return it == spec.options.end() ? fallback : std::stoi(it->second);
}

// Replays a plan's events and reports how it leaves the model.
struct PlanAudit {
  int max_down = 0;
  bool lossy = false;
  bool healed = true;  // nothing left broken at the end
};

PlanAudit Audit(const scenarios::Scenario& s) {
  PlanAudit audit;
  std::set<int> down, paused;
  std::set<std::pair<int, int>> cuts;
  absl::btree_map<std::pair<int, int>, double> slow;
  bool partitioned = false;
  double loss = s.network.loss, duplication = s.network.duplication;
  sim::JitterSpec jitter = s.network.jitter;
  for (const FaultEvent& f : s.faults) {
    switch (f.kind) {
      case Kind::kCrash:
        down.insert(f.replica);
        break;
      case Kind::kRestart:
        down.erase(f.replica);
        break;
      case Kind::kPause:
        paused.insert(f.replica);
        break;
      case Kind::kResume:
        paused.erase(f.replica);
        break;
      case Kind::kPartition:
        partitioned = true;
        break;
      case Kind::kHeal:
        partitioned = false;
        cuts.clear();
        break;
      case Kind::kCut:
        cuts.insert({f.from, f.to});
        break;
      case Kind::kRestore:
        cuts.erase({f.from, f.to});
        break;
      case Kind::kLoss:
        loss = f.probability;
        break;
      case Kind::kDuplication:
        duplication = f.probability;
        break;
      case Kind::kJitter:
        jitter = f.jitter;
        break;
      case Kind::kSlow:
        slow[{f.from, f.to}] = f.factor;
        break;
      case Kind::kLinkKind:
        audit.lossy |= f.link_kind == sim::LinkKind::kLossy;
        break;
    }
    audit.max_down = std::max<int>(audit.max_down, down.size());
  }
  bool slow_left = false;
  for (const auto& [link, factor] : slow) slow_left |= factor != 1;
  audit.healed = paused.empty() && cuts.empty() && !partitioned &&
                 loss == s.network.loss &&
                 duplication == s.network.duplication &&
                 jitter.kind == s.network.jitter.kind &&
                 jitter.a == s.network.jitter.a && !slow_left;
  audit.lossy |= s.network.link_kind == sim::LinkKind::kLossy;
  return audit;
}

TEST(FuzzPlanTest, SameSeedSameCaseOtherSeedOtherCase) {
  const FuzzCase a = Generate("epaxos-star", 7);
  const FuzzCase b = Generate("epaxos-star", 7);
  const FuzzCase c = Generate("epaxos-star", 8);
  EXPECT_EQ(a.scenario.source, b.scenario.source);
  EXPECT_NE(a.scenario.source, c.scenario.source);
  EXPECT_EQ(a.scenario.seed, 7u);
}

TEST(FuzzPlanTest, CrashStopPlansStayInsideTheModelAndHeal) {
  for (const std::string protocol : {"epaxos-star", "epaxos"}) {
    for (uint64_t seed = 1; seed <= 300; ++seed) {
      const FuzzCase c = Generate(protocol, seed);
      const scenarios::Scenario& s = c.scenario;
      const int n = static_cast<int>(s.replica_sites.size());
      const int f = OptionOr(Spec(s.protocol), "f", (n - 1) / 2);
      const PlanAudit audit = Audit(s);
      EXPECT_LE(audit.max_down, f) << protocol << " seed " << seed;
      EXPECT_FALSE(audit.lossy) << protocol << " seed " << seed;
      EXPECT_TRUE(audit.healed) << protocol << " seed " << seed;
      EXPECT_TRUE(std::is_sorted(s.faults.begin(), s.faults.end(),
                                 [](const FaultEvent& x, const FaultEvent& y) {
                                   return x.at < y.at;
                                 }));
    }
  }
}

TEST(FuzzPlanTest, ModelAnyLeavesTheModelSometimes) {
  bool lossy = false, too_many_down = false, unhealed = false;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    const FuzzCase c = Generate("epaxos-star", seed, FaultModel::kAny);
    const int n = static_cast<int>(c.scenario.replica_sites.size());
    const int f = OptionOr(Spec(c.scenario.protocol), "f", (n - 1) / 2);
    const PlanAudit audit = Audit(c.scenario);
    lossy |= audit.lossy;
    too_many_down |= audit.max_down > f;
    unhealed |= !audit.healed;
  }
  EXPECT_TRUE(lossy);
  EXPECT_TRUE(too_many_down);
  EXPECT_TRUE(unhealed);
}

TEST(FuzzPlanTest, SwarmFamiliesVaryAcrossSeeds) {
  absl::btree_map<std::string, int> on;
  const int seeds = 200;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    for (const std::string& family : Generate("epaxos", seed).families) {
      ++on[family];
    }
  }
  for (const char* family :
       {"crash", "restart", "pause", "loss", "duplication", "jitter",
        "partition", "cut", "slow", "timers", "reorder"}) {
    EXPECT_GT(on[family], seeds / 5) << family;
    EXPECT_LT(on[family], seeds - seeds / 5) << family;
  }
  EXPECT_EQ(on.count("lossy-links"), 0u);  // crash-stop
}

TEST(FuzzPlanTest, EpaxosStarParametersAreValidAndCoverEveryN) {
  std::set<int> sizes;
  std::set<std::pair<int, int>> fe;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    const FuzzCase c = Generate("epaxos-star", seed);
    const protocol::ProtocolSpec spec = Spec(c.scenario.protocol);
    const int n = static_cast<int>(c.scenario.replica_sites.size());
    const int f = OptionOr(spec, "f", -1), e = OptionOr(spec, "e", -1);
    sizes.insert(n);
    fe.insert({f, e});
    EXPECT_GE(f, 1);
    EXPECT_GE(e, 0);
    EXPECT_LE(e, f);
    EXPECT_GE(n, std::max(2 * e + f - 1, 2 * f + 1)) << c.scenario.protocol;
  }
  EXPECT_EQ(sizes, (std::set<int>{3, 5, 7}));
  EXPECT_GT(fe.size(), 4u);
}

TEST(FuzzPlanTest, OptionsTheUserGaveAreKept) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    const protocol::ProtocolSpec spec =
        Spec(Generate("epaxos-star:f=1,e=1,commit_timeout=999", seed)
                 .scenario.protocol);
    EXPECT_EQ(spec.options.at("f"), "1");
    EXPECT_EQ(spec.options.at("e"), "1");
    EXPECT_EQ(spec.options.at("commit_timeout"), "999");
  }
}

TEST(FuzzPlanTest, ScriptedBaseIsRefused) {
  absl::StatusOr<scenarios::Scenario> scripted =
      scenarios::Scenario::Load("scenarios/bugs/spec-single-ballot.json");
  ASSERT_TRUE(scripted.ok()) << scripted.status();
  absl::StatusOr<FuzzCase> c =
      GenerateFuzzCase(*scripted, Spec("epaxos"), 1, FuzzPlanOptions{});
  EXPECT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(),
              ::testing::HasSubstr("spec-single-ballot.json"));
}

TEST(FuzzPlanTest, FaultUnitsPairEachFaultWithItsEnd) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const FuzzCase c = Generate("epaxos", seed);
    const std::vector<FaultEvent>& faults = c.scenario.faults;
    std::vector<int> all;
    for (const auto& unit : FaultUnits(faults)) {
      ASSERT_LE(unit.size(), 2u);
      if (unit.size() == 2) {
        const FaultEvent& open = faults[unit[0]];
        const FaultEvent& close = faults[unit[1]];
        EXPECT_LE(open.at, close.at);
        const absl::btree_map<Kind, Kind> closes = {
            {Kind::kCrash, Kind::kRestart},
            {Kind::kPartition, Kind::kHeal},
            {Kind::kCut, Kind::kRestore},
            {Kind::kPause, Kind::kResume}};
        if (auto it = closes.find(open.kind); it != closes.end()) {
          EXPECT_EQ(close.kind, it->second);
        }
      }
      all.insert(all.end(), unit.begin(), unit.end());
    }
    std::sort(all.begin(), all.end());
    ASSERT_EQ(all.size(), faults.size());  // every event in exactly one unit
    for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], int(i));
  }
}

}  // namespace
}  // namespace epsim::fuzz
