// Clients of an rpc_server in the same process, connected without UDP, QUIC
// or TLS: for testing handlers and interceptors in plain unit tests.
//
//   rpcnet::rpc_server server{sys, rpcnet::rpc_config{}};
//   server.register_unary("echo", ...);
//   auto client = rpcnet::testing::connect_in_process(sys, server);
//   auto reply = client->call("echo", request);
//
// The server need not be bound or started, and no certificate is needed.
// The connection actors are the same as over QUIC and so are the frames they
// exchange, so calls behave alike: unary and the three streaming kinds,
// backpressure per stream, metadata, trailers, deadlines, cancellation,
// stream limits, errors, interceptors, stop() and close(). Not emulated:
// TLS and ALPN (the settings for them are ignored), the connection-wide
// flow-control window, the endpoint's memory budgets and request read
// timeout, idle timeouts and keep-alives, and the QUIC endpoint's counters
// other than connections and stream_protocol_errors.
#pragma once

#include <optional>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/actors/rpc_config.hpp>
#include <rpcnet/actors/rpc_server.hpp>
#include <rpcnet/transport/peer_identity.hpp>
#include <rpcnet/transport/socket_address.hpp>

namespace rpcnet::testing {

struct in_process_options {
  /// What the server sees as the peer's address (call_context::peer_address)
  /// and the client as its local_address(). By default 127.0.0.1 with a
  /// port of its own per connection, so that per-peer logic sees distinct
  /// clients.
  std::optional<socket_address> client_address;
  /// As if the client had presented a certificate that verified under
  /// mutual TLS (call_context::peer_identity); by default none.
  std::optional<peer_identity> client_identity;
};

/// A client of `server` running in `sys`, connected once this returns.
/// `cfg` applies as over QUIC (timeouts, metadata limits, interceptors,
/// reconnect); its TLS and bind settings are ignored. Fails with `config`
/// when the client's or the server's settings are invalid, `connection`
/// when the server was stopped.
caf::expected<rpc_client> connect_in_process(caf::actor_system& sys, rpc_server& server,
                                             rpc_config cfg = rpc_config{},
                                             in_process_options opts = {});

/// The same, in the server's actor system.
caf::expected<rpc_client> connect_in_process(rpc_server& server, rpc_config cfg = rpc_config{},
                                             in_process_options opts = {});

/// The client's connection actor, without waiting for the connection (for
/// code that must not block; see rpc_client_actor).
caf::expected<rpc_client_actor> spawn_in_process_client(caf::actor_system& sys,
                                                        rpc_server& server,
                                                        rpc_config cfg = rpc_config{},
                                                        in_process_options opts = {});

} // namespace rpcnet::testing
