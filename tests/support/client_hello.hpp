// A TLS 1.3 ClientHello as a QUIC client sends it in its first CRYPTO
// frame (RFC 8446 section 4.1.2, RFC 9001 section 8), assembled byte by byte
// so that a test can send one a real client never would: without the
// quic_transport_parameters extension, with it empty, cut short, twice or
// garbled. quic_initial_forge.hpp wraps it in a protected Initial packet.
#pragma once

#include <string>

#include <rpcnet/transport/byte_buffer.hpp>

namespace rpcnet::test {

/// What the quic_transport_parameters extension (0x39) of a ClientHello
/// looks like.
enum class transport_parameters_form {
  valid,      ///< well-formed, naming `source_cid` as initial_source_connection_id
  missing,    ///< no extension at all
  empty,      ///< the extension with no bytes in it
  truncated,  ///< the last parameter's length runs past the extension's end
  duplicated, ///< the valid extension, twice
  garbage,    ///< bytes that are no transport parameters
};

struct client_hello_options {
  /// SNI; empty sends no server_name extension.
  std::string server_name = "localhost";
  /// The one protocol offered; empty sends no ALPN extension.
  std::string alpn = "rpcnet/2";
  transport_parameters_form transport_parameters = transport_parameters_form::valid;
  /// The Initial packet's SCID, which valid transport parameters must name
  /// (RFC 9000 section 7.3).
  byte_buffer source_cid;
};

/// The ClientHello handshake message -- type, 24-bit length, body -- with
/// supported_versions (TLS 1.3), supported_groups and key_share (x25519,
/// a random share), signature_algorithms, and the extensions `opts` asks
/// for.
byte_buffer make_client_hello(const client_hello_options& opts);

} // namespace rpcnet::test
