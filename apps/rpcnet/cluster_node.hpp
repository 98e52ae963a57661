// What the director and a worker have in common: one rpc_server bound to
// the node's address, cluster membership on the same UDP port (sealed with
// the config's cluster keys, if any), the admin service `rpcnet members` and
// `rpcnet stats` ask, and the shutdown that leaves the cluster before it
// drains the calls in flight.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <rpcnet/actors/rpc_server.hpp>
#include <rpcnet/membership/cluster_membership.hpp>

#include "cluster_key_source.hpp"
#include "tls_files.hpp"

namespace rpcnet::cli {

class cluster_node {
public:
  // -- constructors -------------------------------------------------------------

  /// Binds the server (a port in use is an error here) and starts
  /// membership on its port with `cfg`'s tags, sealed with `key` unless it
  /// is none (which is logged as a warning); the server does not accept
  /// calls until start().
  static caf::expected<std::unique_ptr<cluster_node>>
  open(caf::actor_system& sys, const tls_files& tls, const socket_address& addr,
       cluster_config cfg, const gossip_key& key);

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
  cluster_node(caf::actor_system& sys, rpc_config cfg,
               std::vector<std::vector<uint8_t>> cluster_keys)
    : server_(sys, std::move(cfg)), cluster_keys_(std::move(cluster_keys)) {
  }

  // -- member variables ---------------------------------------------------------

  rpc_server server_;
  /// Membership's keys, which the admin service checks a probe against.
  std::vector<std::vector<uint8_t>> cluster_keys_;
  /// Started once the server is bound, on its endpoint.
  std::optional<cluster_membership> cluster_;
};

} // namespace rpcnet::cli
