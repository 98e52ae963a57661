// An rpcnet client for plain C++ code: connect, then call methods by name.
// Copies share one connection; calls from many threads run in parallel on
// it, each on its own QUIC stream. A lost connection fails the calls in
// flight with `connection` and is dialled again by the next call, with a
// jittered backoff after failed dials (rpc_config::reconnect); a call made
// with call_options::wait_for_ready waits for the server instead.
//
//   auto client = rpcnet::rpc_client::connect(sys, "127.0.0.1:8080", cfg);
//   auto reply = client->call("add", request);   // caf::expected<byte_buffer>
//
// Actors use actor() and request (call_atom, method, bytes[, timeout]).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <vector>

#include <rpcnet/actors/client_connection.hpp>
#include <rpcnet/actors/client_stream.hpp>
#include <rpcnet/actors/rpc_config.hpp>

namespace rpcnet {

namespace testing {
struct in_process_access;
} // namespace testing

class rpc_client {
public:
  /// Connects to `server_address` ("host:port", "[v6]:port", or a name
  /// such as "db.internal:7000", which is resolved here on the caller's
  /// thread; see address_resolver.hpp) and waits for the handshake. Fails
  /// with `tls` when the server's certificate does not verify,
  /// `connection` when the name does not resolve or nobody answers,
  /// `config` for bad settings or an address that is not host:port.
  static caf::expected<rpc_client> connect(caf::actor_system& sys,
                                           const std::string& server_address,
                                           rpc_config cfg);

  /// Connects from an endpoint the node already runs -- typically its
  /// server's (rpc_server::endpoint_handle()), so that one UDP port and one
  /// transport thread serve the node's calls in both directions. The
  /// endpoint must have been configured with a CA (rpc_config::with_ca_path).
  /// close() then closes only this connection.
  static caf::expected<rpc_client> connect(caf::actor_system& sys,
                                           const std::string& server_address,
                                           rpc_config cfg, std::shared_ptr<endpoint> ep);

  /// Calls `method` with the configured timeout (default 30 s).
  caf::expected<byte_buffer> call(const std::string& method, byte_buffer request) const;

  /// Calls `method`, failing with `timeout` after `timeout`.
  caf::expected<byte_buffer> call(const std::string& method, byte_buffer request,
                                  std::chrono::milliseconds timeout) const;

  /// Calls `method` under a key of the caller's choosing (see call_key),
  /// so that another thread can cancel() it.
  caf::expected<byte_buffer> call(const std::string& method, byte_buffer request,
                                  std::chrono::milliseconds timeout, call_key key) const;

  /// Calls `method` with options: metadata, timeout, key, and the call
  /// being served on whose behalf this one is made (call_options.hpp).
  caf::expected<byte_buffer> call(const std::string& method, byte_buffer request,
                                  const call_options& opts) const;

  /// The same, returning the reply with the server's trailing metadata. A
  /// failed call's error carries them too: trailers_of(err)
  /// (error_trailers.hpp).
  caf::expected<call_reply> call_with_trailers(const std::string& method, byte_buffer request,
                                               const call_options& opts = {}) const;

  /// Cancels the call started with `key`: it fails with `cancelled` and the
  /// server sees its stream reset. No-op once it ended.
  void cancel(call_key key) const;

  /// Opens a bidirectional streaming call of `method`.
  caf::expected<client_stream> call_streaming(const std::string& method) const;

  /// Opens a streaming call of `method` with options: metadata, and a
  /// timeout or parent that bounds the whole call.
  caf::expected<client_stream> call_streaming(const std::string& method,
                                              const call_options& opts) const;

  /// Sends `request` as the one message of a server-streaming call and
  /// returns the stream of responses.
  caf::expected<client_stream> call_server_streaming(const std::string& method,
                                                     const byte_buffer& request,
                                                     const call_options& opts = {}) const;

  /// Uploads `requests` as a client-streaming call and returns the single
  /// response.
  caf::expected<byte_buffer> call_client_streaming(const std::string& method,
                                                   const std::vector<byte_buffer>& requests,
                                                   const call_options& opts = {}) const;

  /// The connection's actor, for callers that are actors themselves.
  const rpc_client_actor& actor() const noexcept;

  /// The local UDP address the client sends from.
  const socket_address& local_address() const noexcept;

  /// Reads the CA and client certificate and key files named by the
  /// configuration again (certificate rotation) and has the client's
  /// endpoint use them for connections it makes from now on -- a redial
  /// included; the connection open now keeps its own, untouched. A client
  /// connected from a shared endpoint (connect with an endpoint) reloads
  /// that endpoint, server credentials included. Waits up to `timeout` for
  /// the transport to make the swap. Fails with error::config naming the
  /// bad file (the credentials in use stay), with error::config for an
  /// in-process client (it has no TLS), and with error::connection once
  /// closed. See endpoint::reload_credentials.
  caf::error reload_credentials(std::chrono::milliseconds timeout = std::chrono::seconds{5});

  /// Closes the connection; later calls fail with `connection`.
  void close();

private:
  caf::expected<client_stream> open_stream(const std::string& method, uint8_t kind,
                                           const call_options& opts) const;

public:

  class impl;

private:
  explicit rpc_client(std::shared_ptr<impl> ptr) : impl_(std::move(ptr)) {
  }

  friend struct testing::in_process_access;

  static caf::expected<rpc_client> connect(caf::actor_system& sys, const socket_address& remote,
                                           rpc_config cfg, std::shared_ptr<endpoint> ep,
                                           bool owns_endpoint);

  /// Waits until `actor` is connected through `transport`; `release` runs
  /// when the client closes (shutting down an endpoint it started for
  /// itself, say).
  static caf::expected<rpc_client> await_connected(caf::actor_system& sys,
                                                   rpc_client_actor actor, rpc_config cfg,
                                                   std::shared_ptr<call_transport> transport,
                                                   std::function<void()> release,
                                                   socket_address local);

  std::shared_ptr<impl> impl_;
};

} // namespace rpcnet
