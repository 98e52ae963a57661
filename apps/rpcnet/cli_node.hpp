// What the director and a worker have in common: a library cluster_node
// (one rpc_server and cluster membership on the node's UDP port, sealed
// with the node's cluster key unless gossip is insecure), the admin service
// `rpcnet members` and `rpcnet stats` ask, and the log lines of its shutdown.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <rpcnet/cluster/cluster_node.hpp>

#include "cluster_key_source.hpp"
#include "commands.hpp"
#include "credential_reloader.hpp"
#include "tls_files.hpp"

namespace rpcnet::cli {

class cli_node {
public:
  // -- constructors -------------------------------------------------------------

  /// Opens the node at `settings.where` (bound there, gossiping its
  /// advertise address) with `cfg`'s tags, sealed with `settings.key`
  /// unless it is none (which is logged as a warning); the server does not
  /// accept calls until start().
  /// With `settings.metrics_address` the node serves its admin HTTP
  /// address there (logged once bound). With `settings.signals` it re-reads
  /// its key file and TLS files on SIGHUP and when they change.
  static caf::expected<std::unique_ptr<cli_node>>
  open(caf::actor_system& sys, const tls_files& tls, cluster_config cfg,
       const node_settings& settings);

  // -- lifecycle ----------------------------------------------------------------

  /// Registers the admin service and starts accepting calls.
  caf::error start();

  /// Leaves the cluster (the others see NodeLeft), then stops accepting and
  /// lets calls in flight finish for up to `grace`.
  void shutdown(std::chrono::milliseconds grace);

  // -- properties ---------------------------------------------------------------

  rpc_server& server() noexcept {
    return node_->server();
  }

  cluster_membership& cluster() noexcept {
    return node_->cluster();
  }

  /// The library node: its metrics, readiness and dashboard.
  cluster_node& node() noexcept {
    return *node_;
  }

private:
  cli_node(std::unique_ptr<cluster_node> node, std::shared_ptr<cluster_key_set> cluster_keys)
    : node_(std::move(node)), cluster_keys_(std::move(cluster_keys)) {
  }

  // -- member variables ---------------------------------------------------------

  std::unique_ptr<cluster_node> node_;
  /// Membership's keys, which the admin service checks a probe against.
  std::shared_ptr<cluster_key_set> cluster_keys_;
  /// Declared after node_: it stops before the node it reloads.
  std::unique_ptr<credential_reloader> reloader_;
};

} // namespace rpcnet::cli
