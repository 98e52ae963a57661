// Both halves of the cluster key check; see cluster_key_check.hpp.
#include "cluster_key_check.hpp"

#include <algorithm>
#include <string_view>

#include <rpcnet/transport/aead_keyring.hpp>

namespace rpcnet::cli {

namespace {

/// Not a gossip datagram (whose first byte is 0x27), so a probe replayed at
/// a gossip port is refused there as malformed.
constexpr std::string_view probe_text = "rpcnet cluster key probe 1";

} // namespace

rpcnet_cli::KeyProbe make_key_probe(std::span<const uint8_t> key) {
  if (key.empty())
    return {};
  auto ring = aead_keyring::make({key.begin(), key.end()});
  if (!ring)
    return {};
  auto sealed = ring->seal({reinterpret_cast<const uint8_t*>(probe_text.data()),
                            probe_text.size()});
  // A probe that cannot be sealed is sent empty, as without a key: the
  // node's answer then says the keys differ, which is the safe verdict.
  if (!sealed)
    return {};
  return {{sealed->begin(), sealed->end()}};
}

rpcnet_cli::KeyAnswer answer_key_probe(const std::vector<std::vector<uint8_t>>& keys,
                                       const rpcnet_cli::KeyProbe& probe) {
  if (keys.empty())
    return {false, probe.sealed.empty()};
  auto ring = aead_keyring::make(keys.front());
  if (!ring || probe.sealed.empty())
    return {true, false};
  for (size_t i = 1; i < keys.size(); ++i)
    ring->add_key(keys[i]);
  auto plain = ring->open(probe.sealed);
  bool same = plain && std::equal(plain->begin(), plain->end(), probe_text.begin(),
                                  probe_text.end());
  return {true, same};
}

std::optional<std::string> key_mismatch(bool asker_sealed, const rpcnet_cli::KeyAnswer& answer) {
  if (answer.same_key)
    return std::nullopt;
  if (!answer.node_sealed)
    return "it gossips unsealed (--insecure-gossip) and refuses this worker's sealed datagrams";
  if (!asker_sealed)
    return "its gossip is sealed and refuses this worker's unsealed datagrams "
           "(--insecure-gossip): join with the token the director printed";
  return "it refuses this worker's datagrams: the cluster key is not the director's (check "
         "the join token, --cluster-key-file or RPCNET_CLUSTER_KEY)";
}

} // namespace rpcnet::cli
