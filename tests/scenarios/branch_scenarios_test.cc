// The regression set of EPaxos*'s coverage branches (scenarios/branches):
// every scenario runs with every check ok, and together they reach every
// branch of the protocol's coverage list except the ones named below, so a
// new branch cannot land without a scenario that reaches it.
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

// Not reached by any scenario yet (docs/branches.md says why, and what
// configuration each needs). Shrinking this list is the work left; the test
// fails when a listed branch becomes reached, so the list stays true.
const absl::btree_set<std::string> kNotYetReached = {
    "validate/after-commit",
    "validate/committed-conflict-nop",
    "validate/tight-rmax-nop",
    "wait/W1",
    "wait/W3",
};

TEST(BranchScenariosTest, EveryEpaxosStarBranchHasAScenario) {
  std::vector<std::string> files;
  for (const auto& entry :
       std::filesystem::directory_iterator("scenarios/branches/epaxos-star")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  // The shipped partition scenario reaches the commit-timeout triggers.
  files.push_back("scenarios/lan3-partition.json");

  absl::btree_map<std::string, int64_t> reached;
  std::vector<std::string> branches;
  for (const std::string& file : files) {
    absl::StatusOr<Scenario> scenario = Scenario::Load(file);
    ASSERT_TRUE(scenario.ok()) << scenario.status();
    RunOptions options;
    options.protocol = "epaxos-star";
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
  EXPECT_THAT(missing, ::testing::ContainerEq(kNotYetReached));
}

}  // namespace
}  // namespace epsim::scenarios
