// The epsim-history reader: what it accepts, what it refuses and how the
// error names the file, the operation and the field.
#include "checker/history.h"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace epsim::checker {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string Wrap(const std::string& operations, const std::string& extra = "") {
  return R"({"format": "epsim-history", "version": 1, "model": "kv", )" +
         extra + R"("operations": [)" + operations + "]}";
}

TEST(HistoryTest, ParsesTheDocumentedExample) {
  const std::string text = Wrap(
      R"({"id": 0, "client": 1, "op": "put", "key": "x", "value": "a", "call": 100, "return": 250},
         {"id": 1, "client": 2, "op": "get", "key": "x", "output": "a", "call": 120, "return": 300},
         {"id": 2, "client": 3, "op": "append", "key": "y", "value": "7", "call": 130, "return": null},
         {"id": 3, "client": 1, "op": "cas", "key": "x", "expected": "a", "value": "b", "output": true, "call": 260, "return": 400},
         {"id": 4, "client": 2, "op": "cas", "key": "z", "expected": null, "value": "b", "output": false, "call": 301, "return": 400},
         {"id": 5, "client": 4, "op": "get", "key": "q", "output": null, "call": 1, "return": 2})",
      R"("initial": {"x": "0"}, )");
  absl::StatusOr<History> h = ParseHistory(text, "example.json");
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->operations.size(), 6u);
  EXPECT_EQ(h->initial.at("x"), "0");
  EXPECT_EQ(h->operations[1].output.value, "a");
  EXPECT_FALSE(h->operations[2].returned());
  EXPECT_EQ(h->operations[3].expected, "a");
  EXPECT_TRUE(h->operations[3].output.cas_succeeded);
  EXPECT_EQ(h->operations[4].expected, std::nullopt);
  EXPECT_FALSE(h->operations[4].output.cas_succeeded);
  EXPECT_EQ(h->operations[5].output.value, std::nullopt);

  // The writer's output reads back equal.
  absl::StatusOr<History> again = ParseHistory(HistoryToJson(*h), "written");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *h);
}

TEST(HistoryTest, OutputOfAnOperationThatNeverReturnedIsIgnored) {
  absl::StatusOr<History> h = ParseHistory(
      Wrap(
          R"({"id": 0, "client": 1, "op": "get", "key": "x", "output": 17, "call": 1, "return": null})"),
      "f");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_FALSE(h->operations[0].returned());
}

TEST(HistoryTest, RecorderBuildsAValidHistory) {
  HistoryRecorder recorder;
  protocol::Command put;
  put.op = protocol::OpType::kPut;
  put.key = "x";
  put.value = "v";
  protocol::Command get;
  get.key = "x";
  const int64_t a = recorder.Call(1, put, 10);
  const int64_t b = recorder.Call(2, get, 11);
  recorder.Return(a, {}, 20);
  recorder.Return(b, {.value = "v"}, 21);
  recorder.Call(1, get, 30);  // never returns
  ASSERT_TRUE(ValidateHistory(recorder.history(), "recorded").ok());
  absl::StatusOr<History> back =
      ParseHistory(HistoryToJson(recorder.history()), "recorded");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, recorder.history());
}

struct InvalidCase {
  const char* name;
  std::string text;
  std::vector<std::string> mentions;  // every one must be in the message
};

std::vector<InvalidCase> InvalidCases() {
  const std::string ok_put =
      R"({"id": 0, "client": 1, "op": "put", "key": "x", "value": "a", "call": 1, "return": 2})";
  return {
      {"not json", "{", {"bad.json", "not valid JSON"}},
      {"format",
       R"({"format": "jepsen", "version": 1, "model": "kv", "operations": []})",
       {"bad.json", "\"format\"", "epsim-history"}},
      {"version",
       R"({"format": "epsim-history", "version": 2, "model": "kv", "operations": []})",
       {"\"version\"", "2"}},
      {"model",
       R"({"format": "epsim-history", "version": 1, "model": "queue", "operations": []})",
       {"\"model\"", "queue"}},
      {"missing operations",
       R"({"format": "epsim-history", "version": 1, "model": "kv"})",
       {"\"operations\"", "missing"}},
      {"initial mistyped",
       Wrap("", R"("initial": {"x": 3}, )"),
       {"initial.x", "string"}},
      {"missing id",
       Wrap(
           R"({"client": 1, "op": "put", "key": "x", "value": "a", "call": 1, "return": 2})"),
       {"index 0", "\"id\"", "missing"}},
      {"mistyped client",
       Wrap(
           R"({"id": 7, "client": "one", "op": "put", "key": "x", "value": "a", "call": 1, "return": 2})"),
       {"operation id 7", "\"client\"", "integer"}},
      {"unknown op",
       Wrap(
           R"({"id": 7, "client": 1, "op": "delete", "key": "x", "call": 1, "return": 2})"),
       {"operation id 7", "\"op\"", "delete"}},
      {"missing key",
       Wrap(
           R"({"id": 7, "client": 1, "op": "get", "output": null, "call": 1, "return": 2})"),
       {"operation id 7", "\"key\"", "missing"}},
      {"missing value",
       Wrap(
           R"({"id": 7, "client": 1, "op": "append", "key": "x", "call": 1, "return": 2})"),
       {"operation id 7", "\"value\"", "missing"}},
      {"fractional call",
       Wrap(
           R"({"id": 7, "client": 1, "op": "put", "key": "x", "value": "a", "call": 1.5, "return": 2})"),
       {"operation id 7", "\"call\"", "integer"}},
      {"missing return",
       Wrap(
           R"({"id": 7, "client": 1, "op": "put", "key": "x", "value": "a", "call": 1})"),
       {"operation id 7", "\"return\"", "missing"}},
      {"return before call",
       Wrap(
           R"({"id": 7, "client": 1, "op": "put", "key": "x", "value": "a", "call": 5, "return": 4})"),
       {"operation id 7", "\"return\"", "before"}},
      {"get output mistyped",
       Wrap(
           R"({"id": 7, "client": 1, "op": "get", "key": "x", "output": true, "call": 1, "return": 2})"),
       {"operation id 7", "\"output\"", "string or null"}},
      {"get output missing",
       Wrap(
           R"({"id": 7, "client": 1, "op": "get", "key": "x", "call": 1, "return": 2})"),
       {"operation id 7", "\"output\"", "missing"}},
      {"cas output mistyped",
       Wrap(
           R"({"id": 7, "client": 1, "op": "cas", "key": "x", "expected": null, "value": "a", "output": "yes", "call": 1, "return": 2})"),
       {"operation id 7", "\"output\"", "true or false"}},
      {"cas without expected",
       Wrap(
           R"({"id": 7, "client": 1, "op": "cas", "key": "x", "value": "a", "output": true, "call": 1, "return": 2})"),
       {"operation id 7", "\"expected\"", "missing"}},
      {"put with output",
       Wrap(
           R"({"id": 7, "client": 1, "op": "put", "key": "x", "value": "a", "output": "a", "call": 1, "return": 2})"),
       {"operation id 7", "\"output\"", "put has no output"}},
      {"expected on put",
       Wrap(
           R"({"id": 7, "client": 1, "op": "put", "key": "x", "value": "a", "expected": "b", "call": 1, "return": 2})"),
       {"operation id 7", "\"expected\"", "only cas"}},
      {"duplicate id",
       Wrap(
           ok_put +
           R"(, {"id": 0, "client": 2, "op": "put", "key": "x", "value": "b", "call": 1, "return": 2})"),
       {"operation id 0 (index 1)", "\"id\"", "duplicate"}},
      {"client overlap",
       Wrap(
           ok_put +
           R"(, {"id": 1, "client": 1, "op": "put", "key": "y", "value": "b", "call": 2, "return": 3})"),
       {"operation id 1", "\"call\"", "client 1", "operation id 0"}},
      {"client calls again after a pending operation",
       Wrap(
           R"({"id": 0, "client": 1, "op": "put", "key": "x", "value": "a", "call": 1, "return": null},
               {"id": 1, "client": 1, "op": "put", "key": "y", "value": "b", "call": 9, "return": 10})"),
       {"operation id 1", "client 1", "never returned"}},
  };
}

TEST(HistoryTest, InvalidInputNamesFileOperationAndField) {
  for (const InvalidCase& c : InvalidCases()) {
    absl::StatusOr<History> h = ParseHistory(c.text, "bad.json");
    ASSERT_FALSE(h.ok()) << c.name;
    EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    const std::string message(h.status().message());
    EXPECT_THAT(message, HasSubstr("bad.json")) << c.name;
    for (const std::string& m : c.mentions) {
      EXPECT_THAT(message, HasSubstr(m)) << c.name;
    }
  }
}

TEST(HistoryTest, MissingFileIsInvalidInput) {
  absl::StatusOr<History> h = ReadHistoryFile("/nonexistent/history.json");
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(h.status().message()),
              HasSubstr("/nonexistent/history.json"));
}

#ifdef EPSIM_BINARY
// Runs `epsim check` on `text`; returns the exit code, stdout+stderr in *out.
int RunCheck(const std::string& name, const std::string& text,
             const std::string& flags, std::string* out) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/" + name + ".json";
  const std::string output = dir + "/" + name + ".out";
  if (!text.empty()) std::ofstream(path) << text;
  const std::string command = std::string(EPSIM_BINARY) + " check " + path +
                              " " + flags + " > " + output + " 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream in(output);
  out->assign(std::istreambuf_iterator<char>(in), {});
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(HistoryBinaryTest, InvalidInputExitsTwoNamingTheField) {
  int tested = 0;
  for (const InvalidCase& c : InvalidCases()) {
    if (tested++ % 4 != 0) continue;  // a sample: the library test does all
    std::string out;
    EXPECT_EQ(RunCheck("bad", c.text, "", &out), 2) << c.name << out;
    for (const std::string& m : c.mentions) {
      EXPECT_THAT(out, HasSubstr(m)) << c.name;
    }
  }
  std::string out;
  EXPECT_EQ(RunCheck("does-not-exist", "", "", &out), 2) << out;
  EXPECT_THAT(out, HasSubstr("does-not-exist.json"));
  EXPECT_EQ(RunCheck("invalid-json", InvalidCases()[6].text, "--json", &out),
            2);
  EXPECT_THAT(
      out, AllOf(HasSubstr(R"("verdict":"invalid")"), HasSubstr(R"(\"id\")")));
}
#endif

}  // namespace
}  // namespace epsim::checker
