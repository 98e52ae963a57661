// Where a streaming call's inbound events go: a stream_channel when plain
// threads read the call, an actor_stream when an actor does. stream_inbound
// decodes transport events into these calls for either.
#pragma once

#include <cstdint>

#include <caf/error.hpp>

#include <rpcnet/actors/call_metadata.hpp>
#include <rpcnet/transport/byte_buffer.hpp>

namespace rpcnet {

class stream_sink {
public:
  virtual ~stream_sink() = default;

  /// A DATA message arrived; `wire_size` is what it occupied on the stream.
  virtual void push(byte_buffer message, uint64_t wire_size) = 0;

  /// The peer ended its direction; `status` is the call's outcome (none: ok).
  virtual void end_input(caf::error status) = 0;

  /// A reply's STATUS carried `trailers`; end_input follows at once. Only
  /// a client's sinks hear it; those that keep no trailers ignore it (an
  /// error status carries them in its error too: trailers_of).
  virtual void trailers_arrived(call_metadata /*trailers*/) {
  }

  /// The peer acknowledged `bytes` written by us.
  virtual void acked(uint64_t bytes) = 0;

  /// The call failed: both directions end with `err`.
  virtual void fail(caf::error err) = 0;

  /// True once the peer ended its direction or the call failed.
  virtual bool input_closed() const = 0;

  /// True once the local direction was finished or the call failed.
  virtual bool output_closed() const = 0;
};

} // namespace rpcnet
