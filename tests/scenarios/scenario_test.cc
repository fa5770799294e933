// The scenario loader: shipped scenarios load; malformed ones are refused
// with the file, the field's path and what was expected.
#include "scenarios/scenario.h"

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace epsim::scenarios {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

nlohmann::json Minimal() {
  return nlohmann::json::parse(R"({
    "topology": "epaxos-sosp13-5site",
    "replicas": ["VA", "CA", "OR"],
    "workload": {"clients_per_site": 2, "commands_per_client": 3}
  })");
}

std::string ErrorOf(const nlohmann::json& j) {
  absl::StatusOr<Scenario> s = Scenario::FromJson(j, "bad.json");
  EXPECT_FALSE(s.ok());
  return s.ok() ? "" : std::string(s.status().message());
}

TEST(ScenarioTest, ShippedScenariosLoad) {
  for (const char* name :
       {"wan5-calm", "wan5-conflict", "wan5-crash", "lan3-partition"}) {
    absl::StatusOr<Scenario> s =
        Scenario::Load(std::string("scenarios/") + name + ".json");
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->name, name);
    EXPECT_GE(s->replica_sites.size(), 3u);
  }
}

TEST(ScenarioTest, MinimalScenarioGetsDefaults) {
  absl::StatusOr<Scenario> s = Scenario::FromJson(Minimal(), "m.json");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->protocol, "epaxos-star");
  EXPECT_EQ(s->replica_sites, (std::vector<int>{0, 1, 2}));
  // Clients default to the replicas' sites.
  EXPECT_EQ(s->workload.client_sites, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(s->network.link_kind, sim::LinkKind::kReliable);
}

TEST(ScenarioTest, RoundTripsThroughJson) {
  nlohmann::json j = Minimal();
  j["faults"] = nlohmann::json::parse(
      R"([{"at_ms": 5, "fault": "partition", "groups": [[0], [1, 2]]},
          {"at_ms": 9, "fault": "heal"},
          {"at_ms": 1, "fault": "crash", "replica": 2},
          {"at_ms": 3, "fault": "jitter", "jitter": {"dist": "pareto", "a": 1, "b": 2.5}}])");
  absl::StatusOr<Scenario> s = Scenario::FromJson(j, "m.json");
  ASSERT_TRUE(s.ok()) << s.status();
  // Faults are sorted by time.
  EXPECT_EQ(s->faults.front().kind, FaultEvent::Kind::kCrash);
  absl::StatusOr<Scenario> again = Scenario::FromJson(s->ToJson(), "m.json");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->ToJson(), s->ToJson());
}

TEST(ScenarioTest, UnknownFieldIsNamed) {
  nlohmann::json j = Minimal();
  j["workload"]["clinets_per_site"] = 3;
  EXPECT_THAT(ErrorOf(j), AllOf(HasSubstr("bad.json"),
                                HasSubstr("workload.clinets_per_site"),
                                HasSubstr("unknown field")));
}

TEST(ScenarioTest, WrongTypeIsNamedWithExpectation) {
  nlohmann::json j = Minimal();
  j["workload"]["conflict"] = "high";
  EXPECT_THAT(ErrorOf(j), AllOf(HasSubstr("workload.conflict"),
                                HasSubstr("expected a number in [0, 1]"),
                                HasSubstr("\"high\"")));
}

TEST(ScenarioTest, UnknownSiteIsNamed) {
  nlohmann::json j = Minimal();
  j["replicas"][1] = "MARS";
  EXPECT_THAT(ErrorOf(j),
              AllOf(HasSubstr("replicas[1]"), HasSubstr("VA, CA, OR, JP, EU"),
                    HasSubstr("MARS")));
}

TEST(ScenarioTest, FaultOnUnknownReplicaIsNamed) {
  nlohmann::json j = Minimal();
  j["faults"] = nlohmann::json::parse(
      R"([{"at_ms": 1, "fault": "crash", "replica": 7}])");
  EXPECT_THAT(ErrorOf(j), AllOf(HasSubstr("faults[0].replica"),
                                HasSubstr("an integer in [0, 2]")));
}

TEST(ScenarioTest, UnknownFaultKindListsKinds) {
  nlohmann::json j = Minimal();
  j["faults"] = nlohmann::json::parse(R"([{"at_ms": 1, "fault": "meteor"}])");
  EXPECT_THAT(ErrorOf(j), AllOf(HasSubstr("faults[0].fault"),
                                HasSubstr("crash"), HasSubstr("partition")));
}

TEST(ScenarioTest, MissingRequiredFieldIsNamed) {
  nlohmann::json j = Minimal();
  j.erase("replicas");
  EXPECT_THAT(ErrorOf(j), AllOf(HasSubstr("replicas"), HasSubstr("missing")));
}

TEST(ScenarioTest, MalformedInlineTopologyIsNamed) {
  nlohmann::json j = Minimal();
  j["topology"] = nlohmann::json::parse(
      R"({"name": "t", "sites": ["a", "b"], "rtt_ms": [[0, 1], [1]]})");
  j["replicas"] = {"a", "b"};
  EXPECT_THAT(ErrorOf(j),
              AllOf(HasSubstr("bad.json: topology"), HasSubstr("rtt_ms")));
}

TEST(ScenarioTest, UnknownTopologyNameListsKnownOnes) {
  nlohmann::json j = Minimal();
  j["topology"] = "atlantis";
  EXPECT_THAT(ErrorOf(j),
              AllOf(HasSubstr("atlantis"), HasSubstr("epaxos-sosp13-5site")));
}

TEST(ScenarioTest, SyntaxErrorNamesFileAndOffset) {
  const std::string path = testing::TempDir() + "/broken.json";
  std::ofstream(path) << "{\"topology\": ";
  absl::StatusOr<Scenario> s = Scenario::Load(path);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()),
              AllOf(HasSubstr("broken.json"), HasSubstr("not valid JSON")));
}

}  // namespace
}  // namespace epsim::scenarios
