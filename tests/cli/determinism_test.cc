// Determinism is the product: a run is a pure function of (scenario, seed,
// code). Same seed, same trace hash, in one process and across processes;
// another seed, another hash.
#include <filesystem>
#include <fstream>

#include "base/check.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scenarios/scenario.h"
#include "scenarios/simulation.h"
#include "tests/util/command_util.h"

namespace epsim {
namespace {

using testing_util::RunEpsim;

scenarios::Scenario Load(const std::string& path) {
  absl::StatusOr<scenarios::Scenario> s = scenarios::Scenario::Load(path);
  EPSIM_CHECK(s.ok()) << s.status();
  return *std::move(s);
}

uint64_t HashOf(const scenarios::Scenario& s, uint64_t seed) {
  scenarios::RunOptions options;
  options.seed = seed;
  absl::StatusOr<scenarios::RunResult> r = scenarios::Simulate(s, options);
  EPSIM_CHECK(r.ok()) << r.status();
  return r->trace_hash;
}

TEST(DeterminismTest, SameSeedSameHashInOneProcess) {
  const scenarios::Scenario s = Load("scenarios/lan3-partition.json");
  EXPECT_EQ(HashOf(s, 7), HashOf(s, 7));
}

TEST(DeterminismTest, DifferentSeedsDifferentHashes) {
  const scenarios::Scenario s = Load("scenarios/lan3-partition.json");
  EXPECT_NE(HashOf(s, 7), HashOf(s, 8));
}

TEST(DeterminismTest, SameSeedSameHashAcrossProcesses) {
  const auto a =
      RunEpsim("run scenarios/wan5-crash.json --seed 3 --trace-hash");
  const auto b =
      RunEpsim("run scenarios/wan5-crash.json --seed 3 --trace-hash");
  ASSERT_EQ(a.exit_code, 0) << a.out;
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(a.out.size(), 17u);  // 16 hex digits and a newline
  // And the in-process run agrees with the binary.
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(
                    HashOf(Load("scenarios/wan5-crash.json"), 3)));
  EXPECT_EQ(a.out, std::string(hex) + "\n");
}

TEST(DeterminismTest, TraceFileIsIdenticalForTheSameSeed) {
  const std::string dir = ::testing::TempDir();
  const auto a =
      RunEpsim("run scenarios/lan3-partition.json --seed 2 --trace " + dir +
               "/a.jsonl --quiet");
  const auto b =
      RunEpsim("run scenarios/lan3-partition.json --seed 2 --trace " + dir +
               "/b.jsonl --quiet");
  ASSERT_EQ(a.exit_code, 0) << a.out;
  ASSERT_EQ(b.exit_code, 0) << b.out;
  std::ifstream fa(dir + "/a.jsonl"), fb(dir + "/b.jsonl");
  std::string ta((std::istreambuf_iterator<char>(fa)), {});
  std::string tb((std::istreambuf_iterator<char>(fb)), {});
  EXPECT_GT(ta.size(), 1000u);
  EXPECT_EQ(ta, tb);
}

}  // namespace
}  // namespace epsim
