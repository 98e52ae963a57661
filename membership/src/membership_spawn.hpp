// spawn_membership with its replaceable steps: how a datagram the SWIM core
// produced becomes bytes, and how those are sealed. Production code uses
// gossip::encode and aead_keyring::seal; tests put refusing (or throwing)
// steps here to prove that a datagram which cannot be encoded or sealed
// costs that datagram and never the actor nor the node's membership (no
// valid core output makes the real encoder refuse, and GnuTLS fails to seal
// only when it cannot draw a nonce).
#pragma once

#include <functional>
#include <memory>
#include <span>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "gossip_codec.hpp"
#include "gossip_messages.hpp"
#include <rpcnet/membership/membership_actor.hpp>
#include <rpcnet/transport/aead_keyring.hpp>
#include <rpcnet/transport/byte_buffer.hpp>

namespace rpcnet {

/// The steps from a datagram the SWIM core produced to the bytes sent.
struct wire_steps {
  /// One outgoing datagram's (unsealed) bytes.
  std::function<caf::expected<byte_buffer>(const gossip::datagram&)> encode = gossip::encode;
  /// Those bytes sealed with the node's key ring, when it has one.
  std::function<caf::expected<byte_buffer>(const aead_keyring&, std::span<const uint8_t>)> seal
    = [](const aead_keyring& keys, std::span<const uint8_t> plain) { return keys.seal(plain); };
};

/// spawn_membership, with `wire` between the core and the socket.
caf::expected<membership_actor> spawn_membership(caf::actor_system& sys, cluster_config cfg,
                                                 std::shared_ptr<endpoint> shared,
                                                 wire_steps wire);

} // namespace rpcnet
