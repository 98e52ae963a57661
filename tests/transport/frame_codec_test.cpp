// Tests the stream framing of rpcnet's wire (frame_encoder, frame_decoder):
// u32 little-endian length + payload, a zero-length frame ending a
// direction, and the enforced maximum frame size. The decoder is a core
// without I/O, so it is fed whole buffers, buffers split at every offset and
// single bytes, and every result must be the same.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include <rpcnet/transport/frame_codec.hpp>

using rpcnet::byte_buffer;
using rpcnet::frame_decoder;
using rpcnet::frame_encoder;

namespace {

/// What a decoder made of its input.
struct decoded {
  /// Frames in order; the end-of-direction frame is an empty buffer.
  std::vector<byte_buffer> frames;
  /// Input bytes the decoder consumed.
  size_t consumed = 0;
};

/// Feeds all of `chunk` to `dec` the way the transport does: feed, take the
/// frame, feed the rest, until the chunk is used up or the decoder failed.
void feed_chunk(frame_decoder& dec, std::span<const uint8_t> chunk, decoded& out) {
  while (!chunk.empty() && !dec.failed()) {
    auto used = dec.feed(chunk);
    out.consumed += used;
    chunk = chunk.subspan(used);
    auto frame = dec.next_frame();
    if (frame)
      out.frames.push_back(std::move(*frame));
    else if (used == 0)
      break; // neither progress nor a frame: the decoder refuses more
  }
}

/// Decodes `input` cut into pieces at the ascending offsets `cuts`.
decoded decode_split(uint32_t max_frame_size, const byte_buffer& input,
                     const std::vector<size_t>& cuts) {
  frame_decoder dec{max_frame_size};
  decoded out;
  size_t begin = 0;
  for (auto cut : cuts) {
    feed_chunk(dec, std::span<const uint8_t>{input}.subspan(begin, cut - begin), out);
    begin = cut;
  }
  feed_chunk(dec, std::span<const uint8_t>{input}.subspan(begin), out);
  return out;
}

byte_buffer payload_of(size_t size, uint8_t seed) {
  byte_buffer buf(size);
  for (size_t i = 0; i < size; ++i)
    buf[i] = static_cast<uint8_t>(seed + i * 7);
  return buf;
}

/// Payloads whose lengths use one, two and three bytes of the prefix, with
/// bytes that look like length prefixes themselves.
std::vector<byte_buffer> sample_payloads() {
  return {rpcnet::to_bytes("a"), payload_of(300, 1), byte_buffer{0, 0, 0, 0},
          rpcnet::to_bytes("hello, frames"), payload_of(70'000, 9)};
}

/// The sample payloads framed back to back, followed by the end frame.
byte_buffer encode_all(const std::vector<byte_buffer>& payloads) {
  byte_buffer out;
  for (auto& p : payloads)
    frame_encoder::append(out, p);
  frame_encoder::append_end(out);
  return out;
}

/// What decoding encode_all(payloads) must yield.
std::vector<byte_buffer> expected_frames(std::vector<byte_buffer> payloads) {
  payloads.emplace_back(); // the end frame
  return payloads;
}

byte_buffer length_prefix(uint32_t length) {
  byte_buffer out(frame_encoder::header_size);
  frame_encoder::write_header(out.data(), length);
  return out;
}

constexpr uint32_t default_max = 8u * 1024 * 1024;

} // namespace

TEST_CASE("the encoder writes a u32 little-endian length before the payload",
          "[frame_codec]") {
  byte_buffer out{0xAA};
  frame_encoder::append(out, byte_buffer{1, 2, 3});
  CHECK(out == byte_buffer{0xAA, 3, 0, 0, 0, 1, 2, 3});

  uint8_t header[4];
  frame_encoder::write_header(header, 0x04030201u);
  CHECK(byte_buffer(header, header + 4) == byte_buffer{0x01, 0x02, 0x03, 0x04});

  byte_buffer end;
  frame_encoder::append_end(end);
  CHECK(end == byte_buffer{0, 0, 0, 0});
}

TEST_CASE("several frames in one buffer decode into the same frames in order",
          "[frame_codec]") {
  auto payloads = sample_payloads();
  auto input = encode_all(payloads);
  auto out = decode_split(default_max, input, {});
  CHECK(out.frames == expected_frames(payloads));
  CHECK(out.consumed == input.size());
}

TEST_CASE("feed stops after each complete frame until it is taken", "[frame_codec]") {
  byte_buffer input;
  frame_encoder::append(input, rpcnet::to_bytes("first"));
  frame_encoder::append(input, rpcnet::to_bytes("second"));
  frame_decoder dec{default_max};
  CHECK(dec.feed(input) == 4 + 5);
  // The frame is waiting: no more input is taken until next_frame().
  CHECK(dec.feed(std::span<const uint8_t>{input}.subspan(9)) == 0);
  CHECK(dec.next_frame() == rpcnet::to_bytes("first"));
  CHECK_FALSE(dec.next_frame().has_value());
  CHECK(dec.feed(std::span<const uint8_t>{input}.subspan(9)) == 4 + 6);
  CHECK(dec.next_frame() == rpcnet::to_bytes("second"));
  CHECK(dec.feed({}) == 0);
  CHECK_FALSE(dec.next_frame().has_value());
}

TEST_CASE("input split at every offset decodes into the same frames", "[frame_codec]") {
  // The 70 kB payload would make this quadratic; the split points that
  // matter (inside a prefix, between prefix and payload, inside a payload)
  // are all present without it.
  std::vector<byte_buffer> payloads{rpcnet::to_bytes("a"), payload_of(300, 1),
                                    byte_buffer{0, 0, 0, 0}, rpcnet::to_bytes("xyz")};
  auto input = encode_all(payloads);
  auto expected = expected_frames(payloads);
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    INFO("split at offset " << cut << " of " << input.size());
    auto out = decode_split(default_max, input, {cut});
    REQUIRE(out.frames == expected);
    REQUIRE(out.consumed == input.size());
  }
}

TEST_CASE("input split into three pieces at every pair of offsets decodes the same",
          "[frame_codec]") {
  std::vector<byte_buffer> payloads{rpcnet::to_bytes("ab"), payload_of(9, 3),
                                    rpcnet::to_bytes("c")};
  auto input = encode_all(payloads);
  auto expected = expected_frames(payloads);
  for (size_t i = 0; i <= input.size(); ++i) {
    for (size_t j = i; j <= input.size(); ++j) {
      INFO("split at offsets " << i << " and " << j);
      REQUIRE(decode_split(default_max, input, {i, j}).frames == expected);
    }
  }
}

TEST_CASE("input fed byte by byte decodes into the same frames", "[frame_codec]") {
  auto payloads = sample_payloads();
  auto input = encode_all(payloads);
  frame_decoder dec{default_max};
  decoded out;
  for (auto byte : input)
    feed_chunk(dec, std::span<const uint8_t>{&byte, 1}, out);
  CHECK(out.frames == expected_frames(payloads));
  CHECK(out.consumed == input.size());
  CHECK(dec.ended());
  CHECK_FALSE(dec.failed());
  CHECK_FALSE(dec.mid_frame());
}

TEST_CASE("the zero-length frame ends the direction", "[frame_codec]") {
  byte_buffer input;
  frame_encoder::append_end(input);
  frame_decoder dec{default_max};
  CHECK_FALSE(dec.ended());
  CHECK(dec.feed(input) == 4);
  auto frame = dec.next_frame();
  REQUIRE(frame.has_value());
  CHECK(frame->empty());
  CHECK(dec.ended());
  CHECK_FALSE(dec.failed());
  CHECK_FALSE(dec.mid_frame());
  CHECK(dec.error_message().empty());
}

TEST_CASE("a frame of exactly the maximum size is accepted", "[frame_codec]") {
  constexpr uint32_t max = 1024;
  auto payload = payload_of(max, 5);
  byte_buffer input;
  frame_encoder::append(input, payload);
  frame_decoder dec{max};
  decoded out;
  feed_chunk(dec, input, out);
  REQUIRE(out.frames.size() == 1);
  CHECK(out.frames[0] == payload);
  CHECK_FALSE(dec.failed());
  CHECK(dec.state() == frame_decoder::status::ok);
  CHECK(dec.max_frame_size() == max);
}

TEST_CASE("a length prefix one byte over the maximum fails as oversized at once",
          "[frame_codec]") {
  constexpr uint32_t max = 1024;
  auto input = length_prefix(max + 1);
  auto body = payload_of(max + 1, 0);
  input.insert(input.end(), body.begin(), body.end());
  frame_decoder dec{max};
  // The prefix alone decides: the decoder does not wait for (or buffer)
  // the payload it would refuse anyway.
  CHECK(dec.feed(input) == frame_encoder::header_size);
  CHECK(dec.failed());
  CHECK(dec.state() == frame_decoder::status::oversized);
  CHECK_FALSE(dec.next_frame().has_value());
  auto msg = dec.error_message();
  CHECK_THAT(msg, Catch::Contains("1025") && Catch::Contains("1024"));
}

TEST_CASE("a length prefix of 4 GiB fails as oversized under the default maximum",
          "[frame_codec]") {
  auto input = length_prefix(0xFFFFFFFFu);
  frame_decoder dec{default_max};
  CHECK(dec.feed(input) == 4);
  CHECK(dec.state() == frame_decoder::status::oversized);
  CHECK_THAT(dec.error_message(), Catch::Contains("4294967295"));
}

TEST_CASE("a failed decoder stays failed and takes no more input", "[frame_codec]") {
  frame_decoder dec{16};
  auto input = length_prefix(17);
  frame_encoder::append(input, rpcnet::to_bytes("valid"));
  decoded out;
  feed_chunk(dec, input, out);
  CHECK(out.frames.empty());
  CHECK(out.consumed == 4);
  byte_buffer more;
  frame_encoder::append(more, rpcnet::to_bytes("still valid"));
  CHECK(dec.feed(more) == 0);
  CHECK_FALSE(dec.next_frame().has_value());
  CHECK(dec.state() == frame_decoder::status::oversized);
}

TEST_CASE("a length prefix claiming more than arrives yields no frame and stays mid-frame",
          "[frame_codec]") {
  auto input = length_prefix(100);
  auto first = payload_of(10, 2);
  input.insert(input.end(), first.begin(), first.end());
  frame_decoder dec{default_max};
  decoded out;
  feed_chunk(dec, input, out);
  CHECK(out.frames.empty());
  CHECK(out.consumed == input.size());
  CHECK(dec.mid_frame());
  CHECK_FALSE(dec.failed());
  CHECK_FALSE(dec.ended());
  // Everything the peer sent of the frame, its complete prefix included:
  // the transport's credit and memory budget count from this (it once
  // left the prefix out, found by the frame codec fuzzer).
  CHECK(dec.buffered() == input.size());

  SECTION("the rest of the payload completes the frame") {
    auto rest = payload_of(90, 12);
    feed_chunk(dec, rest, out);
    REQUIRE(out.frames.size() == 1);
    CHECK(out.frames[0].size() == 100);
    CHECK(byte_buffer(out.frames[0].begin(), out.frames[0].begin() + 10) == first);
    CHECK_FALSE(dec.mid_frame());
  }
}

TEST_CASE("a partial length prefix leaves the decoder mid-frame", "[frame_codec]") {
  frame_decoder dec{default_max};
  byte_buffer two_bytes{5, 0};
  CHECK(dec.feed(two_bytes) == 2);
  CHECK_FALSE(dec.next_frame().has_value());
  CHECK(dec.mid_frame());
  CHECK(dec.buffered() == 2);
  CHECK_FALSE(dec.failed());
}

TEST_CASE("bytes after the end frame fail as after_end", "[frame_codec]") {
  byte_buffer input;
  frame_encoder::append(input, rpcnet::to_bytes("last"));
  frame_encoder::append_end(input);
  auto trailing = GENERATE(byte_buffer{0x42}, byte_buffer{1, 0, 0, 0, 'x'},
                           byte_buffer{0, 0, 0, 0});
  input.insert(input.end(), trailing.begin(), trailing.end());
  frame_decoder dec{default_max};
  decoded out;
  feed_chunk(dec, input, out);
  REQUIRE(out.frames.size() == 2);
  CHECK(out.frames[0] == rpcnet::to_bytes("last"));
  CHECK(out.frames[1].empty());
  CHECK(dec.failed());
  CHECK(dec.state() == frame_decoder::status::after_end);
  CHECK_FALSE(dec.error_message().empty());
  CHECK(out.consumed == input.size() - trailing.size());
}

TEST_CASE("appending an empty payload writes the end frame", "[frame_codec]") {
  // append() with no payload writes the same bytes as append_end(); the
  // call layer never frames an empty payload without a type byte.
  byte_buffer via_append;
  frame_encoder::append(via_append, byte_buffer{});
  byte_buffer via_end;
  frame_encoder::append_end(via_end);
  CHECK(via_append == via_end);
}
