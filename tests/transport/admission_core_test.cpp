// The cores behind a server's admission of new connections, without I/O:
// the address validation tokens (what a Retry or NEW_TOKEN token proves,
// for which address, and for how long) and the per-source rate limit.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <ngtcp2/ngtcp2_crypto.h>

#include <rpcnet/transport/socket_address.hpp>

#include "address_validator.hpp"
#include "source_rate_limiter.hpp"

using namespace rpcnet;
using verdict = address_validator::verdict;

namespace {

socket_address address(const std::string& text) {
  auto addr = socket_address::parse(text);
  REQUIRE(addr);
  return *addr;
}

ngtcp2_addr native(socket_address& addr) {
  return {addr.native(), addr.native_size()};
}

ngtcp2_cid cid(uint8_t fill) {
  ngtcp2_cid id;
  id.datalen = 16;
  std::memset(id.data, fill, id.datalen);
  return id;
}

constexpr ngtcp2_tstamp start = 1000 * NGTCP2_SECONDS;

/// A validator and the Retry token it issued at `start` to 127.0.0.1:4000,
/// whose Initial went to cid(1), answered from cid(2).
struct issued_retry {
  std::optional<address_validator> validator = address_validator::make();
  socket_address client = address("127.0.0.1:4000");
  std::vector<uint8_t> token;

  issued_retry() {
    REQUIRE(validator);
    token = validator->retry_token(native(client), NGTCP2_PROTO_VER_V1, cid(2), cid(1), start);
    REQUIRE_FALSE(token.empty());
  }

  verdict check_from(socket_address from, ngtcp2_cid dcid, ngtcp2_tstamp now) const {
    return validator->check(token, native(from), NGTCP2_PROTO_VER_V1, dcid, now).outcome;
  }
};

} // namespace

TEST_CASE("a Retry token proves the address and names the connection ID the client first "
          "chose",
          "[address_validator]") {
  issued_retry retry;
  auto proof = retry.validator->check(retry.token, native(retry.client), NGTCP2_PROTO_VER_V1,
                                      cid(2), start + NGTCP2_SECONDS);
  CHECK(proof.outcome == verdict::retry_valid);
  auto first = cid(1);
  CHECK(ngtcp2_cid_eq(&proof.original_dcid, &first));
}

TEST_CASE("a Retry token is refused from another port or address, to another connection ID, "
          "late, or from another endpoint",
          "[address_validator]") {
  issued_retry retry;
  CHECK(retry.check_from(address("127.0.0.1:4001"), cid(2), start) == verdict::retry_invalid);
  CHECK(retry.check_from(address("127.0.0.2:4000"), cid(2), start) == verdict::retry_invalid);
  CHECK(retry.check_from(retry.client, cid(3), start) == verdict::retry_invalid);
  auto late = start + address_validator::retry_token_lifetime + NGTCP2_SECONDS;
  CHECK(retry.check_from(retry.client, cid(2), late) == verdict::retry_invalid);
  auto another = address_validator::make();
  REQUIRE(another);
  CHECK(another->check(retry.token, native(retry.client), NGTCP2_PROTO_VER_V1, cid(2), start)
          .outcome
        == verdict::retry_invalid);
  auto flipped = retry;
  flipped.token.back() ^= 1;
  CHECK(flipped.check_from(retry.client, cid(2), start) == verdict::retry_invalid);
}

TEST_CASE("a NEW_TOKEN token proves the IP address whatever the port, for an hour",
          "[address_validator]") {
  auto validator = address_validator::make();
  REQUIRE(validator);
  auto client = address("127.0.0.1:4000");
  auto token = validator->regular_token(native(client), start);
  REQUIRE_FALSE(token.empty());
  auto next_port = address("127.0.0.1:5123");
  CHECK(validator->check(token, native(next_port), NGTCP2_PROTO_VER_V1, cid(9),
                         start + 60 * NGTCP2_SECONDS)
          .outcome
        == verdict::regular_valid);
  auto other_host = address("127.0.0.2:4000");
  CHECK(validator->check(token, native(other_host), NGTCP2_PROTO_VER_V1, cid(9), start).outcome
        == verdict::regular_invalid);
  auto late = start + address_validator::regular_token_lifetime + NGTCP2_SECONDS;
  CHECK(validator->check(token, native(client), NGTCP2_PROTO_VER_V1, cid(9), late).outcome
        == verdict::regular_invalid);
}

TEST_CASE("no token, or bytes that are none of ours, prove nothing", "[address_validator]") {
  auto validator = address_validator::make();
  REQUIRE(validator);
  auto client = address("[::1]:4000");
  CHECK(validator->check({}, native(client), NGTCP2_PROTO_VER_V1, cid(1), start).outcome
        == verdict::none);
  std::vector<uint8_t> junk(64, 0x36);
  CHECK(validator->check(junk, native(client), NGTCP2_PROTO_VER_V1, cid(1), start).outcome
        == verdict::regular_invalid);
  std::vector<uint8_t> one{NGTCP2_CRYPTO_TOKEN_MAGIC_RETRY};
  CHECK(validator->check(one, native(client), NGTCP2_PROTO_VER_V1, cid(1), start).outcome
        == verdict::retry_invalid);
}

TEST_CASE("the source rate admits a burst, refuses beyond it and refills with time",
          "[source_rate_limiter]") {
  source_rate_limiter limiter{4};
  auto t0 = std::chrono::steady_clock::now();
  auto client = address("10.0.0.1:1000");
  for (int i = 0; i < 4; ++i)
    CHECK(limiter.admit(client, t0));
  CHECK_FALSE(limiter.admit(client, t0));
  // A new port is the same source.
  CHECK_FALSE(limiter.admit(address("10.0.0.1:2000"), t0));
  // Another source has a bucket of its own.
  CHECK(limiter.admit(address("10.0.0.2:1000"), t0));
  // A quarter of a second refills one token at 4 a second.
  CHECK(limiter.admit(client, t0 + std::chrono::milliseconds{260}));
  CHECK_FALSE(limiter.admit(client, t0 + std::chrono::milliseconds{270}));
}

TEST_CASE("the source rate forgets refilled sources and admits unknown ones when its table "
          "is full",
          "[source_rate_limiter]") {
  source_rate_limiter limiter{2, 8};
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 8; ++i)
    REQUIRE(limiter.admit(address("10.0.1." + std::to_string(i) + ":1"), t0));
  CHECK(limiter.tracked_sources() == 8);
  // Full: a ninth source is admitted, not tracked, however often it comes.
  auto ninth = address("10.0.2.1:1");
  for (int i = 0; i < 5; ++i)
    CHECK(limiter.admit(ninth, t0));
  CHECK(limiter.tracked_sources() == 8);
  // Two seconds on every bucket is full again and forgotten.
  auto later = t0 + std::chrono::seconds{2};
  CHECK(limiter.admit(ninth, later));
  CHECK(limiter.tracked_sources() == 1);
}

TEST_CASE("a source rate of zero admits everything", "[source_rate_limiter]") {
  source_rate_limiter limiter{0};
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 10'000; ++i)
    REQUIRE(limiter.admit(address("10.0.0.1:1"), t0));
  CHECK(limiter.tracked_sources() == 0);
}
