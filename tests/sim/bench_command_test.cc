// `epsim bench`: flags and the JSON reports (world and protocol).
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/util/command_util.h"

namespace epsim {
namespace {

using ::testing::HasSubstr;
using testing_util::RunEpsim;

TEST(BenchCommandTest, RejectsBadArguments) {
  auto r = RunEpsim("bench --repetitions 0");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("--repetitions"));
  r = RunEpsim("bench frobnicate");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("frobnicate"));
  r = RunEpsim("bench check --protocol epaxos");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  r = RunEpsim("bench --commands-per-client 10");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("--commands-per-client needs --protocol"));
  for (const char* bad : {"-3", "0"}) {
    r = RunEpsim(
        std::string("bench --protocol epaxos-star --commands-per-client ") +
        bad);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_THAT(r.out, HasSubstr("--commands-per-client: expected a positive"));
  }
  r = RunEpsim("bench --protocol epaxos-star --conflict -1");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("--conflict: expected a rate"));
}

TEST(BenchCommandTest, ProtocolRunsAsManyCommandsAsAsked) {
  const auto r = RunEpsim(
      "bench --protocol epaxos-star --conflict 0.25 --commands-per-client 20 "
      "--repetitions 1 --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("commands_per_client"), 20);
  ASSERT_EQ(j.at("runs").size(), 1u);
  const auto& run = j.at("runs")[0];
  EXPECT_EQ(run.at("conflict"), 0.25);
  EXPECT_EQ(run.at("commits"), 50 * 20);  // 50 clients, every command
  EXPECT_GT(run.at("messages").get<int64_t>(),
            run.at("commits").get<int64_t>());
  EXPECT_GT(run.at("cpu_cost_per_event_vs_bare_loop").get<double>(), 0);
}

TEST(BenchCommandTest, WorldReportIsOneJsonObject) {
  const auto r = RunEpsim("bench --repetitions 1 --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("bench"), "world");
  ASSERT_EQ(j.at("results").size(), 2u);
  for (const auto& result : j.at("results")) {
    EXPECT_GT(result.at("events_per_second_median").get<double>(), 0);
    EXPECT_TRUE(result.at("deterministic").get<bool>());
  }
}

}  // namespace
}  // namespace epsim
