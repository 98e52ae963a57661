// Fuzzes the stream framing (frame_codec.hpp) through the transport's read
// loop: a stream cut into pieces as the input says, read by a decoder whose
// frame size limit the input picks. What must hold:
//  - where the stream is cut changes nothing: frames, bytes consumed, state;
//  - the framing is canonical: the frames re-encode to exactly the bytes
//    they were read from, and what follows them is the unfinished frame
//    (ok), the rejected length prefix (oversized) or nothing (after_end);
//  - buffered() counts the unfinished frame's bytes (see below);
//  - a failed decoder stays failed and takes no more bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <rpcnet/transport/frame_codec.hpp>

#include "fuzz_check.hpp"
#include "stream_input.hpp"

using rpcnet::byte_buffer;
using rpcnet::frame_decoder;
using rpcnet::frame_encoder;
using rpcnet::fuzz::stream_input;

namespace {

/// Small limits let short inputs reach the size check; bit 7 picks 1 MiB.
uint32_t max_frame_size_of(uint8_t options) {
  return (options & 0x80) != 0 ? uint32_t{1} << 20 : options;
}

struct decoded {
  std::vector<byte_buffer> frames;
  size_t consumed = 0;
};

void read_into(decoded& out, frame_decoder& dec, std::span<const uint8_t> chunk) {
  out.consumed += rpcnet::fuzz::feed_chunk(
    dec, chunk, [&](byte_buffer frame) { out.frames.push_back(std::move(frame)); });
}

byte_buffer encoded(const std::vector<byte_buffer>& frames) {
  byte_buffer out;
  for (const auto& frame : frames) {
    if (frame.empty())
      frame_encoder::append_end(out);
    else
      frame_encoder::append(out, frame);
  }
  return out;
}

uint32_t little_endian_u32(std::span<const uint8_t> bytes) {
  return uint32_t{bytes[0]} | (uint32_t{bytes[1]} << 8) | (uint32_t{bytes[2]} << 16)
         | (uint32_t{bytes[3]} << 24);
}

bool same_state(const frame_decoder& x, const frame_decoder& y) {
  return x.state() == y.state() && x.ended() == y.ended() && x.mid_frame() == y.mid_frame()
         && x.buffered() == y.buffered();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto in = stream_input::parse(data, size);
  if (!in)
    return 0;
  auto max = max_frame_size_of(in->options);
  frame_decoder dec{max};
  decoded cut;
  in->for_each_chunk([&](std::span<const uint8_t> chunk) { read_into(cut, dec, chunk); });
  frame_decoder whole_dec{max};
  decoded whole;
  read_into(whole, whole_dec, in->stream);
  FUZZ_REQUIRE(cut.frames == whole.frames && cut.consumed == whole.consumed);
  FUZZ_REQUIRE(same_state(dec, whole_dec));

  for (size_t i = 0; i < cut.frames.size(); ++i) {
    FUZZ_REQUIRE(cut.frames[i].size() <= max);
    // Only the last frame may be the end: bytes after it break the stream.
    FUZZ_REQUIRE(!cut.frames[i].empty() || i + 1 == cut.frames.size());
  }
  auto again = encoded(cut.frames);
  auto stream = in->stream;
  FUZZ_REQUIRE(again.size() <= stream.size()
               && std::equal(again.begin(), again.end(), stream.begin()));
  auto rest = stream.subspan(again.size());
  FUZZ_REQUIRE(dec.ended() == (!cut.frames.empty() && cut.frames.back().empty()));
  switch (dec.state()) {
    case frame_decoder::status::ok:
      FUZZ_REQUIRE(cut.consumed == stream.size());
      FUZZ_REQUIRE(dec.mid_frame() == !rest.empty());
      FUZZ_REQUIRE(!dec.ended() || rest.empty());
      // What follows the frames is the unfinished one, prefix and all.
      FUZZ_REQUIRE(dec.buffered() == rest.size());
      FUZZ_REQUIRE(dec.error_message().empty());
      break;
    case frame_decoder::status::oversized: {
      FUZZ_REQUIRE(cut.consumed == again.size() + frame_encoder::header_size);
      auto claimed = little_endian_u32(rest);
      FUZZ_REQUIRE(claimed > max);
      FUZZ_REQUIRE(dec.error_message().find(std::to_string(claimed)) != std::string::npos);
      break;
    }
    case frame_decoder::status::after_end:
      FUZZ_REQUIRE(dec.ended() && !rest.empty() && cut.consumed == again.size());
      FUZZ_REQUIRE(!dec.error_message().empty());
      break;
  }
  if (dec.failed()) {
    FUZZ_REQUIRE(dec.feed(stream) == 0 && dec.failed() && !dec.next_frame());
  }
  return 0;
}
