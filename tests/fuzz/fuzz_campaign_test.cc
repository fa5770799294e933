// `epsim fuzz`, `epsim shrink`, `epsim merge` end to end: results independent
// of the job count and of sharding (through GNU parallel), the EPaxos* smoke,
// a violation of EPaxos with one ballot variable that replays exactly and
// shrinks to the same check, and bad input.
//
// Naming convention: a test whose name contains "Slow" takes more than a few
// seconds; `ctest -E Slow` (or --gtest_filter=-*Slow*) skips them.
#include "fuzz/fuzz_campaign.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "fuzz/fuzz_plan.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/util/command_util.h"

namespace epsim::fuzz {
namespace {

using ::testing::HasSubstr;
using testing_util::CommandResult;
using testing_util::RunEpsim;

// The EPaxos variant with Sutra's single-ballot flaw (docs/bug-corpus.md 3.1).
constexpr char kSingleBallot[] = "epaxos:ballots=single";

// Runs a shell command; its output goes to `log`.
int Shell(const std::string& command, const std::string& log) {
  const int status = std::system((command + " > " + log + " 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Contents(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string FreshDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/fuzz_test_" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

nlohmann::json WithoutTiming(nlohmann::json j) {
  j.erase("elapsed_s");
  j.erase("seeds_per_second");
  return j;
}

nlohmann::json ParseJson(const std::string& text) {
  return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

TEST(FuzzCampaignTest, SameResultsWhateverTheJobCount) {
  FuzzConfig config;
  config.base = DefaultFuzzBase();
  config.base_name = "built-in";
  config.vary_replicas = true;
  config.protocol = kSingleBallot;
  config.first_seed = 122;
  config.last_seed = 131;
  config.shrink = false;
  config.out_dir = FreshDir("jobs");
  config.jobs = 1;
  absl::StatusOr<FuzzSummary> one = RunFuzz(config);
  ASSERT_TRUE(one.ok()) << one.status();
  config.jobs = 2;
  absl::StatusOr<FuzzSummary> two = RunFuzz(config);
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(one->seeds, 10);
  // Something to compare: seed 126 breaks agreement.
  EXPECT_FALSE(one->findings.empty());
  EXPECT_EQ(WithoutTiming(one->ToJson()), WithoutTiming(two->ToJson()));
}

TEST(FuzzCampaignTest, ShardsThroughGnuParallelMergeToTheUnshardedResult) {
  const std::string dir = FreshDir("shards");
  std::filesystem::create_directories(dir);
  if (Shell("parallel --version", dir + "/version.log") != 0) {
    GTEST_SKIP() << "GNU parallel is not installed (scripts/setup.sh)";
  }
  const std::string common = std::string(" fuzz --protocol ") + kSingleBallot +
                             " --seeds 122:131 --no-shrink --quiet --jobs 1";
  const CommandResult whole =
      RunEpsim(common + " --json --out " + dir + "/whole");
  ASSERT_NE(whole.exit_code, 2) << whole.out;
  const nlohmann::json expected = ParseJson(whole.out);
  ASSERT_FALSE(expected.is_discarded()) << whole.out;
  // The same out folder, so the violation files have the same paths.
  std::filesystem::remove_all(dir + "/whole");
  Shell("parallel --will-cite " + std::string(EPSIM_BINARY) + common +
            " --shard {}/2 --out " + dir + "/whole ::: 0 1",
        dir + "/parallel.log");
  ASSERT_TRUE(std::filesystem::exists(dir + "/whole/shard-0-of-2.json"))
      << Contents(dir + "/parallel.log");
  ASSERT_TRUE(std::filesystem::exists(dir + "/whole/shard-1-of-2.json"))
      << Contents(dir + "/parallel.log");
  const CommandResult merged = RunEpsim("merge " + dir + "/whole --json");
  EXPECT_EQ(merged.exit_code, whole.exit_code) << merged.out;
  const nlohmann::json actual = ParseJson(merged.out);
  ASSERT_FALSE(actual.is_discarded()) << merged.out;
  EXPECT_EQ(WithoutTiming(actual), WithoutTiming(expected));
}

TEST(FuzzCampaignTest, MergeRefusesAMissingOrForeignShard) {
  const std::string dir = FreshDir("merge_bad");
  const std::string common = std::string(" fuzz --protocol epaxos-star") +
                             " --seeds 1:4 --no-shrink --quiet --jobs 1";
  ASSERT_EQ(RunEpsim(common + " --shard 0/2 --out " + dir + "/a").exit_code, 0);
  CommandResult r = RunEpsim("merge " + dir + "/a");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.out, HasSubstr("shard 1/2 missing"));

  ASSERT_EQ(RunEpsim(common + " --shard 1/2 --model any --out " + dir + "/b")
                .exit_code,
            0);
  r = RunEpsim("merge " + dir + "/a " + dir + "/b");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.out, HasSubstr("model"));

  std::ofstream(dir + "/c.json") << R"({"protocol": 3})";
  r = RunEpsim("merge " + dir + "/c.json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.out, HasSubstr("c.json"));
  EXPECT_THAT(r.out, HasSubstr("protocol"));
}

TEST(FuzzCampaignTest, EpaxosStarSmokeFindsNoViolation) {
  const std::string dir = FreshDir("star");
  const CommandResult r = RunEpsim(
      "fuzz --protocol epaxos-star --seeds 1:50 --quiet --json --out " + dir);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = ParseJson(r.out);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["seeds"], 50);
  EXPECT_EQ(j["violations"], 0) << j["findings"].dump(2);
  for (const char* key : {"seeds", "violations", "by_check", "seeds_per_second",
                          "files", "coverage"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
}

// Seed 126 of the built-in base breaks agreement of EPaxos with one ballot
// variable (found by `epsim fuzz --seeds 1:400`, see the Slow test below).
TEST(FuzzCampaignTest, ViolationFileReplaysExactlyAndShrinksToTheSameCheck) {
  const std::string dir = FreshDir("single");
  const CommandResult r =
      RunEpsim(std::string("fuzz --protocol ") + kSingleBallot +
               " --seeds 126:126 --quiet --json "
               "--shrink-runs 200 --out " +
               dir);
  ASSERT_EQ(r.exit_code, 1) << r.out;
  const nlohmann::json j = ParseJson(r.out);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  ASSERT_EQ(j["findings"].size(), 1u);
  const nlohmann::json& finding = j["findings"][0];
  const std::string check = finding["check"];
  EXPECT_EQ(check, "agreement");
  const std::string file = finding["file"];

  // The file reproduces the run: same trace hash, same failing check, and
  // it says what it expects.
  const CommandResult hash = RunEpsim("run " + file + " --trace-hash");
  EXPECT_EQ(hash.out, finding["trace_hash"].get<std::string>() + "\n");
  const CommandResult run = RunEpsim("run " + file + " --json");
  EXPECT_EQ(run.exit_code, 1);
  const nlohmann::json run_json = ParseJson(run.out);
  ASSERT_FALSE(run_json.is_discarded()) << run.out;
  EXPECT_EQ(run_json["checks"][check], "violation");
  std::ifstream in(file);
  const nlohmann::json scenario = nlohmann::json::parse(in);
  EXPECT_EQ(scenario["seed"], 126);
  EXPECT_EQ(scenario["expect"][scenario["protocol"].get<std::string>()], check);

  // Shrunk by fuzz: smaller, and still the same check.
  const std::string shrunk = finding["shrunk_file"];
  ASSERT_FALSE(shrunk.empty()) << finding.dump(2);
  std::ifstream shrunk_in(shrunk);
  const nlohmann::json minimal = nlohmann::json::parse(shrunk_in);
  EXPECT_LT(minimal["faults"].size(), scenario["faults"].size());
  const CommandResult rerun = RunEpsim("run " + shrunk + " --json");
  EXPECT_EQ(rerun.exit_code, 1);
  EXPECT_EQ(ParseJson(rerun.out)["checks"][check], "violation");

  // `epsim shrink` on the shrunk file: nothing more to remove.
  const CommandResult again =
      RunEpsim("shrink " + shrunk + " --quiet --out " + dir + "/again.json");
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_THAT(again.out, HasSubstr("(" + check + " with "));
  std::ifstream again_in(dir + "/again.json");
  const nlohmann::json twice = nlohmann::json::parse(again_in);
  EXPECT_EQ(twice["faults"], minimal["faults"]);
}

TEST(FuzzCampaignTest, ShrinkRefusesAScenarioThatPasses) {
  const std::string dir = FreshDir("shrink_ok");
  const CommandResult r = RunEpsim(
      "shrink scenarios/lan3-partition.json --out " + dir + "/x.json --quiet");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.out, HasSubstr("nothing to shrink"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/x.json"));
}

TEST(FuzzCampaignTest, TimeLimitStopsStartingSeeds) {
  const std::string dir = FreshDir("time");
  const CommandResult r = RunEpsim(
      "fuzz --protocol epaxos-star --seeds 1:100000 --time-limit 1 --quiet "
      "--no-shrink --json --out " +
      dir);
  EXPECT_NE(r.exit_code, 2) << r.out;
  const nlohmann::json j = ParseJson(r.out);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_TRUE(j["time_limited"].get<bool>());
  EXPECT_LT(j["seeds"].get<int64_t>(), 100000);
}

TEST(FuzzCampaignTest, WriteCasesWritesEverySeedAsARunnableScenario) {
  const std::string dir = FreshDir("cases");
  const CommandResult r = RunEpsim(
      "fuzz --protocol epaxos-star --seeds 5:7 --quiet --write-cases --out " +
      dir);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  for (int seed = 5; seed <= 7; ++seed) {
    const std::string file =
        dir + "/cases/epaxos-star-seed-" + std::to_string(seed) + ".json";
    ASSERT_TRUE(std::filesystem::exists(file)) << file;
    const CommandResult run = RunEpsim("run " + file + " --quiet");
    EXPECT_EQ(run.exit_code, 0) << run.out;
  }
}

TEST(FuzzCampaignTest, BadFlagsExitTwoAndWriteNothing) {
  const std::string dir = FreshDir("bad");
  for (const std::string flags :
       {"--seeds 5:1", "--seeds x", "--shard 2/2", "--shard 1", "--model foo",
        "--protocol nosuch", "--protocol epaxos-star:f=9"}) {
    const CommandResult r = RunEpsim("fuzz " + flags + " --out " + dir);
    EXPECT_EQ(r.exit_code, 2) << flags << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr(flags.substr(2, flags.find(' ') - 2)))
        << flags;
    EXPECT_FALSE(std::filesystem::exists(dir)) << flags;
  }
}

// Measured: seeds 1:400 give agreement violations at seeds 101, 116, 126
// and 224. The range has a margin over the first.
TEST(FuzzCampaignTest, EpaxosSingleBallotBreaksAgreementWithin250Seeds) {
  const std::string dir = FreshDir("slow");
  const CommandResult r =
      RunEpsim(std::string("fuzz --protocol ") + kSingleBallot +
               " --seeds 1:250 --no-shrink --quiet --json "
               "--jobs 2 --out " +
               dir);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  const nlohmann::json j = ParseJson(r.out);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_GE(j["by_check"].value("agreement", 0), 1) << j["by_check"].dump();
}

}  // namespace
}  // namespace epsim::fuzz
