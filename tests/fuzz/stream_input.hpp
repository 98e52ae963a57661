// The input of the fuzz targets that read a stream of frames (the frame
// codec's and the stream assembler's), shared with the seed generator that
// writes such inputs: an options byte that each target reads its own way, a
// chunking byte that says where the stream is cut, and the stream's bytes.
// QUIC hands a stream over in pieces of any size, so where the cuts fall is
// part of what is fuzzed.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>

#include <rpcnet/transport/byte_buffer.hpp>
#include <rpcnet/transport/frame_codec.hpp>

#include "fuzz_check.hpp"

namespace rpcnet::fuzz {

struct stream_input {
  /// What the target makes of it (a frame size limit, which side reads).
  uint8_t options = 0;
  /// 0: the stream arrives in one piece; else in pieces of 1 to `chunking`
  /// bytes, their sizes drawn from a generator seeded with it.
  uint8_t chunking = 0;
  std::span<const uint8_t> stream;

  /// The input's parts; nothing for inputs shorter than the two bytes.
  static std::optional<stream_input> parse(const uint8_t* data, size_t size) {
    if (size < 2)
      return std::nullopt;
    return stream_input{data[0], data[1], {data + 2, size - 2}};
  }

  /// The bytes parse() takes apart into `options`, `chunking` and `stream`.
  static byte_buffer make(uint8_t options, uint8_t chunking, const byte_buffer& stream) {
    byte_buffer out(2 + stream.size());
    out[0] = options;
    out[1] = chunking;
    std::copy(stream.begin(), stream.end(), out.begin() + 2);
    return out;
  }

  /// Calls `on_chunk` with consecutive pieces of `stream`, cut as `chunking` says.
  template <class OnChunk>
  void for_each_chunk(OnChunk&& on_chunk) const {
    if (chunking == 0) {
      on_chunk(stream);
      return;
    }
    uint32_t state = chunking * 2654435761u;
    for (size_t at = 0; at < stream.size();) {
      state = state * 1664525u + 1013904223u;
      auto n = std::min<size_t>(1 + (state >> 16) % chunking, stream.size() - at);
      on_chunk(stream.subspan(at, n));
      at += n;
    }
  }
};

/// Feeds `chunk` to `dec` the way the transport's read loop does -- feed,
/// take the frame, feed the rest -- handing each frame to `on_frame` (the
/// end-of-direction frame as an empty buffer) until the chunk is used up or
/// the decoder failed. Returns the bytes consumed.
template <class OnFrame>
size_t feed_chunk(frame_decoder& dec, std::span<const uint8_t> chunk, OnFrame&& on_frame) {
  size_t consumed = 0;
  while (!chunk.empty() && !dec.failed()) {
    auto used = dec.feed(chunk);
    consumed += used;
    chunk = chunk.subspan(used);
    auto frame = dec.next_frame();
    // Neither a byte taken nor a frame made nor a failure: a reader would spin.
    FUZZ_REQUIRE(used > 0 || frame || dec.failed());
    if (frame)
      on_frame(std::move(*frame));
  }
  return consumed;
}

} // namespace rpcnet::fuzz
