// The workers that match one tag filter, with what each strategy keeps
// about them (turns, the alias table of capacities, the hash ring, the
// least-loaded indexes over all and per zone). The worker
// registry keeps one per filter it was asked for and refreshes it lazily when
// the pool's generation moves, so a selection costs only the strategy's own
// work, not a pass over every worker's tags.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hash_ring.hpp"
#include "least_connections.hpp"
#include "least_loaded_set.hpp"
#include <rpcnet/cluster/load_balancing_strategy.hpp>
#include "locality.hpp"
#include <rpcnet/membership/node_id.hpp>
#include "power_of_two_choices.hpp"
#include "random_choice.hpp"
#include "round_robin.hpp"
#include "selection_rng.hpp"
#include "tag_filter.hpp"
#include "weighted_choice.hpp"
#include "worker_pool.hpp"

namespace rpcnet {

/// What a selection may say beyond the filter and the strategy.
struct selection_context {
  /// The consistent_hash strategy's key (a session, a user, a shard).
  /// Empty: consistent_hash falls back to least connections.
  std::string_view affinity_key;
  /// The caller's zone for the locality strategy. Empty: locality is
  /// least connections over all candidates.
  std::string_view zone;
  /// Workers not to choose, e.g. those a failing call already tried.
  /// If every candidate is excluded there is no choice.
  std::span<const node_id> exclude;
};

class candidate_set {
public:
  // -- constructors -----------------------------------------------------------

  explicit candidate_set(tag_filter filter,
                         size_t virtual_nodes = hash_ring::default_virtual_nodes);

  // -- refreshing -------------------------------------------------------------

  /// Collects the matching workers again if `pool` changed since the last
  /// call. Suspect workers are candidates only when no alive worker
  /// matches: suspicion is often false, so they stay in reserve instead of
  /// making the caller fail, but they get no work while others can take it.
  void refresh(const worker_pool& pool) {
    if (generation_ != pool.generation())
      collect(pool);
  }

  // -- selecting --------------------------------------------------------------

  /// A candidate chosen by `strategy`, as a slot of `pool` (the pool this
  /// set was last refreshed from); nullopt when there is no candidate.
  /// Inline: it is the hot path of every call, a few nanoseconds long.
  std::optional<uint32_t> select(const worker_pool& pool, load_balancing_strategy strategy,
                                 const selection_context& context, selection_rng& rng) {
    if (slots_.empty())
      return std::nullopt;
    if (!context.exclude.empty()) [[unlikely]]
      return select_excluding(pool, strategy, context, rng);
    using lbs = load_balancing_strategy;
    switch (strategy) {
      case lbs::weighted: return select_structured(pool, strategy, context, rng);
      case lbs::consistent_hash:
        if (!context.affinity_key.empty())
          return select_structured(pool, strategy, context, rng);
        [[fallthrough]]; // without a key: by load
      case lbs::least_connections: return least_loaded_.select(slots_, pool);
      case lbs::locality: return select_local(pool, context);
      default: return select_simple(slots_, pool, strategy, rng);
    }
  }

  // -- properties -------------------------------------------------------------

  const tag_filter& filter() const noexcept {
    return filter_;
  }

  /// The candidates as slots of the pool.
  std::span<const uint32_t> slots() const noexcept {
    return slots_;
  }

private:
  /// Collects the candidates from `pool` and forgets the strategies'
  /// structures built over the previous ones.
  void collect(const worker_pool& pool);

  /// Round robin, random or power of two choices (for any other
  /// strategy) among `candidates`: the strategies that keep nothing about
  /// the candidates, so they serve the retry path's remaining ones too.
  uint32_t select_simple(std::span<const uint32_t> candidates, const worker_pool& pool,
                         load_balancing_strategy strategy, selection_rng& rng) {
    switch (strategy) {
      case load_balancing_strategy::round_robin: return round_robin_.select(candidates);
      case load_balancing_strategy::random: return random_choice(candidates, rng);
      default: return power_of_two_choices(candidates, pool.in_flight(), rng);
    }
  }

  /// The caller's zone as the pool numbers it; nullopt if no worker has
  /// it (or the caller named none).
  static std::optional<uint32_t> zone_number(const worker_pool& pool,
                                             const selection_context& context);

  /// Locality over all candidates: least connections among the caller's
  /// zone (zone_groups_), else among all.
  uint32_t select_local(const worker_pool& pool, const selection_context& context);

  /// Selection by weight or by affinity key, over the cached structures.
  std::optional<uint32_t> select_structured(const worker_pool& pool,
                                            load_balancing_strategy strategy,
                                            const selection_context& context,
                                            selection_rng& rng);

  /// The rare path of a retry that excludes workers; may allocate.
  [[gnu::cold]] std::optional<uint32_t> select_excluding(const worker_pool& pool,
                                                         load_balancing_strategy strategy,
                                                         const selection_context& context,
                                                         selection_rng& rng);

  /// The running sums and the ring over slots_, built on first use.
  const weighted_choice& weights(const worker_pool& pool);
  const hash_ring& ring(const worker_pool& pool);

  // -- member variables -------------------------------------------------------

  tag_filter filter_;
  /// The pool generation slots_ was collected at (none yet: a pool's
  /// generation never reaches this value).
  uint64_t generation_ = std::numeric_limits<uint64_t>::max();
  std::vector<uint32_t> slots_;

  /// What the weights and the ring were built from: each candidate's slot,
  /// id and capacity. They are rebuilt only when this changes.
  struct candidate_shape {
    uint32_t slot;
    node_id id;
    uint32_t capacity;
    friend bool operator==(const candidate_shape&, const candidate_shape&) = default;
  };
  std::vector<candidate_shape> shape_;

  // Strategy state. The weights and the ring are built on first use after
  // a refresh: most sets never use them.
  round_robin round_robin_;
  least_connections least_connections_;
  locality locality_;
  weighted_choice weights_;
  bool weights_ready_ = false;
  hash_ring ring_;
  bool ring_ready_ = false;
  /// Least connections over all candidates.
  least_loaded_set least_loaded_;
  /// For locality: the candidates of each zone (by the pool's zone
  /// numbers), gathered on first use after a refresh.
  struct zone_group {
    std::vector<uint32_t> slots;
    least_loaded_set least_loaded;
  };
  std::unordered_map<uint32_t, zone_group> zone_groups_;
};

} // namespace rpcnet
