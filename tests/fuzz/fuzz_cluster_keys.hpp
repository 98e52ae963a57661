// The cluster keys of the sealed-datagram fuzzer, shared with the seed
// generator: seeds sealed under them are the ones the fuzzer can open. One
// key of each AES size; fixed, so a corpus written once stays openable.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

#include <rpcnet/transport/aead_keyring.hpp>

#include "fuzz_check.hpp"

namespace rpcnet::fuzz {

inline std::array<aead_keyring::key, 3> cluster_keys() {
  auto key_of = [](size_t size, uint8_t seed) {
    aead_keyring::key k(size);
    for (size_t i = 0; i < size; ++i)
      k[i] = static_cast<uint8_t>(seed + 31 * i);
    return k;
  };
  return {key_of(32, 0x5a), key_of(16, 0xc3), key_of(24, 0x17)};
}

/// A ring holding every key of cluster_keys(), keys[primary] sealing.
inline aead_keyring cluster_ring(size_t primary) {
  auto keys = cluster_keys();
  auto ring = aead_keyring::make(keys[primary]);
  FUZZ_REQUIRE(static_cast<bool>(ring));
  for (auto& k : keys)
    FUZZ_REQUIRE(!ring->add_key(k));
  return std::move(*ring);
}

} // namespace rpcnet::fuzz
