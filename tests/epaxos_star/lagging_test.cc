// docs/protocols.md I.11 "lagging processes": a process whose ballot moved
// past the deciding ballot ignores that Commit (I.6) and must recover the
// command itself.
#include "gtest/gtest.h"
#include "scenarios/scenario.h"
#include "scenarios/simulation.h"

namespace epsim {
namespace {

// Found by `epsim fuzz` (seed 97) and shrunk: r1 joins a recovery of 4.8 at
// ballot 1 without having seen its PreAccept, the recoverer crashes, and the
// coordinator's Commit(0) reaches r1 dead. The dead Commit must arm r1's
// commit timer (T2), whose recovery finds the commit (R3).
TEST(LaggingProcessTest, DeadCommitArmsRecoveryAndEveryCommandExecutes) {
  absl::StatusOr<scenarios::Scenario> s = scenarios::Scenario::Load(
      "tests/epaxos_star/data/lagging-dead-commit.json");
  ASSERT_TRUE(s.ok()) << s.status();
  absl::StatusOr<scenarios::RunResult> r = scenarios::Simulate(*s, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->checks.at("liveness"), "ok")
      << (r->violations.empty() ? "" : r->violations.front().detail);
  EXPECT_TRUE(r->ok());
  EXPECT_GT(r->coverage.at("trigger/dead-commit"), 0);
  EXPECT_EQ(r->executed, r->submitted);
}

}  // namespace
}  // namespace epsim
