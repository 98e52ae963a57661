// Round robin: the candidates each in turn. Exactly even counts while the
// candidates stay the same; blind to load. O(1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace rpcnet {

class round_robin {
public:
  /// The next candidate in turn. `candidates` must not be empty. When the
  /// candidates change, the turn goes on from the same position (wrapping
  /// to the first when it is past the end).
  uint32_t select(std::span<const uint32_t> candidates) noexcept {
    if (next_ >= candidates.size())
      next_ = 0;
    return candidates[next_++];
  }

private:
  /// The position of the next candidate to choose.
  size_t next_ = 0;
};

} // namespace rpcnet
