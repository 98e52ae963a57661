// Weighted random choice over running sums of capacities.
#include <rpcnet/membership/weighted_choice.hpp>

#include <algorithm>

namespace rpcnet {

void weighted_choice::assign(std::span<const uint32_t> candidates, const worker_pool& pool) {
  candidates_.assign(candidates.begin(), candidates.end());
  auto all_zero = std::all_of(candidates.begin(), candidates.end(),
                              [&](uint32_t s) { return pool.at(s).capacity == 0; });
  cumulative_.clear();
  cumulative_.reserve(candidates.size());
  uint64_t sum = 0;
  for (auto s : candidates) {
    sum += all_zero ? 1 : pool.at(s).capacity;
    cumulative_.push_back(sum);
  }
}

uint32_t weighted_choice::select(selection_rng& rng) const noexcept {
  // The modulo's bias is below total / 2^64: nothing to correct.
  auto r = rng() % total();
  auto i = std::upper_bound(cumulative_.begin(), cumulative_.end(), r) - cumulative_.begin();
  return candidates_[static_cast<size_t>(i)];
}

} // namespace rpcnet
