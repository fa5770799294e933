// A client-observed history of a replicated key-value store, and its JSON
// form (`epsim-history` version 1, docs/history-format.md).
//
// The format is a contract with other tools: `ParseHistory` accepts exactly
// what the document describes and refuses anything else with an
// InvalidArgument error naming the file, the operation (id and index) and the
// field. `HistoryToJson` writes what `ParseHistory` reads back unchanged.
//
// The simulator records a history while it runs with `HistoryRecorder`:
//
//   HistoryRecorder recorder;
//   int64_t id = recorder.Call(client, command, now);   // request sent
//   ...
//   recorder.Return(id, result, later);                 // reply received
//   // operations never returned stay pending (return: null)
//   WriteFile(path, HistoryToJson(recorder.history()));
//
// Clients are closed-loop: a client must not call again before its previous
// operation returned, and equal times count as overlapping, so a client's next
// call must be strictly later than its previous return. A client whose
// operation never returned must not call again (use a fresh client id).
#ifndef EPSIM_CHECKER_HISTORY_H_
#define EPSIM_CHECKER_HISTORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "protocol/common/command.h"

namespace epsim::checker {

// One client operation: what was asked, when, and what came back.
struct Operation {
  int64_t id = 0;
  int64_t client = 0;
  protocol::OpType op = protocol::OpType::kGet;
  std::string key;
  std::string value;                    // put, append, cas: the argument
  std::optional<std::string> expected;  // cas: nullopt means "absent"
  // What the operation returned; meaningful only when it returned.
  // get: output.value (nullopt: absent); cas: output.cas_succeeded.
  protocol::KvResult output;
  int64_t call = 0;
  std::optional<int64_t> ret;  // nullopt: the client never learnt the outcome

  bool returned() const { return ret.has_value(); }
  // Whether this operation ends strictly before `other` starts (equal times
  // overlap).
  bool Precedes(const Operation& other) const {
    return ret.has_value() && *ret < other.call;
  }
  // "#3 c1 put(x, \"a\") [100, 250]" for reports.
  std::string ToString() const;

  friend bool operator==(const Operation&, const Operation&) = default;
};

struct History {
  // Keys not named here start absent.
  absl::btree_map<std::string, std::string> initial;
  std::vector<Operation> operations;  // any order

  friend bool operator==(const History&, const History&) = default;
};

// Checks the rules the format imposes beyond types (unique ids, return not
// before call, closed-loop clients). ParseHistory applies it; call it on a
// history built in memory before trusting it. `source` names the history in
// errors (a file name, or "history").
absl::Status ValidateHistory(const History& history, std::string_view source);

// Parses and validates `text`; `source` names the file in errors.
absl::StatusOr<History> ParseHistory(std::string_view text,
                                     std::string_view source);
// Reads and parses a file. A missing or unreadable file is InvalidArgument
// too (it is bad input, like a malformed one).
absl::StatusOr<History> ReadHistoryFile(const std::string& path);

// The JSON text of `history` (one operation per line, ids in the order
// given), ending with a newline.
std::string HistoryToJson(const History& history);

// Builds a History while a run goes on. Ids are assigned 0, 1, 2, ... in call
// order.
class HistoryRecorder {
 public:
  // The client sent `command` (never a Nop) at `now`. Returns the
  // operation's id.
  int64_t Call(int64_t client, const protocol::Command& command, int64_t now);
  // The operation `id` returned `result` at `now`.
  void Return(int64_t id, const protocol::KvResult& result, int64_t now);
  void SetInitial(std::string key, std::string value);
  // Room for `operations` calls (a hint).
  void Reserve(size_t operations) { history_.operations.reserve(operations); }

  const History& history() const { return history_; }
  // The history, moved out (the recorder is left empty): the end of a run.
  History Take() { return std::move(history_); }

 private:
  History history_;
};

}  // namespace epsim::checker

#endif  // EPSIM_CHECKER_HISTORY_H_
