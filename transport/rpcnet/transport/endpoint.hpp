// A node's transport thread (docs/architecture.md, "Threads"): it owns the UDP socket
// and every QUIC connection (ngtcp2 + GnuTLS), routes datagrams by
// connection id, runs ngtcp2's timers, and speaks to actors with typed
// messages (transport_messages.hpp). It alone touches ngtcp2 and GnuTLS.
//
// Actors hand work in with submit(); it is queued and the thread is woken
// through an eventfd. Events go out with caf::anon_send, batched per
// connection and wake-up.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <rpcnet/transport/call_transport.hpp>
#include <rpcnet/transport/socket_address.hpp>
#include <rpcnet/transport/transport_config.hpp>
#include <rpcnet/transport/transport_messages.hpp>

namespace rpcnet {

/// Counters of what crossed the endpoint; hostile input shows up here.
struct transport_stats {
  uint64_t datagrams_received = 0;
  uint64_t datagrams_sent = 0;
  /// Datagrams dropped: undecodable, unknown connection, refused handshake.
  uint64_t datagrams_dropped = 0;
  /// Datagrams whose first byte marks them as non-QUIC (gossip) with no
  /// handler installed.
  uint64_t foreign_datagrams = 0;
  /// Version Negotiation packets sent to long headers of a version other
  /// than QUIC v1.
  uint64_t version_negotiations_sent = 0;
  uint64_t connections_accepted = 0;
  /// Every refusal; of those, for address validation and its limits
  /// (transport_config::admission): a Retry token forged, expired or for
  /// another address, the half-open limit, the per-source rate. The rest
  /// were refused for max_connections or because the endpoint was not
  /// accepting.
  uint64_t connections_refused = 0;
  uint64_t connections_refused_invalid_token = 0;
  uint64_t connections_refused_half_open = 0;
  uint64_t connections_refused_source_rate = 0;
  /// Stateless Retry packets sent to Initials without a valid token.
  uint64_t retries_sent = 0;
  /// Connections whose client's address a token proved: a Retry token, or
  /// a NEW_TOKEN token from an earlier connection.
  uint64_t connections_validated_by_retry = 0;
  uint64_t connections_validated_by_new_token = 0;
  /// NEW_TOKEN frames sent to clients whose handshake completed.
  uint64_t new_tokens_sent = 0;
  /// Server connections whose handshake has not completed, now.
  uint64_t half_open_connections = 0;
  /// Connections that ended before their handshake completed: TLS
  /// failures, malformed Initials, handshake timeouts.
  uint64_t handshakes_failed = 0;
  /// Of those: refused by TLS (certificate, ALPN), and timed out; the rest
  /// were closed by the peer or malformed.
  uint64_t handshakes_failed_tls = 0;
  uint64_t handshakes_failed_timeout = 0;
  /// Streams whose framing broke (oversized, garbage after end, truncated).
  uint64_t stream_protocol_errors = 0;
  uint64_t connections_open = 0;
  /// Connections closed because their peer made them hold more than
  /// transport_config::max_connection_buffered_bytes of requests.
  uint64_t connections_over_buffer_limit = 0;
  /// Streams refused because their bytes would have taken the endpoint
  /// over transport_config::max_endpoint_buffered_bytes.
  uint64_t streams_over_budget = 0;
  /// Requests failed because they had not ended within
  /// transport_config::request_read_timeout.
  uint64_t requests_timed_out = 0;
  /// Bytes of peers' input the endpoint holds now for consumers that have
  /// not taken them (see transport_config::max_connection_buffered_bytes),
  /// the most it ever held, and the most one connection ever held.
  uint64_t buffered_bytes = 0;
  uint64_t buffered_bytes_peak = 0;
  uint64_t connection_buffered_peak = 0;
  /// ICMP port-unreachable reports: a peer's process is gone, and its
  /// connections were closed with error::connection at once.
  uint64_t peers_unreachable = 0;
  /// UDP payload bytes through the socket, each way.
  uint64_t bytes_received = 0;
  uint64_t bytes_sent = 0;
  /// Times a connection's congestion controller saw loss and entered
  /// recovery (ngtcp2 0.12 counts no lost packets; this moves with them),
  /// sampled every 250 ms.
  uint64_t congestion_events = 0;
  /// The mean smoothed RTT of the open connections with an RTT sample, in
  /// microseconds, as of the last sample; 0 with none.
  uint64_t smoothed_rtt_us = 0;
};

class endpoint : public call_transport {
public:
  // -- member types -----------------------------------------------------------

  /// Called on the transport thread when a peer's handshake completes;
  /// returns the actor that will receive that connection's events.
  using accept_handler
    = std::function<caf::actor(connection_id, const socket_address& peer)>;

  /// Called on the transport thread for datagrams whose first byte is in
  /// 0x00-0x3F (gossip, see docs/PROTOCOL.md). Must not block.
  using datagram_handler
    = std::function<void(const socket_address& from, std::span<const uint8_t>)>;

  struct options {
    /// Accept incoming connections (needs cert_path/key_path).
    accept_handler on_accept;
    /// Receive non-QUIC datagrams on the same port.
    datagram_handler on_datagram;
  };

  class impl;

  // -- constructors, destructors ----------------------------------------------

  /// Binds the socket, loads TLS material and starts the thread. A bind
  /// address that is a name ("localhost:0") is resolved here, on the
  /// caller's thread (resolve_address); one that does not resolve fails
  /// with error::config.
  static caf::expected<std::shared_ptr<endpoint>>
  start(caf::actor_system& sys, transport_config cfg, options opts = {});

  endpoint(const endpoint&) = delete;
  endpoint& operator=(const endpoint&) = delete;

  /// Shuts down (see shutdown()).
  ~endpoint() override;

  // -- properties -------------------------------------------------------------

  /// The bound address; the real port when bound to port 0.
  const socket_address& local_address() const noexcept;

  const transport_config& config() const noexcept override;

  transport_stats stats() const;

  /// False once shutdown() began: a command submitted from then on may
  /// never be carried out, so a client does not dial through it.
  bool running() const noexcept override;

  // -- commands (thread-safe) -------------------------------------------------

  /// Starts a connection to `remote`; `owner` gets connection_ready or
  /// connection_closed, then the connection's batches.
  connection_id connect(const socket_address& remote, std::string server_name,
                        caf::actor owner) override;

  /// Queues one command for the transport thread.
  void submit(transport_command cmd) override;

  /// Sends one raw datagram (gossip) from this endpoint's socket.
  void send_datagram(const socket_address& to, byte_buffer data);

  /// Replaces the handler of non-QUIC datagrams (none: count and drop them),
  /// so a membership started after the server can share its port. The
  /// handler runs on the transport thread and must not block.
  void set_datagram_handler(datagram_handler handler);

  /// Accepts handshakes from now on (an endpoint with an accept handler
  /// starts paused, so its owner can finish setting up first).
  void start_accepting();

  /// New handshakes are refused from now on; existing connections go on.
  void stop_accepting();

  /// Reads the TLS files config() names again -- certificate, key and
  /// client CA when the endpoint accepts, CA and client certificate and key
  /// when it has a CA -- and makes them the ones new connections use (key
  /// rotation). Connections already open keep the credentials they were
  /// made with, unchanged; those are freed when the last of them closes.
  /// The files are read and checked on the caller's thread, all before
  /// anything changes; only the swap runs on the transport thread, which
  /// this waits for up to `timeout`. Fails, keeping every credential in
  /// use, with error::config naming the file when one is bad (unreadable,
  /// not PEM, a key that does not match its certificate, a certificate
  /// outside its validity period); with error::connection once shutdown()
  /// began; with error::timeout when the thread did not confirm the swap in
  /// time (it may still make it). An endpoint that names no TLS files has
  /// nothing to reload and succeeds. Each outcome is logged and counted
  /// (rpcnet_transport_credential_reloads_total{result="ok"|"error"}).
  /// Thread-safe, also on the transport thread (an accept handler).
  caf::error reload_credentials(std::chrono::milliseconds timeout = std::chrono::seconds{5});

  /// Closes every connection (peers see app_error::shutdown), tells each
  /// owner with connection_closed, joins the thread and closes the socket
  /// (its port is free again on return). Commands already
  /// submitted are carried out first; for up to `linger` the thread keeps
  /// running until every stream's data has been acknowledged, so replies
  /// handed in before the call are delivered. Idempotent; never call it
  /// from the transport thread.
  void shutdown(std::chrono::milliseconds linger = std::chrono::milliseconds{0});

private:
  explicit endpoint(std::unique_ptr<impl> ptr);

  std::unique_ptr<impl> impl_;
  /// Reports stats() while config().metrics is set; declared last, so it
  /// is removed first.
  metrics_collection metrics_;
};

} // namespace rpcnet
