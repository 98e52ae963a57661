// Collecting the workers that match a filter and dispatching a selection to
// the strategy.
#include <rpcnet/membership/candidate_set.hpp>

#include <algorithm>

#include <rpcnet/membership/power_of_two_choices.hpp>
#include <rpcnet/membership/random_choice.hpp>
#include <rpcnet/membership/stable_hash.hpp>

namespace rpcnet {

candidate_set::candidate_set(tag_filter filter, size_t virtual_nodes)
  : filter_(std::move(filter)), ring_(virtual_nodes) {
}

void candidate_set::refresh(const worker_pool& pool) {
  if (generation_ == pool.generation())
    return;
  generation_ = pool.generation();
  weights_ready_ = false;
  ring_ready_ = false;
  auto collect = [&](bool suspect) {
    slots_.clear();
    for (uint32_t s = 0; s < pool.size(); ++s)
      if (pool.at(s).suspect == suspect && filter_.matches(pool.at(s).tags))
        slots_.push_back(s);
  };
  collect(false);
  only_suspects_ = slots_.empty();
  if (only_suspects_)
    collect(true);
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

std::optional<uint32_t> candidate_set::select(const worker_pool& pool,
                                              load_balancing_strategy strategy,
                                              const selection_context& context,
                                              selection_rng& rng) {
  using lbs = load_balancing_strategy;
  if (slots_.empty())
    return std::nullopt;
  if (strategy == lbs::consistent_hash && context.affinity_key.empty())
    strategy = lbs::least_connections;
  if (context.exclude.empty()) {
    if (strategy == lbs::consistent_hash)
      return ring(pool).select(stable_hash(context.affinity_key));
    if (strategy == lbs::weighted)
      return weights(pool).select(rng);
    return select_among(slots_, pool, strategy, context, rng);
  }
  // Excluding workers is the rare path of a retry: it may allocate.
  auto excluded = [&](uint32_t s) {
    const auto& ex = context.exclude;
    return std::find(ex.begin(), ex.end(), pool.at(s).id) != ex.end();
  };
  if (strategy == lbs::consistent_hash)
    return ring(pool).select_if_not(stable_hash(context.affinity_key), excluded);
  std::vector<uint32_t> rest;
  rest.reserve(slots_.size());
  std::remove_copy_if(slots_.begin(), slots_.end(), std::back_inserter(rest), excluded);
  if (rest.empty())
    return std::nullopt;
  if (strategy == lbs::weighted) {
    weighted_choice rest_weights;
    rest_weights.assign(rest, pool);
    return rest_weights.select(rng);
  }
  return select_among(rest, pool, strategy, context, rng);
}

uint32_t candidate_set::select_among(std::span<const uint32_t> candidates,
                                     const worker_pool& pool, load_balancing_strategy strategy,
                                     const selection_context& context, selection_rng& rng) {
  using lbs = load_balancing_strategy;
  auto in_flight = pool.in_flight();
  switch (strategy) {
    case lbs::round_robin: return round_robin_.select(candidates);
    case lbs::random: return random_choice(candidates, rng);
    case lbs::power_of_two_choices: return power_of_two_choices(candidates, in_flight, rng);
    case lbs::locality: {
      std::optional<uint32_t> zone;
      if (!context.zone.empty())
        zone = pool.zone_number(context.zone);
      return locality_.select(candidates, in_flight, pool.zones(), zone);
    }
    case lbs::least_connections:
    case lbs::weighted:        // handled by select()
    case lbs::consistent_hash: // handled by select()
      break;
  }
  return least_connections_.select(candidates, in_flight);
}

} // namespace rpcnet
