// The regression sets of the protocols' coverage branches
// (scenarios/branches/<protocol>): every scenario runs with every check ok,
// and together they reach every branch of the protocol's coverage list
// except the ones named below, so a new branch cannot land without a
// scenario that reaches it.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "protocol/common/protocol.h"
#include "scenarios/scenario.h"
#include "scenarios/simulation.h"

namespace epsim::scenarios {
namespace {

// Per protocol, the branches no scenario reaches yet (docs/branches.md says
// why, and what configuration each needs). Shrinking these lists is the
// work left; the test fails when a listed branch becomes reached, so the
// lists stay true.
struct BranchSet {
  std::string protocol;  // also the folder under scenarios/branches
  std::string extra;     // a shipped scenario that reaches more, or ""
  absl::btree_set<std::string> not_yet_reached;
};

const BranchSet kEpaxosStar = {
    "epaxos-star",
    // The shipped partition scenario reaches the commit-timeout triggers.
    "scenarios/lan3-partition.json",
    {
        "validate/after-commit",
        "validate/committed-conflict-nop",
        "validate/tight-rmax-nop",
        "wait/W1",
        "wait/W3",
    },
};

// Original EPaxos breaks agreement within 8 steps of the 2-command
// configuration (docs/branches.md), and `explore --reach` stops at the
// first violation, so the branches below need longer schedules than it
// finds before that; the panic branches are violations by definition (the
// bug corpus reaches them).
const BranchSet kEpaxos = {
    "epaxos",
    // The shipped crash scenario, run on EPaxos, reaches TryPreAccept.
    "scenarios/wan5-crash.json",
    {
        "commit/conflicting-ignored",
        "commit/overwrite",
        "exec/blocked",
        "nop-commit",
        "panic/tpa-nil-instance",
        "panic/tpa-scan-index",
        "prepare/leader-early-return",
        "prepare/noop",
        "repropose",
        "slow-path/timeout",
        "tpa/conflict-committed-phase1",
        "tpa/cycle-phase1",
        "tpa/defer",
        "tpa/nack-ballot",
        "tpa/nack-self",
    },
};

void ExpectEveryBranchReached(const BranchSet& set) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(
           "scenarios/branches/" + set.protocol)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  if (!set.extra.empty()) files.push_back(set.extra);

  absl::btree_map<std::string, int64_t> reached;
  std::vector<std::string> branches;
  for (const std::string& file : files) {
    absl::StatusOr<Scenario> scenario = Scenario::Load(file);
    ASSERT_TRUE(scenario.ok()) << scenario.status();
    RunOptions options;
    options.protocol = set.protocol;
    absl::StatusOr<RunResult> run = Simulate(*scenario, options);
    ASSERT_TRUE(run.ok()) << file << ": " << run.status();
    for (const Violation& v : run->violations) {
      ADD_FAILURE() << file << ": " << v.check << ": " << v.detail;
    }
    for (const auto& [branch, count] : run->coverage) reached[branch] += count;
    branches = run->coverage_branches;
  }
  absl::btree_set<std::string> missing;
  for (const std::string& branch : branches) {
    if (reached[branch] == 0) missing.insert(branch);
  }
  EXPECT_THAT(missing, ::testing::ContainerEq(set.not_yet_reached));
}

TEST(BranchScenariosTest, EveryEpaxosStarBranchHasAScenario) {
  ExpectEveryBranchReached(kEpaxosStar);
}

TEST(BranchScenariosTest, EveryEpaxosBranchHasAScenario) {
  ExpectEveryBranchReached(kEpaxos);
}

}  // namespace
}  // namespace epsim::scenarios
