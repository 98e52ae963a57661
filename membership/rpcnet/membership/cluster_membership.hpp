// Cluster membership for code that is not an actor (ClusterMembership of
// the Rust RpcNet library whose design rpcnet takes): starts
// a node's membership actor and offers its requests as blocking calls.
// Events go to subscribing actors, or to a callback that runs on an actor
// of its own.
//
//   auto cluster = cluster_membership::start(sys, cfg).value();
//   cluster.on_event([](const membership_event& ev) { ... });
//   if (auto err = cluster.join({"127.0.0.1:7946"})) ...
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <rpcnet/membership/membership_actor.hpp>

namespace rpcnet {

class cluster_membership {
public:
  // -- constructors, destructors ----------------------------------------------

  /// Starts membership on a gossip port of its own (cfg.bind_address), or
  /// on `shared`'s port (an rpc_server's endpoint_handle()) when given.
  /// Fails as spawn_membership does.
  static caf::expected<cluster_membership> start(caf::actor_system& sys, cluster_config cfg,
                                                 std::shared_ptr<endpoint> shared = nullptr);

  cluster_membership(cluster_membership&&) noexcept = default;
  cluster_membership& operator=(cluster_membership&&) noexcept = default;

  /// Stops the actor without leaving (as a crash would, but cleanly).
  ~cluster_membership();

  // -- membership -------------------------------------------------------------

  /// Joins through `seeds` ("host:port": IP literals or names such as
  /// "seed-1.internal:7946", resolved here on the caller's thread, once per
  /// join), retrying until one answers; error::timeout after
  /// cluster_config::join_timeout, error::config for a seed that is not
  /// host:port, error::connection when no seed's name resolves (a seed
  /// that does not resolve while others do is skipped, with a warning).
  caf::error join(std::vector<std::string> seeds);

  /// Leaves gracefully: the other members see NodeLeft.
  caf::error leave();

  /// Stops gossiping at once (no leave).
  void stop();

  // -- tags -------------------------------------------------------------------

  caf::error set_tag(std::string key, std::string value);
  caf::error remove_tag(std::string key);
  std::optional<std::string> get_tag(const std::string& key) const;

  // -- cluster keys (rotation: install everywhere, use everywhere, remove) -----

  caf::error install_key(std::vector<uint8_t> key);
  caf::error use_key(std::vector<uint8_t> key);
  caf::error remove_key(std::vector<uint8_t> key);

  // -- queries ----------------------------------------------------------------

  /// Every member this node knows, itself and tombstones included.
  std::vector<member> members() const;
  node_id local_node_id() const;
  member local_member() const;
  double phi(const node_id& id) const;
  /// Every live member's phi at one instant.
  std::vector<member_phi> phis() const;
  std::vector<duration> heartbeat_history(const node_id& id) const;
  gossip_stats stats() const;

  // -- events -----------------------------------------------------------------

  /// Sends every event to `subscriber` as a `membership_event` message.
  void subscribe(caf::actor subscriber);
  void unsubscribe(const caf::actor& subscriber);

  /// Calls `callback` for every event, in order, on an actor of its own;
  /// returns that actor (unsubscribe it to stop). An exception from the
  /// callback is logged, and the next event still comes.
  caf::actor on_event(std::function<void(const membership_event&)> callback);

  /// The membership actor, for actors that talk to it directly.
  const membership_actor& actor() const noexcept {
    return actor_;
  }

private:
  cluster_membership(caf::actor_system& sys, membership_actor actor, cluster_config cfg);

  template <class Result, class... Ts>
  caf::expected<Result> ask(Ts&&... xs) const;

  /// ask() for requests answered with ok_atom.
  template <class... Ts>
  caf::error command(Ts&&... xs) const;

  caf::actor_system* sys_;
  membership_actor actor_;
  cluster_config cfg_;
  /// Reports membership at each scrape while cfg_.metrics is set.
  metrics_collection metrics_;
};

} // namespace rpcnet
