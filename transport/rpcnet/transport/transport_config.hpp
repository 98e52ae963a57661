// Settings of a node's transport: where it binds, its TLS material and the
// QUIC limits it advertises. Filled from rpcnet::rpc_config by the runtime;
// every field has the default docs/architecture.md
// names. Written as every rpcnet configuration is (configuration.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/error.hpp>

#include <rpcnet/transport/metrics_registry.hpp>

namespace rpcnet {

/// How a server admits new connections (docs/architecture.md, "Address
/// validation"). A half-open connection is one whose handshake has not
/// completed; each holds a TLS session and QUIC state, so a flood of
/// Initials from forged addresses would fill the connection table with
/// them and lock real clients out.
struct admission_limits {
  /// From this many half-open connections on, an Initial that brings no
  /// valid token is answered with a stateless Retry, so that only a client
  /// that receives at its address gets state; 0: always. Below it a
  /// handshake costs no extra round trip. A real client holds its slot for
  /// one or two round trips, so even hundreds of connects a second rarely
  /// keep more than a few half-open; a flood passes 16 within milliseconds.
  size_t retry_threshold = 16;

  /// Half-open connections at once (validated or not); Initials beyond it
  /// are dropped and counted. At most this many TLS handshakes are under
  /// way for the rest of the table.
  size_t max_half_open = 256;

  /// New connections a second from one IP address, in bursts of as many;
  /// 0: no limit. Counted where connection state would be created, so
  /// behind a Retry only addresses that proved themselves are charged.
  uint32_t max_new_per_source_per_second = 1000;
};

struct transport_config {
  // -- settings ---------------------------------------------------------------

  /// Local UDP address, "host:port" (address_resolver.hpp): an IP literal
  /// or a name that endpoint::start resolves; port 0 picks a free port.
  std::string bind_address = "127.0.0.1:0";

  /// PEM certificate chain and key this node presents when it accepts
  /// connections. Both empty: the node only connects.
  std::string cert_path;
  std::string key_path;

  /// PEM file of the CAs that sign the servers this node connects to.
  /// Empty: the node cannot connect (there is no unverified mode).
  std::string ca_path;

  /// Mutual TLS. A client presents client_cert_path/client_key_path when
  /// set; a server with client_ca_path set accepts only clients whose
  /// certificate that CA signed.
  std::string client_cert_path;
  std::string client_key_path;
  std::string client_ca_path;

  /// ALPN both sides require: it names the call protocol's version
  /// (docs/PROTOCOL.md), so that peers of different versions fail in the
  /// handshake with a clear alert rather than on each other's frames.
  std::string alpn = "rpcnet/2";

  /// Largest frame payload accepted on a stream.
  uint32_t max_frame_size = 8u * 1024 * 1024;

  /// Peer-opened bidirectional streams allowed at once per connection.
  uint64_t max_concurrent_streams = 1024;

  /// Flow-control windows advertised to the peer.
  uint64_t stream_window = 1024 * 1024;
  uint64_t connection_window = 16 * 1024 * 1024;

  /// Bytes of input a peer may make one connection hold, summed over its
  /// streams; a peer that goes over is disconnected. What counts is every
  /// byte received and not yet taken by its consumer: unfinished frames,
  /// the complete frames of a unary request (or reply) whose end frame has
  /// not arrived, and the frames of a streaming call its consumer has not
  /// taken. Flow control does not bound these: credit returns as frames
  /// complete, so without this 1024 streams could each pin a frame of
  /// max_frame_size.
  uint64_t max_connection_buffered_bytes = 64u * 1024 * 1024;

  /// The same bytes summed over every connection of the endpoint. A stream
  /// whose next bytes would take the endpoint over is refused (its call
  /// answered with error::overloaded, its input discarded) and counted;
  /// the connection goes on. Four connections at their limit fill the
  /// default.
  uint64_t max_endpoint_buffered_bytes = 256u * 1024 * 1024;

  /// How long a peer-opened stream may take from its first byte to the end
  /// of a unary request (its end frame) before the call is failed with
  /// error::timeout and its bytes are released; 0 = no deadline. Streaming
  /// calls are exempt once they started: their bytes are bounded by flow
  /// control instead. The default lets a request of max_frame_size arrive
  /// at 7 Mbit/s.
  std::chrono::milliseconds request_read_timeout{10'000};

  /// Connections accepted at once; further handshakes are refused.
  size_t max_connections = 4096;

  /// Retry, half-open and per-source limits on new connections.
  admission_limits admission;

  /// Close a connection after this long without packets.
  std::chrono::milliseconds idle_timeout{30'000};

  /// Send PINGs this often to keep an idle connection open; 0 = off.
  std::chrono::milliseconds keep_alive_interval{0};

  /// Give up on a handshake after this long.
  std::chrono::milliseconds handshake_timeout{5'000};

  /// RTT assumed before the first sample; ngtcp2's 333 ms default makes the
  /// pacer hold the first request after a handshake for ~22 ms on a LAN.
  std::chrono::microseconds initial_rtt{10'000};

  /// Where the endpoint reports its counters (rpcnet_transport_*, labelled
  /// with its local address) at each scrape; none: nowhere.
  std::shared_ptr<metrics_registry> metrics;

  // -- builders ---------------------------------------------------------------

  [[nodiscard]] transport_config with_bind_address(std::string address) const;
  [[nodiscard]] transport_config with_cert_path(std::string path) const;
  [[nodiscard]] transport_config with_key_path(std::string path) const;
  [[nodiscard]] transport_config with_ca_path(std::string path) const;
  [[nodiscard]] transport_config with_client_certificate(std::string cert_path,
                                                         std::string key_path) const;
  [[nodiscard]] transport_config with_client_ca_path(std::string path) const;
  [[nodiscard]] transport_config with_alpn(std::string protocol) const;
  [[nodiscard]] transport_config with_max_frame_size(uint32_t bytes) const;
  [[nodiscard]] transport_config with_max_concurrent_streams(uint64_t streams) const;
  [[nodiscard]] transport_config with_stream_window(uint64_t bytes) const;
  [[nodiscard]] transport_config with_connection_window(uint64_t bytes) const;
  [[nodiscard]] transport_config with_max_connection_buffered_bytes(uint64_t bytes) const;
  [[nodiscard]] transport_config with_max_endpoint_buffered_bytes(uint64_t bytes) const;
  [[nodiscard]] transport_config with_request_read_timeout(std::chrono::milliseconds t) const;
  [[nodiscard]] transport_config with_max_connections(size_t connections) const;
  [[nodiscard]] transport_config with_admission(admission_limits limits) const;
  [[nodiscard]] transport_config with_idle_timeout(std::chrono::milliseconds timeout) const;
  [[nodiscard]] transport_config with_keep_alive_interval(std::chrono::milliseconds i) const;
  [[nodiscard]] transport_config with_handshake_timeout(std::chrono::milliseconds t) const;
  [[nodiscard]] transport_config with_initial_rtt(std::chrono::microseconds rtt) const;

  // -- validation -------------------------------------------------------------

  /// No error, or one error::config naming every bad field (see
  /// config_errors). endpoint::start refuses a configuration that fails.
  caf::error validate() const;
};

} // namespace rpcnet
