#include "protocol/epaxos/options.h"

#include <algorithm>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/strings.h"

namespace epsim::protocol::epaxos {
namespace {

constexpr std::array<std::string_view, kQuirkCount> kQuirkNames = {
    "exec-seq-tie",
    "go-prepare-miscount",
    "go-accept-no-payload",
    "go-noop-keeps-stale-cmd",
    "go-commitshort-repropose",
    "go-exec-busywait",
    "go-exec-nil-cmds",
    "go-phase1-wrong-row",
    "go-accept-wrong-row",
    "go-tpa-wrong-message",
    "go-leader-reply-early-return",
    "go-commit-over-executed",
    "go-prepare-reply-ballot",
    "swift-local-vbal-wins",
    "spec-tpa-placeholder-stall",
    "proto-recovery-deadlock",
};

constexpr std::string_view kKnownOptions =
    "n, recovery, ballots, fast_quorum, thrifty, thrifty_peers, durable, "
    "quirks, timeout_us, backoff_us, recoverers";

absl::Status Bad(std::string_view key, std::string_view value,
                 std::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("epaxos option ", Av(key), "=\"", Av(value), "\": expected ",
                   Av(expected)));
}

absl::StatusOr<bool> ParseBool(std::string_view key, std::string_view value) {
  if (value == "true") return true;
  if (value == "false") return false;
  return Bad(key, value, "true or false");
}

absl::StatusOr<Duration> ParseDuration(std::string_view key,
                                       std::string_view value) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(Av(value), &v) || v < 0) {
    return Bad(key, value, "a non-negative integer number of microseconds");
  }
  return v;
}

// "0:2+1,1:0,2:1": leader:peer+peer,... Leaders not named keep the default.
absl::Status ParsePeers(std::string_view value, EpaxosOptions& options) {
  constexpr std::string_view kExpected =
      "LEADER:PEER+PEER+...,LEADER:... with replica ids in [0, n), peers "
      "distinct and different from the leader";
  for (absl::string_view entry : absl::StrSplit(Av(value), ',')) {
    std::vector<absl::string_view> parts = absl::StrSplit(entry, ':');
    int leader = -1;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &leader) ||
        leader < 0 || leader >= options.n) {
      return Bad("thrifty_peers", value, kExpected);
    }
    std::vector<NodeId> peers;
    for (absl::string_view p : absl::StrSplit(parts[1], '+')) {
      int peer = -1;
      if (!absl::SimpleAtoi(p, &peer) || peer < 0 || peer >= options.n ||
          peer == leader ||
          std::find(peers.begin(), peers.end(), peer) != peers.end()) {
        return Bad("thrifty_peers", value, kExpected);
      }
      peers.push_back(peer);
    }
    // The named peers come first, the rest follow in default order, so a
    // leader always has a full preference list.
    for (NodeId q : options.thrifty_peers[leader]) {
      if (std::find(peers.begin(), peers.end(), q) == peers.end()) {
        peers.push_back(q);
      }
    }
    options.thrifty_peers[leader] = std::move(peers);
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view QuirkName(Quirk quirk) {
  return kQuirkNames[static_cast<int>(quirk)];
}

bool EpaxosOptions::Recovers(NodeId replica) const {
  return recoverers.empty() || std::find(recoverers.begin(), recoverers.end(),
                                         replica) != recoverers.end();
}

bool EpaxosOptions::AnyQuirk() const {
  return std::any_of(quirks.begin(), quirks.end(), [](bool b) { return b; });
}

std::string EpaxosOptions::ToString() const {
  std::vector<std::string> opts;
  opts.push_back(absl::StrCat("ballots=", Split() ? "split" : "single"));
  if (!durable) opts.push_back("durable=false");
  std::vector<std::string> names;
  for (int q = 0; q < kQuirkCount; ++q) {
    if (quirks[q]) names.emplace_back(kQuirkNames[q]);
  }
  if (!names.empty()) {
    opts.push_back(absl::StrCat("quirks=", absl::StrJoin(names, ",")));
  }
  if (!recoverers.empty()) {
    opts.push_back(absl::StrCat("recoverers=", absl::StrJoin(recoverers, "+")));
  }
  opts.push_back(
      absl::StrCat("recovery=", Optimized() ? "optimized" : "simple"));
  opts.push_back(absl::StrCat("thrifty=", thrifty ? "true" : "false"));
  if (thrifty) {
    std::vector<std::string> rows;
    for (int l = 0; l < n; ++l) {
      rows.push_back(
          absl::StrCat(l, ":", absl::StrJoin(thrifty_peers[l], "+")));
    }
    opts.push_back(absl::StrCat("thrifty_peers=", absl::StrJoin(rows, ",")));
  }
  return absl::StrCat("epaxos:n=", n, ",", absl::StrJoin(opts, ","));
}

absl::StatusOr<EpaxosOptions> ParseEpaxosOptions(
    const ProtocolSpec& spec, const ProtocolContext& context) {
  EpaxosOptions options;
  options.n = context.replicas;
  if (auto it = spec.options.find("n"); it != spec.options.end()) {
    int n = 0;
    if (!absl::SimpleAtoi(it->second, &n) || n != context.replicas) {
      return Bad(
          "n", it->second,
          absl::StrCat("the scenario's replica count ", context.replicas));
    }
  }
  if (options.n < 3 || options.n % 2 == 0 || options.n > 255) {
    return absl::InvalidArgumentError(absl::StrCat(
        "epaxos needs N = 2F+1 replicas with F >= 1 (3, 5, 7, ...); the "
        "scenario has ",
        options.n));
  }
  options.f = (options.n - 1) / 2;
  options.thrifty_peers.resize(options.n);
  for (NodeId l = 0; l < options.n; ++l) {
    for (int k = 1; k < options.n; ++k) {
      options.thrifty_peers[l].push_back((l + k) % options.n);
    }
  }
  const Duration rtt =
      context.max_round_trip > 0 ? context.max_round_trip : 100 * kMillisecond;
  options.recovery_timeout = 4 * rtt;
  options.backoff = 2 * rtt;

  for (const auto& [key, value] : spec.options) {
    if (key == "n") continue;
    if (key == "recovery") {
      if (value == "simple") {
        options.recovery = EpaxosOptions::Recovery::kSimple;
      } else if (value == "optimized") {
        options.recovery = EpaxosOptions::Recovery::kOptimized;
      } else {
        return Bad(key, value,
                   "simple (fast quorum 2F) or optimized (fast quorum "
                   "F+floor((F+1)/2), TryPreAccept)");
      }
    } else if (key == "ballots") {
      if (value == "single") {
        options.ballots = EpaxosOptions::Ballots::kSingle;
      } else if (value == "split") {
        options.ballots = EpaxosOptions::Ballots::kSplit;
      } else {
        return Bad(key, value, "single (as published) or split (bal + vbal)");
      }
    } else if (key == "thrifty") {
      absl::StatusOr<bool> b = ParseBool(key, value);
      if (!b.ok()) return b.status();
      options.thrifty = *b;
    } else if (key == "durable") {
      absl::StatusOr<bool> b = ParseBool(key, value);
      if (!b.ok()) return b.status();
      options.durable = *b;
    } else if (key == "timeout_us" || key == "backoff_us") {
      absl::StatusOr<Duration> d = ParseDuration(key, value);
      if (!d.ok()) return d.status();
      (key == "timeout_us" ? options.recovery_timeout : options.backoff) = *d;
    } else if (key == "quirks") {
      for (absl::string_view name : absl::StrSplit(Av(value), ',')) {
        auto it = std::find(kQuirkNames.begin(), kQuirkNames.end(),
                            std::string_view(name.data(), name.size()));
        if (it == kQuirkNames.end()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "epaxos: unknown quirk \"", name,
              "\"; expected a comma-separated subset of: ",
              absl::StrJoin(kQuirkNames, ", ",
                            [](std::string* out, std::string_view q) {
                              absl::StrAppend(out, Av(q));
                            })));
        }
        options.quirks[it - kQuirkNames.begin()] = true;
      }
    } else if (key == "recoverers") {
      for (absl::string_view r : absl::StrSplit(Av(value), '+')) {
        int id = -1;
        if (!absl::SimpleAtoi(r, &id) || id < 0 || id >= options.n ||
            std::find(options.recoverers.begin(), options.recoverers.end(),
                      id) != options.recoverers.end()) {
          return Bad(key, value,
                     "distinct replica ids in [0, n) joined by '+', e.g. 4+2");
        }
        options.recoverers.push_back(id);
      }
    } else if (key != "thrifty_peers" && key != "fast_quorum") {
      return absl::InvalidArgumentError(
          absl::StrCat("epaxos: unknown option \"", key,
                       "\"; expected one of: ", Av(kKnownOptions)));
    }
  }
  // The fast quorum follows the recovery; naming another size is refused
  // (a smaller one with simple recovery is the unsafe mix of II.1).
  if (auto it = spec.options.find("fast_quorum"); it != spec.options.end()) {
    int size = 0;
    if (!absl::SimpleAtoi(it->second, &size) || size != options.FastQuorum()) {
      return Bad(
          "fast_quorum", it->second,
          absl::StrCat(options.FastQuorum(), " (recovery=",
                       options.Optimized() ? "optimized needs F+floor((F+1)/2)"
                                           : "simple needs 2F",
                       "; any other size with this recovery is unsafe "
                       "or unsupported)"));
    }
  }
  // After the loop: peers need n, and are only meaningful when thrifty.
  if (auto it = spec.options.find("thrifty_peers"); it != spec.options.end()) {
    if (!options.thrifty) {
      return Bad("thrifty_peers", it->second, "thrifty=true alongside it");
    }
    if (absl::Status s = ParsePeers(it->second, options); !s.ok()) return s;
  }
  return options;
}

}  // namespace epsim::protocol::epaxos
