// Power of two choices (Mitzenmacher): the less loaded of two distinct
// candidates chosen at random. Nearly as good as least connections at
// avoiding a slow worker, O(1), and many clients using it do not all rush
// to the same idle worker the way they would with least connections.
#pragma once

#include <cstdint>
#include <span>

#include "selection_rng.hpp"

namespace rpcnet {

/// The less loaded of two random distinct `candidates` (not empty); a tie
/// goes to the first draw, so ties are random too.
inline uint32_t power_of_two_choices(std::span<const uint32_t> candidates,
                                     std::span<const uint32_t> in_flight,
                                     selection_rng& rng) noexcept {
  auto n = static_cast<uint32_t>(candidates.size());
  if (n == 1)
    return candidates[0];
  auto a = candidates[rng.below(n)];
  // Draw the second among the other n - 1 positions.
  auto i = rng.below(n - 1);
  auto b = candidates[i];
  if (b == a)
    b = candidates[n - 1];
  return in_flight[b] < in_flight[a] ? b : a;
}

} // namespace rpcnet
