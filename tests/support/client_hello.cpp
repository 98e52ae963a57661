#include "client_hello.hpp"

#include <gnutls/crypto.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>

#include "quic_varint.hpp"

namespace rpcnet::test {

namespace {

void append_u8(byte_buffer& out, size_t value) {
  out.push_back(static_cast<uint8_t>(value));
}

void append_u16(byte_buffer& out, size_t value) {
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value));
}

void append_u24(byte_buffer& out, size_t value) {
  out.push_back(static_cast<uint8_t>(value >> 16));
  append_u16(out, value);
}

void append_bytes(byte_buffer& out, const byte_buffer& bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

byte_buffer random_bytes(size_t size) {
  byte_buffer out(size);
  gnutls_rnd(GNUTLS_RND_NONCE, out.data(), out.size());
  return out;
}

/// `body` behind a 16-bit length, as most TLS vectors are sent.
byte_buffer with_u16_length(const byte_buffer& body) {
  byte_buffer out;
  append_u16(out, body.size());
  append_bytes(out, body);
  return out;
}

void append_extension(byte_buffer& out, uint16_t type, const byte_buffer& data) {
  append_u16(out, type);
  append_bytes(out, with_u16_length(data));
}

byte_buffer u16_list(std::initializer_list<uint16_t> values) {
  byte_buffer body;
  for (auto v : values)
    append_u16(body, v);
  return with_u16_length(body);
}

void append_transport_parameter(byte_buffer& out, uint64_t id, const byte_buffer& value) {
  append_varint(out, id);
  append_varint(out, value.size());
  append_bytes(out, value);
}

byte_buffer varint_value(uint64_t value) {
  byte_buffer out;
  append_varint(out, value);
  return out;
}

/// What a modest client would advertise (RFC 9000 section 18.2).
byte_buffer valid_transport_parameters(const byte_buffer& source_cid) {
  byte_buffer out;
  append_transport_parameter(out, 0x01, varint_value(30'000));    // max_idle_timeout
  append_transport_parameter(out, 0x04, varint_value(1 << 20));   // initial_max_data
  append_transport_parameter(out, 0x05, varint_value(1 << 18));   // ..._bidi_local
  append_transport_parameter(out, 0x06, varint_value(1 << 18));   // ..._bidi_remote
  append_transport_parameter(out, 0x0f, source_cid);              // initial_source_cid
  return out;
}

constexpr uint16_t ext_server_name = 0x0000;
constexpr uint16_t ext_supported_groups = 0x000a;
constexpr uint16_t ext_signature_algorithms = 0x000d;
constexpr uint16_t ext_alpn = 0x0010;
constexpr uint16_t ext_supported_versions = 0x002b;
constexpr uint16_t ext_key_share = 0x0033;
constexpr uint16_t ext_quic_transport_parameters = 0x0039;
constexpr uint16_t group_x25519 = 0x001d;

void append_transport_parameters(byte_buffer& exts, const client_hello_options& opts) {
  using form = transport_parameters_form;
  auto valid = valid_transport_parameters(opts.source_cid);
  switch (opts.transport_parameters) {
    case form::valid:
      append_extension(exts, ext_quic_transport_parameters, valid);
      return;
    case form::missing:
      return;
    case form::empty:
      append_extension(exts, ext_quic_transport_parameters, {});
      return;
    case form::truncated: {
      // initial_source_connection_id claims 16 bytes of which 4 follow.
      auto cut = valid;
      append_varint(cut, 0x0f);
      append_varint(cut, 16);
      cut.insert(cut.end(), 4, uint8_t{0xAB});
      append_extension(exts, ext_quic_transport_parameters, cut);
      return;
    }
    case form::duplicated:
      append_extension(exts, ext_quic_transport_parameters, valid);
      append_extension(exts, ext_quic_transport_parameters, valid);
      return;
    case form::garbage:
      // 0xDE opens an 8-byte varint id, whose length varint then claims
      // far more than the 24 bytes there are.
      append_extension(exts, ext_quic_transport_parameters, byte_buffer(24, uint8_t{0xDE}));
      return;
  }
}

} // namespace

byte_buffer make_client_hello(const client_hello_options& opts) {
  byte_buffer exts;
  if (!opts.server_name.empty()) {
    byte_buffer entry;
    append_u8(entry, 0); // host_name
    append_bytes(entry, with_u16_length(byte_buffer(opts.server_name.begin(),
                                                    opts.server_name.end())));
    append_extension(exts, ext_server_name, with_u16_length(entry));
  }
  append_extension(exts, ext_supported_groups, u16_list({group_x25519}));
  // ECDSA P-256 first (the development certificates), then what other
  // servers commonly sign with.
  append_extension(exts, ext_signature_algorithms,
                   u16_list({0x0403, 0x0804, 0x0805, 0x0806, 0x0807, 0x0503, 0x0603}));
  if (!opts.alpn.empty()) {
    // Built whole rather than appended to a one-byte vector, which GCC 12
    // mistakes for an out-of-bounds copy (-Warray-bounds).
    byte_buffer protocols(1 + opts.alpn.size());
    protocols[0] = static_cast<uint8_t>(opts.alpn.size());
    std::copy(opts.alpn.begin(), opts.alpn.end(), protocols.begin() + 1);
    append_extension(exts, ext_alpn, with_u16_length(protocols));
  }
  append_extension(exts, ext_supported_versions, byte_buffer{2, 0x03, 0x04});
  {
    // Any 32 bytes are an x25519 public key the server can compute with.
    byte_buffer share;
    append_u16(share, group_x25519);
    append_bytes(share, with_u16_length(random_bytes(32)));
    append_extension(exts, ext_key_share, with_u16_length(share));
  }
  append_transport_parameters(exts, opts);

  byte_buffer body;
  append_u16(body, 0x0303);             // legacy_version
  append_bytes(body, random_bytes(32)); // random
  append_u8(body, 0);                   // legacy_session_id: QUIC wants it empty
  append_bytes(body, u16_list({0x1301, 0x1302, 0x1303}));
  append_u8(body, 1);                   // legacy_compression_methods: null only
  append_u8(body, 0);
  append_bytes(body, with_u16_length(exts));

  byte_buffer out;
  append_u8(out, 0x01); // client_hello
  append_u24(out, body.size());
  append_bytes(out, body);
  return out;
}

} // namespace rpcnet::test
