// A ring of AES-GCM keys that seals and opens datagrams (the cluster key of
// gossip, docs/PROTOCOL.md §7.4). The primary key seals; every key in the
// ring opens, so a key can be rotated without downtime the way memberlist
// does it: install the new key everywhere, make it primary everywhere, then
// remove the old one. Lives in transport because it is the one other place
// that touches GnuTLS; it knows nothing about gossip beyond the envelope.
// Not thread-safe: one owner (the membership actor) uses it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <rpcnet/transport/byte_buffer.hpp>

namespace rpcnet {

class aead_keyring {
public:
  // -- constants --------------------------------------------------------------

  /// First byte of a sealed datagram (top two bits clear, like gossip).
  static constexpr uint8_t envelope_magic = 0x28;
  /// Second byte: the envelope's version.
  static constexpr uint8_t envelope_version = 1;
  static constexpr size_t nonce_size = 12;
  static constexpr size_t tag_size = 16;
  /// magic, version, nonce.
  static constexpr size_t header_size = 2 + nonce_size;
  /// What sealing adds to a datagram.
  static constexpr size_t overhead = header_size + tag_size;
  /// Keys the ring holds at most (a rotation needs two or three).
  static constexpr size_t max_keys = 16;

  using key = std::vector<uint8_t>;

  // -- constructors, destructors ----------------------------------------------

  /// A ring whose primary is `primary` (16, 24 or 32 bytes: AES-128, -192 or
  /// -256). Fails with error::config for any other length.
  static caf::expected<aead_keyring> make(key primary);

  aead_keyring(aead_keyring&&) noexcept;
  aead_keyring& operator=(aead_keyring&&) noexcept;
  ~aead_keyring();

  // -- keys -------------------------------------------------------------------

  /// Adds `k` for opening (no-op if present). error::config for a bad length
  /// or a full ring.
  caf::error add_key(key k);

  /// Makes `k` (added first if new) the key that seals.
  caf::error use_key(key k);

  /// Removes `k`. error::config if it is the primary key.
  caf::error remove_key(const key& k);

  /// Every key, the primary first.
  std::vector<key> keys() const;

  // -- sealing ----------------------------------------------------------------

  /// `plain` encrypted and authenticated with the primary key under a fresh
  /// random nonce: magic, version, nonce, ciphertext, tag. Fails with
  /// error::io when GnuTLS cannot draw the nonce or encrypt; the owner (an
  /// actor) counts the datagram as unsent and goes on.
  caf::expected<byte_buffer> seal(std::span<const uint8_t> plain) const;

  /// The plaintext of a sealed datagram, trying every key. Fails with
  /// error::protocol for a short datagram, a wrong magic or version, or when
  /// no key authenticates it (wrong key or tampered bytes).
  caf::expected<byte_buffer> open(std::span<const uint8_t> sealed) const;

private:
  struct entry;

  aead_keyring() = default;

  std::vector<std::unique_ptr<entry>> entries_;
};

/// A new cluster key of `size` bytes (16, 24 or 32) from GnuTLS's random
/// generator for long-term keys, so that callers outside transport need no
/// CSPRNG of their own. error::config for another size, error::io if the
/// generator fails.
caf::expected<aead_keyring::key> generate_cluster_key(size_t size = 32);

/// Decodes standard base64 (how keys are written in files, flags and
/// environment variables); nullopt-like error::config on bad input.
caf::expected<aead_keyring::key> decode_base64_key(std::string_view text);

} // namespace rpcnet
