// Random: a candidate chosen uniformly at random. Stateless apart from the
// generator, which the caller owns and seeds. O(1).
#pragma once

#include <cstdint>
#include <span>

#include "selection_rng.hpp"

namespace rpcnet {

/// A uniformly random one of `candidates` (not empty).
inline uint32_t random_choice(std::span<const uint32_t> candidates, selection_rng& rng) noexcept {
  return candidates[rng.below(static_cast<uint32_t>(candidates.size()))];
}

} // namespace rpcnet
