// EPaxos* over many seeds in the simulated world (issue 3's property
// tests). Each seed draws its own fault plan by swarm testing
// (fuzz/fuzz_plan.h):
// - inside the model (reliable links, at most f down at once, delays,
//   duplication, partitions and cuts that heal): every check holds,
//   liveness included, so every command of a live client executes;
// - beyond it (lossy links, more than f crashes, faults that never heal):
//   safety still holds; liveness is not owed.
#include <string>

#include "absl/strings/str_cat.h"
#include "fuzz/fuzz_plan.h"
#include "gtest/gtest.h"
#include "protocol/common/protocol.h"
#include "scenarios/simulation.h"

namespace epsim {
namespace {

// Inside the model a seed takes about 10 ms; beyond it, where timers and
// retransmissions run until the deadline, up to a few seconds.
constexpr uint64_t kSeedsInsideTheModel = 300;
constexpr uint64_t kSeedsBeyondTheModel = 60;

std::string Describe(const scenarios::RunResult& r) {
  std::string out;
  for (const scenarios::Violation& v : r.violations) {
    absl::StrAppend(&out, v.check, ": ", v.detail.substr(0, 300), "\n");
  }
  return absl::StrCat(out, "replay: ", r.replay_command);
}

void RunSeeds(fuzz::FaultModel model, uint64_t seeds, bool liveness_owed) {
  const scenarios::Scenario base = fuzz::DefaultFuzzBase();
  absl::StatusOr<protocol::ProtocolSpec> spec =
      protocol::ProtocolSpec::Parse("epaxos-star");
  ASSERT_TRUE(spec.ok());
  fuzz::FuzzPlanOptions options;
  options.model = model;
  options.vary_replicas = true;
  int with_faults = 0;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    absl::StatusOr<fuzz::FuzzCase> fuzz_case =
        fuzz::GenerateFuzzCase(base, *spec, seed, options);
    ASSERT_TRUE(fuzz_case.ok()) << fuzz_case.status();
    with_faults += !fuzz_case->scenario.faults.empty();
    absl::StatusOr<scenarios::RunResult> r =
        scenarios::Simulate(fuzz_case->scenario, {});
    ASSERT_TRUE(r.ok()) << r.status();
    for (const scenarios::Violation& v : r->violations) {
      if (!liveness_owed && (v.check == "liveness" || v.check == "budget")) {
        continue;
      }
      ADD_FAILURE() << "seed " << seed << " (" << fuzz_case->scenario.protocol
                    << "): " << Describe(*r);
      break;
    }
    if (liveness_owed) {
      EXPECT_EQ(r->executed, r->submitted) << "seed " << seed;
    }
  }
  // The plans really inject faults.
  EXPECT_GT(with_faults, static_cast<int>(seeds / 2));
}

TEST(EpaxosStarPropertiesTest, InsideTheModelSafetyAndLivenessHold) {
  RunSeeds(fuzz::FaultModel::kCrashStop, kSeedsInsideTheModel,
           /*liveness_owed=*/true);
}

TEST(EpaxosStarPropertiesTest, BeyondTheModelSafetyStillHolds) {
  RunSeeds(fuzz::FaultModel::kAny, kSeedsBeyondTheModel,
           /*liveness_owed=*/false);
}

}  // namespace
}  // namespace epsim
