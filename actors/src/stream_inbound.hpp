// How a connection actor hands a streaming call's transport events to its
// stream_sink: DATA messages in, the peer's end (and, for replies, the
// STATUS before it), resets, malformed input and write acknowledgements.
// Server and client share it; only replies carry a STATUS.
#pragma once

#include <optional>
#include <string>

#include "call_protocol.hpp"
#include <rpcnet/actors/stream_sink.hpp>
#include <rpcnet/transport/transport_messages.hpp>

namespace rpcnet {

class stream_inbound {
public:
  /// `replies`: the input is a reply (DATA*, STATUS, end), else a request's
  /// remaining messages (DATA*, end).
  /// `max_metadata`: the most trailing metadata a reply may carry.
  explicit stream_inbound(bool replies, size_t max_metadata = call_metadata::default_max_size)
    : replies_(replies), max_metadata_(max_metadata) {
  }

  /// Applies `ev` to `ch`. Returns a description when the call cannot go
  /// on -- the peer broke the protocol, or the transport refused the
  /// stream to keep a limit; the channel has then failed and the caller
  /// resets the stream -- else an empty string.
  std::string apply(stream_sink& ch, stream_event& ev);

  /// How the peer's direction ended: no error for a clean end (or while it
  /// goes on), else the failure or the reply's error status.
  const caf::error& outcome() const noexcept {
    return outcome_;
  }

private:
  bool replies_;
  size_t max_metadata_;
  caf::error outcome_;
  std::optional<wire::status> status_;
};

} // namespace rpcnet
