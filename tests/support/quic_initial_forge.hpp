// Forged QUIC Initial packets, the first datagrams a client sends, built
// without a QUIC stack so that tests (and floods) can send what no real
// client would: a CRYPTO frame with any bytes -- a ClientHello from
// client_hello.hpp, cut short, or claiming more than it carries -- under
// any version and connection IDs, protected with QUIC v1's initial keys
// (RFC 9001 section 5.2) and padded to the 1200 bytes a server demands.
// It also opens the server's Initial answer with the matching server keys,
// so a test can read what the server said (its ServerHello, or the error
// of its CONNECTION_CLOSE).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <rpcnet/transport/byte_buffer.hpp>

#include "client_hello.hpp"

namespace rpcnet::test {

/// The header of one forged Initial packet.
struct initial_header {
  /// QUIC v1 unless a test wants another; the keys are always v1's, so a
  /// server must refuse any other version rather than decrypt it.
  uint32_t version = 1;
  /// The server's connection ID as the client picked it (8 to 20 bytes);
  /// the initial keys derive from it.
  byte_buffer dcid;
  byte_buffer scid;
  uint32_t packet_number = 0;
  /// The Token field: empty, or what a server's Retry or NEW_TOKEN gave
  /// (or a forgery of it).
  byte_buffer token;
  /// The datagram is padded to this size (RFC 9000 section 14.1: at
  /// least 1200 for a client's Initial).
  size_t datagram_size = 1200;
};

/// `size` random bytes: a fresh connection ID.
byte_buffer random_cid(size_t size = 16);

/// Appends a CRYPTO frame holding `data` at `offset`. `claimed_length`,
/// when set, is written as the frame's length however many bytes follow.
void append_crypto_frame(byte_buffer& frames, uint64_t offset, std::span<const uint8_t> data,
                         std::optional<uint64_t> claimed_length = std::nullopt);

/// An Initial packet carrying `frames`, protected with the client's initial
/// keys for `hd.dcid`, as one datagram of hd.datagram_size bytes. The
/// padding goes before the frames, so a frame that claims more than it
/// carries runs into the end of the packet.
byte_buffer forge_initial(const initial_header& hd, std::span<const uint8_t> frames);

/// A client's first datagram: the ClientHello `hello` in one CRYPTO frame.
/// `hello.source_cid` defaults to hd.scid.
byte_buffer forge_client_initial(const initial_header& hd, client_hello_options hello = {});

/// What the first (Initial) packet of a server's datagram says.
struct server_initial {
  byte_buffer dcid;
  byte_buffer scid;
  /// The frame types in order (PADDING left out).
  std::vector<uint64_t> frame_types;
  /// The CRYPTO bytes at offset 0 onwards (the ServerHello), if any.
  byte_buffer crypto;
  /// The error code of a CONNECTION_CLOSE (0x100 + a TLS alert for TLS
  /// failures, RFC 9001 section 4.8).
  std::optional<uint64_t> close_error;
};

/// A Version Negotiation packet (RFC 9000 section 17.2.1), read.
struct version_negotiation {
  /// The CIDs as sent: the server echoes the client's SCID as DCID and its
  /// DCID as SCID.
  byte_buffer dcid;
  byte_buffer scid;
  std::vector<uint32_t> versions;

  bool offers(uint32_t version) const {
    return std::find(versions.begin(), versions.end(), version) != versions.end();
  }
};

/// Reads `datagram` as Version Negotiation; nullopt when it is none (no
/// long header, a version other than 0, or cut short).
std::optional<version_negotiation> read_version_negotiation(std::span<const uint8_t> datagram);

/// A Retry packet (RFC 9000 section 17.2.5), read: the connection ID the
/// next Initial must go to and the token it must carry. The integrity tag
/// is not checked (the client's QUIC stack does that, not a forger).
struct retry_packet {
  byte_buffer dcid;
  byte_buffer scid;
  byte_buffer token;
};

/// Reads `datagram` as a Retry; nullopt when it is none.
std::optional<retry_packet> read_retry(std::span<const uint8_t> datagram);

/// Opens the Initial packet a server sent in answer to a client whose
/// first Initial had `client_dcid`; nullopt when `datagram` does not start
/// with a v1 Initial that these keys open.
std::optional<server_initial> open_server_initial(std::span<const uint8_t> datagram,
                                                  std::span<const uint8_t> client_dcid);

} // namespace rpcnet::test
