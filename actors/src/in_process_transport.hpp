// The in-process transport: a server's connections to clients in the same
// process, carried without UDP, QUIC or TLS (rpcnet/actors/in_process.hpp is
// its public face). The connection actors run unchanged on top of it: they
// submit the same commands and receive the same events as over QUIC, with
// the frames byte for byte what they would put on the wire, so calls behave
// alike -- credit and backpressure per stream, resets, stream limits, close
// reasons. docs/architecture.md ("Testing without the network") lists what
// it does not emulate.
//
// One hub per server is the "network" between it and its in-process
// clients. It has no thread: a command is carried out on the submitter's
// thread under the hub's lock, and the events it causes are sent (as CAF
// messages, which only enqueue) before the lock is released, so every actor
// sees its events in the order they happened. Only accepting runs on an
// actor of the server's system (see make()).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include <rpcnet/transport/call_transport.hpp>
#include <rpcnet/transport/endpoint.hpp>
#include <rpcnet/transport/frame_codec.hpp>

namespace rpcnet {

class in_process_side;

class in_process_hub : public std::enable_shared_from_this<in_process_hub> {
public:
  /// Spawns the server's actor for a new connection, which talks through
  /// `side` (as the QUIC endpoint's accept handler does); runs outside the
  /// hub's lock. A null actor refuses the connection.
  using accept_handler = std::function<caf::actor(std::shared_ptr<call_transport> side,
                                                  connection_id, const socket_address& peer)>;

  /// Spawns the hub's acceptor in `sys`, the server's system. Call it
  /// where no actor of another system runs: CAF 0.17 lets an actor system
  /// spawned into from a worker of another one hang in its destructor
  /// (docs/architecture.md), which is why connections are accepted by an
  /// actor of the server's own system rather than on the client's thread.
  static std::shared_ptr<in_process_hub> make(caf::actor_system& sys, transport_config server_cfg,
                                              socket_address server_address,
                                              accept_handler accept);

  in_process_hub(transport_config server_cfg, socket_address server_address,
                 accept_handler accept);
  ~in_process_hub();

  in_process_hub(const in_process_hub&) = delete;
  in_process_hub& operator=(const in_process_hub&) = delete;

  /// A transport for one client: it dials this hub, whatever address it is
  /// given. `client_address` is what the server sees as the peer, and
  /// `identity` what it sees as the peer's verified certificate.
  std::shared_ptr<in_process_side> client_side(transport_config cfg,
                                               socket_address client_address,
                                               std::optional<peer_identity> identity);

  /// New connections are accepted (the default) or refused with
  /// error::connection; existing ones go on. Once shut down, refused.
  void start_accepting();
  void stop_accepting();

  /// Closes every connection: the server's actors hear "endpoint shut
  /// down", the clients that the server shut down. Stops accepting for
  /// good, and ends the acceptor.
  void shutdown();

  /// connections_accepted, connections_refused, connections_open and
  /// stream_protocol_errors; the other counters are the QUIC endpoint's.
  transport_stats stats() const;

  // -- called by the sides ------------------------------------------------------

  connection_id connect(const in_process_side& dialler, caf::actor owner);
  /// The acceptor's half of connect(): spawns the server's actor for `id`.
  void accept(connection_id id);
  void submit(int side, transport_command cmd);
  void close_links_of(const in_process_side& client);

  /// Sides: 0 is the client, 1 the server.
  static constexpr int client = 0;
  static constexpr int server = 1;

private:
  /// One side's view of one stream: what it receives (decoder, credit) and
  /// what it has written that the other side has not taken yet.
  struct half {
    explicit half(uint32_t max_frame_size) : decoder(max_frame_size) {
    }
    uint64_t token = 0;
    /// Credit waits for consume_command; this side's writes get progress.
    bool manual = false;
    frame_decoder decoder;
    uint64_t delivered = 0;
    uint64_t consumed = 0;
    bool end_reported = false;
    bool read_stopped = false;
    byte_buffer tx;
    size_t tx_pos = 0;
    bool fin_pending = false;
    bool fin_done = false;
  };

  struct stream {
    stream(int64_t id, uint32_t client_max_frame, uint32_t server_max_frame)
      : id(id), h{half{client_max_frame}, half{server_max_frame}} {
    }
    int64_t id;
    half h[2];
  };

  struct link {
    connection_id id = 0;
    const in_process_side* client = nullptr;
    caf::actor owner[2];
    transport_config cfg[2];
    std::map<int64_t, stream> streams;
    std::unordered_map<uint64_t, int64_t> by_token;
    /// Opens beyond the server's max_concurrent_streams, in order.
    std::deque<open_stream_command> opens;
    /// Client-initiated bidirectional stream ids, numbered as QUIC does.
    int64_t next_sid = 0;
    std::vector<stream_event> out[2];
  };

  /// Handles whose last reference must not be dropped under the lock: an
  /// actor destroyed there could release a side, which takes the lock.
  using graveyard = std::vector<caf::actor>;

  void apply(link& l, int side, transport_command& cmd);
  void open(link& l, open_stream_command& cmd);
  void write(link& l, int side, write_stream_command& cmd);
  void reset(link& l, int side, const reset_stream_command& cmd);
  void stop_reading(link& l, int side, int64_t sid);
  void consume(link& l, int side, int64_t sid, uint64_t token, uint64_t bytes);
  void manual_credit(link& l, int side, int64_t sid, uint64_t token);

  stream* find(link& l, int side, int64_t sid, uint64_t token);
  void pump(link& l, stream& s, int from);
  void protocol_error(link& l, stream& s, int to, std::string detail);
  void maybe_erase(link& l, stream& s);
  void erase(link& l, int64_t sid);
  stream_event& event_for(link& l, stream& s, int to, stream_event::kind what);

  void flush(link& l);
  /// Flushes `l`, tells both owners it closed, and forgets it.
  void close(std::unordered_map<connection_id, link>::iterator it,
             const std::string (&reasons)[2], graveyard& dead);

  transport_config server_cfg_;
  socket_address server_address_;
  accept_handler accept_;
  caf::actor acceptor_;

  mutable std::mutex mtx_;
  std::unordered_map<connection_id, link> links_;
  bool accepting_ = true;
  bool shut_down_ = false;
  transport_stats stats_;
};

/// One side's call_transport: what a connection actor holds.
class in_process_side : public call_transport {
public:
  in_process_side(std::shared_ptr<in_process_hub> hub, int side, transport_config cfg,
                  socket_address address, std::optional<peer_identity> identity);

  /// A client side closes its connections when the last holder lets go.
  ~in_process_side() override;

  connection_id connect(const socket_address& remote, std::string server_name,
                        caf::actor owner) override;
  void submit(transport_command cmd) override;
  const transport_config& config() const noexcept override;
  /// Always true while held: a client whose server stopped dials again
  /// (and is refused at once) as it would over the network.
  bool running() const noexcept override;

  /// Closes every connection of this client side.
  void close_all();

  const socket_address& address() const noexcept {
    return address_;
  }

  const std::optional<peer_identity>& identity() const noexcept {
    return identity_;
  }

private:
  std::shared_ptr<in_process_hub> hub_;
  int side_;
  transport_config cfg_;
  socket_address address_;
  std::optional<peer_identity> identity_;
};

} // namespace rpcnet
