// The call layer of rpcnet's wire, version 2 (docs/PROTOCOL.md): the CALL
// frame that opens a call with its deadline and metadata, DATA frames that
// carry payloads, and the STATUS frame that ends a reply with its trailing
// metadata and error details. Encoding and decoding only; a core without
// I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include <rpcnet/actors/call_metadata.hpp>
#include <rpcnet/transport/byte_buffer.hpp>
#include <rpcnet/transport/error.hpp>

namespace rpcnet::wire {

/// Version of the call layer this code speaks.
inline constexpr uint8_t protocol_version = 2;

/// Longest method name on the wire.
inline constexpr size_t max_method_size = 255;

/// Longest error message sent in a STATUS frame; longer ones are cut.
inline constexpr size_t max_status_message = 4096;

/// Largest error details blob a STATUS frame carries; a handler's larger
/// details are refused (the caller gets `remote` saying so).
inline constexpr size_t max_error_details = 65535;

/// First byte of every non-empty frame.
enum class frame_type : uint8_t {
  call = 0x01,
  data = 0x02,
  status = 0x03,
};

/// How the call's frames flow.
enum class call_kind : uint8_t {
  unary = 1,
  bidi_streaming = 2,
  server_streaming = 3,
  client_streaming = 4,
};

/// Opens a call: which method, how long the caller waits, its metadata.
struct call_header {
  call_kind kind = call_kind::unary;
  uint64_t request_id = 0;
  /// Milliseconds left of the caller's budget when it sent the call; none:
  /// the caller set no deadline. 0 means the deadline already passed.
  std::optional<uint32_t> deadline_ms;
  /// Streaming calls: how long one wait for a message, or for room to
  /// write one, may take; 0 = unbounded.
  uint32_t wait_ms = 0;
  std::string method;
  call_metadata metadata;
};

/// Ends a reply: ok (code 0) or an rpcnet::error with a message and
/// details, and trailing metadata either way.
struct status {
  status() = default;
  status(uint8_t code, uint64_t request_id, std::string message = {})
    : code(code), request_id(request_id), message(std::move(message)) {
  }

  uint8_t code = 0;
  uint64_t request_id = 0;
  std::string message;
  call_metadata trailers;
  byte_buffer details;

  bool ok() const noexcept {
    return code == 0;
  }
};

/// A decoded frame payload.
using frame = std::variant<call_header, byte_buffer /* DATA body */, status>;

/// Frame payloads (without the length prefix).
byte_buffer encode_call(const call_header& hdr);
byte_buffer encode_data(const byte_buffer& body);
byte_buffer encode_status(const status& st);

/// Appends complete frames, length prefix included, to `out`.
void append_call(byte_buffer& out, const call_header& hdr);
void append_data(byte_buffer& out, const byte_buffer& body);
void append_status(byte_buffer& out, const status& st);

/// Decodes one frame payload; the error string says what is malformed.
/// Metadata (a CALL's, or a STATUS's trailers) over `max_metadata` bytes or
/// breaking call_metadata's rules is malformed.
struct decode_result {
  std::optional<frame> value;
  std::string error;
};
decode_result decode(const byte_buffer& payload,
                     size_t max_metadata = call_metadata::default_max_size);

/// A status frame for a caf::error (rpcnet errors keep their code, message
/// and details; any other error becomes `remote` with its text).
status status_from_error(const caf::error& err, uint64_t request_id);

/// The caf::error a non-ok status stands for, carrying its details and
/// trailers (trailers_of).
caf::error error_from_status(const status& st);

} // namespace rpcnet::wire
