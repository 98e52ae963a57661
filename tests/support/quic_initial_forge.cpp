#include "quic_initial_forge.hpp"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>

#include "quic_varint.hpp"

namespace rpcnet::test {

namespace {

/// RFC 9001 section 5.2.
constexpr std::array<uint8_t, 20> v1_initial_salt{0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34,
                                                  0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
                                                  0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};

constexpr size_t tag_size = 16;
constexpr size_t sample_size = 16;
/// Forged packets always carry a four-byte packet number, so the header
/// protection sample starts right after it.
constexpr size_t forged_pn_size = 4;

/// AEAD_AES_128_GCM keys of one direction of the Initial packet space.
struct packet_keys {
  byte_buffer key; // 16 bytes
  byte_buffer iv;  // 12 bytes
  byte_buffer hp;  // 16 bytes
};

gnutls_datum_t datum(std::span<const uint8_t> bytes) {
  return {const_cast<unsigned char*>(bytes.data()), static_cast<unsigned>(bytes.size())};
}

void check(int rv, const char* what) {
  if (rv < 0)
    throw std::runtime_error(std::string{what} + ": " + gnutls_strerror(rv));
}

/// HKDF-Expand-Label with an empty context (RFC 8446 section 7.1).
byte_buffer expand_label(std::span<const uint8_t> secret, std::string_view label, size_t size) {
  std::string full = "tls13 " + std::string{label};
  byte_buffer info{static_cast<uint8_t>(size >> 8), static_cast<uint8_t>(size),
                   static_cast<uint8_t>(full.size())};
  info.insert(info.end(), full.begin(), full.end());
  info.push_back(0);
  byte_buffer out(size);
  auto key = datum(secret);
  auto info_datum = datum(info);
  check(gnutls_hkdf_expand(GNUTLS_MAC_SHA256, &key, &info_datum, out.data(), out.size()),
        "HKDF-Expand");
  return out;
}

/// `side` is "client in" or "server in".
packet_keys initial_keys(std::span<const uint8_t> client_dcid, std::string_view side) {
  byte_buffer initial_secret(32);
  auto ikm = datum(client_dcid);
  auto salt = datum(v1_initial_salt);
  check(gnutls_hkdf_extract(GNUTLS_MAC_SHA256, &ikm, &salt, initial_secret.data()),
        "HKDF-Extract");
  auto secret = expand_label(initial_secret, side, 32);
  return {expand_label(secret, "quic key", 16), expand_label(secret, "quic iv", 12),
          expand_label(secret, "quic hp", 16)};
}

/// The header protection mask: AES-128-ECB of the sample, computed as the
/// first block of CBC under a zero IV (GnuTLS offers no ECB).
std::array<uint8_t, sample_size> hp_mask(const packet_keys& keys, const uint8_t* sample) {
  std::array<uint8_t, sample_size> zero_iv{};
  auto key = datum(keys.hp);
  auto iv = datum(zero_iv);
  gnutls_cipher_hd_t cipher;
  check(gnutls_cipher_init(&cipher, GNUTLS_CIPHER_AES_128_CBC, &key, &iv), "cipher init");
  std::array<uint8_t, sample_size> mask;
  auto rv = gnutls_cipher_encrypt2(cipher, sample, sample_size, mask.data(), mask.size());
  gnutls_cipher_deinit(cipher);
  check(rv, "header protection");
  return mask;
}

/// The AEAD nonce: the IV with the packet number XORed into its end.
byte_buffer nonce_for(const packet_keys& keys, uint64_t packet_number) {
  auto nonce = keys.iv;
  for (size_t i = 0; i < 8; ++i)
    nonce[nonce.size() - 1 - i] ^= static_cast<uint8_t>(packet_number >> (8 * i));
  return nonce;
}

/// Encrypts (`seal`) or opens `input`; nullopt when it does not open.
std::optional<byte_buffer> aead(bool seal, const packet_keys& keys, uint64_t packet_number,
                                std::span<const uint8_t> aad, std::span<const uint8_t> input) {
  auto key = datum(keys.key);
  gnutls_aead_cipher_hd_t cipher;
  check(gnutls_aead_cipher_init(&cipher, GNUTLS_CIPHER_AES_128_GCM, &key), "AEAD init");
  auto nonce = nonce_for(keys, packet_number);
  byte_buffer out(input.size() + tag_size);
  size_t out_size = out.size();
  int rv = seal ? gnutls_aead_cipher_encrypt(cipher, nonce.data(), nonce.size(), aad.data(),
                                             aad.size(), tag_size, input.data(), input.size(),
                                             out.data(), &out_size)
                : gnutls_aead_cipher_decrypt(cipher, nonce.data(), nonce.size(), aad.data(),
                                             aad.size(), tag_size, input.data(), input.size(),
                                             out.data(), &out_size);
  gnutls_aead_cipher_deinit(cipher);
  if (rv < 0)
    return std::nullopt;
  out.resize(out_size);
  return out;
}

void append_u32(byte_buffer& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<uint8_t>(value >> shift));
}

/// The big-endian u32 at `pos` (the caller checked there are 4 bytes).
uint32_t read_u32(std::span<const uint8_t> in, size_t pos) {
  return (uint32_t{in[pos]} << 24) | (uint32_t{in[pos + 1]} << 16)
         | (uint32_t{in[pos + 2]} << 8) | in[pos + 3];
}

/// Reads a long header's DCID and SCID (each a length byte and its bytes)
/// at `pos`; false when `in` ends inside them.
bool read_cids(std::span<const uint8_t> in, size_t& pos, byte_buffer& dcid, byte_buffer& scid) {
  for (auto* cid : {&dcid, &scid}) {
    if (pos >= in.size() || in.size() - pos - 1 < in[pos])
      return false;
    size_t cid_size = in[pos++];
    cid->assign(in.begin() + static_cast<ptrdiff_t>(pos),
                in.begin() + static_cast<ptrdiff_t>(pos + cid_size));
    pos += cid_size;
  }
  return true;
}

/// Skips `n` bytes at `pos`; false when `in` has fewer.
bool skip(std::span<const uint8_t> in, size_t& pos, uint64_t n) {
  if (in.size() - pos < n)
    return false;
  pos += static_cast<size_t>(n);
  return true;
}

/// Reads `count` varints; false when `in` ends first.
bool skip_varints(std::span<const uint8_t> in, size_t& pos, uint64_t count) {
  for (uint64_t i = 0; i < count; ++i)
    if (!read_varint(in, pos))
      return false;
  return true;
}

/// Walks the frames of a server's Initial payload (RFC 9000 section 17.2.2
/// allows PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE there), stopping
/// at the first frame it cannot read.
void read_frames(std::span<const uint8_t> in, server_initial& out) {
  size_t pos = 0;
  while (pos < in.size()) {
    auto type = read_varint(in, pos);
    if (!type)
      return;
    if (*type == 0x00)
      continue; // PADDING
    out.frame_types.push_back(*type);
    switch (*type) {
      case 0x01: // PING
        continue;
      case 0x02: // ACK: largest, delay, range count, first range, ranges
      case 0x03: {
        if (!skip_varints(in, pos, 2))
          return;
        auto ranges = read_varint(in, pos);
        if (!ranges || !skip_varints(in, pos, 1 + 2 * *ranges + (*type == 0x03 ? 3 : 0)))
          return;
        continue;
      }
      case 0x06: { // CRYPTO: offset, length, data
        auto offset = read_varint(in, pos);
        auto length = read_varint(in, pos);
        if (!offset || !length || in.size() - pos < *length)
          return;
        if (*offset == out.crypto.size())
          out.crypto.insert(out.crypto.end(), in.begin() + static_cast<ptrdiff_t>(pos),
                            in.begin() + static_cast<ptrdiff_t>(pos + *length));
        pos += static_cast<size_t>(*length);
        continue;
      }
      case 0x1c: // CONNECTION_CLOSE: code, frame type, reason
      case 0x1d: {
        auto code = read_varint(in, pos);
        if (!code || (*type == 0x1c && !read_varint(in, pos)))
          return;
        auto reason = read_varint(in, pos);
        if (!reason || !skip(in, pos, *reason))
          return;
        out.close_error = *code;
        continue;
      }
      default:
        return;
    }
  }
}

} // namespace

byte_buffer random_cid(size_t size) {
  byte_buffer out(size);
  check(gnutls_rnd(GNUTLS_RND_NONCE, out.data(), out.size()), "random");
  return out;
}

void append_crypto_frame(byte_buffer& frames, uint64_t offset, std::span<const uint8_t> data,
                         std::optional<uint64_t> claimed_length) {
  append_varint(frames, 0x06);
  append_varint(frames, offset);
  append_varint(frames, claimed_length.value_or(data.size()));
  frames.insert(frames.end(), data.begin(), data.end());
}

byte_buffer forge_initial(const initial_header& hd, std::span<const uint8_t> frames) {
  // Long header, fixed bit, type Initial, a four-byte packet number.
  byte_buffer packet{static_cast<uint8_t>(0xC0 | (forged_pn_size - 1))};
  append_u32(packet, hd.version);
  packet.push_back(static_cast<uint8_t>(hd.dcid.size()));
  packet.insert(packet.end(), hd.dcid.begin(), hd.dcid.end());
  packet.push_back(static_cast<uint8_t>(hd.scid.size()));
  packet.insert(packet.end(), hd.scid.begin(), hd.scid.end());
  append_varint(packet, hd.token.size());
  packet.insert(packet.end(), hd.token.begin(), hd.token.end());
  // The Length field is always two bytes here, so the payload size is
  // known before it is written.
  size_t overhead = packet.size() + 2 + forged_pn_size + tag_size;
  size_t payload_size = hd.datagram_size > overhead + frames.size()
                          ? hd.datagram_size - overhead
                          : frames.size();
  byte_buffer plaintext(payload_size - frames.size(), uint8_t{0x00}); // PADDING
  plaintext.insert(plaintext.end(), frames.begin(), frames.end());
  auto length = forged_pn_size + payload_size + tag_size;
  if (length >= 0x4000)
    throw std::invalid_argument("forged Initial payload too large for a two-byte length");
  packet.push_back(static_cast<uint8_t>(0x40 | (length >> 8)));
  packet.push_back(static_cast<uint8_t>(length));
  auto pn_offset = packet.size();
  append_u32(packet, hd.packet_number);

  auto keys = initial_keys(hd.dcid, "client in");
  auto sealed = aead(true, keys, hd.packet_number, packet, plaintext);
  if (!sealed)
    throw std::runtime_error("cannot seal the forged Initial");
  packet.insert(packet.end(), sealed->begin(), sealed->end());
  auto mask = hp_mask(keys, packet.data() + pn_offset + forged_pn_size);
  packet[0] ^= mask[0] & 0x0F;
  for (size_t i = 0; i < forged_pn_size; ++i)
    packet[pn_offset + i] ^= mask[1 + i];
  return packet;
}

byte_buffer forge_client_initial(const initial_header& hd, client_hello_options hello) {
  if (hello.source_cid.empty())
    hello.source_cid = hd.scid;
  byte_buffer frames;
  append_crypto_frame(frames, 0, make_client_hello(hello));
  return forge_initial(hd, frames);
}

std::optional<version_negotiation> read_version_negotiation(std::span<const uint8_t> datagram) {
  auto in = datagram;
  if (in.size() < 7 || (in[0] & 0x80) == 0 || read_u32(in, 1) != 0)
    return std::nullopt;
  version_negotiation out;
  size_t pos = 5;
  if (!read_cids(in, pos, out.dcid, out.scid))
    return std::nullopt;
  for (; in.size() - pos >= 4; pos += 4)
    out.versions.push_back(read_u32(in, pos));
  return out;
}

std::optional<server_initial> open_server_initial(std::span<const uint8_t> datagram,
                                                  std::span<const uint8_t> client_dcid) {
  auto in = datagram;
  // Long header, Initial (type bits 00), version 1.
  if (in.size() < 7 || (in[0] & 0x80) == 0 || (in[0] & 0x30) != 0 || read_u32(in, 1) != 1)
    return std::nullopt;
  server_initial out;
  size_t pos = 5;
  if (!read_cids(in, pos, out.dcid, out.scid) || pos == in.size())
    return std::nullopt;
  auto token = read_varint(in, pos);
  if (!token || !skip(in, pos, *token))
    return std::nullopt;
  auto length = read_varint(in, pos);
  auto pn_offset = pos;
  if (!length || in.size() - pn_offset < *length || *length < forged_pn_size + sample_size)
    return std::nullopt;

  auto keys = initial_keys(client_dcid, "server in");
  auto mask = hp_mask(keys, in.data() + pn_offset + forged_pn_size);
  byte_buffer header(in.begin(), in.begin() + static_cast<ptrdiff_t>(pn_offset));
  header[0] ^= mask[0] & 0x0F;
  size_t pn_size = (header[0] & 0x03) + 1u;
  uint64_t packet_number = 0;
  for (size_t i = 0; i < pn_size; ++i) {
    auto byte = static_cast<uint8_t>(in[pn_offset + i] ^ mask[1 + i]);
    header.push_back(byte);
    packet_number = (packet_number << 8) | byte;
  }
  auto body = in.subspan(pn_offset + pn_size, static_cast<size_t>(*length) - pn_size);
  auto plaintext = aead(false, keys, packet_number, header, body);
  if (!plaintext)
    return std::nullopt;
  read_frames(*plaintext, out);
  return out;
}

std::optional<retry_packet> read_retry(std::span<const uint8_t> datagram) {
  constexpr size_t integrity_tag_size = 16;
  // Long header (0x80), fixed bit (0x40), type Retry (0x30), QUIC v1.
  if (datagram.size() < 7 || (datagram[0] & 0xF0) != 0xF0 || datagram[1] != 0
      || datagram[2] != 0 || datagram[3] != 0 || datagram[4] != 1)
    return std::nullopt;
  size_t pos = 5;
  auto read_cid = [&](byte_buffer& cid) {
    if (pos >= datagram.size() || datagram[pos] > 20 || pos + 1 + datagram[pos] > datagram.size())
      return false;
    cid.assign(datagram.begin() + pos + 1, datagram.begin() + pos + 1 + datagram[pos]);
    pos += 1 + cid.size();
    return true;
  };
  retry_packet retry;
  if (!read_cid(retry.dcid) || !read_cid(retry.scid)
      || datagram.size() < pos + integrity_tag_size + 1)
    return std::nullopt;
  retry.token.assign(datagram.begin() + pos, datagram.end() - integrity_tag_size);
  return retry;
}

} // namespace rpcnet::test
