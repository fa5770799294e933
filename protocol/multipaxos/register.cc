// The "multipaxos" protocol plug-in: options, the replica factory and the
// Multi-Paxos-specific checks.
#include <charconv>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "protocol/builtin.h"
#include "protocol/common/protocol.h"
#include "protocol/multipaxos/messages.h"
#include "protocol/multipaxos/replica.h"

namespace epsim::protocol {
namespace {

using multipaxos::Config;
using multipaxos::MultiPaxosReplica;
using multipaxos::SlotId;

// Slot s is decided as id {0, s}, seq s, deps {slot s - 1}: the shape the
// generic agreement and execution-order checks rely on to see the log order.
class LogShapeCheck final : public ProtocolCheck {
 public:
  std::string_view Name() const override { return "multipaxos-log-shape"; }
  std::optional<std::string> OnFirstCommit(
      const CommitRecord& record) override {
    const uint64_t slot = record.id.counter;
    std::vector<CommandId> expected_deps;
    if (slot > 1)
      expected_deps.push_back(SlotId(static_cast<int64_t>(slot) - 1));
    if (record.id.origin != 0 || slot < 1 ||
        record.seq != static_cast<int64_t>(slot) ||
        record.deps != expected_deps) {
      return absl::StrCat(
          "commit ", record.ToString(), " is not shaped like log slot ", slot,
          ": expected id 0.", slot, ", seq ", slot, " and deps {",
          slot > 1 ? SlotId(static_cast<int64_t>(slot) - 1).ToString() : "",
          "}");
    }
    return std::nullopt;
  }
};

// The steady-state leader only proposes client requests; a Nop can only be
// chosen to fill a gap that a phase 1 found, i.e. at a later ballot than
// the initial leader's.
class NopNeedsPhase1Check final : public ProtocolCheck {
 public:
  explicit NopNeedsPhase1Check(Ballot initial) : initial_(initial) {}
  std::string_view Name() const override {
    return "multipaxos-nop-needs-phase1";
  }
  std::optional<std::string> OnFirstCommit(
      const CommitRecord& record) override {
    if (!record.command.nop || record.ballot > initial_) return std::nullopt;
    return absl::StrCat("slot ", record.id.counter, " decided a Nop at ballot ",
                        record.ballot, " (initial leader's ballot ", initial_,
                        "): a Nop may only fill a gap found by phase 1");
  }

 private:
  Ballot initial_;
};

class MultiPaxosProtocol final : public Protocol {
 public:
  explicit MultiPaxosProtocol(const Config& config) : config_(config) {}

  std::string Name() const override {
    return absl::StrCat("multipaxos:leader=", config_.initial_leader,
                        ",n=", config_.replicas);
  }
  int Replicas() const override { return config_.replicas; }
  int MaxFailures() const override { return (config_.replicas - 1) / 2; }
  std::unique_ptr<Replica> MakeReplica(NodeId id, Env& env) const override {
    return std::make_unique<MultiPaxosReplica>(config_, id, env);
  }
  std::vector<std::unique_ptr<ProtocolCheck>> MakeChecks() const override {
    std::vector<std::unique_ptr<ProtocolCheck>> checks;
    checks.push_back(std::make_unique<LogShapeCheck>());
    checks.push_back(std::make_unique<NopNeedsPhase1Check>(
        static_cast<Ballot>(config_.initial_leader) + 1));
    return checks;
  }
  std::vector<std::string> CoverageBranches() const override {
    return multipaxos::CoverageBranches();
  }

 private:
  Config config_;
};

std::optional<int> ParseIndex(const std::string& text) {
  int value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

absl::StatusOr<std::unique_ptr<Protocol>> MakeMultiPaxos(
    const ProtocolSpec& spec, const ProtocolContext& context) {
  const int n = context.replicas;
  if (n < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "multipaxos: the scenario places ", n, " replicas; expected >= 1"));
  }
  NodeId leader = 0;
  for (const auto& [key, value] : spec.options) {
    const std::optional<int> number = ParseIndex(value);
    if (key == "leader") {
      if (!number || *number < 0 || *number >= n) {
        return absl::InvalidArgumentError(absl::StrCat(
            "multipaxos: option leader=\"", value,
            "\": expected a replica index 0..", n - 1,
            " (site names are translated to indexes by the harness)"));
      }
      leader = *number;
    } else if (key == "n") {
      if (!number || *number != n) {
        return absl::InvalidArgumentError(
            absl::StrCat("multipaxos: option n=\"", value, "\": expected ", n,
                         ", the number of replicas the scenario places"));
      }
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("multipaxos: unknown option \"", key,
                       "\"; expected leader=INDEX (0..", n - 1, ") or n=", n));
    }
  }
  return std::make_unique<MultiPaxosProtocol>(
      Config::FromRoundTrip(n, leader, context.max_round_trip));
}

}  // namespace

void RegisterMultiPaxos(ProtocolRegistry& registry) {
  registry.Register(
      "multipaxos",
      "Multi-Paxos with a stable leader (phase 2 only in steady state; "
      "heartbeats, phase 1 on suspicion). Options: leader=INDEX, the "
      "replica index 0..n-1 of the initial leader (default 0; the harness "
      "turns a site name such as leader=CA into its index).",
      MakeMultiPaxos);
}

}  // namespace epsim::protocol
