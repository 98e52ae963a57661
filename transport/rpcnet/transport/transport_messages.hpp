// The typed messages between the transport thread and the actors above it.
// Events flow up with caf::anon_send, batched per connection and wake-up;
// commands flow down through endpoint::submit().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include <rpcnet/transport/byte_buffer.hpp>
#include <rpcnet/transport/peer_identity.hpp>
#include <rpcnet/transport/socket_address.hpp>

namespace rpcnet {

/// Names a connection of an endpoint; never reused within a process.
using connection_id = uint64_t;

/// Application error codes sent in RESET_STREAM, STOP_SENDING and
/// CONNECTION_CLOSE (docs/PROTOCOL.md).
enum class app_error : uint64_t {
  no_error = 0,
  protocol = 1,  ///< malformed frames on the stream or connection
  cancelled = 2, ///< the call was cancelled (by its caller, or at its deadline)
  shutdown = 3,  ///< the endpoint is shutting down
  internal = 4,  ///< an internal failure on the sending side
};

// -- events: transport thread -> actors ---------------------------------------

/// What happened on one stream since the last batch.
struct stream_event {
  enum class kind : uint8_t {
    frames,         ///< `frames` holds complete frames; `finished` if the
                    ///< peer ended its direction
    reset,          ///< the peer reset the stream or stopped reading
    protocol_error, ///< the peer broke the framing; `detail` says how
    progress,       ///< the peer acknowledged `acked` more bytes written to a
                    ///< stream in manual credit mode (producers pace on it)
    refused,        ///< the transport stopped reading the stream to keep a
                    ///< limit (the endpoint's memory budget, the request
                    ///< deadline) and dropped what it held; `refusal` is
                    ///< the rpcnet::error to answer with, `detail` why
  };

  int64_t stream_id = -1;
  /// The token the local side gave when it opened the stream; 0 for streams
  /// the peer opened.
  uint64_t token = 0;
  kind what = kind::frames;
  bool finished = false;
  std::vector<byte_buffer> frames;
  uint64_t app_code = 0;
  uint64_t acked = 0;
  uint8_t refusal = 0;
  std::string detail;
};

/// All stream events of one connection gathered in one transport wake-up.
struct connection_batch {
  connection_id conn = 0;
  std::vector<stream_event> events;
};

/// The handshake completed; calls may flow.
struct connection_ready {
  connection_id conn = 0;
  socket_address peer;
  /// What the peer's verified certificate says: on a client always (it
  /// verifies every server), on a server under mutual TLS; nullopt where
  /// the peer presented no certificate.
  std::optional<peer_identity> identity;
};

/// The connection is gone. `code` is an rpcnet::error value and `reason`
/// the human-readable cause (TLS alert, peer's close reason, idle timeout).
struct connection_closed {
  connection_id conn = 0;
  uint8_t code = 0;
  std::string reason;
};

// -- commands: actors -> transport thread -------------------------------------

/// Connect to `remote`, verifying that its certificate names `server_name`;
/// `owner` receives connection_ready/connection_closed and all batches.
struct connect_command {
  connection_id conn = 0;
  socket_address remote;
  std::string server_name;
  caf::actor owner;
};

/// Open a bidirectional stream tagged `token` and write `data` to it. With
/// `manual_credit`, received frames wait for consume_command before their
/// flow-control credit returns to the peer (streaming calls), and the owner
/// hears of acknowledged writes through progress events.
struct open_stream_command {
  connection_id conn = 0;
  uint64_t token = 0;
  byte_buffer data;
  bool fin = false;
  bool manual_credit = false;
};

/// Put a stream the peer opened into manual credit mode (see
/// open_stream_command); frames delivered so far count as consumed.
struct manual_credit_command {
  connection_id conn = 0;
  int64_t stream_id = -1;
  uint64_t token = 0;
};

/// The consumer of a manual-credit stream took `bytes` (frame payloads plus
/// their 4-byte prefixes): the peer may send that much more. This is the
/// backpressure of streaming calls.
struct consume_command {
  connection_id conn = 0;
  int64_t stream_id = -1;
  uint64_t token = 0;
  uint64_t bytes = 0;
};

/// Write `data` to an existing stream; `fin` ends the local direction. A
/// stream opened locally may be named by its token (stream_id -1), also
/// before the peer's stream limit let it open.
struct write_stream_command {
  connection_id conn = 0;
  int64_t stream_id = -1;
  byte_buffer data;
  bool fin = false;
  uint64_t token = 0;
};

/// Reset a stream in both directions (RESET_STREAM + STOP_SENDING). A
/// stream opened locally may be named by its token instead of its id.
struct reset_stream_command {
  connection_id conn = 0;
  int64_t stream_id = -1;
  uint64_t token = 0;
  app_error code = app_error::cancelled;
};

/// Stop reading a stream whose input was malformed (STOP_SENDING) while
/// the local side still writes its answer.
struct stop_reading_command {
  connection_id conn = 0;
  int64_t stream_id = -1;
  app_error code = app_error::protocol;
};

/// Close a connection with a reason the peer sees.
struct close_command {
  connection_id conn = 0;
  app_error code = app_error::no_error;
  std::string reason;
};

using transport_command
  = std::variant<connect_command, open_stream_command, write_stream_command,
                 reset_stream_command, stop_reading_command, close_command,
                 manual_credit_command, consume_command>;

} // namespace rpcnet

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rpcnet::connection_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rpcnet::connection_ready)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rpcnet::connection_closed)
