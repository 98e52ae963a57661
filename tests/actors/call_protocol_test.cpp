// The call layer of the wire (rpcnet/actors/call_protocol.hpp) as a core
// without I/O: CALL, DATA and STATUS frames survive encode/decode, the CALL
// frame's byte layout is pinned, every kind of malformed frame is rejected
// with an error that says what is wrong, and errors cross the wire as
// STATUS frames without losing their code or message.
#include <cstdint>
#include <string>

#include <catch2/catch.hpp>

#include <caf/sec.hpp>

#include "call_protocol.hpp"
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/frame_codec.hpp>

#include "catch_printers.hpp"

using namespace rpcnet;
using namespace rpcnet::wire;

namespace {

/// The decode error of `payload`; fails the test if it decodes.
std::string decode_error_of(const byte_buffer& payload) {
  auto result = decode(payload);
  CHECK_FALSE(result.value);
  return result.error;
}

std::string decode_error_of_limited(const byte_buffer& payload, size_t max_metadata) {
  auto result = decode(payload, max_metadata);
  CHECK_FALSE(result.value);
  return result.error;
}

call_header sample_header() {
  call_header hdr;
  hdr.kind = call_kind::unary;
  hdr.request_id = 0x0102030405060708;
  hdr.deadline_ms = 30'000;
  hdr.method = "add";
  return hdr;
}

/// The length prefix of a framed payload, read as little-endian.
uint32_t prefix_of(const byte_buffer& framed) {
  REQUIRE(framed.size() >= 4);
  return static_cast<uint32_t>(framed[0]) | static_cast<uint32_t>(framed[1]) << 8
         | static_cast<uint32_t>(framed[2]) << 16 | static_cast<uint32_t>(framed[3]) << 24;
}

} // namespace

// -- round trips --------------------------------------------------------------

TEST_CASE("a CALL frame decodes to the header it was encoded from", "[call_protocol]") {
  auto kind = GENERATE(call_kind::unary, call_kind::bidi_streaming,
                       call_kind::server_streaming, call_kind::client_streaming);
  auto hdr = sample_header();
  hdr.kind = kind;
  hdr.request_id = GENERATE(uint64_t{0}, uint64_t{1}, UINT64_MAX);
  hdr.deadline_ms = GENERATE(std::optional<uint32_t>{}, std::optional<uint32_t>{0},
                             std::optional<uint32_t>{1}, std::optional<uint32_t>{UINT32_MAX});
  hdr.wait_ms = GENERATE(uint32_t{0}, uint32_t{7}, UINT32_MAX);
  auto result = decode(encode_call(hdr));
  INFO("decode error: " << result.error);
  REQUIRE(result.value);
  auto* got = std::get_if<call_header>(&*result.value);
  REQUIRE(got);
  CHECK(got->kind == hdr.kind);
  CHECK(got->request_id == hdr.request_id);
  CHECK(got->deadline_ms == hdr.deadline_ms);
  CHECK(got->wait_ms == hdr.wait_ms);
  CHECK(got->method == hdr.method);
  CHECK(got->metadata.empty());
  CHECK(result.error.empty());
}

TEST_CASE("a CALL frame carries method names of 1 and of 255 bytes", "[call_protocol]") {
  auto hdr = sample_header();
  hdr.method = GENERATE(std::string(1, 'm'), std::string(max_method_size, 'm'),
                        std::string{"calculator.Add/v2 \xc3\xa9"});
  auto result = decode(encode_call(hdr));
  INFO("decode error: " << result.error);
  REQUIRE(result.value);
  auto* got = std::get_if<call_header>(&*result.value);
  REQUIRE(got);
  CHECK(got->method == hdr.method);
}

TEST_CASE("a CALL frame is laid out little-endian: type, version, kind, flags, id, "
          "deadline, wait, method length, method, metadata",
          "[call_protocol]") {
  auto hdr = sample_header();
  hdr.wait_ms = 2;
  hdr.metadata.add("k", "vv");
  auto bytes = encode_call(hdr);
  byte_buffer expected{0x01, 0x02, 0x01, 0x01,                         // type, version, kind, flags
                       0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, // request id
                       0x30, 0x75, 0x00, 0x00,                         // deadline: 30000 ms
                       0x02, 0x00, 0x00, 0x00,                         // wait: 2 ms
                       0x03, 'a',  'd',  'd',                          // method
                       0x01, 0x00,                                     // one pair
                       0x01, 'k',  0x02, 0x00, 'v', 'v'};
  CHECK(bytes == expected);
}

TEST_CASE("a CALL frame carries its metadata in order, repeated keys and binary values "
          "included",
          "[call_protocol][metadata]") {
  auto hdr = sample_header();
  hdr.metadata.add("authorization", "Bearer abc");
  hdr.metadata.add("x-tag", "one");
  hdr.metadata.add("x-tag", "two");
  hdr.metadata.add("trace-bin", std::string("\x00\xff\x7f", 3));
  auto result = decode(encode_call(hdr));
  INFO("decode error: " << result.error);
  REQUIRE(result.value);
  auto& got = std::get<call_header>(*result.value);
  CHECK(got.metadata == hdr.metadata);
  CHECK(got.metadata.get_all("x-tag") == std::vector<std::string_view>{"one", "two"});
}

TEST_CASE("a STATUS frame carries trailers and error details", "[call_protocol][metadata]") {
  status st{static_cast<uint8_t>(error::remote), 3, "no"};
  st.details = {1, 2, 3};
  st.trailers.add("retry-after", "5");
  auto result = decode(encode_status(st));
  INFO("decode error: " << result.error);
  REQUIRE(result.value);
  auto& got = std::get<status>(*result.value);
  CHECK(got.trailers == st.trailers);
  CHECK(got.details == st.details);
  auto err = error_from_status(got);
  CHECK(details_of(err) == byte_buffer{1, 2, 3});
  CHECK(message_of(err) == "no");
}

TEST_CASE("metadata found valid once is checked again after any change to it",
          "[call_protocol][metadata]") {
  call_metadata md;
  md.add("tenant", "blue");
  REQUIRE(metadata_problem(md, 8192).empty());
  auto copy = md; // shares the pairs and the verdict
  CHECK(metadata_problem(copy, 8192).empty());
  // The size limit still applies to pairs known to be valid.
  CHECK(metadata_problem(copy, 4).find("exceeds the limit of 4") != std::string::npos);
  copy.add("Bad", "v"); // its own pairs now, not yet checked
  CHECK(metadata_problem(copy, 8192).find("'Bad'") != std::string::npos);
  CHECK(metadata_problem(md, 8192).empty());
  md.add("also bad", "v"); // the sole owner changes its pairs in place
  CHECK_FALSE(metadata_problem(md, 8192).empty());
  md.erase("also bad");
  CHECK(metadata_problem(md, 8192).empty());
}

TEST_CASE("metadata over the receiver's limit, with bad keys or non-text values is rejected",
          "[call_protocol][metadata][hostile]") {
  auto hdr = sample_header();
  SECTION("over the limit") {
    hdr.metadata.add("big", std::string(200, 'x'));
    auto bytes = encode_call(hdr);
    // 3 bytes of lengths, the key and the value.
    CHECK(decode(bytes, 206).value);
    CHECK(decode_error_of_limited(bytes, 205)
          == "CALL metadata exceeds the limit of 205 bytes");
  }
  SECTION("an upper-case key") {
    hdr.metadata.add("Authorization", "x");
    CHECK(decode_error_of(encode_call(hdr)).find("is not lower-case") != std::string::npos);
  }
  SECTION("an empty key") {
    hdr.metadata.add("", "x");
    CHECK(decode_error_of(encode_call(hdr)) == "CALL metadata: an empty metadata key");
  }
  SECTION("a control character in a text value") {
    hdr.metadata.add("k", "a\nb");
    CHECK(decode_error_of(encode_call(hdr)).find("not printable ASCII") != std::string::npos);
  }
  SECTION("a count of pairs the frame does not hold") {
    auto bytes = encode_call(hdr);
    bytes[bytes.size() - 2] = 0xff; // 255 pairs, none present
    CHECK(decode_error_of(bytes) == "CALL metadata is truncated");
  }
}

TEST_CASE("a CALL frame with unknown flags, or a deadline without its flag, is rejected",
          "[call_protocol][hostile]") {
  auto bytes = encode_call(sample_header());
  SECTION("unknown flags") {
    bytes[3] = 0x03;
    CHECK(decode_error_of(bytes) == "unknown CALL flags 3");
  }
  SECTION("a deadline without the flag") {
    bytes[3] = 0x00;
    CHECK(decode_error_of(bytes) == "a deadline without the deadline flag");
  }
}

TEST_CASE("a DATA frame decodes to its body, an empty body included", "[call_protocol]") {
  auto body = GENERATE(byte_buffer{}, byte_buffer{0x00}, byte_buffer{0x01, 0x02, 0x03, 0xff},
                       byte_buffer(70'000, 0xab));
  auto encoded = encode_data(body);
  REQUIRE(encoded.size() == body.size() + 1);
  CHECK(encoded[0] == static_cast<uint8_t>(frame_type::data));
  auto result = decode(encoded);
  REQUIRE(result.value);
  auto* got = std::get_if<byte_buffer>(&*result.value);
  REQUIRE(got);
  CHECK(got->size() == body.size());
  CHECK((*got == body));
}

TEST_CASE("a STATUS frame decodes to its code, request id and message", "[call_protocol]") {
  status st;
  st.code = GENERATE(uint8_t{0}, static_cast<uint8_t>(error::connection),
                     static_cast<uint8_t>(error::remote),
                     static_cast<uint8_t>(error::no_workers));
  st.request_id = GENERATE(uint64_t{0}, uint64_t{42}, UINT64_MAX);
  st.message = st.code == 0 ? "" : "division by zero";
  auto result = decode(encode_status(st));
  INFO("decode error: " << result.error);
  REQUIRE(result.value);
  auto* got = std::get_if<status>(&*result.value);
  REQUIRE(got);
  CHECK(got->code == st.code);
  CHECK(got->request_id == st.request_id);
  CHECK(got->message == st.message);
  CHECK(got->ok() == (st.code == 0));
}

TEST_CASE("a STATUS message longer than the limit is cut to the limit and still decodes",
          "[call_protocol]") {
  status st{static_cast<uint8_t>(error::remote), 7, std::string(max_status_message + 100, 'x')};
  auto encoded = encode_status(st);
  // 12 fixed bytes, the message, no trailers (2), no details (2).
  CHECK(encoded.size() == 12 + max_status_message + 4);
  auto result = decode(encoded);
  REQUIRE(result.value);
  auto* got = std::get_if<status>(&*result.value);
  REQUIRE(got);
  CHECK(got->message == std::string(max_status_message, 'x'));
}

TEST_CASE("append_call, append_data and append_status write the length prefix before the "
          "frame",
          "[call_protocol]") {
  byte_buffer body(1000, 0x5a);
  status st{static_cast<uint8_t>(error::timeout), 9, "late"};
  byte_buffer out;
  append_call(out, sample_header());
  append_data(out, body);
  append_status(out, st);
  frame_encoder::append_end(out);
  byte_buffer expected;
  frame_encoder::append(expected, encode_call(sample_header()));
  frame_encoder::append(expected, encode_data(body));
  frame_encoder::append(expected, encode_status(st));
  frame_encoder::append_end(expected);
  CHECK(prefix_of(out) == encode_call(sample_header()).size());
  CHECK((out == expected));
}

// -- malformed frames ---------------------------------------------------------

TEST_CASE("an empty frame is not a typed frame", "[call_protocol]") {
  CHECK(decode_error_of({}) == "empty frame where a typed frame was expected");
}

TEST_CASE("a CALL frame cut anywhere before its method length is truncated",
          "[call_protocol]") {
  auto full = encode_call(sample_header());
  // 1 type + 1 version + 1 kind + 1 flags + 8 id + 4 deadline + 4 wait + 1 length.
  auto cut = GENERATE(range(size_t{1}, size_t{21}));
  byte_buffer truncated(full.begin(), full.begin() + static_cast<ptrdiff_t>(cut));
  CAPTURE(cut);
  CHECK(decode_error_of(truncated) == "truncated CALL frame");
}

TEST_CASE("a CALL frame whose method is shorter or longer than its length is rejected",
          "[call_protocol]") {
  auto full = encode_call(sample_header());
  SECTION("method and metadata cut short") {
    full.resize(full.size() - 3);
    CHECK(decode_error_of(full) == "CALL metadata is truncated");
  }
  SECTION("bytes after the metadata") {
    full.push_back('!');
    CHECK(decode_error_of(full) == "CALL frame length does not match its fields");
  }
}

TEST_CASE("a CALL frame with an empty method name is rejected", "[call_protocol]") {
  auto hdr = sample_header();
  hdr.method.clear();
  CHECK(decode_error_of(encode_call(hdr)) == "empty method name");
}

TEST_CASE("a CALL frame of another protocol version is rejected", "[call_protocol]") {
  auto bytes = encode_call(sample_header());
  bytes[1] = GENERATE(uint8_t{0}, uint8_t{1}, uint8_t{3}, uint8_t{255});
  CHECK(decode_error_of(bytes) == "unsupported protocol version " + std::to_string(bytes[1]));
}

TEST_CASE("a CALL frame with an unknown call kind is rejected", "[call_protocol]") {
  auto bytes = encode_call(sample_header());
  bytes[2] = GENERATE(uint8_t{0}, uint8_t{5}, uint8_t{255});
  CHECK(decode_error_of(bytes) == "unknown call kind " + std::to_string(bytes[2]));
}

TEST_CASE("a frame of an unknown type is rejected", "[call_protocol]") {
  auto type = GENERATE(uint8_t{0x00}, uint8_t{0x04}, uint8_t{0x80}, uint8_t{0xff});
  byte_buffer bytes{type, 0x01, 0x02};
  CHECK(decode_error_of(bytes) == "unknown frame type " + std::to_string(type));
}

TEST_CASE("a STATUS frame shorter than code, request id and message length is truncated", "[call_protocol]") {
  auto full = encode_status(status{0, 5});
  auto cut = GENERATE(range(size_t{1}, size_t{12}));
  byte_buffer truncated(full.begin(), full.begin() + static_cast<ptrdiff_t>(cut));
  CAPTURE(cut);
  CHECK(decode_error_of(truncated) == "truncated STATUS frame");
}

TEST_CASE("a STATUS frame with an unknown status code is rejected", "[call_protocol]") {
  auto code = GENERATE(uint8_t{15}, uint8_t{100}, uint8_t{255});
  auto bytes = encode_status(status{code, 5, "?"});
  CHECK(decode_error_of(bytes) == "unknown status code " + std::to_string(code));
}

TEST_CASE("a STATUS frame whose message exceeds the limit is rejected", "[call_protocol]") {
  auto bytes = encode_status(status{static_cast<uint8_t>(error::remote), 5});
  bytes[10] = static_cast<uint8_t>((max_status_message + 1) & 0xff);
  bytes[11] = static_cast<uint8_t>((max_status_message + 1) >> 8);
  bytes.insert(bytes.end(), max_status_message + 1, 'x');
  CHECK(decode_error_of(bytes) == "STATUS message too long");
}

// -- errors on the wire -------------------------------------------------------

TEST_CASE("an rpcnet error crosses the wire as a STATUS frame with its code and message",
          "[call_protocol]") {
  auto code = GENERATE(error::connection, error::stream, error::tls, error::config, error::io,
                       error::serialization, error::timeout, error::unknown_method,
                       error::remote, error::cancelled, error::overloaded, error::protocol,
                       error::no_workers, error::unauthenticated);
  auto st = status_from_error(make_error(code, "why: " + to_string(code)), 77);
  CHECK(st.code == static_cast<uint8_t>(code));
  CHECK(st.request_id == 77);
  CHECK_FALSE(st.ok());
  auto decoded = decode(encode_status(st));
  REQUIRE(decoded.value);
  auto err = error_from_status(std::get<status>(*decoded.value));
  CHECK(is_rpcnet_error(err));
  CHECK(code_of(err) == code);
  CHECK(message_of(err) == "why: " + to_string(code));
}

TEST_CASE("an rpcnet error without a message crosses the wire with an empty message",
          "[call_protocol]") {
  auto err = error_from_status(status_from_error(make_error(error::overloaded), 1));
  CHECK(code_of(err) == error::overloaded);
  CHECK(message_of(err).empty());
}

TEST_CASE("a CAF request timeout becomes a timeout STATUS", "[call_protocol]") {
  auto st = status_from_error(caf::make_error(caf::sec::request_timeout), 3);
  CHECK(st.code == static_cast<uint8_t>(error::timeout));
  CHECK(st.request_id == 3);
}

TEST_CASE("any other foreign error becomes a remote STATUS carrying its text",
          "[call_protocol]") {
  auto foreign = caf::make_error(caf::sec::runtime_error, std::string{"disk on fire"});
  auto st = status_from_error(foreign, 3);
  CHECK(st.code == static_cast<uint8_t>(error::remote));
  CHECK(st.message == describe(foreign));
  CHECK(st.message.find("disk on fire") != std::string::npos);
}

TEST_CASE("a STATUS with a code outside rpcnet's codes becomes a protocol error",
          "[call_protocol]") {
  auto err = error_from_status(status{200, 1, "strange"});
  CHECK(code_of(err) == error::protocol);
  CHECK(message_of(err) == "strange");
}
