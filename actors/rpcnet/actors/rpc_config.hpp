// rpcnet's configuration of a server or client, mirroring RpcConfig of the
// Rust RpcNet library whose design rpcnet takes: TLS
// material, the bind address, the server name to verify, keep-alive, the
// call timeout and the wire limits. Written as every rpcnet configuration
// is (configuration.hpp): named fields, builders that return a changed
// copy, validate().
//
//   auto cfg = rpcnet::rpc_config{"certs/test_cert.pem", "127.0.0.1:0"}
//                .with_key_path("certs/test_key.pem")
//                .with_server_name("localhost");
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/error.hpp>

#include <rpcnet/actors/call_metadata.hpp>
#include <rpcnet/actors/interceptor.hpp>
#include <rpcnet/actors/reconnect_policy.hpp>
#include <rpcnet/transport/metrics_registry.hpp>
#include <rpcnet/transport/transport_config.hpp>

namespace rpcnet {

struct rpc_config {
  // -- constants --------------------------------------------------------------

  /// The default call timeout (30 s).
  static constexpr std::chrono::milliseconds default_call_timeout{30'000};

  /// What a call made on behalf of another keeps back of the parent's
  /// remaining time by default, so that its failure reaches the parent's
  /// handler while the parent's caller still waits.
  static constexpr std::chrono::milliseconds default_deadline_margin{5};

  // -- constructors -----------------------------------------------------------

  rpc_config() = default;

  /// The Rust RpcNet's RpcConfig::new(cert_path, bind_address).
  rpc_config(std::string cert, std::string bind)
    : cert_path(std::move(cert)), bind_address(std::move(bind)) {
  }

  // -- settings ---------------------------------------------------------------

  /// A server's PEM certificate chain; for a client, the certificate or CA
  /// file it trusts unless ca_path names another.
  std::string cert_path;
  /// Local UDP address, "host:port": an IP literal or a name such as
  /// "localhost:0", resolved when the endpoint starts; port 0 picks a free
  /// port.
  std::string bind_address = "127.0.0.1:0";
  /// A server's PEM private key.
  std::string key_path;
  /// The CA file a client verifies the server against. Empty: cert_path,
  /// as in the Rust RpcNet.
  std::string ca_path;
  /// The name the server's certificate must carry (DNS name or IP).
  /// Empty: the host name of the server address when rpc_client::connect
  /// is given a name ("db.internal:7000" verifies "db.internal"); with a
  /// numeric address it must be set. The default fits the development
  /// certificates (certs/make-certs.sh).
  std::string server_name = "localhost";
  /// Mutual TLS, client side: the certificate and key this client presents.
  std::string client_cert_path;
  std::string client_key_path;
  /// Mutual TLS, server side: accept only clients whose certificate this CA
  /// signed.
  std::string client_ca_path;
  /// Send PINGs this often to keep an idle connection open; 0 = off.
  std::chrono::milliseconds keep_alive_interval{0};
  /// A call without a timeout of its own fails with `timeout` after this.
  std::chrono::milliseconds call_timeout = default_call_timeout;
  /// The transport's limits (transport_config says what each one bounds).
  uint32_t max_frame_size = transport_config{}.max_frame_size;
  uint64_t max_concurrent_streams = transport_config{}.max_concurrent_streams;
  std::chrono::milliseconds idle_timeout = transport_config{}.idle_timeout;
  std::chrono::milliseconds handshake_timeout = transport_config{}.handshake_timeout;
  std::chrono::microseconds initial_rtt = transport_config{}.initial_rtt;
  /// What one peer's connection may make this node hold of its unfinished
  /// requests, and the same over all connections.
  uint64_t max_connection_buffered_bytes = transport_config{}.max_connection_buffered_bytes;
  uint64_t max_endpoint_buffered_bytes = transport_config{}.max_endpoint_buffered_bytes;
  /// How long a unary request may take to arrive.
  std::chrono::milliseconds request_read_timeout = transport_config{}.request_read_timeout;
  /// When a server answers new connections with a Retry, and its limits on
  /// half-open connections and on new connections per source address.
  admission_limits admission = transport_config{}.admission;
  /// The most metadata (request or trailing) a call may carry on the wire,
  /// each way; a peer that sends more gets a protocol error.
  size_t max_metadata_size = call_metadata::default_max_size;
  /// See default_deadline_margin.
  std::chrono::milliseconds deadline_margin = default_deadline_margin;
  /// A client's interceptors, run around each of its calls in order.
  client_interceptors interceptors;
  /// How a client dials again after losing its connection.
  reconnect_policy reconnect;
  /// Where calls and the transport are counted (call_metrics.hpp,
  /// transport_metrics.hpp); none: nowhere. A server and the clients made
  /// with this configuration count into it, each call once per side.
  std::shared_ptr<metrics_registry> metrics;

  // -- builders ---------------------------------------------------------------

  [[nodiscard]] rpc_config with_cert_path(std::string path) const;
  [[nodiscard]] rpc_config with_bind_address(std::string address) const;
  [[nodiscard]] rpc_config with_key_path(std::string path) const;
  [[nodiscard]] rpc_config with_ca_path(std::string path) const;
  [[nodiscard]] rpc_config with_server_name(std::string name) const;
  [[nodiscard]] rpc_config with_client_certificate(std::string cert, std::string key) const;
  [[nodiscard]] rpc_config with_client_ca_path(std::string path) const;
  [[nodiscard]] rpc_config with_keep_alive_interval(std::chrono::milliseconds interval) const;
  [[nodiscard]] rpc_config with_call_timeout(std::chrono::milliseconds timeout) const;
  [[nodiscard]] rpc_config with_max_frame_size(uint32_t bytes) const;
  [[nodiscard]] rpc_config with_max_concurrent_streams(uint64_t streams) const;
  [[nodiscard]] rpc_config with_idle_timeout(std::chrono::milliseconds timeout) const;
  [[nodiscard]] rpc_config with_handshake_timeout(std::chrono::milliseconds timeout) const;
  [[nodiscard]] rpc_config with_initial_rtt(std::chrono::microseconds rtt) const;
  [[nodiscard]] rpc_config with_max_connection_buffered_bytes(uint64_t bytes) const;
  [[nodiscard]] rpc_config with_max_endpoint_buffered_bytes(uint64_t bytes) const;
  [[nodiscard]] rpc_config with_request_read_timeout(std::chrono::milliseconds timeout) const;
  [[nodiscard]] rpc_config with_admission(admission_limits limits) const;
  [[nodiscard]] rpc_config with_max_metadata_size(size_t bytes) const;
  [[nodiscard]] rpc_config with_deadline_margin(std::chrono::milliseconds margin) const;
  [[nodiscard]] rpc_config with_reconnect(reconnect_policy policy) const;
  [[nodiscard]] rpc_config with_metrics(std::shared_ptr<metrics_registry> registry) const;
  /// Appends a client interceptor.
  [[nodiscard]] rpc_config
  with_interceptor(std::shared_ptr<client_interceptor> interceptor) const;

  // -- validation -------------------------------------------------------------

  /// No error, or one error::config naming every bad field (see
  /// config_errors). rpc_server::bind and rpc_client::connect refuse a
  /// configuration that fails.
  caf::error validate() const;

  // -- conversion -------------------------------------------------------------

  /// The transport settings of a server (`accepting`) or a client.
  transport_config to_transport(bool accepting) const;
};

} // namespace rpcnet
