// Building the consistent-hash ring and finding a key's point.
#include "hash_ring.hpp"

#include <algorithm>
#include <bit>

#include "stable_hash.hpp"

namespace rpcnet {

uint64_t hash_ring::point_of(const node_id& id, uint32_t replica) noexcept {
  return mix64(id.hi ^ mix64(id.lo + 0x9e3779b97f4a7c15ULL * (uint64_t{replica} + 1)));
}

void hash_ring::assign(std::span<const uint32_t> candidates, const worker_pool& pool) {
  struct entry {
    uint64_t point;
    node_id id;
    uint32_t owner;
  };
  std::vector<entry> entries;
  entries.reserve(candidates.size() * virtual_nodes_);
  for (auto s : candidates) {
    const auto& id = pool.at(s).id;
    for (uint32_t r = 0; r < virtual_nodes_; ++r)
      entries.push_back({point_of(id, r), id, s});
  }
  // Equal points (never seen, but possible) go to the smaller id, so every
  // process agrees.
  std::sort(entries.begin(), entries.end(), [](const entry& a, const entry& b) {
    return a.point != b.point ? a.point < b.point : a.id < b.id;
  });
  points_.resize(entries.size());
  owners_.resize(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    points_[i] = entries[i].point;
    owners_[i] = entries[i].owner;
  }
  // About one point per bucket.
  bucket_bits_ = points_.empty() ? 0 : static_cast<unsigned>(std::bit_width(points_.size()));
  auto buckets = size_t{1} << bucket_bits_;
  bucket_start_.assign(buckets + 1, static_cast<uint32_t>(points_.size()));
  size_t i = 0;
  for (size_t b = 0; b < buckets; ++b) {
    while (i < points_.size() && bucket_bits_ > 0 && (points_[i] >> (64 - bucket_bits_)) < b)
      ++i;
    bucket_start_[b] = static_cast<uint32_t>(i);
  }
}

size_t hash_ring::first_point_at_or_after(uint64_t hash) const noexcept {
  auto b = bucket_bits_ == 0 ? 0 : static_cast<size_t>(hash >> (64 - bucket_bits_));
  auto first = points_.begin() + bucket_start_[b];
  auto last = points_.begin() + bucket_start_[b + 1];
  auto i = static_cast<size_t>(std::lower_bound(first, last, hash) - points_.begin());
  return i == points_.size() ? 0 : i;
}

} // namespace rpcnet
