// Weighted: a candidate chosen at random with probability proportional to
// its capacity (the `capacity` tag), so a worker announcing capacity 4 gets
// four times the calls of one announcing 1. Random rather than a smooth
// weighted round robin because it needs no per-worker state that must be
// kept in step with in-flight counts, and many clients choosing
// independently still add up to the right proportions. O(log n): a binary
// search over the running sums of the capacities, built once per change of
// the candidates.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <rpcnet/membership/selection_rng.hpp>
#include <rpcnet/membership/worker_pool.hpp>

namespace rpcnet {

class weighted_choice {
public:
  /// Takes `candidates` (not empty) and their capacities from `pool`. If
  /// every capacity is 0, each counts as 1.
  void assign(std::span<const uint32_t> candidates, const worker_pool& pool);

  /// A candidate at random in proportion to its capacity; assign() first.
  uint32_t select(selection_rng& rng) const noexcept;

  /// The sum of the capacities (after the all-zero rule).
  uint64_t total() const noexcept {
    return cumulative_.empty() ? 0 : cumulative_.back();
  }

private:
  std::vector<uint32_t> candidates_;
  /// cumulative_[i]: the capacities of candidates_[0..i] summed.
  std::vector<uint64_t> cumulative_;
};

} // namespace rpcnet
