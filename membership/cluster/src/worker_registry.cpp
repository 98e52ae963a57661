// The worker registry core: pool upkeep from membership events, selection
// through per-filter candidate sets, and routing-actor questions.
#include "worker_registry.hpp"

#include <algorithm>

#include "member_change.hpp"
#include <rpcnet/transport/error.hpp>

namespace rpcnet {

namespace {

caf::error no_workers(std::string_view filter, const selection_context& context) {
  std::string msg = filter.empty() ? "no workers in the pool"
                                   : "no worker matches \"" + std::string{filter} + '"';
  if (!context.exclude.empty())
    msg += " apart from the " + std::to_string(context.exclude.size()) + " excluded";
  return make_error(error::no_workers, std::move(msg));
}

} // namespace

worker_registry::worker_registry(settings cfg) : cfg_(std::move(cfg)), rng_(cfg_.seed) {
}

bool worker_registry::apply(const membership_event& event) {
  if (!is_member_change(event))
    return false;
  const auto& m = event.subject;
  if (is_live(m.state) && cfg_.pool_filter.matches(m.tags))
    return pool_.upsert(make_worker(m));
  return pool_.erase(m.id);
}

const worker* worker_registry::find(const node_id& id) const {
  auto s = pool_.find(id);
  return s ? &pool_.at(*s) : nullptr;
}

caf::expected<candidate_set*>
worker_registry::find_or_add_candidates(std::string_view filter) {
  auto i = sets_.find(filter);
  if (i == sets_.end()) {
    auto parsed = tag_filter::parse(filter);
    if (!parsed)
      return std::move(parsed.error());
    if (sets_.size() >= cfg_.max_cached_filters)
      sets_.clear();
    i = sets_.emplace(std::string{filter}, candidate_set{std::move(*parsed), cfg_.virtual_nodes})
          .first;
  }
  // Map keys stay where they are until erased, and erasing clears all.
  last_filter_ = i->first;
  last_set_ = &i->second;
  last_set_->refresh(pool_);
  return last_set_;
}

caf::expected<const worker*> worker_registry::select_worker(std::string_view filter,
                                                            const selection_context& context) {
  return select_worker(filter, cfg_.strategy, context);
}

caf::expected<const worker*> worker_registry::select_worker(std::string_view filter,
                                                            load_balancing_strategy strategy,
                                                            const selection_context& context) {
  auto set = candidates_for(filter);
  if (!set)
    return std::move(set.error());
  auto slot = (*set)->select(pool_, strategy, context, rng_);
  if (!slot)
    return no_workers(filter, context);
  if (at_capacity(*slot)) [[unlikely]]
    return select_below_capacity(**set, filter, strategy, context);
  return &pool_.at(*slot);
}

caf::expected<const worker*>
worker_registry::select_below_capacity(candidate_set& set, std::string_view filter,
                                       load_balancing_strategy strategy,
                                       const selection_context& context) {
  std::vector<node_id> exclude(context.exclude.begin(), context.exclude.end());
  for (auto s : set.slots())
    if (at_capacity(s))
      exclude.push_back(pool_.at(s).id);
  auto below = context;
  below.exclude = exclude;
  if (auto slot = set.select(pool_, strategy, below, rng_))
    return &pool_.at(*slot);
  std::string msg = "every worker";
  if (!filter.empty())
    msg += " matching \"" + std::string{filter} + '"';
  msg += " has " + std::to_string(cfg_.max_in_flight) + " calls in flight";
  return make_error(error::overloaded, std::move(msg));
}

caf::expected<routing_request> worker_registry::make_routing_request(
  std::string_view filter, const selection_context& context) {
  auto set = candidates_for(filter);
  if (!set)
    return std::move(set.error());
  routing_request request;
  request.filter = filter;
  request.affinity_key = context.affinity_key;
  request.zone = context.zone;
  request.exclude.assign(context.exclude.begin(), context.exclude.end());
  const auto& ex = request.exclude;
  for (auto s : (*set)->slots()) {
    const auto& w = pool_.at(s);
    if (std::find(ex.begin(), ex.end(), w.id) == ex.end())
      request.candidates.push_back({w.id, w.address, w.tags, pool_.in_flight()[s]});
  }
  if (request.candidates.empty())
    return no_workers(filter, context);
  return request;
}

caf::expected<const worker*> worker_registry::resolve(const routing_request& request,
                                                      const std::optional<routing_answer>& answer) {
  if (answer && find_choice(request, *answer))
    if (auto slot = pool_.find(answer->chosen); slot && !at_capacity(*slot))
      return &pool_.at(*slot);
  selection_context context;
  context.affinity_key = request.affinity_key;
  context.zone = request.zone;
  context.exclude = request.exclude;
  return select_worker(request.filter, context);
}

} // namespace rpcnet
