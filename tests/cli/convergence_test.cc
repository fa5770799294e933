// The run's convergence check reads the replicas' own stores: a replica
// whose store drifts from what it reported executing is caught at the end
// of the run. The drift is planted by a protocol registered here (the
// registry is the seam a user's protocol plugs into): EPaxos* unchanged but
// for one replica's store digest.
#include <memory>
#include <utility>
#include <vector>

#include "base/check.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "protocol/common/protocol.h"
#include "protocol/common/replica.h"
#include "scenarios/scenario.h"
#include "scenarios/simulation.h"

namespace epsim {
namespace {

using protocol::Replica;

// Forwards everything to EPaxos*'s replica; reports a store digest off by
// `drift` (0: the honest replica).
class DriftingReplica final : public Replica {
 public:
  DriftingReplica(std::unique_ptr<Replica> inner, uint64_t drift)
      : inner_(std::move(inner)), drift_(drift) {}
  void Start() override { inner_->Start(); }
  void OnClientRequest(const protocol::Command& command) override {
    inner_->OnClientRequest(command);
  }
  void OnMessage(protocol::NodeId from,
                 const protocol::Message& message) override {
    inner_->OnMessage(from, message);
  }
  void OnTimer(protocol::TimerId id, uint64_t tag) override {
    inner_->OnTimer(id, tag);
  }
  void Restart() override { inner_->Restart(); }
  absl::Status StartRecovery(protocol::CommandId id,
                             std::optional<protocol::Ballot> b) override {
    return inner_->StartRecovery(id, b);
  }
  uint64_t StoreDigest() const override {
    return inner_->StoreDigest() + drift_;
  }
  std::vector<protocol::PendingCommand> Pending() const override {
    return inner_->Pending();
  }
  std::unique_ptr<Replica> Clone(protocol::Env& env) const override {
    return std::make_unique<DriftingReplica>(inner_->Clone(env), drift_);
  }
  uint64_t StateHash() const override { return inner_->StateHash(); }

 private:
  std::unique_ptr<Replica> inner_;
  uint64_t drift_;
};

class DriftingProtocol final : public protocol::Protocol {
 public:
  DriftingProtocol(std::unique_ptr<protocol::Protocol> inner,
                   protocol::NodeId drifter)
      : inner_(std::move(inner)), drifter_(drifter) {}
  std::string Name() const override { return "drift"; }
  int Replicas() const override { return inner_->Replicas(); }
  int MaxFailures() const override { return inner_->MaxFailures(); }
  std::unique_ptr<Replica> MakeReplica(protocol::NodeId id,
                                       protocol::Env& env) const override {
    return std::make_unique<DriftingReplica>(inner_->MakeReplica(id, env),
                                             id == drifter_ ? 1 : 0);
  }
  std::vector<std::unique_ptr<protocol::ProtocolCheck>> MakeChecks()
      const override {
    return inner_->MakeChecks();
  }
  std::vector<std::string> CoverageBranches() const override {
    return inner_->CoverageBranches();
  }

 private:
  std::unique_ptr<protocol::Protocol> inner_;
  protocol::NodeId drifter_;
};

// "drift" (replica 1 drifts) and "honest" (the same wrapper, no drift).
protocol::ProtocolRegistry TestRegistry() {
  protocol::ProtocolRegistry registry;
  for (auto [name, drifter] :
       {std::pair{"drift", 1}, std::pair{"honest", -1}}) {
    registry.Register(
        name, "EPaxos* with a store digest off at one replica",
        [drifter](const protocol::ProtocolSpec&,
                  const protocol::ProtocolContext& context)
            -> absl::StatusOr<std::unique_ptr<protocol::Protocol>> {
          absl::StatusOr<std::unique_ptr<protocol::Protocol>> inner =
              protocol::ProtocolRegistry::Builtin().Make("epaxos-star",
                                                         context);
          if (!inner.ok()) return inner.status();
          return std::make_unique<DriftingProtocol>(*std::move(inner), drifter);
        });
  }
  return registry;
}

scenarios::RunResult RunWith(const std::string& protocol_name) {
  const nlohmann::json j = {
      {"name", "convergence"},
      {"topology", "lan"},
      {"protocol", protocol_name},
      {"replicas", {0, 1, 2}},
      {"workload", {{"clients_per_site", 1}, {"commands_per_client", 20}}},
      {"duration_ms", 20000}};
  absl::StatusOr<scenarios::Scenario> s =
      scenarios::Scenario::FromJson(j, "(convergence)");
  EPSIM_CHECK(s.ok()) << s.status();
  const protocol::ProtocolRegistry registry = TestRegistry();
  scenarios::RunOptions options;
  options.registry = &registry;
  absl::StatusOr<scenarios::RunResult> r = scenarios::Simulate(*s, options);
  EPSIM_CHECK(r.ok()) << r.status();
  return *std::move(r);
}

TEST(ConvergenceTest, AStoreThatDriftsFromItsExecutionsIsCaught) {
  const scenarios::RunResult drift = RunWith("drift");
  EXPECT_EQ(drift.checks.at("convergence"), "violation");
  ASSERT_EQ(drift.violations.size(), 1u);
  EXPECT_EQ(drift.violations[0].check, "convergence");
  EXPECT_THAT(drift.violations[0].detail,
              ::testing::HasSubstr("key-value states differ"));
  // Everything else about the run is EPaxos*'s, and fine.
  EXPECT_EQ(drift.executed, drift.submitted);

  const scenarios::RunResult honest = RunWith("honest");
  EXPECT_EQ(honest.checks.at("convergence"), "ok");
  EXPECT_TRUE(honest.violations.empty());
}

}  // namespace
}  // namespace epsim
