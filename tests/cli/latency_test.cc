// Latency accounting and fidelity against the wide-area model of
// docs/wan.md (EPaxos paper, Fig. 4 topology): the simulated median commit
// latency at each site is within 10 % of the model.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scenarios/scenario.h"
#include "scenarios/simulation.h"

namespace epsim {
namespace {

using scenarios::Percentile;
using scenarios::RunResult;
using scenarios::Scenario;

TEST(PercentileTest, NearestRank) {
  EXPECT_EQ(Percentile({}, 50), 0);
  EXPECT_EQ(Percentile({7}, 99), 7);
  EXPECT_EQ(Percentile({4, 1, 3, 2}, 50), 2);
  EXPECT_EQ(Percentile({4, 1, 3, 2}, 75), 3);
  EXPECT_EQ(Percentile({4, 1, 3, 2}, 100), 4);
  std::vector<double> hundred;
  for (int i = 100; i >= 1; --i) hundred.push_back(i);
  EXPECT_EQ(Percentile(hundred, 99), 99);
  EXPECT_EQ(Percentile(hundred, 90), 90);
}

RunResult RunWan(const std::string& protocol, double conflict) {
  nlohmann::json j = {
      {"name", "fidelity"},
      {"topology", "epaxos-sosp13-5site"},
      {"protocol", protocol},
      {"replicas", {"VA", "CA", "OR", "JP", "EU"}},
      {"workload",
       {{"clients_per_site", 10},
        {"commands_per_client", 20},
        {"conflict", conflict}}},
      {"network", {{"jitter", {{"dist", "normal"}, {"a", 0}, {"b", 0.5}}}}}};
  absl::StatusOr<Scenario> s = Scenario::FromJson(j, "(fidelity)");
  EPSIM_CHECK(s.ok()) << s.status();
  absl::StatusOr<RunResult> r = scenarios::Simulate(*s, {});
  EPSIM_CHECK(r.ok()) << r.status();
  EPSIM_CHECK(r->ok()) << r->violations.front().detail;
  return *std::move(r);
}

class WanModel {
 public:
  WanModel() {
    absl::StatusOr<sim::Topology> t =
        scenarios::LoadTopology("epaxos-sosp13-5site");
    EPSIM_CHECK(t.ok()) << t.status();
    topology_ = *std::move(t);
  }
  const std::vector<std::string>& sites() const { return topology_.sites; }
  double Rtt(const std::string& a, const std::string& b) const {
    return topology_.rtt_ms[*topology_.SiteIndex(a)][*topology_.SiteIndex(b)];
  }
  // RTT from `site` to its k-th closest other site (k = 1: the closest).
  double KthClosest(const std::string& site, int k) const {
    std::vector<double> rtts;
    for (const std::string& other : sites()) {
      if (other != site) rtts.push_back(Rtt(site, other));
    }
    std::sort(rtts.begin(), rtts.end());
    return rtts[k - 1];
  }
  // docs/wan.md §1c: fast path = 2nd closest (fast quorum of 3 with n = 5);
  // slow path = twice that; Multi-Paxos = RTT to the leader plus the
  // leader's 2nd closest.
  double EpaxosFast(const std::string& s) const { return KthClosest(s, 2); }
  double EpaxosSlow(const std::string& s) const { return 2 * KthClosest(s, 2); }
  double MultiPaxos(const std::string& s, const std::string& leader) const {
    return (s == leader ? 0 : Rtt(s, leader)) + KthClosest(leader, 2);
  }

 private:
  sim::Topology topology_;
};

double Median(const RunResult& r, const std::string& site) {
  return Percentile(r.latency_by_site.at(site).commit_ms, 50);
}

TEST(LatencyFidelityTest, EpaxosAtZeroAndFullConflictMatchesTheModel) {
  const WanModel model;
  const RunResult calm = RunWan("epaxos", 0.0);
  const RunResult hot = RunWan("epaxos", 1.0);
  for (const std::string& site : model.sites()) {
    EXPECT_NEAR(Median(calm, site), model.EpaxosFast(site),
                0.10 * model.EpaxosFast(site))
        << site;
    EXPECT_NEAR(Median(hot, site), model.EpaxosSlow(site),
                0.10 * model.EpaxosSlow(site))
        << site;
    const double ratio = Median(hot, site) / Median(calm, site);
    EXPECT_GT(ratio, 1.8) << site;
    EXPECT_LT(ratio, 2.2) << site;
  }
}

TEST(LatencyFidelityTest, EpaxosStarMatchesEpaxosWithoutConflicts) {
  const WanModel model;
  const RunResult calm = RunWan("epaxos-star", 0.0);
  for (const std::string& site : model.sites()) {
    EXPECT_NEAR(Median(calm, site), model.EpaxosFast(site),
                0.10 * model.EpaxosFast(site))
        << site;
  }
}

TEST(LatencyFidelityTest, MultiPaxosWithLeaderInCaliforniaMatchesTheModel) {
  const WanModel model;
  for (double conflict : {0.0, 1.0}) {
    const RunResult r = RunWan("multipaxos:leader=1", conflict);  // CA
    for (const std::string& site : model.sites()) {
      EXPECT_NEAR(Median(r, site), model.MultiPaxos(site, "CA"),
                  0.10 * model.MultiPaxos(site, "CA"))
          << site << " at " << conflict * 100 << "% conflict";
    }
  }
}

TEST(LatencyAccountingTest, EveryAnsweredRequestHasOneSamplePerSite) {
  const RunResult r = RunWan("multipaxos:leader=1", 0.0);
  size_t samples = 0;
  for (const auto& [site, s] : r.latency_by_site) {
    EXPECT_EQ(s.execute_ms.size(), 200u) << site;  // 10 clients x 20
    EXPECT_EQ(s.commit_ms.size(), s.execute_ms.size()) << site;
    for (size_t i = 0; i < s.commit_ms.size(); ++i) {
      EXPECT_GT(s.commit_ms[i], 0);
    }
    samples += s.execute_ms.size();
  }
  EXPECT_EQ(samples, static_cast<size_t>(r.completed));
  EXPECT_EQ(r.completions.size(), samples);
  for (const scenarios::Completion& c : r.completions) {
    EXPECT_LE(c.call, c.commit);
    EXPECT_LE(c.commit, c.returned);
  }
}

}  // namespace
}  // namespace epsim
