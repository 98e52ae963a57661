// Fuzzes the opener of sealed gossip datagrams (aead_keyring::open) with a
// ring of three keys, one of each AES size. Forging a tag is out of a
// fuzzer's reach, so datagrams that open come from the seeds (sealed under
// these keys by make_seed_corpora); what must hold:
//  - a datagram that opens is exactly its envelope around its plaintext:
//    flipping any bit of it makes it fail (magic, version, nonce,
//    ciphertext and tag are all authenticated or checked);
//  - every input, taken as a plaintext, survives seal then open
//    (open(seal(x)) == x), sealed with the fixed overhead;
//  - refusals are error::protocol.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include <rpcnet/transport/aead_keyring.hpp>
#include <rpcnet/transport/error.hpp>

#include "fuzz_check.hpp"
#include "fuzz_cluster_keys.hpp"

using rpcnet::aead_keyring;
using rpcnet::byte_buffer;

namespace {

const aead_keyring& ring() {
  static const auto keys = rpcnet::fuzz::cluster_ring(0);
  return keys;
}

void check_tampering_fails(std::span<const uint8_t> sealed) {
  byte_buffer copy(sealed.begin(), sealed.end());
  for (size_t i = 0; i < copy.size(); ++i) {
    // One bit per byte, a different one along the datagram.
    auto bit = static_cast<uint8_t>(1u << (i % 8));
    copy[i] ^= bit;
    auto opened = ring().open(copy);
    FUZZ_REQUIRE(!opened && rpcnet::code_of(opened.error()) == rpcnet::error::protocol);
    copy[i] ^= bit;
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> input{data, size};
  if (auto plain = ring().open(input)) {
    FUZZ_REQUIRE(plain->size() + aead_keyring::overhead == size);
    check_tampering_fails(input);
  } else {
    FUZZ_REQUIRE(rpcnet::code_of(plain.error()) == rpcnet::error::protocol);
  }
  auto sealed = ring().seal(input);
  FUZZ_REQUIRE(sealed && sealed->size() == size + aead_keyring::overhead);
  FUZZ_REQUIRE((*sealed)[0] == aead_keyring::envelope_magic
               && (*sealed)[1] == aead_keyring::envelope_version);
  auto opened = ring().open(*sealed);
  FUZZ_REQUIRE(opened && std::equal(opened->begin(), opened->end(), input.begin(), input.end()));
  return 0;
}
