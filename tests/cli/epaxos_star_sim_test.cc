// EPaxos* in the simulated world: the parameter sweep and the latency of the
// fast path (issue 3's scenario-level tests).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scenarios/scenario.h"
#include "scenarios/simulation.h"

namespace epsim {
namespace {

using scenarios::RunResult;
using scenarios::Scenario;

struct Params {
  int n, f, e;
};

std::vector<Params> ValidParams() {
  std::vector<Params> out;
  for (int n : {3, 5, 7}) {
    for (int f = 1; 2 * f + 1 <= n; ++f) {
      for (int e = 0; e <= f; ++e) {
        if (n >= std::max(2 * e + f - 1, 2 * f + 1)) out.push_back({n, f, e});
      }
    }
  }
  return out;
}

// n replicas on a LAN; clients only at the replicas in `client_replicas`;
// replicas in `crashed` crash at time 0.
RunResult RunLan(const Params& p, double conflict,
                 const std::vector<int>& crashed) {
  nlohmann::json replicas = nlohmann::json::array();
  nlohmann::json sites = nlohmann::json::array();
  nlohmann::json rtt = nlohmann::json::array();
  for (int i = 0; i < p.n; ++i) {
    sites.push_back(absl::StrCat("s", i));
    replicas.push_back(absl::StrCat("s", i));
    nlohmann::json row = nlohmann::json::array();
    for (int j = 0; j < p.n; ++j) row.push_back(i == j ? 0.0 : 0.4);
    rtt.push_back(row);
  }
  nlohmann::json client_sites = nlohmann::json::array();
  nlohmann::json faults = nlohmann::json::array();
  for (int i = 0; i < p.n; ++i) {
    if (std::find(crashed.begin(), crashed.end(), i) == crashed.end()) {
      client_sites.push_back(absl::StrCat("s", i));
    } else {
      faults.push_back({{"at_ms", 0}, {"fault", "crash"}, {"replica", i}});
    }
  }
  nlohmann::json j = {
      {"name", absl::StrCat("sweep-n", p.n, "-f", p.f, "-e", p.e)},
      {"topology", {{"name", "lan"}, {"sites", sites}, {"rtt_ms", rtt}}},
      {"protocol", absl::StrCat("epaxos-star:f=", p.f, ",e=", p.e)},
      {"replicas", replicas},
      {"workload",
       {{"clients_per_site", 2},
        {"commands_per_client", 10},
        {"conflict", conflict},
        {"client_sites", client_sites}}},
      {"faults", faults},
      {"duration_ms", 20000}};
  absl::StatusOr<Scenario> s = Scenario::FromJson(j, "(sweep)");
  EPSIM_CHECK(s.ok()) << s.status();
  absl::StatusOr<RunResult> r = scenarios::Simulate(*s, {});
  EPSIM_CHECK(r.ok()) << r.status();
  return *std::move(r);
}

std::string Name(const Params& p) {
  return absl::StrCat("n", p.n, " f", p.f, " e", p.e);
}

TEST(EpaxosStarSweepTest, NoFailuresNoConflictsEveryCommandIsFast) {
  for (const Params& p : ValidParams()) {
    const RunResult r = RunLan(p, 0.0, {});
    EXPECT_TRUE(r.ok()) << Name(p) << ": " << r.violations.front().detail;
    EXPECT_EQ(r.executed, r.submitted) << Name(p);
    EXPECT_EQ(r.fast, r.submitted) << Name(p);
    EXPECT_EQ(r.slow + r.recovered + r.nop, 0) << Name(p);
  }
}

TEST(EpaxosStarSweepTest, FastPathSurvivesECrashes) {
  for (const Params& p : ValidParams()) {
    if (p.e == 0) continue;
    std::vector<int> crashed;
    for (int i = 0; i < p.e; ++i) crashed.push_back(p.n - 1 - i);
    const RunResult r = RunLan(p, 0.0, crashed);
    EXPECT_TRUE(r.ok()) << Name(p);
    EXPECT_EQ(r.executed, r.submitted) << Name(p);
    EXPECT_EQ(r.fast, r.submitted) << Name(p) << " with " << p.e << " crashed";
  }
}

TEST(EpaxosStarSweepTest, MoreThanECrashesNoFastPathButCommandsCommit) {
  for (const Params& p : ValidParams()) {
    if (p.e + 1 > p.f) continue;
    std::vector<int> crashed;
    for (int i = 0; i < p.e + 1; ++i) crashed.push_back(p.n - 1 - i);
    const RunResult r = RunLan(p, 0.0, crashed);
    EXPECT_TRUE(r.ok()) << Name(p);
    EXPECT_EQ(r.executed, r.submitted) << Name(p);
    EXPECT_EQ(r.fast, 0) << Name(p) << " with " << p.e + 1 << " crashed";
    EXPECT_GT(r.slow, 0) << Name(p);
  }
}

TEST(EpaxosStarSweepTest, UpToFCrashesCommandsStillCommit) {
  for (const Params& p : ValidParams()) {
    std::vector<int> crashed;
    for (int i = 0; i < p.f; ++i) crashed.push_back(p.n - 1 - i);
    const RunResult r = RunLan(p, 0.25, crashed);
    EXPECT_TRUE(r.ok()) << Name(p);
    EXPECT_EQ(r.executed, r.submitted)
        << Name(p) << " with " << p.f << " crashed";
  }
}

// Fault-free, 0 % conflict, 5 sites: the median commit latency at each site
// is the RTT to its (n - e - 1)-th closest other replica (n=5, e=2: the
// second closest), within the jitter.
TEST(EpaxosStarLatencyTest, FastPathMedianIsTheRttToTheQuorumsFarthest) {
  absl::StatusOr<Scenario> s = Scenario::Load("scenarios/wan5-calm.json");
  ASSERT_TRUE(s.ok()) << s.status();
  absl::StatusOr<RunResult> r = scenarios::Simulate(*s, {});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->ok());
  const int n = 5, e = 2;
  for (int site = 0; site < n; ++site) {
    std::vector<double> rtts;
    for (int other = 0; other < n; ++other) {
      if (other != site) rtts.push_back(s->topology.rtt_ms[site][other]);
    }
    std::sort(rtts.begin(), rtts.end());
    const double expected = rtts[n - e - 2];  // (n-e-1)-th closest, 1-based
    const std::string& name = s->topology.sites[site];
    const double median =
        scenarios::Percentile(r->latency_by_site.at(name).commit_ms, 50);
    // Jitter is normal with sd 0.5 ms per one-way trip.
    EXPECT_NEAR(median, expected, 2.0) << name;
  }
}

}  // namespace
}  // namespace epsim
