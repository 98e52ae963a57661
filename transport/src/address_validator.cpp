#include "address_validator.hpp"

#include <ngtcp2/ngtcp2_crypto.h>

#include <gnutls/crypto.h>

namespace rpcnet {

std::optional<address_validator> address_validator::make() {
  address_validator result;
  if (gnutls_rnd(GNUTLS_RND_KEY, result.secret_.data(), result.secret_.size()) != 0)
    return std::nullopt;
  return result;
}

std::vector<uint8_t> address_validator::retry_token(const ngtcp2_addr& remote,
                                                    uint32_t version,
                                                    const ngtcp2_cid& retry_scid,
                                                    const ngtcp2_cid& odcid,
                                                    ngtcp2_tstamp now) const {
  std::vector<uint8_t> token(NGTCP2_CRYPTO_MAX_RETRY_TOKENLEN);
  auto n = ngtcp2_crypto_generate_retry_token(token.data(), secret_.data(), secret_.size(),
                                              version, remote.addr, remote.addrlen,
                                              &retry_scid, &odcid, now);
  token.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return token;
}

std::vector<uint8_t> address_validator::regular_token(const ngtcp2_addr& remote,
                                                      ngtcp2_tstamp now) const {
  std::vector<uint8_t> token(NGTCP2_CRYPTO_MAX_REGULAR_TOKENLEN);
  auto n = ngtcp2_crypto_generate_regular_token(token.data(), secret_.data(), secret_.size(),
                                                remote.addr, remote.addrlen, now);
  token.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return token;
}

address_validator::check_result
address_validator::check(std::span<const uint8_t> token, const ngtcp2_addr& remote,
                         uint32_t version, const ngtcp2_cid& dcid, ngtcp2_tstamp now) const {
  check_result result;
  if (token.empty())
    return result;
  if (token[0] == NGTCP2_CRYPTO_TOKEN_MAGIC_RETRY) {
    auto rv = ngtcp2_crypto_verify_retry_token(&result.original_dcid, token.data(),
                                               token.size(), secret_.data(), secret_.size(),
                                               version, remote.addr, remote.addrlen, &dcid,
                                               retry_token_lifetime, now);
    result.outcome = rv == 0 ? verdict::retry_valid : verdict::retry_invalid;
    return result;
  }
  auto rv = ngtcp2_crypto_verify_regular_token(token.data(), token.size(), secret_.data(),
                                               secret_.size(), remote.addr, remote.addrlen,
                                               regular_token_lifetime, now);
  result.outcome = rv == 0 ? verdict::regular_valid : verdict::regular_invalid;
  return result;
}

} // namespace rpcnet
