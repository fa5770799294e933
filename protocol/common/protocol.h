// A protocol as a plug-in: a named factory of replicas plus the safety checks
// that only make sense for it (EPaxos* supplies Visibility, EPaxos its seq
// agreement, ...). Protocols register in protocol/builtin.cc; the engines
// asks the registry by name ("epaxos-star", "epaxos:ballots=split").
#ifndef EPSIM_PROTOCOL_COMMON_PROTOCOL_H_
#define EPSIM_PROTOCOL_COMMON_PROTOCOL_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "protocol/common/env.h"
#include "protocol/common/records.h"
#include "protocol/common/replica.h"

namespace epsim::protocol {

// "name:key=value,key=value". A token without '=' continues the previous
// value, so "epaxos:quirks=a,b,ballots=split" gives quirks "a,b".
struct ProtocolSpec {
  std::string name;
  absl::btree_map<std::string, std::string> options;

  static absl::StatusOr<ProtocolSpec> Parse(std::string_view text);
  std::string ToString() const;
};

// What the world tells a protocol about the run it is built for.
struct ProtocolContext {
  int replicas = 0;             // n: the replicas the scenario placed
  Duration max_round_trip = 0;  // largest RTT between replicas, for timeouts
};

// A safety property a protocol adds to the generic checks. Called at the
// first commit of each command anywhere in the cluster.
class ProtocolCheck {
 public:
  virtual ~ProtocolCheck() = default;
  virtual std::string_view Name() const = 0;
  // `record` was just committed for the first time (at any replica). Returns
  // a description of the violation, or nullopt.
  virtual std::optional<std::string> OnFirstCommit(
      const CommitRecord& record) = 0;
};

class Protocol {
 public:
  virtual ~Protocol() = default;
  // Canonical spec, options included: "epaxos-star:n=5,f=2,e=2".
  virtual std::string Name() const = 0;
  virtual int Replicas() const = 0;
  // f: crashes tolerated; liveness is owed with at most this many crashed.
  virtual int MaxFailures() const = 0;
  // Whether a restarted replica keeps enough durable state to rejoin safely.
  virtual bool SupportsRestart() const { return true; }
  virtual std::unique_ptr<Replica> MakeReplica(NodeId id, Env& env) const = 0;
  virtual std::vector<std::unique_ptr<ProtocolCheck>> MakeChecks() const = 0;
  // Every branch name the replicas may pass to Env::Cover, so coverage
  // tables can flag branches never reached.
  virtual std::vector<std::string> CoverageBranches() const = 0;
  // The branches a command's life passes, in order, before `branch` can run
  // (EPaxos*'s wait/W2: recovery/started, recover/validate, validate/wait).
  // `epsim explore --reach` tries first the states that got furthest along
  // this chain; empty (the default) leaves the search unguided.
  virtual std::vector<std::string> CoverageGuide(
      const std::string& branch) const {
    (void)branch;
    return {};
  }
};

using ProtocolFactory = std::function<absl::StatusOr<std::unique_ptr<Protocol>>(
    const ProtocolSpec& spec, const ProtocolContext& context)>;

class ProtocolRegistry {
 public:
  // The registry with every built-in protocol registered.
  static const ProtocolRegistry& Builtin();

  void Register(std::string name, std::string description,
                ProtocolFactory factory);
  // Unknown names and bad options are InvalidArgument errors that say what
  // was expected.
  absl::StatusOr<std::unique_ptr<Protocol>> Make(
      std::string_view spec, const ProtocolContext& context) const;
  // (name, description) of every registered protocol, sorted by name.
  std::vector<std::pair<std::string, std::string>> List() const;

 private:
  struct Entry {
    std::string description;
    ProtocolFactory factory;
  };
  absl::btree_map<std::string, Entry> entries_;
};

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_PROTOCOL_H_
