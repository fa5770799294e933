// `epsim run`: exit codes, --json keys, --out, and bad input.
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/util/command_util.h"

namespace epsim {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing_util::RunEpsim;

TEST(RunCommandTest, JsonHasTheDocumentedKeys) {
  const auto r = RunEpsim("run scenarios/lan3-partition.json --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  for (const char* key : {"protocol", "seed", "trace_hash", "commands",
                          "recoveries", "latency_ms", "checks", "violations"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  for (const char* key : {"submitted", "committed", "executed", "fast", "slow",
                          "recovered", "nop"}) {
    EXPECT_TRUE(j["commands"].contains(key)) << key;
  }
  EXPECT_EQ(j["commands"]["submitted"], j["commands"]["executed"]);
  for (const auto& [check, verdict] : j["checks"].items()) {
    EXPECT_EQ(verdict, "ok") << check;
  }
}

TEST(RunCommandTest, JsonCoverageCountsTheRunsBranches) {
  // wan5-crash crashes a replica whose commands the others recover.
  const auto r = RunEpsim("run scenarios/wan5-crash.json --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j["coverage"].is_object());
  EXPECT_GT(j["coverage"]["fast-path"].get<int64_t>(), 0);
  EXPECT_EQ(j["coverage"]["recovery/started"], j["recoveries"]["started"]);
  // Every branch of the protocol is listed, those never run with 0.
  ASSERT_TRUE(j["coverage"].contains("wait/W3"));
}

TEST(RunCommandTest, OutWritesAHistoryThatChecksOffline) {
  const std::string dir = ::testing::TempDir() + "/run_out";
  std::filesystem::remove_all(dir);
  const auto r =
      RunEpsim("run scenarios/lan3-partition.json --quiet --out " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  ASSERT_TRUE(std::filesystem::exists(dir + "/history.json"));
  const auto check = RunEpsim("check " + dir + "/history.json --json");
  EXPECT_EQ(check.exit_code, 0) << check.out;
  EXPECT_THAT(check.out, HasSubstr("\"linearizable\""));
}

TEST(RunCommandTest, BadScenarioExitsTwoNamingTheFieldAndWritesNothing) {
  const std::string dir = ::testing::TempDir() + "/bad_run";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/bad.json";
  std::ofstream(path) << R"({"topology": "lan", "replicas": [0, 1, 9]})";
  const auto r = RunEpsim("run " + path + " --out " + dir + "/out");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.out, AllOf(HasSubstr("bad.json"), HasSubstr("replicas[2]")));
  EXPECT_FALSE(std::filesystem::exists(dir + "/out/history.json"));
}

TEST(RunCommandTest, InvalidProtocolParametersAreRefusedWithTheRule) {
  const auto r = RunEpsim(
      "run scenarios/lan3-partition.json --protocol epaxos-star:f=1,e=2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.out, HasSubstr("e"));
}

TEST(RunCommandTest, UnknownSubcommandAndFlagExitTwo) {
  EXPECT_EQ(RunEpsim("frobnicate").exit_code, 2);
  EXPECT_EQ(RunEpsim("run scenarios/lan3-partition.json --frob").exit_code, 2);
  EXPECT_EQ(RunEpsim("run --help").exit_code, 0);
}

// checks.max_events: a run over its event budget stops and fails "budget";
// the same run with room to finish passes every check.
TEST(RunCommandTest, EventBudgetStopsARunThatDoesNotSettle) {
  const std::string dir = ::testing::TempDir() + "/budget";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ifstream in("scenarios/lan3-partition.json");
  nlohmann::json scenario = nlohmann::json::parse(in);
  scenario["checks"]["max_events"] = 200;
  std::ofstream(dir + "/tight.json") << scenario.dump();
  scenario["checks"]["max_events"] = 100000000;
  std::ofstream(dir + "/roomy.json") << scenario.dump();

  const auto tight = RunEpsim("run " + dir + "/tight.json --json");
  EXPECT_EQ(tight.exit_code, 1) << tight.out;
  const nlohmann::json j = nlohmann::json::parse(tight.out);
  EXPECT_EQ(j["checks"]["budget"], "violation");
  EXPECT_THAT(j["violations"][0]["detail"].get<std::string>(),
              HasSubstr("after 200 events"));
  // Judging liveness on a truncated run would be meaningless.
  EXPECT_FALSE(j["checks"].contains("liveness") &&
               j["checks"]["liveness"] == "violation");

  const auto roomy = RunEpsim("run " + dir + "/roomy.json --json");
  EXPECT_EQ(roomy.exit_code, 0) << roomy.out;
}

}  // namespace
}  // namespace epsim
