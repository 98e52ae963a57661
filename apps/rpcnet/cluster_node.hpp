// What the director and a worker have in common: one rpc_server bound to
// the node's address, cluster membership on the same UDP port, the admin
// service `rpcnet members` asks, and the shutdown that leaves the cluster
// before it drains the calls in flight.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <rpcnet/actors/rpc_server.hpp>
#include <rpcnet/membership/cluster_membership.hpp>

#include "tls_files.hpp"

namespace rpcnet::cli {

class cluster_node {
public:
  // -- constructors -------------------------------------------------------------

  /// Binds the server (a port in use is an error here) and starts
  /// membership on its port with `cfg`'s tags; the server does not accept
  /// calls until start().
  static caf::expected<std::unique_ptr<cluster_node>>
  open(caf::actor_system& sys, const tls_files& tls, const socket_address& addr,
       cluster_config cfg);

  // -- lifecycle ----------------------------------------------------------------

  /// Registers the admin service and starts accepting calls.
  caf::error start();

  /// Leaves the cluster (the others see NodeLeft), then stops accepting and
  /// lets calls in flight finish for up to `grace`.
  void shutdown(std::chrono::milliseconds grace);

  // -- properties ---------------------------------------------------------------

  rpc_server& server() noexcept {
    return server_;
  }

  cluster_membership& cluster() noexcept {
    return *cluster_;
  }

private:
  cluster_node(caf::actor_system& sys, rpc_config cfg) : server_(sys, std::move(cfg)) {
  }

  // -- member variables ---------------------------------------------------------

  rpc_server server_;
  /// Started once the server is bound, on its endpoint.
  std::optional<cluster_membership> cluster_;
};

} // namespace rpcnet::cli
