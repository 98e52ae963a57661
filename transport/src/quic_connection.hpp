// One QUIC connection on the transport thread: its ngtcp2_conn, its GnuTLS
// session and its streams. ngtcp2's C callbacks are thin trampolines into
// the on_* members; the endpoint drives it with read/write/expiry calls and
// collects the events it produced.
#pragma once

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>

#include "buffer_budget.hpp"
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/frame_codec.hpp>
#include <rpcnet/transport/peer_identity.hpp>
#include <rpcnet/transport/socket_address.hpp>
#include <rpcnet/transport/transport_config.hpp>
#include <rpcnet/transport/transport_messages.hpp>

#include "stream_send_queue.hpp"

namespace rpcnet {

struct transport_stats;
class tls_credentials;

/// What a connection needs from the endpoint that owns it.
class connection_host {
public:
  virtual ~connection_host() = default;
  virtual void associate_cid(const ngtcp2_cid& cid, class quic_connection* conn) = 0;
  virtual void dissociate_cid(const ngtcp2_cid& cid) = 0;
  /// A buffer for the next outgoing packet, at least `size` bytes.
  virtual uint8_t* packet_buffer(size_t size) = 0;
  /// Sends the packet just built in packet_buffer().
  virtual void commit_packet(const ngtcp2_addr& remote, size_t size) = 0;
  virtual const transport_config& config() const = 0;
  virtual transport_stats& stats() = 0;
  /// Adds packets ngtcp2 declared lost (counted per stream as it closes).
  virtual void count_lost_packets(uint64_t n) = 0;
  /// The memory all connections of the endpoint may hold for their peers.
  virtual buffer_budget& budget() = 0;
  /// Asks the accept handler for the actor of a new server connection,
  /// whose handshake just completed.
  virtual caf::actor accept(connection_id id, const socket_address& peer) = 0;
  /// A token for a NEW_TOKEN frame to `peer` (server side); empty: none.
  virtual std::vector<uint8_t> new_token_for(const socket_address& peer) = 0;
  /// A NEW_TOKEN token the server at `peer` sent (client side), and the
  /// one to present to it next time (taken: each is used once).
  virtual void remember_token(const socket_address& peer, std::span<const uint8_t> token) = 0;
  virtual std::vector<uint8_t> take_token(const socket_address& peer) = 0;
};

/// What the endpoint proved of a new server connection's client address
/// before creating it (address_validator.hpp).
struct server_admission {
  /// The token the client's Initial carried, when it was valid: ngtcp2
  /// then treats the address as validated (no amplification limit).
  std::span<const uint8_t> token;
  /// Set after a Retry: the connection ID the client first chose, which
  /// the transport parameters must echo, the Initial's own being the
  /// Retry's source connection ID.
  std::optional<ngtcp2_cid> original_dcid;
};

/// Nanoseconds on the monotonic clock, ngtcp2's notion of time.
ngtcp2_tstamp monotonic_now();

class quic_connection {
public:
  // -- member types -----------------------------------------------------------

  struct stream {
    explicit stream(int64_t sid, uint64_t tok, uint32_t max_frame)
      : id(sid), token(tok), decoder(max_frame) {
    }
    int64_t id;
    uint64_t token;
    frame_decoder decoder;
    stream_send_queue tx;
    bool fin_pending = false;    // the local direction ends after tx
    bool fin_sent = false;
    bool write_blocked = false;  // waiting for the peer's flow-control credit
    bool queued = false;         // listed in write_queue_
    bool read_stopped = false;   // input is discarded (protocol error)
    bool end_reported = false;   // the owner saw finished/reset/error
    bool stop_reported = false;  // the owner heard the peer stopped reading
    // -- receive credit (see update_credit) --
    bool manual_credit = false;  // frames wait for the consumer's consume()
    uint64_t delivered = 0;      // bytes of complete frames, prefixes included
    uint64_t consumed = 0;       // of those, bytes the consumer took
    uint64_t granted = 0;        // credit extended beyond the initial window
    // -- memory and time a peer may take (see account) --
    uint64_t held = 0;                 // bytes counted against the limits now
    ngtcp2_tstamp request_deadline = 0; // the request must end by then; 0: none
  };

  /// Why the connection ended, for connection_closed.
  struct close_cause {
    uint8_t code = 0; // rpcnet::error
    std::string reason;
  };

  // -- constructors, destructors ----------------------------------------------

  quic_connection(connection_host& host, connection_id id, caf::actor owner);
  ~quic_connection();

  quic_connection(const quic_connection&) = delete;
  quic_connection& operator=(const quic_connection&) = delete;

  /// Sets up the client side towards `remote`. Returns an error text. The
  /// connection holds `cred` as long as its TLS session lives.
  std::string init_client(const socket_address& local, const socket_address& remote,
                          const std::string& server_name,
                          std::shared_ptr<const tls_credentials> cred);

  /// Sets up the server side for the Initial packet `hd`, holding `cred` as
  /// init_client does.
  std::string init_server(const socket_address& local, const socket_address& remote,
                          const ngtcp2_pkt_hd& hd, const server_admission& admission,
                          std::shared_ptr<const tls_credentials> cred);

  // -- driving ----------------------------------------------------------------

  /// Processes one received packet.
  void read(const ngtcp2_path& path, const uint8_t* data, size_t size);

  /// Runs ngtcp2's timers if they are due.
  void handle_expiry(ngtcp2_tstamp now);

  /// Writes the packets ngtcp2 has to send now, up to a budget per call.
  void write();

  /// When the endpoint must next call handle_expiry() and write(): 0 when
  /// write() left packets unsent.
  ngtcp2_tstamp expiry() const;

  // -- commands ---------------------------------------------------------------

  void open_stream(uint64_t token, byte_buffer data, bool fin, bool manual_credit);
  /// From now on frames of the stream wait for consume() before their
  /// credit returns to the peer.
  void set_manual_credit(int64_t stream_id, uint64_t token);
  /// The consumer took `bytes` (frame sizes plus their 4-byte prefixes).
  void consume(int64_t stream_id, uint64_t token, uint64_t bytes);
  /// Writes to a stream named by id, or by the token it was opened with.
  void write_stream(int64_t stream_id, uint64_t token, byte_buffer data, bool fin);
  void reset_stream(int64_t stream_id, uint64_t token, app_error code);
  void stop_reading(int64_t stream_id, app_error code);

  /// Sends CONNECTION_CLOSE with an application error and ends the
  /// connection; `cause` is what the local owner is told.
  void close(app_error code, const std::string& reason, close_cause cause);

  // -- properties -------------------------------------------------------------

  connection_id id() const noexcept {
    return id_;
  }
  const caf::actor& owner() const noexcept {
    return owner_;
  }
  bool closed() const noexcept {
    return closed_;
  }
  const close_cause& cause() const noexcept {
    return cause_;
  }

  /// True when nothing written to a stream awaits acknowledgement and no
  /// stream waits to be opened.
  bool quiescent() const noexcept;

  /// What the endpoint's metrics read of the path now and then.
  struct path_sample {
    /// 0 before the first RTT sample.
    uint64_t smoothed_rtt_ns = 0;
    /// The congestion controller entered recovery since the last sample.
    bool entered_recovery = false;
  };
  path_sample sample_path();

  /// Moves out the events gathered since the last call.
  std::vector<stream_event> take_events() {
    return std::move(events_);
  }
  bool has_events() const noexcept {
    return !events_.empty();
  }
  /// True once per completed handshake, for connection_ready.
  bool take_ready_signal() {
    return std::exchange(ready_signal_, false);
  }
  const socket_address& peer() const noexcept {
    return remote_;
  }
  bool is_server() const noexcept {
    return is_server_;
  }
  bool handshake_completed() const noexcept {
    return handshake_done_;
  }
  /// Who the peer's verified certificate names, once the handshake
  /// completed (see connection_ready::identity).
  const std::optional<peer_identity>& identity() const noexcept {
    return identity_;
  }

  // -- ngtcp2 callbacks (called through trampolines) --------------------------

  /// GnuTLS parsed the peer's ClientHello (server side).
  int on_client_hello();
  int on_handshake_completed();
  int on_recv_stream_data(uint32_t flags, int64_t stream_id, const uint8_t* data,
                          size_t size);
  int on_acked_stream_data(int64_t stream_id, uint64_t offset, uint64_t size);
  int on_stream_close(int64_t stream_id, uint64_t app_code);
  int on_stream_reset(int64_t stream_id, uint64_t app_code);
  int on_stream_stop_sending(int64_t stream_id, uint64_t app_code);
  int on_extend_max_stream_data(int64_t stream_id);
  int on_extend_max_local_streams();
  int on_get_new_connection_id(ngtcp2_cid* cid, uint8_t* token, size_t cidlen);
  int on_remove_connection_id(const ngtcp2_cid* cid);
  int on_recv_new_token(const uint8_t* token, size_t size);

  ngtcp2_conn* native() const noexcept {
    return conn_;
  }

private:
  // -- implementation ---------------------------------------------------------

  void fill_settings(ngtcp2_settings& settings, ngtcp2_transport_params& params,
                     bool server);
  std::string init_tls(bool server, const std::string& server_name,
                       std::shared_ptr<const tls_credentials> cred);
  stream& stream_for(int64_t stream_id);
  stream* find_stream(int64_t stream_id);
  stream_event& event_for(stream& s, stream_event::kind what);
  void protocol_error(stream& s, std::string detail);
  /// Stops reading a stream to keep a limit; the owner answers with `code`.
  void refuse(stream& s, error code, std::string detail, app_error stop_code);
  /// Discards a stream's input from now on and forgets what it held.
  void drop_input(stream& s);
  /// Bytes of the peer's input the stream holds for its consumer now.
  uint64_t holding(const stream& s) const;
  /// True while the stream is a request whose end is awaited against
  /// request_read_timeout.
  bool awaits_request_end(const stream& s) const;
  /// Brings the stream's share of the connection's and endpoint's limits,
  /// and its request deadline, up to date; refuses the stream when the
  /// endpoint's budget has no room for what it holds now.
  void account(stream& s);
  /// Gives every byte back to the endpoint's budget (the connection ended).
  void release_all();
  /// Fails the requests whose deadline passed.
  void expire_requests(ngtcp2_tstamp now);
  /// Sends the STOP_SENDING frames decided inside callbacks.
  void apply_deferred_stops();
  /// Extends the peer's credit to what the credit model allows now.
  void update_credit(stream& s);
  void grant_credit(stream& s, uint64_t bytes);
  /// A stream id, or the id of the locally opened stream tagged `token`.
  int64_t resolve(int64_t stream_id, uint64_t token) const;
  void enqueue_write(stream& s);
  void open_pending_streams();
  void handle_error(int rv);
  void fail(std::string_view context, int rv);
  /// Writes the CONNECTION_CLOSE packet, unless already closing.
  void send_connection_close(const ngtcp2_connection_close_error& ccerr);
  void finish(close_cause cause);

  // -- member variables -------------------------------------------------------

  /// The endpoint: CID routing, packet output, configuration, counters.
  connection_host& host_;

  /// Our name for this connection in messages to actors.
  connection_id id_;

  /// The actor that receives this connection's events.
  caf::actor owner_;

  /// The ngtcp2 connection and the GnuTLS session it drives.
  ngtcp2_conn* conn_ = nullptr;
  gnutls_session_t session_ = nullptr;
  ngtcp2_crypto_conn_ref conn_ref_;

  /// The credentials session_ was given. GnuTLS keeps a raw pointer to
  /// them, so they are held here, past gnutls_deinit in the destructor:
  /// credentials the endpoint replaced (reload_credentials) go with the
  /// last connection that uses them.
  std::shared_ptr<const tls_credentials> cred_;

  /// The name the server's certificate must carry (client side); GnuTLS
  /// holds a pointer into it.
  std::string server_name_;

  /// The peer's certificate identity, read when the handshake completed.
  std::optional<peer_identity> identity_;

  /// The addresses of the connection's path; ngtcp2_path points into them.
  socket_address local_;
  socket_address remote_;

  /// Every source CID handed to the host's routing table.
  std::vector<ngtcp2_cid> cids_;

  /// Live streams by id.
  std::unordered_map<int64_t, std::unique_ptr<stream>> streams_;

  /// Locally opened streams by token, for reset by token.
  std::unordered_map<uint64_t, int64_t> stream_by_token_;

  /// Streams with bytes or a FIN to write, in the order they asked.
  std::deque<int64_t> write_queue_;

  /// Streams to open once the peer grants more (open_stream commands).
  struct pending_open {
    uint64_t token;
    byte_buffer data;
    bool fin;
    bool manual_credit;
  };
  std::deque<pending_open> pending_opens_;

  /// Streams whose reading must stop after the current read() returns.
  std::vector<std::pair<int64_t, app_error>> stop_reading_later_;

  /// Events for the owner, flushed by the endpoint once per wake-up.
  std::vector<stream_event> events_;

  bool is_server_ = false;
  bool handshake_done_ = false;
  /// ngtcp2's congestion_recovery_start_ts at the last sample_path().
  uint64_t last_recovery_start_ = UINT64_MAX;
  bool ready_signal_ = false;
  bool alpn_mismatch_ = false;
  /// write() stopped at its packet budget with more to send.
  bool write_pending_ = false;
  /// The sum of the streams' `held`.
  uint64_t buffered_bytes_ = 0;
  /// The peer went over max_connection_buffered_bytes; closed after
  /// read_pkt.
  bool over_buffer_limit_ = false;
  /// Peer-opened streams whose request has not ended, by deadline.
  std::set<std::pair<ngtcp2_tstamp, int64_t>> request_deadlines_;
  bool closed_ = false;
  close_cause cause_;
};

} // namespace rpcnet
