// The worker registry actor: a thin shell around worker_registry and
// node_registry, fed by membership events (see worker_registry_actor.hpp).
#include <rpcnet/cluster/worker_registry_actor.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <random>

#include <caf/typed_event_based_actor.hpp>

#include "node_registry.hpp"
#include "registry_metrics.hpp"
#include "tag_filter.hpp"
#include "worker_registry.hpp"
#include <rpcnet/transport/actor_boundary.hpp>
#include <rpcnet/transport/configuration.hpp>
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/library_log.hpp>

namespace rpcnet {

namespace {

/// The actor as it is spawned: the public interface and the events of the
/// membership actor it subscribes to. Callers get the worker_registry_actor
/// view, which cannot send those.
using worker_registry_impl = worker_registry_actor::extend<caf::reacts_to<membership_event>>;

struct registry_state {
  std::unique_ptr<worker_registry> workers;
  node_registry nodes;
  /// A user's routing actor and how long it may take to answer.
  caf::actor router;
  caf::timespan router_deadline{0};
  std::string pool_filter;
  /// Replicas that select locally.
  std::vector<caf::actor> replicas;
  /// Calls ended per worker in the pool (forgotten when it leaves or fails).
  std::map<node_id, uint64_t> calls_ended;
  /// With worker_registry_config::metrics: selections counted here, the
  /// pool read at each scrape while this state lives.
  std::shared_ptr<metrics_registry> metrics;
  std::optional<selection_counters> selections;
  metrics_collection pool_metrics;
};

using self_ptr = worker_registry_impl::stateful_pointer<registry_state>;

/// A member as a join event, to seed the tables from a snapshot.
membership_event joined(const member& m) {
  return {membership_event::kind::joined, m, 0.0, {}, {}};
}

void apply(registry_state& st, const membership_event& ev) {
  using kind = membership_event::kind;
  if (ev.what == kind::left || ev.what == kind::failed)
    st.calls_ended.erase(ev.subject.id);
  st.workers->apply(ev);
  st.nodes.apply(ev);
  for (const auto& replica : st.replicas)
    caf::anon_send(replica, ev);
}

template <class... Ts>
void tell_replicas(registry_state& st, const Ts&... xs) {
  for (const auto& replica : st.replicas)
    caf::anon_send(replica, xs...);
}

caf::expected<worker> copy_of(caf::expected<const worker*> chosen) {
  if (!chosen)
    return std::move(chosen.error());
  return **chosen;
}

void count(registry_state& st, const caf::expected<worker>& result) {
  if (st.selections)
    st.selections->count(result);
  // Rate limited: a caller retrying against an empty pool would repeat it
  // at its own pace.
  if (!result)
    log_network_line(log_level::warn, "selection_failed",
                     "registry: no worker selected: " + describe(result.error()));
}

void deliver(caf::typed_response_promise<worker>& promise, caf::expected<worker> result) {
  if (result)
    promise.deliver(std::move(*result));
  else
    promise.deliver(std::move(result.error()));
}

/// Asks the routing actor; its answer is checked and, when late or
/// nonsense, replaced by the strategy's choice. Other requests are served
/// meanwhile: a hanging router delays only the selections it was asked.
caf::result<worker> ask_router(self_ptr self, const worker_selection& sel,
                               const actor_boundary& boundary) {
  auto& st = self->state;
  selection_context ctx{sel.affinity_key, sel.zone, sel.exclude};
  auto request = st.workers->make_routing_request(sel.filter, ctx);
  if (!request) {
    count(st, request.error());
    return std::move(request.error());
  }
  auto promise = self->make_response_promise<worker>();
  auto shared = std::make_shared<routing_request>(std::move(*request));
  self->request(st.router, st.router_deadline, select_atom::value, *shared)
    .then(boundary.guard(self,
                         [self, promise, shared](routing_answer& answer) mutable {
                           auto chosen = copy_of(self->state.workers->resolve(*shared, answer));
                           count(self->state, chosen);
                           deliver(promise, std::move(chosen));
                         }),
          boundary.guard(self, [self, promise, shared](caf::error&) mutable {
            auto chosen = copy_of(self->state.workers->resolve(*shared, std::nullopt));
            count(self->state, chosen);
            deliver(promise, std::move(chosen));
          }));
  return promise;
}

worker_registry_impl::behavior_type registry_behavior(self_ptr self, membership_actor membership,
                                                      worker_registry::settings settings,
                                                      std::string pool_filter,
                                                      std::shared_ptr<metrics_registry> metrics) {
  auto& st = self->state;
  st.workers = std::make_unique<worker_registry>(std::move(settings));
  st.pool_filter = std::move(pool_filter);
  st.metrics = metrics;
  if (metrics) {
    st.selections.emplace(*metrics);
    st.pool_metrics = metrics->add_collector(
      registry_metrics_collector(self->system(), caf::actor_cast<caf::weak_actor_ptr>(self)));
  }
  actor_boundary boundary{"worker_registry", metrics};
  self->set_down_handler([self](caf::down_msg& msg) {
    std::erase_if(self->state.replicas,
                  [&](const caf::actor& r) { return r.address() == msg.source; });
  });
  // Subscribe first, then take the snapshot: events after the snapshot
  // arrive after it, and a join applied twice changes nothing.
  caf::anon_send(membership, subscribe_atom::value, caf::actor_cast<caf::actor>(self));
  self->request(membership, caf::infinite, members_atom::value)
    .then(boundary.guard(self, [self](std::vector<member>& members) {
      for (const auto& m : members)
        if (is_live(m.state))
          apply(self->state, joined(m));
    }));
  return boundary.behavior<worker_registry_impl::behavior_type>(
    self,
    [self, boundary](select_atom, worker_selection& sel) -> caf::result<worker> {
      auto& st = self->state;
      if (st.router)
        return ask_router(self, sel, boundary);
      selection_context ctx{sel.affinity_key, sel.zone, sel.exclude};
      auto chosen = copy_of(st.workers->select_worker(sel.filter, ctx));
      count(st, chosen);
      if (!chosen)
        return std::move(chosen.error());
      return std::move(*chosen);
    },
    [self](workers_atom) { return self->state.workers->workers(); },
    [self](workers_atom, std::string& filter) -> caf::result<std::vector<worker>> {
      auto parsed = tag_filter::parse(filter);
      if (!parsed)
        return std::move(parsed.error());
      std::vector<worker> out;
      for (const auto& w : self->state.workers->workers())
        if (parsed->matches(w.tags))
          out.push_back(w);
      return out;
    },
    [self](nodes_atom) { return self->state.nodes.nodes(); },
    [self](nodes_atom, std::string& key, std::string& value) {
      return self->state.nodes.nodes_with_tag(key, value);
    },
    [self](strategy_atom) { return self->state.workers->strategy(); },
    [self](strategy_atom, load_balancing_strategy strategy) {
      self->state.workers->set_strategy(strategy);
      tell_replicas(self->state, strategy_atom::value, strategy);
      return caf::ok_atom::value;
    },
    [self](router_atom, caf::actor& router, caf::timespan deadline) {
      auto& st = self->state;
      st.router = std::move(router);
      st.router_deadline = deadline;
      tell_replicas(st, router_atom::value, static_cast<bool>(st.router));
      return caf::ok_atom::value;
    },
    [self](config_atom) {
      auto& st = self->state;
      return worker_registry_config{st.pool_filter, st.workers->strategy(),
                                    st.workers->config().max_in_flight, st.metrics};
    },
    [self](subscribe_atom, caf::actor& replica) {
      auto& st = self->state;
      self->monitor(replica);
      for (const auto& m : st.nodes.nodes())
        caf::anon_send(replica, joined(m));
      caf::anon_send(replica, router_atom::value, static_cast<bool>(st.router));
      st.replicas.push_back(std::move(replica));
      return caf::ok_atom::value;
    },
    [self](call_begin_atom, node_id id) { self->state.workers->begin_call(id); },
    [self](call_end_atom, node_id id) {
      self->state.workers->end_call(id);
      ++self->state.calls_ended[id];
    },
    [self](load_atom, node_id id) {
      auto& st = self->state;
      auto it = st.calls_ended.find(id);
      return worker_load{st.workers->in_flight(id), it != st.calls_ended.end() ? it->second : 0};
    },
    [self](in_flight_atom, node_id id) { return self->state.workers->in_flight(id); },
    [self](in_flight_atom, const std::vector<in_flight_delta>& deltas) {
      auto& workers = *self->state.workers;
      for (const auto& d : deltas) {
        if (d.ended != 0)
          self->state.calls_ended[d.worker] += d.ended;
        for (int32_t i = 0; i < d.change; ++i)
          workers.begin_call(d.worker);
        for (int32_t i = 0; i > d.change; --i)
          workers.end_call(d.worker);
      }
    },
    [self](const membership_event& ev) { apply(self->state, ev); });
}

} // namespace

worker_registry_config worker_registry_config::with_pool_filter(std::string filter) const {
  return copy_with(*this, [&](auto& c) { c.pool_filter = std::move(filter); });
}

worker_registry_config
worker_registry_config::with_strategy(load_balancing_strategy choice) const {
  return copy_with(*this, [&](auto& c) { c.strategy = choice; });
}

worker_registry_config worker_registry_config::with_max_in_flight(uint32_t calls) const {
  return copy_with(*this, [&](auto& c) { c.max_in_flight = calls; });
}

worker_registry_config
worker_registry_config::with_metrics(std::shared_ptr<metrics_registry> registry) const {
  return copy_with(*this, [&](auto& c) { c.metrics = std::move(registry); });
}

caf::error worker_registry_config::validate() const {
  config_errors errors{"worker_registry_config"};
  auto filter = tag_filter::parse(pool_filter);
  errors.require(static_cast<bool>(filter), "pool_filter '" + pool_filter + "' does not parse ("
                                       + (filter ? "" : message_of(filter.error())) + ")");
  errors.require(std::find(all_load_balancing_strategies.begin(),
                           all_load_balancing_strategies.end(), strategy)
                   != all_load_balancing_strategies.end(),
                 "strategy is not a load_balancing_strategy");
  return errors.result();
}

caf::expected<worker_registry_actor>
spawn_worker_registry(caf::actor_system& sys, membership_actor membership,
                      worker_registry_config cfg) {
  if (auto err = cfg.validate())
    return err;
  auto filter = tag_filter::parse(cfg.pool_filter);
  worker_registry::settings settings;
  settings.pool_filter = std::move(*filter);
  settings.strategy = cfg.strategy;
  settings.max_in_flight = cfg.max_in_flight;
  // Directors seeded alike would make the same "random" choices in step.
  std::random_device entropy;
  settings.seed = (static_cast<uint64_t>(entropy()) << 32) | entropy();
  return worker_registry_actor{sys.spawn(registry_behavior, std::move(membership),
                                         std::move(settings), std::move(cfg.pool_filter),
                                         std::move(cfg.metrics))};
}

} // namespace rpcnet
