// The random source of the load-balancing strategies: SplitMix64, a small
// and fast generator (one add and a mix per number) that passes BigCrush.
// Seeded by the caller, so tests and simulations replay exactly.
#pragma once

#include <cstdint>
#include <limits>

#include "stable_hash.hpp"

namespace rpcnet {

/// A seeded 64-bit generator; satisfies std::uniform_random_bit_generator.
class selection_rng {
public:
  using result_type = uint64_t;

  explicit selection_rng(uint64_t seed = 0x5eed5eed5eed5eedULL) noexcept : state_(seed) {
  }

  static constexpr result_type min() noexcept {
    return 0;
  }

  static constexpr result_type max() noexcept {
    return std::numeric_limits<result_type>::max();
  }

  result_type operator()() noexcept {
    state_ += 0x9e3779b97f4a7c15ULL;
    auto z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  /// A number in [0, n) for 0 < n < 2^32, by multiplying instead of
  /// dividing (Lemire); the bias is below n / 2^32, far below what a load
  /// balancer could notice.
  uint32_t below(uint32_t n) noexcept {
    auto r = static_cast<uint32_t>((*this)() >> 32);
    return static_cast<uint32_t>((static_cast<uint64_t>(r) * n) >> 32);
  }

private:
  uint64_t state_;
};

} // namespace rpcnet
