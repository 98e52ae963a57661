// A streaming call whose other end is an actor rather than a thread. The
// connection actor owns it (no locks: only that actor touches it). Messages
// go to the consumer actor as (message_atom, id, bytes) only as far as it
// asked for them with (demand_atom, id, n), and their flow-control credit
// returns to the peer as they go out -- backpressure by demand. The
// producer's (send_atom, id, bytes) is answered once there is room in the
// window, so a producer that waits for each answer never overfills it.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include <caf/actor.hpp>
#include <caf/local_actor.hpp>
#include <caf/result.hpp>
#include <caf/typed_response_promise.hpp>

#include <rpcnet/actors/stream_channel.hpp>
#include <rpcnet/actors/stream_sink.hpp>

namespace rpcnet {

class actor_stream : public stream_sink {
public:
  /// Sends queued beyond the window at most; further sends fail with
  /// `overloaded` (a producer that does not wait for answers).
  static constexpr size_t max_queued_sends = 64;

  actor_stream(caf::local_actor* self, stream_channel::address addr, uint64_t window,
               caf::actor consumer, uint64_t id);

  // -- stream_sink (events from the transport) --------------------------------

  void push(byte_buffer message, uint64_t wire_size) override;
  void end_input(caf::error status) override;
  void acked(uint64_t bytes) override;
  void fail(caf::error err) override;
  bool input_closed() const override;
  bool output_closed() const override;

  // -- requests of the actors at the ends --------------------------------------

  /// The consumer takes `n` more messages.
  void demand(uint32_t n);

  /// Queues one message for the peer; the result arrives when it is under way.
  caf::result<bool> send(const byte_buffer& message);

  /// Ends the local direction with `tail` (the end frame, after a STATUS on
  /// a server).
  void finish(byte_buffer tail);

  /// Cancels the call: resets the stream, tells the consumer `cancelled`.
  void cancel();

private:
  void deliver();
  void flush_sends();

  caf::local_actor* self_;
  stream_channel::address addr_;
  uint64_t window_;
  caf::actor consumer_;
  uint64_t id_;

  /// Inbound messages not yet asked for, with their wire sizes.
  std::deque<std::pair<byte_buffer, uint64_t>> inbox_;
  uint64_t demand_ = 0;
  uint64_t untold_credit_ = 0;
  bool input_ended_ = false;
  bool end_sent_ = false;
  caf::error status_;

  /// Outbound frames waiting for room, with the producer's promise.
  std::deque<std::pair<byte_buffer, caf::typed_response_promise<bool>>> sends_;
  /// Frames written and not yet acknowledged.
  uint64_t outstanding_ = 0;
  bool output_closed_ = false;
  /// Bytes to write once the queued sends are out (finish() came early).
  std::optional<byte_buffer> tail_;

  caf::error failure_;
};

} // namespace rpcnet
