// The run's one source of randomness: a fully specified generator and our
// own distribution code, so a seed gives the same numbers on every platform
// and standard library (docs/design.md, determinism rule 1).
//
// Generator: xoshiro256** (Blackman & Vigna), its 256-bit state filled from
// the seed by splitmix64. Distributions use only integer arithmetic, IEEE
// basic operations and, for the continuous ones, std::log / std::exp /
// std::pow from libm (glibc's are correctly rounded in practice; the
// simulator rounds every drawn delay to whole microseconds, so a last-bit
// difference on an exotic libm would almost never show).
#ifndef EPSIM_SIM_RANDOM_H_
#define EPSIM_SIM_RANDOM_H_

#include <cstdint>

namespace epsim::sim {

// splitmix64's output function: a bijective 64-bit mixer. Also used to build
// seeds and hashes.
inline uint64_t Mix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed);

  // Next 64 raw bits.
  uint64_t Next();
  // Uniform in [0, bound), without bias (Lemire's multiply-and-reject).
  // bound must be > 0.
  uint64_t Below(uint64_t bound);
  // Uniform in [lo, hi], both included; lo <= hi.
  int64_t Between(int64_t lo, int64_t hi);
  // Uniform in [0, 1) with 53 random bits: (Next() >> 11) * 2^-53.
  double Real();
  // True with probability p (p <= 0: never, p >= 1: always, no draw then).
  bool Bernoulli(double p);
  // Exponential with the given mean: -mean * log(1 - Real()).
  double Exponential(double mean);
  // Normal by Marsaglia's polar method: draw u, v = 2 Real() - 1 until
  // 0 < s = u^2 + v^2 < 1, return mean + stddev * u * sqrt(-2 log(s) / s).
  // The second value (from v) is discarded, so no state hides between calls.
  double Normal(double mean, double stddev);
  // exp(Normal(mu, sigma)): mu and sigma are those of the logarithm.
  double LogNormal(double mu, double sigma);
  // Pareto type I: scale / (1 - Real())^(1 / shape); always >= scale.
  double Pareto(double scale, double shape);

  // An independent child generator for a named stream. Does not advance this
  // generator: the same state and stream always give the same child, so
  // forks can be taken in any order.
  Rng Fork(uint64_t stream) const;

 private:
  uint64_t s_[4];
};

}  // namespace epsim::sim

#endif  // EPSIM_SIM_RANDOM_H_
