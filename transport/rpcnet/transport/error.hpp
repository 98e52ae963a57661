// rpcnet's one error type: the codes callers branch on, carried inside
// caf::error (category "rpcnet") so they flow through caf::expected and actor
// replies. It lives in the transport module, the lowest one, because the
// transport already reports tls, io and protocol failures; every module above
// uses the same codes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

#include <rpcnet/transport/byte_buffer.hpp>

namespace rpcnet {

/// What went wrong. Numbers are part of the wire (docs/PROTOCOL.md): never
/// renumber, only append.
enum class error : uint8_t {
  connection = 1,     ///< the connection failed, closed or could not be made
  stream = 2,         ///< a stream failed (reset by the peer, limits)
  tls = 3,            ///< TLS handshake or certificate verification failed
  config = 4,         ///< bad configuration (paths, addresses, values)
  io = 5,             ///< a socket or file operation failed
  serialization = 6,  ///< a payload could not be encoded or decoded
  timeout = 7,        ///< the call did not complete in time
  unknown_method = 8, ///< the server has no handler for the method
  remote = 9,         ///< the handler failed; the message says why
  cancelled = 10,     ///< the call was cancelled by either side
  overloaded = 11,    ///< the server refused the call for lack of capacity
  protocol = 12,      ///< malformed input from the peer
  no_workers = 13,    ///< no worker matched the request
  unauthenticated = 14, ///< the call lacks valid credentials (an interceptor refused it)
};

/// The CAF error category of rpcnet errors.
inline constexpr caf::atom_value error_category = caf::atom("rpcnet");

/// Returns the lowercase name of `code` ("timeout", "unknown_method", ...).
std::string_view to_string_view(error code);

/// Returns the name of `code`; used by CAF when rendering errors.
std::string to_string(error code);

/// Parses a code received from the wire; returns false for unknown values.
bool from_wire(uint8_t value, error& out);

/// Builds a caf::error carrying `code` and no message.
caf::error make_error(error code);

/// Builds a caf::error carrying `code` and a human-readable `message`.
caf::error make_error(error code, std::string message);

/// Builds a caf::error carrying `code`, `message` and machine-readable
/// `details` (a serialized message of the application's choosing), which
/// travel to the caller in the call's STATUS frame.
caf::error make_error(error code, std::string message, byte_buffer details);

/// The details attached to `err` (see above), or an empty buffer.
byte_buffer details_of(const caf::error& err);

/// True if `err` is an rpcnet error.
bool is_rpcnet_error(const caf::error& err);

/// The rpcnet code of `err`. CAF's own request timeouts map to
/// error::timeout; any other foreign error maps to error::connection when
/// it came from a dead actor, else error::remote.
error code_of(const caf::error& err);

/// The message attached to `err`, or an empty string.
std::string message_of(const caf::error& err);

/// "timeout: the call took longer than 30s" -- for logs and tests.
std::string describe(const caf::error& err);

} // namespace rpcnet
