// Least connections for large candidate sets in O(log n): a min-tree over
// the candidates' in-flight counts, kept current from the pool's journal
// of load changes (worker_pool::replay_load_changes) instead of a scan of
// every count on every selection. It chooses exactly what a scan by
// least_connections would: the first least-loaded candidate at or after
// the position following the previous choice, wrapping around.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace rpcnet {

class least_loaded_index {
public:
  /// Builds the tree over `candidates` (not empty) with their counts from
  /// `in_flight`, indexed by the values in `candidates`.
  void assign(std::span<const uint32_t> candidates, std::span<const uint32_t> in_flight);

  /// Sets the count of the candidate at `position`. O(log n).
  void update(size_t position, uint32_t count) noexcept;

  /// The position of the least loaded candidate, ties in turn. O(log n).
  size_t select() noexcept;

  /// The number of candidates.
  size_t size() const noexcept {
    return count_;
  }

private:
  /// The first position >= from whose count is <= bound, or count_.
  size_t first_at_most(size_t from, uint32_t bound) const noexcept;

  // -- member variables -------------------------------------------------------

  /// Candidates held; leaves_ is the next power of two.
  size_t count_ = 0;
  size_t leaves_ = 0;
  /// Node i covers children 2i and 2i+1; leaf p is node leaves_ + p; the
  /// root is node 1. Padding leaves hold the largest count, never chosen.
  std::vector<uint32_t> tree_;
  /// Where the next search starts: just after the previous choice.
  size_t next_ = 0;
};

} // namespace rpcnet
