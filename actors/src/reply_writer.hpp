// Encodes the reply of a unary call and hands it to the transport: DATA +
// STATUS(ok) + end frame, or STATUS(error) + end frame. Shared by every
// path that answers a call (handler actors, service actors, protocol
// errors) so the reply's shape is decided in one place.
#pragma once

#include <memory>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <rpcnet/actors/call_metadata.hpp>
#include <rpcnet/transport/call_transport.hpp>

namespace rpcnet {

/// The end of a reply: STATUS (ok, or `outcome`) with `trailers`, and the
/// end frame. Trailers or error details the wire cannot carry (over
/// `max_metadata` bytes, bad keys) turn the status into `remote` saying
/// why: the handler's mistake, told to its caller.
byte_buffer encode_reply_end(const caf::error& outcome, uint64_t request_id,
                             const call_metadata& trailers, size_t max_metadata);

/// Where a reply goes: one stream of one connection.
struct reply_target {
  std::shared_ptr<call_transport> ep;
  connection_id conn = 0;
  int64_t stream_id = -1;
  uint64_t request_id = 0;

  /// Sends the handler's result (bytes or error) with its trailing
  /// metadata and ends the stream (see encode_reply_end).
  void send(caf::expected<byte_buffer> result, const call_metadata& trailers = {},
            size_t max_metadata = call_metadata::default_max_size) const;

  /// Sends an error status and ends the stream.
  void send_error(const caf::error& err) const;
};

} // namespace rpcnet
