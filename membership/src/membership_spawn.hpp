// spawn_membership with its one replaceable step: how a datagram the SWIM
// core produced becomes bytes before it is sealed. Production code uses
// gossip::encode; tests put a refusing encoder here to prove that a
// datagram which cannot be encoded or sealed costs that datagram and never
// the actor (no valid core output makes the real encoder refuse).
#pragma once

#include <functional>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "gossip_messages.hpp"
#include <rpcnet/membership/membership_actor.hpp>
#include <rpcnet/transport/byte_buffer.hpp>

namespace rpcnet {

/// Turns one outgoing datagram into its (unsealed) bytes.
using datagram_encoder = std::function<caf::expected<byte_buffer>(const gossip::datagram&)>;

/// spawn_membership, encoding with `encode`.
caf::expected<membership_actor> spawn_membership(caf::actor_system& sys, cluster_config cfg,
                                                 std::shared_ptr<endpoint> shared,
                                                 datagram_encoder encode);

} // namespace rpcnet
