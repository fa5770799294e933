// Registers EPaxos* as "epaxos-star" (docs/protocols.md Part I).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "protocol/builtin.h"
#include "protocol/common/visibility_check.h"
#include "protocol/epaxos_star/options.h"
#include "protocol/epaxos_star/replica.h"

namespace epsim::protocol {
namespace {

using epaxos_star::StarOptions;
using epaxos_star::StarReplica;

class EpaxosStarProtocol final : public Protocol {
 public:
  explicit EpaxosStarProtocol(StarOptions options)
      : options_(std::make_shared<const StarOptions>(std::move(options))) {}

  std::string Name() const override { return options_->ToString(); }
  int Replicas() const override { return options_->n; }
  int MaxFailures() const override { return options_->f; }
  // Restart keeps the I.4 state (declared durable, see replica.h).
  bool SupportsRestart() const override { return true; }
  std::unique_ptr<Replica> MakeReplica(NodeId id, Env& env) const override {
    return std::make_unique<StarReplica>(options_, id, env);
  }
  std::vector<std::unique_ptr<ProtocolCheck>> MakeChecks() const override {
    std::vector<std::unique_ptr<ProtocolCheck>> checks;
    checks.push_back(std::make_unique<VisibilityCheck>("visibility"));
    return checks;
  }
  std::vector<std::string> CoverageBranches() const override {
    return epaxos_star::StarCoverageBranches(*options_);
  }
  // Fig. 5: Recover (R1), then a Validate when R_max is large enough (R3),
  // then Waiting when some I_q is not empty (R5), then the WAIT cases (R6).
  std::vector<std::string> CoverageGuide(
      const std::string& branch) const override {
    if (branch.starts_with("wait/") || branch == "trigger/wait-deps") {
      return {"recovery/started", "recover/validate", "validate/wait"};
    }
    if (branch.starts_with("validate/")) {
      return {"recovery/started", "recover/validate"};
    }
    if (branch.starts_with("recover/")) {
      return {"recovery/started"};
    }
    return {};
  }

 private:
  std::shared_ptr<const StarOptions> options_;
};

}  // namespace

void RegisterEpaxosStar(ProtocolRegistry& registry) {
  registry.Register(
      "epaxos-star",
      "EPaxos* (OPODIS 2025): f, e (n >= max(2e+f-1, 2f+1)), "
      "commit_timeout, recovery_timeout, fast_timeout (us), hint=true|false, "
      "accept_guard=abal|abal-downgrade|bal|bal-downgrade, "
      "waiting_to_self=true|false, validate_ok_to=sender|all, "
      "commit_lower_ballot=false|true",
      [](const ProtocolSpec& spec, const ProtocolContext& context)
          -> absl::StatusOr<std::unique_ptr<Protocol>> {
        absl::StatusOr<StarOptions> options =
            epaxos_star::ParseStarOptions(spec, context);
        if (!options.ok()) return options.status();
        return std::make_unique<EpaxosStarProtocol>(*std::move(options));
      });
}

}  // namespace epsim::protocol
