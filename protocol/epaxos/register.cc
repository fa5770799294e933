// Registers the original EPaxos as "epaxos" (protocols.md Part II).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "protocol/builtin.h"
#include "protocol/common/command.h"
#include "protocol/epaxos/options.h"
#include "protocol/epaxos/replica.h"

namespace epsim::protocol {
namespace {

using epaxos::EpaxosOptions;
using epaxos::EpaxosReplica;

// VIS (bug-corpus.md §2): two committed conflicting non-Nop commands, one
// must be in the other's deps. EPaxos guarantees it directly because deps
// are explicit sets of every interfering instance; it is what
// go-prepare-miscount and go-noop-clears-conflicts break.
class VisibilityCheck final : public ProtocolCheck {
 public:
  std::string_view Name() const override { return "epaxos-visibility"; }

  std::optional<std::string> OnFirstCommit(const CommitRecord& r) override {
    if (r.command.nop) return std::nullopt;
    std::vector<CommitRecord>& same_key = by_key_[r.command.key];
    std::optional<std::string> violation;
    for (const CommitRecord& o : same_key) {
      if (!Conflicts(r.command, o.command)) continue;
      if (r.deps.Contains(o.id) || o.deps.Contains(r.id)) continue;
      violation = absl::StrCat("conflicting commands ", o.id.ToString(), " (",
                               o.command.ToString(), ") and ", r.id.ToString(),
                               " (", r.command.ToString(),
                               ") committed and neither depends on the other");
      break;
    }
    same_key.push_back(r);
    return violation;
  }

 private:
  absl::btree_map<Key, std::vector<CommitRecord>> by_key_;
};

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
    checks.push_back(std::make_unique<VisibilityCheck>());
    return checks;
  }
  std::vector<std::string> CoverageBranches() const override {
    return epaxos::EpaxosCoverageBranches();
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
