// The network model's knobs: link kind, jitter, loss, duplication and the
// delays that do not come from the topology.
//
// One-way delay of a message from node a to node b:
//   base   = rtt_ms[site(a)][site(b)] / 2   (same_site_delay if one site)
//   delay  = (base + jitter.Draw()) * slowdown(a, b), rounded to microseconds.
#ifndef EPSIM_SIM_NETWORK_H_
#define EPSIM_SIM_NETWORK_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "sim/random.h"
#include "sim/time.h"

namespace epsim::sim {

// Reliable links are the papers' model: every message between live nodes is
// eventually delivered. A message lost by the loss probability, or arriving
// across a partition or cut, is re-attempted after retransmit_delay (like a
// TCP retransmission) with a fresh delay, until it gets through or its
// receiver crashes. On lossy links such a message is gone.
enum class LinkKind { kReliable, kLossy };
std::string_view LinkKindName(LinkKind kind);  // "reliable", "lossy"
absl::StatusOr<LinkKind> ParseLinkKind(std::string_view name);

// Extra one-way delay per message. Parameters are in microseconds except the
// shapes:
//   kNone                      0
//   kUniform     a, b          uniform integer in [a, b]
//   kExponential a = mean      exponential
//   kNormal      a = mean, b = stddev      (negative draws become 0)
//   kLogNormal   a = median, b = sigma     exp(Normal(ln a, b))
//   kPareto      a = scale, b = shape      Pareto(a, b) - a (Lomax: >= 0,
//                                          heavy tail, 0 most likely)
// A draw is rounded to whole microseconds and clamped to [0, 1 hour].
struct JitterSpec {
  enum Kind { kNone, kUniform, kExponential, kNormal, kLogNormal, kPareto };
  Kind kind = kNone;
  double a = 0;
  double b = 0;

  Duration Draw(Rng& rng) const;
  // "none", "uniform", "exponential", "normal", "lognormal", "pareto".
  static std::string_view KindName(Kind kind);
  static absl::StatusOr<Kind> ParseKind(std::string_view name);
  // "uniform(100, 500)" for traces and reports.
  std::string ToString() const;
};

struct NetworkConfig {
  LinkKind link_kind = LinkKind::kReliable;
  JitterSpec jitter;
  Duration same_site_delay = 100;  // one-way, between nodes at one site
  Duration retransmit_delay = 10 * kMillisecond;  // reliable links only
  double loss = 0;         // probability a transmission is lost
  double duplication = 0;  // probability a sent message arrives twice
  // Added to every message's delay: a per-message processing cost, to
  // calibrate against measured systems (docs/wan.md suggests 0.5-1 ms).
  Duration processing_delay = 0;
};

}  // namespace epsim::sim

#endif  // EPSIM_SIM_NETWORK_H_
