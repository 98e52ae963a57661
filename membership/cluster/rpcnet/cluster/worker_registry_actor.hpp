// The worker registry as an actor (WorkerRegistry and NodeRegistry of the
// Rust RpcNet library whose design rpcnet takes): it
// subscribes to a membership actor, keeps the worker pool (worker_registry)
// and the node table (node_registry) current from the events, and answers
// selection requests by tag filter and strategy -- or by asking a user's
// routing actor, with a deadline, falling back to the strategy when the
// router is late or answers nonsense. The cluster client reports the calls
// and streams in flight per worker.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/expected.hpp>
#include <caf/typed_actor.hpp>

#include <rpcnet/cluster/load_balancing_strategy.hpp>
#include <rpcnet/membership/membership_actor.hpp>
#include <rpcnet/cluster/routing_request.hpp>
#include <rpcnet/cluster/worker.hpp>
#include <rpcnet/transport/metrics_registry.hpp>

namespace rpcnet {

using select_atom = caf::atom_constant<caf::atom("select")>;
using workers_atom = caf::atom_constant<caf::atom("workers")>;
using nodes_atom = caf::atom_constant<caf::atom("nodes")>;
using strategy_atom = caf::atom_constant<caf::atom("strategy")>;
using router_atom = caf::atom_constant<caf::atom("router")>;
using call_begin_atom = caf::atom_constant<caf::atom("callbegin")>;
using call_end_atom = caf::atom_constant<caf::atom("callend")>;
using in_flight_atom = caf::atom_constant<caf::atom("inflight")>;
using config_atom = caf::atom_constant<caf::atom("config")>;
using load_atom = caf::atom_constant<caf::atom("load")>;

/// One selection: which workers may serve (a tag filter, "" for any), and
/// what the strategies read.
struct worker_selection {
  std::string filter;
  /// consistent_hash: the same key goes to the same worker.
  std::string affinity_key;
  /// locality: the caller's zone.
  std::string zone;
  /// Workers not to choose (a retry's earlier attempts).
  std::vector<node_id> exclude;
};

/// The registry's settings, written as every rpcnet configuration is
/// (configuration.hpp).
struct worker_registry_config {
  /// Which members are workers, e.g. "role=worker" ("" for every member).
  std::string pool_filter = "role=worker";
  load_balancing_strategy strategy = default_load_balancing_strategy;
  /// A worker with this many calls and streams in flight takes no more
  /// (load shedding); 0 for no cap.
  uint32_t max_in_flight = 0;
  /// Where selections and the pool are counted (cluster_selections_total,
  /// cluster_healthy_workers, cluster_worker_in_flight, ...); none: nowhere.
  std::shared_ptr<metrics_registry> metrics;

  [[nodiscard]] worker_registry_config with_pool_filter(std::string filter) const;
  [[nodiscard]] worker_registry_config with_strategy(load_balancing_strategy choice) const;
  [[nodiscard]] worker_registry_config with_max_in_flight(uint32_t calls) const;
  [[nodiscard]] worker_registry_config
  with_metrics(std::shared_ptr<metrics_registry> registry) const;

  /// No error, or one error::config naming every bad field (a pool filter
  /// that does not parse, a strategy that is none of the seven).
  caf::error validate() const;
};

/// A change in one worker's calls and streams in flight, as a replica
/// reports it in batches.
struct in_flight_delta {
  node_id worker;
  int32_t change = 0;
  /// Calls and streams that ended on the worker since the last report.
  uint32_t ended = 0;
};

/// One worker's load as the registry knows it.
struct worker_load {
  uint32_t in_flight = 0;
  /// Calls and streams ended on it since it joined: a counter, so a
  /// dashboard or Prometheus' rate() gets calls per second from two reads.
  uint64_t calls_ended = 0;
};

/// What callers may send the registry. (The events of the membership actor
/// it subscribes to are messages of its own that callers cannot send.)
using worker_registry_actor = caf::typed_actor<
  /// A worker for the selection; errors: config (malformed filter),
  /// no_workers, overloaded (every match at its in-flight cap).
  caf::replies_to<select_atom, worker_selection>::with<worker>,
  /// The workers in the pool; with a filter, those that match it.
  caf::replies_to<workers_atom>::with<std::vector<worker>>,
  caf::replies_to<workers_atom, std::string>::with<std::vector<worker>>,
  /// Every live member, workers or not (NodeRegistry::nodes).
  caf::replies_to<nodes_atom>::with<std::vector<member>>,
  /// Live members whose tag `key` has `value` (NodeRegistry::nodes_with_tag).
  caf::replies_to<nodes_atom, std::string, std::string>::with<std::vector<member>>,
  caf::replies_to<strategy_atom>::with<load_balancing_strategy>,
  caf::replies_to<strategy_atom, load_balancing_strategy>::with<caf::ok_atom>,
  /// Installs a routing actor (an invalid handle removes it). The router
  /// receives (select_atom, routing_request) and answers routing_answer.
  caf::replies_to<router_atom, caf::actor, caf::timespan>::with<caf::ok_atom>,
  /// The cluster client's accounting of calls and streams per worker.
  caf::reacts_to<call_begin_atom, node_id>,
  caf::reacts_to<call_end_atom, node_id>,
  caf::replies_to<in_flight_atom, node_id>::with<uint32_t>,
  caf::replies_to<load_atom, node_id>::with<worker_load>,
  /// A replica's batched accounting (a cluster client reports every 50 ms
  /// rather than twice per call: the messages cost more than the calls).
  caf::reacts_to<in_flight_atom, std::vector<in_flight_delta>>,
  /// The registry's settings (with the strategy in force now).
  caf::replies_to<config_atom>::with<worker_registry_config>,
  /// Replicas (a cluster client selecting locally): the subscriber gets
  /// every live member as a `joined` membership_event, then every event
  /// the registry applies, (strategy_atom, strategy) on a change, and
  /// (router_atom, bool) whenever a routing actor is installed or removed.
  caf::replies_to<subscribe_atom, caf::actor>::with<caf::ok_atom>>;

/// Spawns a registry fed by `membership`. Fails with error::config when
/// cfg.validate() does.
caf::expected<worker_registry_actor>
spawn_worker_registry(caf::actor_system& sys, membership_actor membership,
                      worker_registry_config cfg = {});

} // namespace rpcnet

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rpcnet::worker_selection)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rpcnet::worker_registry_config)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<rpcnet::in_flight_delta>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rpcnet::worker_load)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rpcnet::worker)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<rpcnet::worker>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rpcnet::load_balancing_strategy)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rpcnet::routing_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rpcnet::routing_answer)
