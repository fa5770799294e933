#include "protocol/epaxos_star/options.h"

#include <algorithm>
#include <cstdint>
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

}  // namespace

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
    } else if (key == "hint") {
      if (value != "true" && value != "false") {
        return Bad(key, value, "true or false");
      }
      o.hint = value == "true";
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "epaxos-star: unknown option \"", key,
          "\"; expected n, f, e, commit_timeout, recovery_timeout, "
          "fast_timeout or hint"));
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
