// A cluster node: one RPC server and cluster membership on one UDP port,
// started and stopped in the right order. open() binds the server and starts
// membership on the server's port, so the node advertises the address it
// serves calls on; start() accepts calls; shutdown() leaves the cluster
// first (the others see NodeLeft and stop choosing this node), then lets
// the calls in flight finish, then stops gossiping.
//
//   auto node = cluster_node::open(sys, server_cfg, cluster_config{}.with_tag("role", "worker"));
//   node.value()->server().register_unary("work", handler);
//   node.value()->start();
//   node.value()->cluster().join({"10.0.0.1:7946"});
//   ...
//   node.value()->shutdown(std::chrono::seconds{5});
//
// With an admin address the node also serves /metrics (its server, clients,
// transport and membership counting into one registry), /healthz, /readyz
// (ready once started and, when told to join, joined; 503 from the start of
// shutdown()) and the live dashboard (admin_server.hpp). Its health
// service (health_service.hpp) says the same over RPC: serving from start(),
// not serving from the start of shutdown().
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <rpcnet/actors/health_service.hpp>
#include <rpcnet/actors/rpc_config.hpp>
#include <rpcnet/actors/rpc_server.hpp>
#include <rpcnet/cluster/admin_server.hpp>
#include <rpcnet/cluster/worker_registry_actor.hpp>
#include <rpcnet/membership/cluster_config.hpp>
#include <rpcnet/membership/cluster_membership.hpp>
#include <rpcnet/transport/socket_address.hpp>

namespace rpcnet {

class recent_events;

class cluster_node {
public:
  // -- constructors, destructors ----------------------------------------------

  /// Binds a server with `server_cfg` (port 0 picks a free one; a port in
  /// use is an error here) and starts membership with `cluster_cfg` on its
  /// port. The server does not accept calls until start(). Bad settings of
  /// either configuration fail it with one error naming them all.
  static caf::expected<std::unique_ptr<cluster_node>>
  open(caf::actor_system& sys, rpc_config server_cfg, cluster_config cluster_cfg);

  /// As above, and serves `admin` (an empty address: no admin server).
  /// The server and membership count into server_cfg.metrics, made here
  /// when not set; an admin address that cannot be bound fails the open.
  static caf::expected<std::unique_ptr<cluster_node>>
  open(caf::actor_system& sys, rpc_config server_cfg, cluster_config cluster_cfg,
       admin_config admin);

  cluster_node(const cluster_node&) = delete;
  cluster_node& operator=(const cluster_node&) = delete;

  /// Stops membership (without leaving) and the server, as a crash would,
  /// but cleanly; call shutdown() first to leave gracefully.
  ~cluster_node();

  // -- lifecycle --------------------------------------------------------------

  /// Starts accepting calls.
  caf::error start();

  /// Joins the cluster through `seeds` (cluster_membership::join); until
  /// it succeeds, /readyz says the node is not ready.
  caf::error join(std::vector<std::string> seeds);

  /// Leaves the cluster, then stops accepting calls and lets those in
  /// flight finish for up to `grace`, then stops gossiping. Returns the
  /// leave's error, if any; the rest happens regardless.
  caf::error shutdown(std::chrono::milliseconds grace);

  // -- properties -------------------------------------------------------------

  rpc_server& server() noexcept {
    return server_;
  }

  cluster_membership& cluster() noexcept {
    return *cluster_;
  }

  /// The node's grpc.health.v1-style service; the node sets "" (the whole
  /// node), and the program may set its own services.
  health_service& health() noexcept {
    return *health_;
  }

  /// The address the node serves calls and gossip on.
  const socket_address& local_address() const noexcept {
    return local_address_;
  }

  /// What the node counts into, when it was opened with an admin address
  /// or server_cfg.metrics; null otherwise. Pass it to the worker
  /// registries and cluster clients the node runs, so one scrape sees all.
  const std::shared_ptr<metrics_registry>& metrics() const noexcept {
    return metrics_;
  }

  /// The admin server's address, when it has one.
  std::optional<socket_address> admin_address() const;

  /// Shows `registry`'s workers and their calls in flight on the dashboard
  /// (a director's registry).
  void show_workers(worker_registry_actor registry);

  /// What /readyz answers now.
  readiness ready() const;

private:
  cluster_node(caf::actor_system& sys, rpc_config cfg);

  /// /api/cluster's JSON.
  std::string snapshot_json() const;

  enum class phase : uint8_t { opened, serving, draining };

  // -- member variables -------------------------------------------------------

  caf::actor_system& sys_;
  std::shared_ptr<metrics_registry> metrics_;
  rpc_server server_;
  std::shared_ptr<health_service> health_;
  socket_address local_address_;
  /// Started once the server is bound, on its endpoint.
  std::optional<cluster_membership> cluster_;
  bool stopped_ = false;
  std::atomic<phase> phase_{phase::opened};
  std::atomic<bool> join_wanted_{false};
  std::atomic<bool> joined_{false};
  /// The dashboard's events, fed by an actor subscribed to membership.
  std::shared_ptr<recent_events> events_;
  caf::actor event_listener_;
  mutable std::mutex registry_mtx_;
  std::optional<worker_registry_actor> registry_;
  /// Declared last: it stops first, so nothing it calls is gone.
  std::unique_ptr<admin_server> admin_;
};

} // namespace rpcnet
