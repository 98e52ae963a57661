// Hashes whose values never change between runs, builds or machines, for
// placing workers and affinity keys on a consistent-hash ring: every client
// and director must map the same key to the same worker, which std::hash
// does not promise for strings.
#pragma once

#include <cstdint>
#include <string_view>

namespace rpcnet {

/// The 64-bit finalizer of MurmurHash3 (fmix64): every input bit affects
/// every output bit, so nearby inputs land far apart on the ring.
constexpr uint64_t mix64(uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

/// FNV-1a over the bytes of `text`, then mix64: FNV-1a alone spreads short
/// keys poorly in its high bits, which decide a key's place on the ring.
constexpr uint64_t stable_hash(std::string_view text) noexcept {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return mix64(h);
}

} // namespace rpcnet
