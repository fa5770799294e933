// Every bug-corpus entry (scenarios/bugs/*.json) is one test: each protocol
// its "expect" names gives exactly the verdict written there — the named
// check fails (the documented reason, not just any violation) or the run is
// clean — and the EPaxos* run of every non-control entry is clean.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scenarios/scenario.h"
#include "scenarios/script.h"
#include "scenarios/simulation.h"

namespace epsim::scenarios {
namespace {

std::vector<std::string> CorpusFiles() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator("scenarios/bugs")) {
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string Checks(const RunResult& r) {
  std::string out;
  for (const Violation& v : r.violations) {
    absl::StrAppend(&out, "\n  ", v.check, ": ", v.detail);
  }
  return out.empty() ? std::string(" none") : out;
}

class CorpusEntryTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CorpusEntryTest, GivesTheExpectedVerdictOnEveryProtocol) {
  absl::StatusOr<Scenario> scenario = Scenario::Load(GetParam());
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  ASSERT_FALSE(scenario->script.is_null()) << "a corpus entry is scripted";
  absl::StatusOr<Expectation> expect =
      Expectation::FromJson(scenario->expect, GetParam());
  ASSERT_TRUE(expect.ok()) << expect.status();
  const bool control = scenario->name.starts_with("ctl-");
  bool epaxos_fails = false, star_checked = false;
  for (const auto& [protocol, verdict] : expect->verdicts) {
    SCOPED_TRACE(protocol);
    RunOptions options;
    options.protocol = protocol;
    absl::StatusOr<RunResult> result = Simulate(*scenario, options);
    ASSERT_TRUE(result.ok()) << result.status();
    if (verdict == "ok") {
      EXPECT_TRUE(result->ok()) << "violations:" << Checks(*result);
    } else {
      EXPECT_TRUE(
          std::any_of(result->violations.begin(), result->violations.end(),
                      [&](const Violation& v) { return v.check == verdict; }))
          << "expected check " << verdict
          << " to fail; violations:" << Checks(*result);
      epaxos_fails = epaxos_fails || protocol.starts_with("epaxos:") ||
                     protocol == "epaxos";
    }
    if (protocol == "epaxos-star") {
      star_checked = true;
      if (!control) {
        EXPECT_EQ(verdict, "ok") << "EPaxos* must hold";
      }
    }
  }
  EXPECT_TRUE(epaxos_fails) << "no EPaxos variant is expected to fail";
  EXPECT_TRUE(star_checked) << "the entry does not say what EPaxos* gives";
}

INSTANTIATE_TEST_SUITE_P(
    Bugs, CorpusEntryTest, ::testing::ValuesIn(CorpusFiles()),
    [](const ::testing::TestParamInfo<std::string>& info) {
      std::string name = std::filesystem::path(info.param).stem().string();
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

TEST(CorpusTest, HasTheHeadlineEntries) {
  const std::vector<std::string> files = CorpusFiles();
  EXPECT_GE(files.size(), 9u);
  for (const char* entry :
       {"spec-single-ballot", "exec-seq-tie", "go-prepare-miscount",
        "go-accept-no-payload", "go-noop-keeps-stale-cmd", "go-exec-busywait",
        "go-exec-nil-cmds", "go-commitshort-repropose", "go-phase1-wrong-row",
        "go-accept-wrong-row", "go-tpa-wrong-message",
        "spec-tpa-placeholder-stall", "swift-local-vbal-wins"}) {
    EXPECT_TRUE(std::filesystem::exists(
        absl::StrCat("scenarios/bugs/", entry, ".json")))
        << entry;
  }
}

}  // namespace
}  // namespace epsim::scenarios
