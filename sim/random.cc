#include "sim/random.h"

#include <cmath>

#include "base/check.h"

namespace epsim::sim {
namespace {

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Rng::Rng(uint64_t seed) {
  // splitmix64: add the golden-ratio increment, then mix; never all zero.
  for (uint64_t& word : s_) {
    seed += 0x9e3779b97f4a7c15ULL;
    word = Mix64(seed);
  }
}

uint64_t Rng::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

uint64_t Rng::Below(uint64_t bound) {
  EPSIM_CHECK(bound > 0) << "Rng::Below(0)";
  // Lemire, "Fast Random Integer Generation in an Interval" (2019).
  unsigned __int128 m = static_cast<unsigned __int128>(Next()) * bound;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < bound) {
    const uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(Next()) * bound;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

int64_t Rng::Between(int64_t lo, int64_t hi) {
  EPSIM_CHECK(lo <= hi) << "Rng::Between(" << lo << ", " << hi << ")";
  const uint64_t span =
      static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
  const uint64_t offset = span == 0 ? Next() : Below(span);  // 0: all 2^64
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + offset);
}

double Rng::Real() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

bool Rng::Bernoulli(double p) {
  if (p <= 0) return false;
  if (p >= 1) return true;
  return Real() < p;
}

double Rng::Exponential(double mean) {
  return -mean * std::log(1.0 - Real());  // 1 - Real() is in (0, 1]
}

double Rng::Normal(double mean, double stddev) {
  while (true) {
    const double u = 2.0 * Real() - 1.0;
    const double v = 2.0 * Real() - 1.0;
    const double s = u * u + v * v;
    if (s > 0.0 && s < 1.0) {
      return mean + stddev * u * std::sqrt(-2.0 * std::log(s) / s);
    }
  }
}

double Rng::LogNormal(double mu, double sigma) {
  return std::exp(Normal(mu, sigma));
}

double Rng::Pareto(double scale, double shape) {
  EPSIM_CHECK(shape > 0) << "Rng::Pareto shape " << shape;
  return scale / std::pow(1.0 - Real(), 1.0 / shape);
}

Rng Rng::Fork(uint64_t stream) const {
  uint64_t seed = Mix64(stream ^ 0x6a09e667f3bcc909ULL);
  for (uint64_t word : s_) seed = Mix64(seed ^ word) + 0x9e3779b97f4a7c15ULL;
  return Rng(seed);
}

}  // namespace epsim::sim
