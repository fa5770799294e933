#include "sim/network.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/strings.h"

namespace epsim::sim {
namespace {

constexpr double kMaxJitter = 3600.0 * kSecond;

}  // namespace

std::string_view LinkKindName(LinkKind kind) {
  return kind == LinkKind::kReliable ? "reliable" : "lossy";
}

absl::StatusOr<LinkKind> ParseLinkKind(std::string_view name) {
  if (name == "reliable") return LinkKind::kReliable;
  if (name == "lossy") return LinkKind::kLossy;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown link kind \"", Av(name), "\" (expected reliable or lossy)"));
}

Duration JitterSpec::Draw(Rng& rng) const {
  double x = 0;
  switch (kind) {
    case kNone:
      return 0;
    case kUniform: {
      const int64_t lo = std::llround(a);
      const int64_t hi = std::llround(b);
      x = static_cast<double>(lo <= hi ? rng.Between(lo, hi) : lo);
      break;
    }
    case kExponential:
      x = rng.Exponential(a);
      break;
    case kNormal:
      x = rng.Normal(a, b);
      break;
    case kLogNormal:
      x = a > 0 ? rng.LogNormal(std::log(a), b) : 0;
      break;
    case kPareto:
      x = b > 0 ? rng.Pareto(a, b) - a : 0;
      break;
  }
  if (!(x > 0)) return 0;  // also NaN
  if (x > kMaxJitter) x = kMaxJitter;
  return std::llround(x);
}

std::string_view JitterSpec::KindName(Kind kind) {
  switch (kind) {
    case kNone:
      return "none";
    case kUniform:
      return "uniform";
    case kExponential:
      return "exponential";
    case kNormal:
      return "normal";
    case kLogNormal:
      return "lognormal";
    case kPareto:
      return "pareto";
  }
  return "?";
}

absl::StatusOr<JitterSpec::Kind> JitterSpec::ParseKind(std::string_view name) {
  for (Kind k : {kNone, kUniform, kExponential, kNormal, kLogNormal, kPareto}) {
    if (KindName(k) == name) return k;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown jitter kind \"", Av(name),
                   "\" (expected none, uniform, exponential, normal, "
                   "lognormal or pareto)"));
}

std::string JitterSpec::ToString() const {
  switch (kind) {
    case kNone:
      return "none";
    case kExponential:
      return absl::StrFormat("exponential(%g)", a);
    default:
      return absl::StrFormat("%s(%g, %g)", Av(KindName(kind)), a, b);
  }
}

}  // namespace epsim::sim
