// Least connections over one fixed set of candidates, at any size: small
// sets are scanned (least_connections), large ones kept in a
// least_loaded_index that catches up on the pool's journal of load changes.
// The candidate set keeps one over all its candidates and, for the
// locality strategy, one per zone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "least_connections.hpp"
#include "least_loaded_index.hpp"
#include "worker_pool.hpp"

namespace rpcnet {

class least_loaded_set {
public:
  /// Up to this many candidates a scan of their counts is as fast as
  /// catching an index up on a call's two load changes.
  static constexpr size_t scan_limit = 32;

  /// The least loaded of `candidates` (not empty), ties in turn. The
  /// candidates must be the same from call to call until reset().
  uint32_t select(std::span<const uint32_t> candidates, const worker_pool& pool) {
    if (candidates.size() <= scan_limit)
      return scan_.select(candidates, pool.in_flight());
    return select_indexed(candidates, pool);
  }

  /// Forgets the index: the candidates or their slots changed.
  void reset() noexcept {
    index_ready_ = false;
  }

private:
  uint32_t select_indexed(std::span<const uint32_t> candidates, const worker_pool& pool);

  // -- member variables -------------------------------------------------------

  least_connections scan_;
  /// The min-tree of the candidates' counts, current up to the pool's
  /// load change number index_changes_.
  least_loaded_index index_;
  bool index_ready_ = false;
  uint64_t index_changes_ = 0;
  /// positions_[slot]: the slot's position among the candidates, or -1.
  std::vector<int32_t> positions_;
};

} // namespace rpcnet
