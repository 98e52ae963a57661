// Fuzzes the decoder of the call layer's frames (call_protocol.hpp): CALL
// headers, DATA bodies and STATUS frames with their metadata, as a peer's
// frame payload. The encoding is canonical -- every length is exact, flags
// and the deadline have one spelling, nothing may trail -- so what must
// hold is the strongest round trip: a decoded frame re-encodes to exactly
// its bytes, with or without its length prefix. Besides:
//  - the metadata limit is exact: the frame decodes under a limit of its
//    metadata's wire size and fails one byte below it;
//  - decoded metadata keeps the sender's rules (metadata_problem);
//  - a STATUS's error survives the way to a caf::error and back, trailers
//    included, as a caller's reply carries it.
#include <cstddef>
#include <cstdint>
#include <variant>

#include <rpcnet/actors/error_trailers.hpp>
#include <rpcnet/transport/frame_codec.hpp>

#include "call_protocol.hpp"
#include "fuzz_check.hpp"

using rpcnet::byte_buffer;
using rpcnet::call_metadata;
namespace wire = rpcnet::wire;

namespace {

/// `frame` encodes to exactly `payload`, bare and behind its length prefix.
template <class Frame>
void check_reencoding(const byte_buffer& payload, const Frame& frame,
                      byte_buffer (*encode)(const Frame&),
                      void (*append)(byte_buffer&, const Frame&)) {
  FUZZ_REQUIRE(encode(frame) == payload);
  byte_buffer framed;
  append(framed, frame);
  byte_buffer expected;
  rpcnet::frame_encoder::append(expected, payload);
  FUZZ_REQUIRE(framed == expected);
}

/// The limit on metadata is exact; decoded metadata passes the sender's check.
void check_metadata(const byte_buffer& payload, const call_metadata& md) {
  FUZZ_REQUIRE(rpcnet::metadata_problem(md, call_metadata::default_max_size).empty());
  FUZZ_REQUIRE(wire::decode(payload, md.wire_size()).value.has_value());
  if (md.wire_size() > 0)
    FUZZ_REQUIRE(!wire::decode(payload, md.wire_size() - 1).value.has_value());
}

void check(const byte_buffer& payload, const wire::call_header& hdr) {
  check_reencoding(payload, hdr, wire::encode_call, wire::append_call);
  check_metadata(payload, hdr.metadata);
}

void check(const byte_buffer& payload, const byte_buffer& body) {
  check_reencoding(payload, body, wire::encode_data, wire::append_data);
}

void check(const byte_buffer& payload, const wire::status& st) {
  check_reencoding(payload, st, wire::encode_status, wire::append_status);
  check_metadata(payload, st.trailers);
  if (st.ok())
    return;
  auto err = wire::error_from_status(st);
  auto back = wire::status_from_error(err, st.request_id);
  FUZZ_REQUIRE(back.code == st.code && back.message == st.message && back.details == st.details);
  FUZZ_REQUIRE(rpcnet::trailers_of(err) == st.trailers);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  byte_buffer payload(data, data + size);
  auto decoded = wire::decode(payload);
  FUZZ_REQUIRE(decoded.value.has_value() == decoded.error.empty());
  if (decoded.value)
    std::visit([&](const auto& frame) { check(payload, frame); }, *decoded.value);
  return 0;
}
