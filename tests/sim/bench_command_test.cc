// `epsim bench` (the world part): flags and the JSON report.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/harness/command_util.h"

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
