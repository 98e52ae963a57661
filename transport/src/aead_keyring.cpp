// AES-GCM through GnuTLS's AEAD interface; see aead_keyring.hpp.
#include <rpcnet/transport/aead_keyring.hpp>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <algorithm>
#include <string>

#include <rpcnet/transport/error.hpp>

namespace rpcnet {

namespace {

caf::expected<gnutls_cipher_algorithm_t> cipher_for(size_t key_size) {
  switch (key_size) {
    case 16:
      return GNUTLS_CIPHER_AES_128_GCM;
    case 24:
      return GNUTLS_CIPHER_AES_192_GCM;
    case 32:
      return GNUTLS_CIPHER_AES_256_GCM;
    default:
      return make_error(error::config, "a cluster key must be 16, 24 or 32 bytes, not "
                                         + std::to_string(key_size));
  }
}

} // namespace

/// One key and its initialised cipher.
struct aead_keyring::entry {
  key bytes;
  gnutls_aead_cipher_hd_t handle = nullptr;

  ~entry() {
    if (handle != nullptr)
      gnutls_aead_cipher_deinit(handle);
  }

  static caf::expected<std::unique_ptr<entry>> make(key k) {
    auto alg = cipher_for(k.size());
    if (!alg)
      return std::move(alg.error());
    auto result = std::make_unique<entry>();
    result->bytes = std::move(k);
    gnutls_datum_t datum{result->bytes.data(), static_cast<unsigned>(result->bytes.size())};
    if (auto rv = gnutls_aead_cipher_init(&result->handle, *alg, &datum); rv != 0)
      return make_error(error::config,
                        std::string{"cannot initialise AES-GCM: "} + gnutls_strerror(rv));
    return result;
  }
};

caf::expected<aead_keyring> aead_keyring::make(key primary) {
  auto first = entry::make(std::move(primary));
  if (!first)
    return std::move(first.error());
  aead_keyring ring;
  ring.entries_.push_back(std::move(*first));
  return ring;
}

aead_keyring::aead_keyring(aead_keyring&&) noexcept = default;
aead_keyring& aead_keyring::operator=(aead_keyring&&) noexcept = default;
aead_keyring::~aead_keyring() = default;

caf::error aead_keyring::add_key(key k) {
  auto same = [&](const auto& e) { return e->bytes == k; };
  if (std::any_of(entries_.begin(), entries_.end(), same))
    return {};
  if (entries_.size() >= max_keys)
    return make_error(error::config, "the key ring is full");
  auto added = entry::make(std::move(k));
  if (!added)
    return std::move(added.error());
  entries_.push_back(std::move(*added));
  return {};
}

caf::error aead_keyring::use_key(key k) {
  if (auto err = add_key(k))
    return err;
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const auto& e) { return e->bytes == k; });
  std::rotate(entries_.begin(), it, it + 1);
  return {};
}

caf::error aead_keyring::remove_key(const key& k) {
  if (!entries_.empty() && entries_.front()->bytes == k)
    return make_error(error::config, "cannot remove the primary key; use another first");
  std::erase_if(entries_, [&](const auto& e) { return e->bytes == k; });
  return {};
}

std::vector<aead_keyring::key> aead_keyring::keys() const {
  std::vector<key> result;
  for (const auto& e : entries_)
    result.push_back(e->bytes);
  return result;
}

caf::expected<byte_buffer> aead_keyring::seal(std::span<const uint8_t> plain) const {
  byte_buffer out(overhead + plain.size());
  out[0] = envelope_magic;
  out[1] = envelope_version;
  uint8_t* nonce = out.data() + 2;
  // 96 random bits per datagram: at gossip rates a nonce repeats under one
  // key with negligible probability for the key's whole life.
  if (auto rv = gnutls_rnd(GNUTLS_RND_NONCE, nonce, nonce_size); rv != 0)
    return make_error(error::io, std::string{"cannot draw a nonce: "} + gnutls_strerror(rv));
  size_t cipher_len = plain.size() + tag_size;
  auto rv = gnutls_aead_cipher_encrypt(entries_.front()->handle, nonce, nonce_size,
                                       out.data(), 2, tag_size, plain.data(), plain.size(),
                                       out.data() + header_size, &cipher_len);
  if (rv != 0)
    return make_error(error::io, std::string{"AES-GCM encryption failed: "} + gnutls_strerror(rv));
  out.resize(header_size + cipher_len);
  return out;
}

caf::expected<byte_buffer> aead_keyring::open(std::span<const uint8_t> sealed) const {
  if (sealed.size() < overhead)
    return make_error(error::protocol, "sealed datagram of " + std::to_string(sealed.size())
                                         + " bytes is shorter than its envelope");
  if (sealed[0] != envelope_magic)
    return make_error(error::protocol, "not a sealed datagram");
  if (sealed[1] != envelope_version)
    return make_error(error::protocol,
                      "unknown envelope version " + std::to_string(sealed[1]));
  const uint8_t* nonce = sealed.data() + 2;
  auto cipher = sealed.subspan(header_size);
  byte_buffer plain(cipher.size() - tag_size);
  for (const auto& e : entries_) {
    size_t plain_len = plain.size();
    auto rv = gnutls_aead_cipher_decrypt(e->handle, nonce, nonce_size, sealed.data(), 2,
                                         tag_size, cipher.data(), cipher.size(), plain.data(),
                                         &plain_len);
    if (rv == 0) {
      plain.resize(plain_len);
      return plain;
    }
  }
  return make_error(error::protocol, "no cluster key authenticates the datagram");
}

caf::expected<aead_keyring::key> generate_cluster_key(size_t size) {
  if (auto alg = cipher_for(size); !alg)
    return std::move(alg.error());
  aead_keyring::key result(size);
  if (auto rv = gnutls_rnd(GNUTLS_RND_KEY, result.data(), result.size()); rv != 0)
    return make_error(error::io,
                      std::string{"cannot generate a cluster key: "} + gnutls_strerror(rv));
  return result;
}

caf::expected<aead_keyring::key> decode_base64_key(std::string_view text) {
  std::string owned{text};
  gnutls_datum_t in{reinterpret_cast<unsigned char*>(owned.data()),
                    static_cast<unsigned>(owned.size())};
  gnutls_datum_t out{nullptr, 0};
  if (gnutls_base64_decode2(&in, &out) != 0)
    return make_error(error::config, "the cluster key is not valid base64");
  aead_keyring::key result(out.data, out.data + out.size);
  gnutls_free(out.data);
  if (!cipher_for(result.size()))
    return make_error(error::config, "the cluster key must decode to 16, 24 or 32 bytes, not "
                                       + std::to_string(result.size()));
  return result;
}

} // namespace rpcnet
