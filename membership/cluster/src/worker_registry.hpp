// The worker registry's core, without I/O: membership events in, a pool of
// workers out (the live members that pass the registry's tag filter), and
// worker selection by tag filter and load-balancing strategy. It also counts
// the calls and streams in flight per worker, which the cluster client
// reports, and prepares and checks the questions to a user's routing actor.
// The worker registry actor owns one and feeds it events and requests.
//
// Membership, decided here: a worker that fails or leaves is out of the
// pool at the event; one that joins, rejoins or recovers is in at the
// event. A suspect worker stays in the pool but is chosen only when no
// alive worker matches the filter (see candidate_set::refresh).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "candidate_set.hpp"
#include "hash_ring.hpp"
#include <rpcnet/cluster/load_balancing_strategy.hpp>
#include <rpcnet/membership/membership_event.hpp>
#include <rpcnet/cluster/routing_request.hpp>
#include "selection_rng.hpp"
#include "tag_filter.hpp"
#include <rpcnet/cluster/worker.hpp>
#include "worker_pool.hpp"

namespace rpcnet {

class worker_registry {
public:
  // -- member types -----------------------------------------------------------

  struct settings {
    /// Which members are workers at all, e.g. "role=worker" parsed. The
    /// default admits every live member.
    tag_filter pool_filter;
    /// The strategy of select_worker() without one.
    load_balancing_strategy strategy = default_load_balancing_strategy;
    /// Seeds the random strategies. Fixed by default for reproducible
    /// tests; a registry actor seeds it from std::random_device, or every
    /// director would make the same "random" choices in step.
    uint64_t seed = 0x5eed5eed5eed5eedULL;
    /// Points per worker on the consistent-hash ring.
    size_t virtual_nodes = hash_ring::default_virtual_nodes;
    /// Distinct filter texts whose candidate sets are kept; when one more
    /// comes, all are dropped (and rebuilt on use), which bounds memory
    /// against callers sending ever new filters.
    size_t max_cached_filters = 64;
    /// Load shedding: a worker with this many calls and streams in flight
    /// takes no more; when every candidate is that busy, select_worker
    /// answers overloaded. 0: no cap.
    uint32_t max_in_flight = 0;
  };

  // -- constructors -----------------------------------------------------------

  worker_registry() : worker_registry(settings{}) {
  }

  explicit worker_registry(settings cfg);

  // -- membership -------------------------------------------------------------

  /// Applies one membership event: a live member passing the pool filter
  /// is added or updated, any other member removed; partition events are
  /// skipped (see member_change.hpp). Returns whether the pool changed.
  bool apply(const membership_event& event);

  // -- workers ----------------------------------------------------------------

  /// The workers in the pool (in no particular order).
  const std::vector<worker>& workers() const noexcept {
    return pool_.workers();
  }

  size_t worker_count() const noexcept {
    return pool_.size();
  }

  /// The worker with `id`, or nullptr; valid until the next apply().
  const worker* find(const node_id& id) const;

  /// The pool itself, for callers that need slots or counts in bulk.
  const worker_pool& pool() const noexcept {
    return pool_;
  }

  // -- strategy ---------------------------------------------------------------

  load_balancing_strategy strategy() const noexcept {
    return cfg_.strategy;
  }

  void set_strategy(load_balancing_strategy strategy) noexcept {
    cfg_.strategy = strategy;
  }

  const settings& config() const noexcept {
    return cfg_;
  }

  // -- selecting --------------------------------------------------------------

  /// A worker matching `filter` ("k=v[,k=v...]", "" for any), chosen by
  /// the configured strategy among those below max_in_flight. Errors:
  /// config for a malformed filter, no_workers when no worker matches (or
  /// all that match are excluded), overloaded when all that match are at
  /// max_in_flight. The pointer is valid until the next apply().
  caf::expected<const worker*> select_worker(std::string_view filter,
                                             const selection_context& context = {});

  /// The same with an explicit strategy.
  caf::expected<const worker*> select_worker(std::string_view filter,
                                             load_balancing_strategy strategy,
                                             const selection_context& context = {});

  // -- routing actors ---------------------------------------------------------

  /// The question for a user's routing actor: the workers matching
  /// `filter` minus the excluded ones. Errors as for select_worker, so the
  /// actor is never asked to choose from nothing.
  caf::expected<routing_request> make_routing_request(std::string_view filter,
                                                      const selection_context& context = {});

  /// The worker for `request`: the answer's choice if the answer names
  /// one of the request's candidates that is still in the pool and below
  /// max_in_flight; otherwise
  /// -- no answer in time (nullopt), an unknown id, or a worker gone since
  /// -- the configured strategy's choice for the same request.
  caf::expected<const worker*> resolve(const routing_request& request,
                                       const std::optional<routing_answer>& answer);

  // -- load -------------------------------------------------------------------

  /// Counts a call or stream started on worker `id`; false if unknown.
  bool begin_call(const node_id& id) {
    return pool_.begin_call(id);
  }

  /// Counts a call or stream on worker `id` as ended.
  void end_call(const node_id& id) {
    pool_.end_call(id);
  }

  /// Calls and streams in flight on worker `id`.
  uint32_t in_flight(const node_id& id) const {
    return pool_.in_flight(id);
  }

private:
  /// The refreshed candidate set for `filter`, parsing and caching it on
  /// first use. Inline for the common case of the same filter again.
  caf::expected<candidate_set*> candidates_for(std::string_view filter) {
    if (last_set_ == nullptr || !same_text(filter, last_filter_))
      return find_or_add_candidates(filter);
    last_set_->refresh(pool_);
    return last_set_;
  }

  caf::expected<candidate_set*> find_or_add_candidates(std::string_view filter);

  /// True if the worker in `slot` has max_in_flight calls in flight.
  bool at_capacity(uint32_t slot) const noexcept {
    return cfg_.max_in_flight != 0 && pool_.in_flight()[slot] >= cfg_.max_in_flight;
  }

  /// The strategy's choice among the candidates below max_in_flight, after
  /// its first choice was at it; overloaded if there is none.
  [[gnu::cold]] caf::expected<const worker*>
  select_below_capacity(candidate_set& set, std::string_view filter,
                        load_balancing_strategy strategy, const selection_context& context);

  /// a == b for short texts, without a call into the C library: filters
  /// are a few words, and at a few nanoseconds per selection a memcmp
  /// call was a third of the time.
  static bool same_text(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size())
      return false;
    size_t i = 0;
    for (; i + 8 <= a.size(); i += 8) {
      uint64_t x;
      uint64_t y;
      std::memcpy(&x, a.data() + i, 8);
      std::memcpy(&y, b.data() + i, 8);
      if (x != y)
        return false;
    }
    for (; i < a.size(); ++i)
      if (a[i] != b[i])
        return false;
    return true;
  }

  // -- member variables -------------------------------------------------------

  settings cfg_;
  worker_pool pool_;
  selection_rng rng_;
  /// Candidate sets by filter text as the callers write it.
  std::map<std::string, candidate_set, std::less<>> sets_;
  /// The entry of sets_ used last: callers mostly repeat one filter, and
  /// one comparison is cheaper than a walk down the map.
  std::string_view last_filter_;
  candidate_set* last_set_ = nullptr;
};

} // namespace rpcnet
