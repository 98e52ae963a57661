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
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <rpcnet/actors/rpc_config.hpp>
#include <rpcnet/actors/rpc_server.hpp>
#include <rpcnet/membership/cluster_config.hpp>
#include <rpcnet/membership/cluster_membership.hpp>
#include <rpcnet/transport/socket_address.hpp>

namespace rpcnet {

class cluster_node {
public:
  // -- constructors, destructors ----------------------------------------------

  /// Binds a server with `server_cfg` (port 0 picks a free one; a port in
  /// use is an error here) and starts membership with `cluster_cfg` on its
  /// port. The server does not accept calls until start(). Bad settings of
  /// either configuration fail it with one error naming them all.
  static caf::expected<std::unique_ptr<cluster_node>>
  open(caf::actor_system& sys, rpc_config server_cfg, cluster_config cluster_cfg);

  cluster_node(const cluster_node&) = delete;
  cluster_node& operator=(const cluster_node&) = delete;

  /// Stops membership (without leaving) and the server, as a crash would,
  /// but cleanly; call shutdown() first to leave gracefully.
  ~cluster_node();

  // -- lifecycle --------------------------------------------------------------

  /// Starts accepting calls.
  caf::error start();

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

  /// The address the node serves calls and gossip on.
  const socket_address& local_address() const noexcept {
    return local_address_;
  }

private:
  cluster_node(caf::actor_system& sys, rpc_config cfg) : server_(sys, std::move(cfg)) {
  }

  // -- member variables -------------------------------------------------------

  rpc_server server_;
  socket_address local_address_;
  /// Started once the server is bound, on its endpoint.
  std::optional<cluster_membership> cluster_;
  bool stopped_ = false;
};

} // namespace rpcnet
