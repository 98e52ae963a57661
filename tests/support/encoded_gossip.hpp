// Gossip datagrams as bytes, for tests that send them or take them apart:
// the codec's encoding, failing the test at once if it refuses the
// datagram. Needs the membership module's private headers
// (rpcnet_membership_internals).
#pragma once

#include <utility>

#include <catch2/catch.hpp>

#include "gossip_codec.hpp"

namespace rpcnet::test {

/// The bytes of `dg`.
inline byte_buffer encoded(const gossip::datagram& dg) {
  auto bytes = gossip::encode(dg);
  REQUIRE(bytes);
  return std::move(*bytes);
}

} // namespace rpcnet::test
