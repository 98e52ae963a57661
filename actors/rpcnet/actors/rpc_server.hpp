// An rpcnet server: register unary handlers by method name (functions or
// service actors), bind, start, and stop gracefully.
//
//   rpcnet::rpc_server server{sys, cfg};
//   server.register_unary("add", [](rpcnet::byte_buffer req) { ... });
//   auto addr = server.bind();   // port 0 picks a free port
//   server.start();
//   ...
//   server.stop(std::chrono::seconds{5});
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <rpcnet/actors/interceptor.hpp>
#include <rpcnet/actors/rpc_config.hpp>
#include <rpcnet/actors/streaming_handler.hpp>
#include <rpcnet/actors/unary_handler.hpp>
#include <rpcnet/transport/endpoint.hpp>
#include <rpcnet/transport/socket_address.hpp>

namespace rpcnet {

struct server_state;
class in_process_hub;

namespace testing {
struct in_process_access;
} // namespace testing

class rpc_server {
public:
  // -- constructors, destructors ----------------------------------------------

  rpc_server(caf::actor_system& sys, rpc_config cfg);

  rpc_server(const rpc_server&) = delete;
  rpc_server& operator=(const rpc_server&) = delete;

  /// Stops without a grace period if still running.
  ~rpc_server();

  // -- handlers ---------------------------------------------------------------

  /// Registers `handler` for `method`, replacing any earlier handler. May be
  /// called at any time; calls already dispatched keep their handler. By
  /// default the handler runs on the server's handler pool and may block.
  void register_unary(std::string method, unary_handler handler,
                      handler_execution execution = handler_execution::blocking_pool);

  /// Registers a handler that reads the call's context (call_context.hpp):
  /// metadata, deadline, peer, cancellation, trailers.
  void register_unary(std::string method, context_unary_handler handler,
                      handler_execution execution = handler_execution::blocking_pool);

  /// Routes `method` to a service actor.
  void register_actor(std::string method, service_actor service);

  /// Routes `method` to a service actor that gets each call's context with
  /// it, and a message when the server gives a call up (see
  /// context_service_actor).
  void register_actor(std::string method, context_service_actor service);

  /// Registers a streaming handler for `method` (bidirectional, server- or
  /// client-streaming: the caller decides). It runs on the handler pool.
  void register_streaming(std::string method, streaming_handler handler);

  /// Registers a streaming handler that reads the call's context.
  void register_streaming(std::string method, context_streaming_handler handler);

  /// Serves each streaming call of `method` with an actor made by `factory`
  /// (see streaming_actor_factory).
  void register_streaming_actor(std::string method, streaming_actor_factory factory);

  /// The same, with factories that hand the actor the call's context.
  void register_streaming_actor(std::string method, context_streaming_actor_factory factory);

  /// Adds an interceptor that runs around every call (interceptor.hpp), after
  /// those added before it. Add them before bind().
  void add_interceptor(std::shared_ptr<server_interceptor> interceptor);

  // -- lifecycle --------------------------------------------------------------

  /// Binds the UDP socket and loads the certificate; returns the bound
  /// address (the real port when the configuration says port 0).
  caf::expected<socket_address> bind();

  /// Starts accepting connections (binds first if needed).
  caf::error start();

  /// Stops accepting, lets calls in flight finish for up to `grace`, then
  /// closes every connection. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds{5});

  /// Reads the certificate, key and client CA files named by the
  /// configuration again (certificate rotation) and has new connections use
  /// them; connections already open keep theirs, untouched. Waits up to
  /// `timeout` for the transport to make the swap. Fails with error::config
  /// naming the bad file when one cannot be read, is not PEM, holds a key
  /// that does not match its certificate or a certificate outside its
  /// validity period -- the credentials in use stay -- and with
  /// error::config when the server has no QUIC endpoint (not bound yet, or
  /// stopped). See endpoint::reload_credentials. Not to be called
  /// concurrently with bind() or stop().
  caf::error reload_credentials(std::chrono::milliseconds timeout = std::chrono::seconds{5});

  // -- properties -------------------------------------------------------------

  /// The bound address, once bind() succeeded.
  std::optional<socket_address> local_address() const;

  /// Calls handed to handlers and not yet answered.
  size_t in_flight() const;

  /// Malformed calls answered with a protocol error (metadata over the
  /// limit or with bad keys included).
  uint64_t protocol_errors() const;

  /// Calls the server gave up on while their handler still ran or waited:
  /// the caller cancelled or went away, or the deadline passed. Unary and
  /// streaming calls alike: a streaming call counts when its caller resets
  /// it, its connection closes or its deadline passes before its handler
  /// ended the reply (a function returned, an actor finished or
  /// cancelled); once the handler has ended it, the call is not counted.
  uint64_t abandoned_calls() const;

  /// Calls whose deadline passed here, before or while they ran.
  uint64_t deadlines_exceeded() const;

  /// The transport's counters (datagrams, handshakes, framing errors).
  transport_stats transport() const;

  /// The server's endpoint, once bound: clients of the same node connect
  /// from it (rpc_client::connect with an endpoint) to share its port.
  std::shared_ptr<endpoint> endpoint_handle() const {
    return ep_;
  }

  const rpc_config& config() const noexcept {
    return cfg_;
  }

private:
  friend struct testing::in_process_access;

  /// The hub of in-process clients (in_process.hpp), once the settings
  /// passed its checks; `connection` once stopped.
  caf::expected<std::shared_ptr<in_process_hub>> in_process_hub_handle();

  caf::actor_system& sys_;
  rpc_config cfg_;
  std::shared_ptr<server_state> state_;
  std::shared_ptr<endpoint> ep_;
  std::shared_ptr<in_process_hub> hub_;
  bool serves_in_process_ = false;
  /// The server's counters at each scrape, while cfg_.metrics is set.
  metrics_collection metrics_;
};

} // namespace rpcnet
