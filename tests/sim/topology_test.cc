#include "sim/topology.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace epsim::sim {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

const std::string kTopologyDir =
    std::string(EPSIM_SOURCE_DIR) + "/scenarios/topologies";

TEST(TopologyTest, EveryShippedTopologyLoads) {
  int loaded = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kTopologyDir)) {
    if (entry.path().extension() != ".json") continue;
    auto t = Topology::Load(entry.path().string());
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(t->name, entry.path().stem().string());
    EXPECT_EQ(t->rtt_ms.size(), t->sites.size());
    EXPECT_GT(t->MaxRttMs(), 0);
    ++loaded;
  }
  EXPECT_GE(loaded, 10);
}

TEST(TopologyTest, ReadsSitesMatrixAndSelfRtt) {
  auto t = Topology::Load(kTopologyDir + "/fantoch-aws-tempo-5.json");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->SiteCount(), 5);
  auto eu = t->SiteIndex("eu-west-1");
  ASSERT_TRUE(eu.has_value());
  ASSERT_EQ(t->site_self_rtt_ms.size(), 5u);
  EXPECT_DOUBLE_EQ(*t->site_self_rtt_ms[*eu], 0.154);
  EXPECT_FALSE(t->SiteIndex("mars").has_value());

  auto sosp = Topology::Load(kTopologyDir + "/epaxos-sosp13-3site.json");
  ASSERT_TRUE(sosp.ok());
  EXPECT_DOUBLE_EQ(sosp->rtt_ms[0][2], 156);
  EXPECT_DOUBLE_EQ(sosp->MaxRttMs(), 156);
  EXPECT_TRUE(sosp->site_self_rtt_ms.empty());
}

TEST(TopologyTest, LanIsAvailableByName) {
  auto t = Topology::Load(kTopologyDir + "/lan.json");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->name, "lan");
  EXPECT_GE(t->SiteCount(), 3);
}

TEST(TopologyTest, RoundTripsThroughJson) {
  auto t = Topology::Load(kTopologyDir + "/fantoch-aws-tempo-5.json");
  ASSERT_TRUE(t.ok());
  auto back = Topology::FromJson(t->ToJson(), "round trip");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->sites, t->sites);
  EXPECT_EQ(back->rtt_ms, t->rtt_ms);
  EXPECT_EQ(back->site_self_rtt_ms, t->site_self_rtt_ms);
}

struct BadCase {
  std::string name;
  std::string json;
  std::string field;  // expected in the message
};

class BadTopologyTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadTopologyTest, IsInvalidArgumentNamingFileAndField) {
  const BadCase& c = GetParam();
  const std::string path = ::testing::TempDir() + "/bad-" + c.name + ".json";
  {
    std::ofstream out(path);
    out << c.json;
  }
  auto t = Topology::Load(path);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(t.status().message()),
              AllOf(HasSubstr(path), HasSubstr(c.field)));
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, BadTopologyTest,
    ::testing::Values(
        BadCase{"row-too-short",
                R"({"sites": ["a", "b"], "rtt_ms": [[0, 1], [1]]})",
                "'rtt_ms[1]'"},
        BadCase{"too-few-rows", R"({"sites": ["a", "b"], "rtt_ms": [[0, 1]]})",
                "'rtt_ms'"},
        BadCase{"negative",
                R"({"sites": ["a", "b"], "rtt_ms": [[0, -3], [3, 0]]})",
                "'rtt_ms[0][1]'"},
        BadCase{"not-a-number",
                R"({"sites": ["a", "b"], "rtt_ms": [[0, "x"], [3, 0]]})",
                "'rtt_ms[0][1]'"},
        BadCase{"null-rtt",
                R"({"sites": ["a", "b"], "rtt_ms": [[0, null], [3, 0]]})",
                "'rtt_ms[0][1]'"},
        BadCase{"missing-rtt", R"({"sites": ["a", "b"]})", "'rtt_ms'"},
        BadCase{"missing-sites", R"({"rtt_ms": [[0]]})", "'sites'"},
        BadCase{"duplicate-site",
                R"({"sites": ["a", "a"], "rtt_ms": [[0, 1], [1, 0]]})",
                "'sites[1]'"},
        BadCase{"unknown-site-self-rtt",
                R"({"sites": ["a"], "rtt_ms": [[0]],
                    "self_rtt_ms": {"zz": 0.1}})",
                "'self_rtt_ms.zz'"},
        BadCase{"unknown-site-label",
                R"({"sites": ["a"], "rtt_ms": [[0]],
                    "site_labels": {"zz": "somewhere"}})",
                "'site_labels.zz'"},
        BadCase{"wrong-unit",
                R"({"unit": "s", "sites": ["a"], "rtt_ms": [[0]]})", "'unit'"},
        BadCase{"not-json", R"({"sites": )", "not valid JSON"}),
    [](const ::testing::TestParamInfo<BadCase>& info) {
      std::string name = info.param.name;
      for (char& c : name) {
        if (c == '-') c = '_';
      }
      return name;
    });

TEST(TopologyTest, MissingFileIsNotFound) {
  auto t = Topology::Load("/nonexistent/topology.json");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(t.status().message()),
              HasSubstr("/nonexistent/topology.json"));
}

TEST(TopologyTest, EmbeddedOriginAppearsInErrors) {
  auto t = Topology::FromJson(nlohmann::json::parse(R"({"sites": ["a"]})"),
                              "scenario.json: topology");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()),
              HasSubstr("scenario.json: topology: field 'rtt_ms'"));
}

}  // namespace
}  // namespace epsim::sim
