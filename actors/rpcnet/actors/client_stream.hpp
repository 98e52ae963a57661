// A streaming call as plain C++ code sees it: send messages, finish the
// upload, take the responses, or cancel -- each direction on its own, so a
// client keeps sending while responses arrive. Reads block until a message
// arrives; sends block while the server has not yet taken a window of
// earlier messages (backpressure). Each wait is bounded by the client's
// call timeout.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <rpcnet/actors/call_metadata.hpp>
#include <rpcnet/actors/stream_channel.hpp>
#include <rpcnet/transport/byte_buffer.hpp>

namespace rpcnet {

class client_stream {
public:
  client_stream(std::shared_ptr<stream_channel> ch, stream_channel::clock::duration wait)
    : ch_(std::move(ch)), wait_(wait) {
  }

  client_stream(client_stream&&) noexcept = default;
  client_stream& operator=(client_stream&& other) noexcept;
  client_stream(const client_stream&) = delete;
  client_stream& operator=(const client_stream&) = delete;

  /// A call dropped before its end is cancelled, so the server's handler
  /// sees the end and cleans up instead of writing into a full window.
  ~client_stream();

  /// Sends one message.
  caf::error send(const byte_buffer& message);

  /// Ends the upload; the server sees the end of its input.
  caf::error finish();

  /// The next response; nullopt when the server ended the call cleanly; the
  /// server's error, `cancelled`, `connection` or `timeout` otherwise.
  caf::expected<std::optional<byte_buffer>> next();

  /// Cancels the call; the server sees `cancelled`.
  void cancel();

  /// The server's trailing metadata, once next() returned the end of the
  /// stream: nullopt, or the server's error (which carries them too:
  /// trailers_of). Empty before, and when the call failed otherwise
  /// (cancelled, reset, timed out, connection lost).
  call_metadata trailers() const;

  /// Calls `fn` once when this call's object goes away (destroyed or
  /// assigned over): how a cluster client counts a stream as in flight on
  /// its worker for as long as the caller holds it.
  void on_release(std::function<void()> fn) {
    release_ = std::shared_ptr<void>(nullptr, [fn = std::move(fn)](void*) { fn(); });
  }

private:
  std::shared_ptr<stream_channel> ch_;
  stream_channel::clock::duration wait_;
  std::shared_ptr<void> release_;
};

} // namespace rpcnet
