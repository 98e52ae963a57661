// Address validation tokens (RFC 9000 section 8.1): the server's proof that
// a client receives at the address it sends from. A Retry token answers an
// Initial that brought none and is good for one attempt within seconds; a
// NEW_TOKEN token, sent on a connection whose handshake completed, lets the
// same client skip the Retry when it reconnects later. Both are sealed with
// a secret drawn when the endpoint starts (ngtcp2_crypto's token helpers),
// so no state is kept for an Initial until its address is proven.
#pragma once

#include <ngtcp2/ngtcp2.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace rpcnet {

class address_validator {
public:
  /// How long a Retry token is honoured: one round trip is all it needs,
  /// the margin is for a client that retransmits.
  static constexpr ngtcp2_duration retry_token_lifetime = 10 * NGTCP2_SECONDS;

  /// How long a NEW_TOKEN token is honoured.
  static constexpr ngtcp2_duration regular_token_lifetime = 3600 * NGTCP2_SECONDS;

  /// What the token of an Initial proved.
  enum class verdict {
    /// The Initial carried no token.
    none,
    /// A Retry token this endpoint issued to this address and connection
    /// ID, in time: `original_dcid` is the connection ID the client first
    /// chose, which the server must echo in its transport parameters.
    retry_valid,
    /// A Retry token that is forged, expired, or for another address: the
    /// connection is refused (INVALID_TOKEN), since no Retry would follow.
    retry_invalid,
    /// A NEW_TOKEN token this endpoint issued to this IP address, in time.
    regular_valid,
    /// Any other token: treated as none (RFC 9000 section 8.1.3).
    regular_invalid,
  };

  struct check_result {
    verdict outcome = verdict::none;
    ngtcp2_cid original_dcid{};
  };

  /// Draws the secret. Returns nullopt if the random source fails.
  static std::optional<address_validator> make();

  /// A Retry token for a client at `remote` whose Initial went to `odcid`,
  /// answered with a Retry whose source CID is `retry_scid`. Empty if
  /// ngtcp2_crypto fails.
  std::vector<uint8_t> retry_token(const ngtcp2_addr& remote, uint32_t version,
                                   const ngtcp2_cid& retry_scid, const ngtcp2_cid& odcid,
                                   ngtcp2_tstamp now) const;

  /// A token for a NEW_TOKEN frame to the client at `remote`.
  std::vector<uint8_t> regular_token(const ngtcp2_addr& remote, ngtcp2_tstamp now) const;

  /// Checks the token of an Initial from `remote` sent to `dcid`.
  check_result check(std::span<const uint8_t> token, const ngtcp2_addr& remote,
                     uint32_t version, const ngtcp2_cid& dcid, ngtcp2_tstamp now) const;

private:
  address_validator() = default;

  std::array<uint8_t, 32> secret_{};
};

} // namespace rpcnet
