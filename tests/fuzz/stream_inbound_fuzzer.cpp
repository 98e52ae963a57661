// Fuzzes the assembly of a streaming call's inbound side: a peer's stream
// bytes, cut into pieces as the input says, framed by frame_decoder and
// handed to stream_inbound in stream_events the way the transport's read
// loop makes them (quic_connection.cpp, on_recv_stream_data, whose loop
// lives inside an ngtcp2 callback and is mirrored here), then to a sink
// that records what it heard. Bit 0 of the options byte: the stream is a
// reply (DATA*, STATUS, end) rather than a request's messages (DATA*, end).
// What must hold:
//  - the sink hears a story: messages, then at most one ending -- a
//    failure, or (replies: trailers, then) the end of input;
//  - the call ends cleanly exactly when the stream was well formed, judged
//    here frame by frame; otherwise it fails with error::protocol;
//  - a clean end is a round trip: the messages heard re-encode to the very
//    bytes of the stream, and a reply's trailers and error are its STATUS's.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include <rpcnet/actors/error_trailers.hpp>
#include <rpcnet/actors/stream_sink.hpp>
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/frame_codec.hpp>

#include "call_protocol.hpp"
#include "fuzz_check.hpp"
#include "stream_input.hpp"
#include "stream_inbound.hpp"

using rpcnet::byte_buffer;
using rpcnet::call_metadata;
using rpcnet::stream_event;
using rpcnet::fuzz::stream_input;
namespace wire = rpcnet::wire;

namespace {

/// A frame size limit small enough for hostile prefixes to hit it.
constexpr uint32_t max_frame_size = 64 * 1024;

/// Records what a stream_inbound says, refusing anything out of order.
class recording_sink final : public rpcnet::stream_sink {
public:
  std::vector<byte_buffer> messages;
  std::optional<caf::error> ended;
  std::optional<call_metadata> trailers;
  std::optional<caf::error> failure;

  bool closed() const {
    return ended || failure;
  }

  void push(byte_buffer message, uint64_t wire_size) override {
    FUZZ_REQUIRE(!closed() && !trailers);
    // A DATA frame: length prefix, type byte, message.
    FUZZ_REQUIRE(wire_size == rpcnet::frame_encoder::header_size + 1 + message.size());
    messages.push_back(std::move(message));
  }

  void end_input(caf::error status) override {
    FUZZ_REQUIRE(!closed());
    ended = std::move(status);
  }

  void trailers_arrived(call_metadata md) override {
    FUZZ_REQUIRE(!closed() && !trailers);
    trailers = std::move(md);
  }

  void acked(uint64_t) override {
    // Only progress events acknowledge, and none are made here.
    FUZZ_REQUIRE(false);
  }

  void fail(caf::error err) override {
    FUZZ_REQUIRE(!closed());
    failure = std::move(err);
  }

  bool input_closed() const override {
    return closed();
  }

  bool output_closed() const override {
    return failure.has_value();
  }
};

/// The frames (payloads) make a request's rest or a reply, by the protocol.
bool well_formed(const std::vector<byte_buffer>& frames, bool replies) {
  if (replies && frames.empty())
    return false;
  for (size_t i = 0; i < frames.size(); ++i) {
    auto decoded = wire::decode(frames[i]);
    if (!decoded.value)
      return false;
    bool last = i + 1 == frames.size();
    bool want_status = replies && last;
    if (want_status != std::holds_alternative<wire::status>(*decoded.value)
        || (!want_status && !std::holds_alternative<byte_buffer>(*decoded.value)))
      return false;
  }
  return true;
}

/// A clean reply's ending is its STATUS frame's: error, trailers and all.
void check_reply_ending(const recording_sink& sink, const byte_buffer& status_frame) {
  auto st = std::get<wire::status>(*wire::decode(status_frame).value);
  FUZZ_REQUIRE(sink.trailers && *sink.trailers == st.trailers);
  const auto& err = *sink.ended;
  FUZZ_REQUIRE(static_cast<bool>(err) == !st.ok());
  if (!st.ok()) {
    FUZZ_REQUIRE(static_cast<uint8_t>(rpcnet::code_of(err)) == st.code);
    FUZZ_REQUIRE(rpcnet::message_of(err) == st.message);
    FUZZ_REQUIRE(rpcnet::details_of(err) == st.details);
    FUZZ_REQUIRE(rpcnet::trailers_of(err) == st.trailers);
  }
}

/// The bytes a cleanly ended stream must have been: the messages heard as
/// DATA frames, a reply's STATUS frame as it came, the end frame.
byte_buffer reencoded(const recording_sink& sink, const std::vector<byte_buffer>& frames,
                      bool replies) {
  byte_buffer out;
  for (const auto& message : sink.messages)
    wire::append_data(out, message);
  if (replies)
    rpcnet::frame_encoder::append(out, frames.back());
  rpcnet::frame_encoder::append_end(out);
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto in = stream_input::parse(data, size);
  if (!in)
    return 0;
  bool replies = (in->options & 1) != 0;
  rpcnet::stream_inbound inbound{replies};
  recording_sink sink;
  rpcnet::frame_decoder dec{max_frame_size};
  // Every frame handed over, and whether the end frame came in a chunk that
  // decoded cleanly (the transport reports the end only then).
  std::vector<byte_buffer> delivered;
  bool framing_ended = false;
  auto deliver = [&](stream_event& ev) {
    auto why = inbound.apply(sink, ev);
    FUZZ_REQUIRE(why.empty() != sink.failure.has_value());
  };
  auto protocol_error = [&](std::string detail) {
    stream_event ev;
    ev.what = stream_event::kind::protocol_error;
    ev.detail = std::move(detail);
    deliver(ev);
  };
  in->for_each_chunk([&](std::span<const uint8_t> chunk) {
    // The connection forgets a stream whose call ended or failed.
    if (sink.closed())
      return;
    stream_event ev;
    bool ended_here = false;
    rpcnet::fuzz::feed_chunk(dec, chunk, [&](byte_buffer frame) {
      if (frame.empty()) {
        ended_here = true;
        return;
      }
      delivered.push_back(frame);
      ev.frames.push_back(std::move(frame));
    });
    ev.finished = ended_here && !dec.failed();
    framing_ended = ev.finished;
    if (!ev.frames.empty() || ev.finished)
      deliver(ev);
    if (dec.failed() && !sink.closed())
      protocol_error(dec.error_message());
  });
  if (!sink.closed()) {
    // The peer's FIN, with the stream not ended by an end frame.
    FUZZ_REQUIRE(!dec.ended());
    protocol_error(dec.mid_frame() ? "stream ended inside a frame"
                                   : "stream ended without an end frame");
  }

  FUZZ_REQUIRE(sink.closed());
  bool clean = framing_ended && well_formed(delivered, replies);
  FUZZ_REQUIRE(clean == sink.ended.has_value());
  if (!clean) {
    FUZZ_REQUIRE(rpcnet::code_of(*sink.failure) == rpcnet::error::protocol);
    FUZZ_REQUIRE(rpcnet::code_of(inbound.outcome()) == rpcnet::error::protocol);
    return 0;
  }
  FUZZ_REQUIRE(sink.messages.size() == delivered.size() - (replies ? 1 : 0));
  auto again = reencoded(sink, delivered, replies);
  FUZZ_REQUIRE(again.size() <= in->stream.size()
               && std::equal(again.begin(), again.end(), in->stream.begin()));
  if (replies)
    check_reply_ending(sink, delivered.back());
  else
    FUZZ_REQUIRE(!sink.trailers && !*sink.ended);
  FUZZ_REQUIRE(static_cast<bool>(inbound.outcome()) == static_cast<bool>(*sink.ended));
  return 0;
}
