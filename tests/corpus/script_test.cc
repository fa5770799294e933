// The message-level script layer (scenarios/script.h): strict reading,
// held-by-default, filters by role across protocols, and step errors that
// name the file and the step.
#include "scenarios/script.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scenarios/scenario.h"
#include "scenarios/simulation.h"
#include "tests/util/command_util.h"

namespace epsim::scenarios {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

nlohmann::json WithSteps(const std::string& steps) {
  nlohmann::json j = nlohmann::json::parse(R"({
    "topology": "epaxos-sosp13-lan",
    "replicas": [0, 1, 2]
  })");
  j["script"] = {{"steps", nlohmann::json::parse(steps)}};
  return j;
}

absl::StatusOr<RunResult> RunSteps(const std::string& steps,
                                   const std::string& protocol) {
  absl::StatusOr<Scenario> s = Scenario::FromJson(WithSteps(steps), "t.json");
  if (!s.ok()) return s.status();
  RunOptions options;
  options.protocol = protocol;
  return Simulate(*s, options);
}

std::string LoadError(const std::string& steps) {
  absl::StatusOr<Scenario> s = Scenario::FromJson(WithSteps(steps), "t.json");
  EXPECT_FALSE(s.ok());
  return s.ok() ? "" : std::string(s.status().message());
}

constexpr char kSubmit[] =
    R"({"submit": {"replica": 0, "op": "put", "key": "x", "value": "1"}})";

TEST(ScriptTest, EverythingNotMentionedIsHeld) {
  for (const char* protocol : {"epaxos", "epaxos-star"}) {
    absl::StatusOr<RunResult> r =
        RunSteps(std::string("[") + kSubmit + "]", protocol);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->submitted, 1) << protocol;
    EXPECT_EQ(r->committed, 0) << protocol << ": a PreAccept was delivered";
    EXPECT_EQ(r->checks.at("liveness"), "not-judged");
  }
}

TEST(ScriptTest, RunTheRestCommitsEverywhere) {
  for (const char* mode : {"quiescent", "timed"}) {
    for (const char* protocol : {"epaxos", "epaxos-star"}) {
      absl::StatusOr<RunResult> r =
          RunSteps(std::string("[") + kSubmit + R"(, {"run": {"mode": ")" +
                       mode + R"("}}])",
                   protocol);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->committed, 1) << protocol << " " << mode;
      EXPECT_EQ(r->completed, 1) << protocol << " " << mode;
      EXPECT_EQ(r->checks.at("liveness"), "ok");
      EXPECT_TRUE(r->ok());
    }
  }
}

TEST(ScriptTest, RoleFiltersDriveBothProtocols) {
  // Written with EPaxos's names; EPaxos* answers PreAcceptOK, which has the
  // same role as PreAcceptReply. With e = 1 and n = 3 both fast-commit once
  // the coordinator has one matching reply.
  const std::string steps = std::string("[") + kSubmit + R"(,
    {"deliver": {"type": "PreAccept", "from": 0, "to": 1, "command": "c1"}},
    {"deliver": {"type": "PreAcceptReply", "from": 1, "to": 0}},
    {"deliver_all": {"role": "commit", "from": 0}}])";
  for (const char* protocol : {"epaxos", "epaxos-star"}) {
    absl::StatusOr<RunResult> r = RunSteps(steps, protocol);
    ASSERT_TRUE(r.ok()) << protocol << ": " << r.status();
    EXPECT_EQ(r->committed, 1) << protocol;
  }
}

TEST(ScriptTest, LostMessagesNeverArrive) {
  const std::string steps = std::string("[") + kSubmit + R"(,
    {"lose": {"role": "phase-1", "from": 0}},
    {"deliver": {"role": "phase-1", "from": 0}, "optional": true}])";
  absl::StatusOr<RunResult> r = RunSteps(steps, "epaxos-star");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->committed, 0);
}

TEST(ScriptTest, AStepThatMatchesNothingNamesTheStep) {
  const std::string steps = std::string("[") + kSubmit + R"(,
    {"deliver": {"role": "accept", "from": 0}}])";
  absl::StatusOr<RunResult> r = RunSteps(steps, "epaxos-star");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(
      std::string(r.status().message()),
      AllOf(HasSubstr("t.json"), HasSubstr("script.steps[1]"),
            HasSubstr("no pending message matches"), HasSubstr("role accept")));
}

TEST(ScriptTest, OptionalStepsMayMatchNothingForTheNamedProtocols) {
  const std::string steps = std::string("[") + kSubmit + R"(,
    {"deliver": {"role": "accept"}, "optional": ["epaxos-star"]}])";
  EXPECT_TRUE(RunSteps(steps, "epaxos-star").ok());
  EXPECT_FALSE(RunSteps(steps, "epaxos").ok());
}

TEST(ScriptTest, OnlyStepsAreSkippedForOtherProtocols) {
  const std::string steps = std::string("[") + kSubmit + R"(,
    {"deliver": {"role": "accept"}, "only": ["epaxos:ballots=split"]}])";
  EXPECT_TRUE(RunSteps(steps, "epaxos").ok());  // ballots=single
  EXPECT_FALSE(RunSteps(steps, "epaxos:ballots=split").ok());
}

TEST(ScriptTest, MalformedScriptsAreRefusedAtLoadNamingTheStep) {
  EXPECT_THAT(LoadError(R"([{"deliverr": {}}])"),
              AllOf(HasSubstr("t.json: script.steps[0]"),
                    HasSubstr("exactly one of submit")));
  EXPECT_THAT(
      LoadError(std::string("[") + kSubmit +
                R"(, {"deliver": {"command": "c9"}}])"),
      AllOf(HasSubstr("script.steps[1].deliver.command"), HasSubstr("(c1)")));
  EXPECT_THAT(LoadError(R"([{"crash": {"replica": 3}}])"),
              HasSubstr("script.steps[0].crash.replica: expected an integer "
                        "in [0, 2]"));
  EXPECT_THAT(LoadError(std::string("[") + kSubmit +
                        R"(, {"deliver": {"role": "prepare"}}])"),
              HasSubstr("script.steps[1].deliver.role"));
  EXPECT_THAT(LoadError(std::string("[") + kSubmit +
                        R"(, {"deliver": {"ballot": [1, 7]}}])"),
              HasSubstr("script.steps[1].deliver.ballot"));
  EXPECT_THAT(LoadError(R"([{"run": {"mode": "fast"}}])"),
              HasSubstr("script.steps[0].run.mode"));
  EXPECT_THAT(LoadError("[]"), HasSubstr("script.steps"));
}

TEST(ScriptTest, BadExpectationsAreRefused) {
  nlohmann::json j = WithSteps(std::string("[") + kSubmit + "]");
  j["expect"] = {{"class", "safety"}, {"epaxos", "two words"}};
  absl::StatusOr<Scenario> s = Scenario::FromJson(j, "t.json");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("expect.epaxos"));
}

TEST(ScriptTest, RoleTablesAndBallots) {
  EXPECT_EQ(RoleOf("epaxos", "PrepareReply"), MessageRole::kRecoveryReply);
  EXPECT_EQ(RoleOf("epaxos-star", "RecoverOK"), MessageRole::kRecoveryReply);
  EXPECT_EQ(RoleOf("epaxos-star", "Prepare"), std::nullopt);
  EXPECT_EQ(RoleOf("epaxos", "CommitShort"), MessageRole::kCommit);
  EXPECT_EQ(EncodeBallot("epaxos", 2, 1, 3), (uint64_t{2} << 8) | 1);
  EXPECT_EQ(EncodeBallot("epaxos-star", 1, 2, 3), 3u);  // p2 owns 3, 6, ...
  EXPECT_EQ(EncodeBallot("epaxos-star", 2, 2, 3), 6u);
  EXPECT_EQ(EncodeBallot("epaxos", 0, 2, 3), 0u);
}

TEST(ScriptTest, EpsimRunExitsTwoOnAStepThatCannotBeDone) {
  const testing_util::CommandResult r =
      testing_util::RunEpsim("run tests/corpus/data/unmatched-step.json");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("script.steps[1]"));
}

}  // namespace
}  // namespace epsim::scenarios
