// Seeds of `epsim fuzz` (built-in base, crash-stop model) that once broke
// EPaxos*, replayed from their generated cases: every check must hold.
#include "fuzz/fuzz_plan.h"
#include "gtest/gtest.h"
#include "protocol/common/protocol.h"
#include "scenarios/simulation.h"

namespace epsim {
namespace {

// 29799, 31082, 40421, 57101: a member of Q got Validate(b) for an id that
// ballot b's recoverer had meanwhile committed (the R4 assertion of
// docs/protocols.md fired).
// 97: a lagging process never re-learnt a commit (see lagging_test.cc).
TEST(FuzzRegressionTest, OnceFailingSeedsPassEveryCheck) {
  absl::StatusOr<protocol::ProtocolSpec> spec =
      protocol::ProtocolSpec::Parse("epaxos-star");
  ASSERT_TRUE(spec.ok());
  fuzz::FuzzPlanOptions options;
  options.vary_replicas = true;
  for (uint64_t seed : {97, 29799, 31082, 40421, 57101}) {
    absl::StatusOr<fuzz::FuzzCase> fuzz_case =
        fuzz::GenerateFuzzCase(fuzz::DefaultFuzzBase(), *spec, seed, options);
    ASSERT_TRUE(fuzz_case.ok()) << fuzz_case.status();
    absl::StatusOr<scenarios::RunResult> r =
        scenarios::Simulate(fuzz_case->scenario, {});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->ok()) << "seed " << seed << ": "
                         << (r->ok() ? "" : r->violations.front().detail);
  }
}

}  // namespace
}  // namespace epsim
