// Collecting the workers that match a filter and dispatching a selection to
// the strategy.
#include "candidate_set.hpp"

#include <algorithm>

#include "stable_hash.hpp"

namespace rpcnet {

candidate_set::candidate_set(tag_filter filter, size_t virtual_nodes)
  : filter_(std::move(filter)), ring_(virtual_nodes) {
}

void candidate_set::collect(const worker_pool& pool) {
  generation_ = pool.generation();
  auto previous = std::move(shape_);
  auto gather = [&](bool suspect) {
    slots_.clear();
    shape_.clear();
    for (uint32_t s = 0; s < pool.size(); ++s) {
      const auto& w = pool.at(s);
      if (w.suspect == suspect && filter_.matches(w.tags)) {
        slots_.push_back(s);
        shape_.push_back({s, w.id, w.capacity});
      }
    }
  };
  gather(false);
  // No alive worker matched: suspect ones are better than none.
  if (slots_.empty())
    gather(true);
  // A change elsewhere in the pool (a worker of another filter suspected,
  // a tag this filter ignores) keeps the ring and the sums: rebuilding a
  // ring of a thousand workers takes milliseconds.
  if (shape_ != previous) {
    weights_ready_ = false;
    ring_ready_ = false;
  }
  // The indexes map slots to positions; slots change with the pool.
  least_loaded_.reset();
  zone_groups_.clear();
}

const weighted_choice& candidate_set::weights(const worker_pool& pool) {
  if (!weights_ready_) {
    weights_.assign(slots_, pool);
    weights_ready_ = true;
  }
  return weights_;
}

const hash_ring& candidate_set::ring(const worker_pool& pool) {
  if (!ring_ready_) {
    ring_.assign(slots_, pool);
    ring_ready_ = true;
  }
  return ring_;
}

std::optional<uint32_t> candidate_set::select_structured(const worker_pool& pool,
                                                         load_balancing_strategy strategy,
                                                         const selection_context& context,
                                                         selection_rng& rng) {
  if (strategy == load_balancing_strategy::weighted)
    return weights(pool).select(rng);
  return ring(pool).select(stable_hash(context.affinity_key));
}

std::optional<uint32_t> candidate_set::select_excluding(const worker_pool& pool,
                                                        load_balancing_strategy strategy,
                                                        const selection_context& context,
                                                        selection_rng& rng) {
  using lbs = load_balancing_strategy;
  auto excluded = [&](uint32_t s) {
    const auto& ex = context.exclude;
    return std::find(ex.begin(), ex.end(), pool.at(s).id) != ex.end();
  };
  if (strategy == lbs::consistent_hash && !context.affinity_key.empty())
    return ring(pool).select_if_not(stable_hash(context.affinity_key), excluded);
  std::vector<uint32_t> rest;
  rest.reserve(slots_.size());
  std::remove_copy_if(slots_.begin(), slots_.end(), std::back_inserter(rest), excluded);
  if (rest.empty())
    return std::nullopt;
  // Built and scanned for one use: the remaining workers change per call.
  switch (strategy) {
    case lbs::weighted: {
      weighted_choice rest_weights;
      rest_weights.assign(rest, pool);
      return rest_weights.select(rng);
    }
    case lbs::least_connections:
    case lbs::consistent_hash: // without an affinity key: by load
      return least_connections_.select(rest, pool.in_flight());
    case lbs::locality:
      return locality_.select(rest, pool.in_flight(), pool.zones(), zone_number(pool, context));
    default: return select_simple(rest, pool, strategy, rng);
  }
}

std::optional<uint32_t> candidate_set::zone_number(const worker_pool& pool,
                                                   const selection_context& context) {
  if (context.zone.empty())
    return std::nullopt;
  return pool.zone_number(context.zone);
}

uint32_t candidate_set::select_local(const worker_pool& pool, const selection_context& context) {
  if (auto zone = zone_number(pool, context)) {
    auto [i, added] = zone_groups_.try_emplace(*zone);
    auto& group = i->second;
    if (added)
      for (auto s : slots_)
        if (pool.zones()[s] == *zone)
          group.slots.push_back(s);
    if (!group.slots.empty())
      return group.least_loaded.select(group.slots, pool);
  }
  return least_loaded_.select(slots_, pool);
}

} // namespace rpcnet
