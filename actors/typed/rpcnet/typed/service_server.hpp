// What every generated <Service>Server shares: the rpc_server underneath
// and its lifecycle. The generated class adds only its constructors, which
// register the service's methods on server_.
#pragma once

#include <chrono>
#include <optional>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <rpcnet/actors/rpc_config.hpp>
#include <rpcnet/actors/rpc_server.hpp>

namespace rpcnet::typed {

class service_server {
public:
  // -- lifecycle --------------------------------------------------------------

  /// Binds the UDP socket; returns the bound address (port 0 picks one).
  caf::expected<socket_address> bind() {
    return server_.bind();
  }

  /// Starts accepting connections (binds first if needed).
  caf::error start() {
    return server_.start();
  }

  /// Lets calls in flight finish for up to `grace`, then closes.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds{5}) {
    server_.stop(grace);
  }

  // -- properties -------------------------------------------------------------

  std::optional<socket_address> local_address() const {
    return server_.local_address();
  }

  /// The untyped server underneath, for more methods or its counters.
  rpc_server& raw() noexcept {
    return server_;
  }

protected:
  service_server(caf::actor_system& sys, rpc_config cfg) : server_(sys, std::move(cfg)) {
  }

  rpc_server server_;
};

} // namespace rpcnet::typed
