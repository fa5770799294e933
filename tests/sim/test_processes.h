// Small payloads and processes for the world's tests.
#ifndef EPSIM_TESTS_SIM_TEST_PROCESSES_H_
#define EPSIM_TESTS_SIM_TEST_PROCESSES_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sim/payload.h"
#include "sim/process.h"
#include "sim/random.h"
#include "sim/world.h"

namespace epsim::sim::testing {

// A message carrying one integer.
class Note : public Payload {
 public:
  explicit Note(int value) : value_(value) {}
  std::string_view Type() const override { return "Note"; }
  std::string Describe() const override {
    return absl::StrCat("note ", value_);
  }
  uint64_t ComputeFingerprint() const override {
    return Mix64(static_cast<uint64_t>(value_));
  }
  int value() const { return value_; }

 private:
  int value_;
};

inline PayloadPtr MakeNote(int value) { return std::make_shared<Note>(value); }
inline int ValueOf(const PayloadPtr& p) {
  return static_cast<const Note&>(*p).value();
}

// Records everything that happens to it.
class Recorder : public Process {
 public:
  struct Received {
    NodeId from;
    int value;
    Time at;
  };
  explicit Recorder(const World* world) : world_(world) {}

  void OnMessage(NodeId from, const PayloadPtr& msg) override {
    received.push_back({from, ValueOf(msg), world_->Now()});
  }
  void OnTimer(TimerId id, uint64_t tag) override {
    fired.push_back({id, tag});
    fired_at.push_back(world_->Now());
  }
  void OnCrash() override { ++crashes; }
  void OnRestart() override { ++restarts; }

  std::vector<int> Values() const {
    std::vector<int> v;
    for (const Received& r : received) v.push_back(r.value);
    return v;
  }
  std::vector<int> SortedValues() const {
    std::vector<int> v = Values();
    std::sort(v.begin(), v.end());
    return v;
  }

  std::vector<Received> received;
  std::vector<std::pair<TimerId, uint64_t>> fired;
  std::vector<Time> fired_at;
  int crashes = 0;
  int restarts = 0;

 private:
  const World* world_;
};

// Answers every note v < limit with v + 1 to its sender, and sets a timer on
// every tenth note, so runs exercise messages and timers together.
class Echo : public Process {
 public:
  Echo(World* world, NodeId self, int limit)
      : world_(world), self_(self), limit_(limit) {}
  void OnMessage(NodeId from, const PayloadPtr& msg) override {
    const int v = ValueOf(msg);
    last_ = v;
    if (v % 10 == 0) world_->SetTimer(self_, 50, static_cast<uint64_t>(v));
    if (v < limit_) world_->Send(self_, from, MakeNote(v + 1));
  }
  void OnTimer(TimerId, uint64_t tag) override { timers_ += tag; }
  int last() const { return last_; }

 private:
  World* world_;
  NodeId self_;
  int limit_;
  int last_ = -1;
  uint64_t timers_ = 0;
};

}  // namespace epsim::sim::testing

#endif  // EPSIM_TESTS_SIM_TEST_PROCESSES_H_
