// What a server runs for a streaming method -- one registration serves the
// bidirectional, server-streaming and client-streaming patterns, as in the
// reference: the handler reads the caller's messages from a stream_reader
// and writes its own to a stream_writer, on a thread of the handler pool.
// Both block for backpressure: next() until a message arrives, write()
// while the caller has not yet taken a window of earlier messages.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <rpcnet/actors/call_context.hpp>
#include <rpcnet/actors/stream_channel.hpp>
#include <rpcnet/transport/byte_buffer.hpp>

namespace rpcnet {

/// How long one read or write may wait; max() waits for ever.
using stream_wait = stream_channel::clock::duration;

/// The deadline of an operation starting now.
inline stream_channel::clock::time_point deadline_after(stream_wait wait) {
  auto now = stream_channel::clock::now();
  if (wait >= stream_channel::clock::time_point::max() - now)
    return stream_channel::clock::time_point::max();
  return now + wait;
}

/// The caller's messages, in order.
class stream_reader {
public:
  stream_reader(stream_channel& ch, stream_wait wait) : ch_(ch), wait_(wait) {
  }

  /// The next message; nullopt when the caller finished sending; an error
  /// when the call failed (`cancelled` when the caller gave up) or nothing
  /// came within the call's timeout.
  caf::expected<std::optional<byte_buffer>> next() {
    return ch_.next(deadline_after(wait_));
  }

private:
  stream_channel& ch_;
  stream_wait wait_;
};

/// Messages back to the caller.
class stream_writer {
public:
  stream_writer(stream_channel& ch, stream_wait wait) : ch_(ch), wait_(wait) {
  }

  /// Sends one message; an error once the call failed (the caller
  /// cancelled or went away): the handler should then return.
  caf::error write(const byte_buffer& message);

private:
  stream_channel& ch_;
  stream_wait wait_;
};

/// A streaming handler. Return no error and the caller's stream ends
/// cleanly; return an error and the caller receives it after the messages
/// already written.
using streaming_handler = std::function<caf::error(stream_reader& requests,
                                                   stream_writer& responses)>;

/// A streaming handler that reads the call's context (call_context.hpp).
using context_streaming_handler = std::function<caf::error(
  call_context& ctx, stream_reader& requests, stream_writer& responses)>;

/// Spawns the actor that serves one streaming call `id` (the actor form of
/// a streaming handler). The actor asks `connection` for messages with
/// (demand_atom, id, n) and receives (message_atom, id, bytes), then
/// (end_atom, id, error) when the caller finished (no error) or the call
/// failed. It answers with (send_atom, id, bytes) -> bool -- waiting for
/// each answer -- and ends the call with (finish_atom, id, error), no
/// error meaning success, or cancels it with (cancel_atom, id).
using streaming_actor_factory
  = std::function<caf::actor(caf::actor_system& sys, caf::actor connection, uint64_t id)>;

/// The same, handing the actor the call's context too: its metadata,
/// deadline and peer, and the trailers the reply's STATUS carries once the
/// actor sends (finish_atom, id, error). The connection ends the call at
/// its deadline as for every stream -- the actor gets (end_atom, id,
/// timeout) -- and when the caller cancels or goes away.
using context_streaming_actor_factory = std::function<caf::actor(
  caf::actor_system& sys, caf::actor connection, uint64_t id, call_context ctx)>;

} // namespace rpcnet
