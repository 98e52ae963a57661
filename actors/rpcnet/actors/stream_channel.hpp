// One streaming call's two directions as seen by the code that reads and
// writes it: a plain thread (a handler on the pool, a client's caller) on
// one side, the connection actor on the other. Inbound messages queue here
// until taken, and their flow-control credit returns to the peer only then;
// outbound writes wait while more than a window of them is unacknowledged.
// So neither side ever buffers without bound.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <rpcnet/actors/call_metadata.hpp>
#include <rpcnet/actors/stream_sink.hpp>
#include <rpcnet/transport/call_transport.hpp>

namespace rpcnet {

class stream_channel : public stream_sink {
public:
  // -- member types -----------------------------------------------------------

  /// Names the stream at the transport: by id (server side) or by the token
  /// it was opened with (client side).
  struct address {
    std::shared_ptr<call_transport> ep;
    connection_id conn = 0;
    int64_t stream_id = -1;
    uint64_t token = 0;
  };

  using clock = std::chrono::steady_clock;

  // -- constructors -----------------------------------------------------------

  /// `window`: unacknowledged outbound bytes at most, and how many taken
  /// inbound bytes are gathered before their credit goes back.
  stream_channel(address addr, uint64_t window);

  // -- the connection actor's side --------------------------------------------

  /// A DATA message arrived; `wire_size` is what it occupied on the stream.
  void push(byte_buffer message, uint64_t wire_size) override;

  /// The peer ended its direction; `status` is the call's outcome (none: ok).
  void end_input(caf::error status) override;

  /// A reply's trailers, kept for trailers().
  void trailers_arrived(call_metadata trailers) override;

  /// The peer acknowledged `bytes` written by us.
  void acked(uint64_t bytes) override;

  /// The call failed (reset, malformed frames, lost connection): both
  /// directions end with `err`.
  void fail(caf::error err) override;

  // -- the reading side -------------------------------------------------------

  /// The next inbound message; nullopt once the peer ended its direction
  /// cleanly; the call's error otherwise. Blocks until one of them, or
  /// `deadline` (then error::timeout).
  caf::expected<std::optional<byte_buffer>> next(clock::time_point deadline);

  // -- the writing side -------------------------------------------------------

  /// Sends `frames` (complete frames, prefixes included); `fin` ends the
  /// local direction with them. Blocks while a window of earlier writes is
  /// unacknowledged. Fails once the call failed, or at `deadline`.
  caf::error write(byte_buffer frames, clock::time_point deadline, bool fin = false);

  /// Ends the local direction with `frames` (an end frame at least).
  void finish(byte_buffer frames);

  /// Cancels the call: resets the stream and fails both directions with
  /// `reason` locally.
  void cancel(caf::error reason);

  // -- properties -------------------------------------------------------------

  /// The failure that ended the call, if any.
  caf::error failure() const;

  /// The trailers of the reply's STATUS once the peer ended its direction
  /// (a client's channel); empty before, and when none came.
  call_metadata trailers() const;

  /// True once the local direction was finished or the call failed.
  bool output_closed() const override;

  /// True once the peer ended its direction or the call failed.
  bool input_closed() const override;

private:
  /// Sends the credit of taken messages back when enough gathered or the
  /// queue ran dry (so a peer never waits on a consumer that is waiting).
  void return_credit(std::unique_lock<std::mutex>& lock);

  address addr_;
  uint64_t window_;

  mutable std::mutex mtx_;
  std::condition_variable cv_;

  std::deque<byte_buffer> inbox_;
  /// Wire bytes of taken messages whose credit has not gone back yet.
  uint64_t untold_credit_ = 0;
  /// Wire size of each queued message, for its credit when taken.
  std::deque<uint64_t> inbox_sizes_;
  bool input_ended_ = false;
  caf::error input_status_;
  call_metadata trailers_;

  /// Written and not yet acknowledged.
  uint64_t outstanding_ = 0;
  bool output_closed_ = false;

  caf::error failure_;
};

} // namespace rpcnet
