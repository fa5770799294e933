// Registers the original EPaxos as "epaxos" (docs/protocols.md Part II).
#include <memory>
#include <string>
#include <vector>

#include "protocol/builtin.h"
#include "protocol/common/visibility_check.h"
#include "protocol/epaxos/options.h"
#include "protocol/epaxos/replica.h"

namespace epsim::protocol {
namespace {

using epaxos::EpaxosOptions;
using epaxos::EpaxosReplica;

class EpaxosProtocol final : public Protocol {
 public:
  explicit EpaxosProtocol(EpaxosOptions options)
      : options_(std::make_shared<const EpaxosOptions>(std::move(options))) {}

  std::string Name() const override { return options_->ToString(); }
  int Replicas() const override { return options_->n; }
  int MaxFailures() const override { return options_->f; }
  bool SupportsRestart() const override { return options_->durable; }
  std::unique_ptr<Replica> MakeReplica(NodeId id, Env& env) const override {
    return std::make_unique<EpaxosReplica>(options_, id, env);
  }
  std::vector<std::unique_ptr<ProtocolCheck>> MakeChecks() const override {
    std::vector<std::unique_ptr<ProtocolCheck>> checks;
    checks.push_back(std::make_unique<VisibilityCheck>("epaxos-visibility"));
    return checks;
  }
  std::vector<std::string> CoverageBranches() const override {
    return epaxos::EpaxosCoverageBranches(*options_);
  }

 private:
  std::shared_ptr<const EpaxosOptions> options_;
};

}  // namespace

void RegisterEpaxos(ProtocolRegistry& registry) {
  registry.Register(
      "epaxos",
      "original EPaxos (SOSP 2013): recovery=simple|optimized, "
      "ballots=single|split, thrifty=true|false, quirks=<bug-corpus ids>",
      [](const ProtocolSpec& spec, const ProtocolContext& context)
          -> absl::StatusOr<std::unique_ptr<Protocol>> {
        absl::StatusOr<EpaxosOptions> options =
            epaxos::ParseEpaxosOptions(spec, context);
        if (!options.ok()) return options.status();
        return std::make_unique<EpaxosProtocol>(*std::move(options));
      });
}

}  // namespace epsim::protocol
