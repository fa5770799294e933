// `epsim replay` and `epsim compare` on the corpus, through the binary.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/util/command_util.h"

namespace epsim {
namespace {

using ::testing::HasSubstr;
using testing_util::RunEpsim;

TEST(ReplayCommandTest, PrintsTheCounterexampleStepByStep) {
  const testing_util::CommandResult r = RunEpsim(
      "replay scenarios/bugs/spec-single-ballot.json --protocol "
      "epaxos:ballots=single,recovery=simple,thrifty=true,"
      "thrifty_peers=0:2,1:0,2:1");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  // Script steps, deliveries, state changes, then the verdicts.
  EXPECT_THAT(r.out, HasSubstr("step 20: deliver {type AcceptReply, from 2"));
  EXPECT_THAT(r.out, HasSubstr("r0 -> r1: AcceptReply 0.1"));
  EXPECT_THAT(r.out, HasSubstr("r1: r1 0.1 commit (recovery)"));
  EXPECT_THAT(r.out, HasSubstr("VIOLATION agreement"));
}

TEST(ReplayCommandTest, EpaxosStarHoldsOnTheSameScript) {
  const testing_util::CommandResult r = RunEpsim(
      "replay scenarios/bugs/spec-single-ballot.json --protocol epaxos-star");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("(optional, nothing done"));
  EXPECT_THAT(r.out, HasSubstr("agreement=ok"));
}

TEST(CompareCommandTest, TheCorpusGivesWhatItsFilesExpect) {
  const testing_util::CommandResult r =
      RunEpsim("compare scenarios/bugs --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json rows = nlohmann::json::parse(r.out);
  ASSERT_TRUE(rows.is_array());
  EXPECT_GE(rows.size(), 9u);
  for (const nlohmann::json& row : rows) {
    // "actual" lists every check that failed, joined by '+'.
    for (const auto& [protocol, expected] : row["expected"].items()) {
      const std::string actual = row["actual"][protocol];
      if (expected == "ok") {
        EXPECT_EQ(actual, "ok") << row.dump();
      } else {
        EXPECT_THAT("+" + actual + "+",
                    HasSubstr("+" + expected.get<std::string>() + "+"))
            << row.dump();
      }
    }
    EXPECT_EQ(row["actual"]["epaxos-star"], "ok") << row.dump();
  }
}

TEST(CompareCommandTest, ADifferentOutcomeExitsOne) {
  const testing_util::CommandResult r =
      RunEpsim("compare tests/corpus/data/wrong-expectation.json");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("ok!"));
  EXPECT_THAT(r.out, HasSubstr("expected agreement, got ok"));
}

TEST(CompareCommandTest, BadInputExitsTwo) {
  EXPECT_EQ(RunEpsim("compare no/such/dir").exit_code, 2);
  // A script step that cannot be done is a scenario error, not a verdict.
  const testing_util::CommandResult r =
      RunEpsim("compare tests/corpus/data/unmatched-step.json");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("script.steps[1]"));
}

}  // namespace
}  // namespace epsim
