#include "protocol/epaxos_star/options.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/strings.h"

namespace epsim::protocol::epaxos_star {
namespace {

absl::Status Bad(std::string_view key, std::string_view value,
                 std::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("epaxos-star option ", Av(key), "=\"", Av(value),
                   "\": expected ", Av(expected)));
}

absl::StatusOr<int64_t> ParseInt(std::string_view key, std::string_view value,
                                 int64_t min, std::string_view expected) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(Av(value), &v) || v < min) {
    return Bad(key, value, expected);
  }
  return v;
}

absl::StatusOr<bool> ParseBool(std::string_view key, std::string_view value) {
  if (value != "true" && value != "false") {
    return Bad(key, value, "true or false");
  }
  return value == "true";
}

constexpr AcceptGuard kAcceptGuards[] = {
    AcceptGuard::kAbal, AcceptGuard::kAbalDowngrade, AcceptGuard::kBal,
    AcceptGuard::kBalDowngrade};

}  // namespace

std::string_view AcceptGuardName(AcceptGuard guard) {
  switch (guard) {
    case AcceptGuard::kAbal:
      return "abal";
    case AcceptGuard::kAbalDowngrade:
      return "abal-downgrade";
    case AcceptGuard::kBal:
      return "bal";
    case AcceptGuard::kBalDowngrade:
      return "bal-downgrade";
  }
  return "?";
}

std::string StarOptions::ToString() const {
  std::string out = absl::StrCat("epaxos-star:n=", n, ",f=", f, ",e=", e);
  if (explicit_commit_timeout) {
    absl::StrAppend(&out, ",commit_timeout=", commit_timeout);
  }
  if (explicit_recovery_timeout) {
    absl::StrAppend(&out, ",recovery_timeout=", recovery_timeout);
  }
  if (explicit_fast_timeout) {
    absl::StrAppend(&out, ",fast_timeout=", fast_timeout);
  }
  if (!hint) absl::StrAppend(&out, ",hint=false");
  // Defaults are left out, so every spec written before these options
  // existed keeps its name (and its runs their trace hashes).
  if (accept_guard != AcceptGuard::kAbal) {
    absl::StrAppend(&out, ",accept_guard=", Av(AcceptGuardName(accept_guard)));
  }
  if (!waiting_to_self) absl::StrAppend(&out, ",waiting_to_self=false");
  if (validate_ok_to_all) absl::StrAppend(&out, ",validate_ok_to=all");
  if (commit_lower_ballot) absl::StrAppend(&out, ",commit_lower_ballot=true");
  return out;
}

absl::StatusOr<StarOptions> ParseStarOptions(const ProtocolSpec& spec,
                                             const ProtocolContext& context) {
  StarOptions o;
  o.n = context.replicas;
  bool f_given = false, e_given = false;
  for (const auto& [key, value] : spec.options) {
    if (key == "n") {
      absl::StatusOr<int64_t> v =
          ParseInt(key, value, 1, "the scenario's replica count");
      if (!v.ok()) return v.status();
      if (*v != context.replicas) {
        return Bad(key, value,
                   absl::StrCat(context.replicas,
                                " (the scenario places that many replicas)"));
      }
    } else if (key == "f") {
      absl::StatusOr<int64_t> v = ParseInt(key, value, 1, "an integer >= 1");
      if (!v.ok()) return v.status();
      o.f = static_cast<int>(std::min<int64_t>(*v, 1 << 20));
      f_given = true;
    } else if (key == "e") {
      absl::StatusOr<int64_t> v = ParseInt(key, value, 0, "an integer >= 0");
      if (!v.ok()) return v.status();
      o.e = static_cast<int>(std::min<int64_t>(*v, 1 << 20));
      e_given = true;
    } else if (key == "commit_timeout" || key == "recovery_timeout" ||
               key == "fast_timeout") {
      absl::StatusOr<int64_t> v =
          ParseInt(key, value, 1, "a positive integer number of microseconds");
      if (!v.ok()) return v.status();
      if (key == "commit_timeout") {
        o.commit_timeout = *v;
        o.explicit_commit_timeout = true;
      } else if (key == "recovery_timeout") {
        o.recovery_timeout = *v;
        o.explicit_recovery_timeout = true;
      } else {
        o.fast_timeout = *v;
        o.explicit_fast_timeout = true;
      }
    } else if (key == "hint" || key == "waiting_to_self" ||
               key == "commit_lower_ballot") {
      absl::StatusOr<bool> v = ParseBool(key, value);
      if (!v.ok()) return v.status();
      bool* target = key == "hint"              ? &o.hint
                     : key == "waiting_to_self" ? &o.waiting_to_self
                                                : &o.commit_lower_ballot;
      *target = *v;
    } else if (key == "accept_guard") {
      const auto* found = std::find_if(
          std::begin(kAcceptGuards), std::end(kAcceptGuards),
          [&](AcceptGuard g) { return AcceptGuardName(g) == value; });
      if (found == std::end(kAcceptGuards)) {
        return Bad(key, value, "abal, abal-downgrade, bal or bal-downgrade");
      }
      o.accept_guard = *found;
    } else if (key == "validate_ok_to") {
      if (value != "sender" && value != "all") {
        return Bad(key, value, "sender or all");
      }
      o.validate_ok_to_all = value == "all";
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "epaxos-star: unknown option \"", key,
          "\"; expected n, f, e, commit_timeout, recovery_timeout, "
          "fast_timeout, hint, accept_guard, waiting_to_self, validate_ok_to "
          "or commit_lower_ballot"));
    }
  }
  if (!f_given) o.f = std::max(1, (o.n - 1) / 2);
  if (!e_given) o.e = (o.f + 2) / 2;  // ceil((f + 1) / 2)
  const std::string triple =
      absl::StrCat("epaxos-star: n=", o.n, ", f=", o.f, ", e=", o.e);
  if (o.e > o.f) {
    return absl::InvalidArgumentError(
        absl::StrCat(triple, " breaks the rule 0 <= e <= f"));
  }
  if (o.n < 2 * o.f + 1 || o.n < 2 * o.e + o.f - 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(triple, " breaks the rule n >= max(2e + f - 1, 2f + 1) = ",
                     std::max(2 * o.e + o.f - 1, 2 * o.f + 1)));
  }
  const Duration rtt =
      context.max_round_trip > 0 ? context.max_round_trip : 10 * kMillisecond;
  if (!o.explicit_commit_timeout) o.commit_timeout = 3 * rtt;
  if (!o.explicit_recovery_timeout) o.recovery_timeout = 4 * rtt;
  if (!o.explicit_fast_timeout) o.fast_timeout = std::max<Duration>(1, rtt / 2);
  return o;
}

}  // namespace epsim::protocol::epaxos_star
