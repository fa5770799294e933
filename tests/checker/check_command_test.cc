// `epsim check` end to end (exit codes, text and JSON output, --jobs), and
// the rounds of CheckKeys.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "checker/history.h"
#include "checker/linearizability.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace epsim::checker {
namespace {

using ::testing::HasSubstr;

Operation Op(int64_t id, protocol::OpType type, std::string key,
             std::string value, std::optional<std::string> output, int64_t call,
             int64_t ret) {
  Operation op;
  op.id = id;
  op.client = id;
  op.op = type;
  op.key = std::move(key);
  op.value = std::move(value);
  op.output.value = std::move(output);
  op.call = call;
  op.ret = ret;
  return op;
}

// Key "a": a stale read (easy violation). Key "k": 16 concurrent appends,
// then a read of a value they cannot produce: each order of the appends
// gives a different state, so this search needs a very long time to refute
// it. Key "z": fine.
History EasyAndHardKeys() {
  using protocol::OpType;
  History h;
  int64_t id = 0;
  h.operations.push_back(Op(id++, OpType::kPut, "a", "1", {}, 0, 10));
  h.operations.push_back(Op(id++, OpType::kPut, "a", "2", {}, 20, 30));
  h.operations.push_back(Op(id++, OpType::kGet, "a", "", "1", 40, 50));
  for (int i = 0; i < 16; ++i) {
    h.operations.push_back(
        Op(id++, OpType::kAppend, "k", std::to_string(i % 10), {}, 0, 100));
  }
  h.operations.push_back(Op(id++, OpType::kGet, "k", "", "never", 101, 102));
  h.operations.push_back(Op(id++, OpType::kPut, "z", "1", {}, 0, 10));
  h.operations.push_back(Op(id++, OpType::kGet, "z", "", "1", 11, 12));
  return h;
}

TEST(CheckKeysTest, AHardKeyDoesNotHoldUpAViolationElsewhere) {
  const LinearizabilityResult r = CheckLinearizability(EasyAndHardKeys());
  EXPECT_EQ(r.verdict, Verdict::kViolation);
  ASSERT_EQ(r.results.size(), 3u);
  EXPECT_EQ(r.results[0].key, "a");
  EXPECT_EQ(r.results[0].verdict, Verdict::kViolation);
  EXPECT_EQ(r.results[1].key, "k");
  EXPECT_EQ(r.results[1].verdict, Verdict::kSkipped);
  EXPECT_EQ(r.results[2].verdict, Verdict::kLinearizable);
}

#ifdef EPSIM_BINARY
struct CheckRun {
  int code;
  std::string out;
};

CheckRun Check(const std::string& name, const History& h,
               const std::string& flags) {
  const std::string path = ::testing::TempDir() + "/" + name + ".json";
  const std::string output = ::testing::TempDir() + "/" + name + ".out";
  std::ofstream(path) << HistoryToJson(h);
  const std::string command = std::string(EPSIM_BINARY) + " check " + path +
                              " " + flags + " > " + output + " 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream in(output);
  CheckRun run{WIFEXITED(status) ? WEXITSTATUS(status) : -1, ""};
  run.out.assign(std::istreambuf_iterator<char>(in), {});
  return run;
}

History OnlyKeys(const History& h, const std::string& keys) {
  History out;
  for (const Operation& op : h.operations) {
    if (keys.find(op.key) != std::string::npos) out.operations.push_back(op);
  }
  return out;
}

TEST(CheckCommandTest, ExitCodesAndReports) {
  const History all = EasyAndHardKeys();
  CheckRun ok = Check("ok", OnlyKeys(all, "z"), "");
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_THAT(ok.out, HasSubstr("linearizable (1 keys, 2 operations"));

  CheckRun bad = Check("bad", OnlyKeys(all, "az"), "");
  EXPECT_EQ(bad.code, 1) << bad.out;
  EXPECT_THAT(bad.out, HasSubstr("key \"a\": not linearizable"));
  EXPECT_THAT(bad.out, HasSubstr("#2 c2 get(a) -> \"1\" [40, 50]"));
  EXPECT_THAT(bad.out, HasSubstr("longest linearizable prefix"));

  CheckRun slow = Check("slow", OnlyKeys(all, "kz"), "--timeout 0.2");
  EXPECT_EQ(slow.code, 3) << slow.out;
  EXPECT_THAT(slow.out, HasSubstr("key \"k\": undecided"));

  CheckRun json =
      Check("slow-json", OnlyKeys(all, "kz"), "--timeout 0.2 --json");
  EXPECT_EQ(json.code, 3);
  const nlohmann::json j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["verdict"], "timeout");
  EXPECT_EQ(j["undecided_keys"], nlohmann::json::array({"k"}));
}

TEST(CheckCommandTest, JobsDoNotChangeTheOutput) {
  const History all = EasyAndHardKeys();
  CheckRun one = Check("jobs1", all, "--json --jobs 1");
  CheckRun two = Check("jobs2", all, "--json --jobs 2");
  ASSERT_EQ(one.code, 1) << one.out;
  ASSERT_EQ(two.code, 1) << two.out;
  nlohmann::json a = nlohmann::json::parse(one.out);
  nlohmann::json b = nlohmann::json::parse(two.out);
  EXPECT_EQ(a["verdict"], "violation");
  EXPECT_EQ(a["keys"], 3);
  EXPECT_EQ(a["operations"], all.operations.size());
  EXPECT_EQ(a["violations"][0]["key"], "a");
  EXPECT_EQ(a["violations"][0]["operations"].size(), 3u);
  EXPECT_EQ(a["skipped_keys"], nlohmann::json::array({"k"}));
  a.erase("seconds");
  b.erase("seconds");
  EXPECT_EQ(a, b);
}
#endif

}  // namespace
}  // namespace epsim::checker
