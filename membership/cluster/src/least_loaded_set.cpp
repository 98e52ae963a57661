// Keeping a least-loaded index current from the pool's load journal.
#include "least_loaded_set.hpp"

namespace rpcnet {

uint32_t least_loaded_set::select_indexed(std::span<const uint32_t> candidates,
                                          const worker_pool& pool) {
  auto in_flight = pool.in_flight();
  auto catch_up = [&](uint32_t slot) {
    if (slot >= positions_.size())
      return; // a worker that came after the index (it is rebuilt then)
    if (auto p = positions_[slot]; p >= 0)
      index_.update(static_cast<size_t>(p), in_flight[slot]);
  };
  if (!index_ready_ || !pool.replay_load_changes(index_changes_, catch_up)) {
    positions_.assign(pool.size(), -1);
    for (size_t p = 0; p < candidates.size(); ++p)
      positions_[candidates[p]] = static_cast<int32_t>(p);
    index_.assign(candidates, in_flight);
    index_ready_ = true;
  }
  index_changes_ = pool.load_changes();
  return candidates[index_.select()];
}

} // namespace rpcnet
