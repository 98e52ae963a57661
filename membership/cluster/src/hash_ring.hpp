// Consistent hashing on an affinity key: each candidate owns many points
// ("virtual nodes") on a ring of 64-bit hashes, and a key belongs to the
// owner of the first point at or after the key's hash. A point's place
// depends only on its worker's id, never on the other workers, so when one
// of n workers leaves only the keys on its points move (about 1/n of them),
// and every process with the same workers maps a key to the same worker.
// Lookups are O(1) on average: a table indexed by the top bits of the hash
// narrows the search to the few points in one bucket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <rpcnet/membership/node_id.hpp>
#include "worker_pool.hpp"

namespace rpcnet {

class hash_ring {
public:
  // -- constants --------------------------------------------------------------

  /// Points per worker unless configured: enough that each worker's share
  /// of the keys stays within about 15 % of 1/n.
  static constexpr size_t default_virtual_nodes = 100;

  // -- constructors -----------------------------------------------------------

  explicit hash_ring(size_t virtual_nodes = default_virtual_nodes)
    : virtual_nodes_(virtual_nodes == 0 ? 1 : virtual_nodes) {
  }

  // -- building ---------------------------------------------------------------

  /// Places the points of `candidates` (slots of `pool`).
  void assign(std::span<const uint32_t> candidates, const worker_pool& pool);

  /// Where the `replica`-th point of worker `id` lies on the ring.
  static uint64_t point_of(const node_id& id, uint32_t replica) noexcept;

  // -- lookup -----------------------------------------------------------------

  /// The candidate that owns `key_hash` (see stable_hash); the ring must
  /// not be empty.
  uint32_t select(uint64_t key_hash) const noexcept {
    return owners_[first_point_at_or_after(key_hash)];
  }

  /// The first owner clockwise from `key_hash` for which `skip(owner)` is
  /// false -- where the key goes if the skipped workers had left; nullopt
  /// if all are skipped.
  template <class Predicate>
  std::optional<uint32_t> select_if_not(uint64_t key_hash, Predicate skip) const {
    auto n = points_.size();
    auto i = first_point_at_or_after(key_hash);
    for (size_t step = 0; step < n; ++step, i = (i + 1 == n ? 0 : i + 1))
      if (!skip(owners_[i]))
        return owners_[i];
    return std::nullopt;
  }

  // -- properties -------------------------------------------------------------

  /// The number of points on the ring.
  size_t size() const noexcept {
    return points_.size();
  }

private:
  /// The index of the first point >= hash, wrapping to 0 past the last.
  size_t first_point_at_or_after(uint64_t hash) const noexcept;

  // -- member variables -------------------------------------------------------

  size_t virtual_nodes_;
  /// The points, ascending, and the slot owning each.
  std::vector<uint64_t> points_;
  std::vector<uint32_t> owners_;
  /// bucket_start_[b]: the index of the first point whose top bucket_bits_
  /// bits are >= b; one entry more than buckets, holding points_.size().
  std::vector<uint32_t> bucket_start_;
  unsigned bucket_bits_ = 0;
};

} // namespace rpcnet
