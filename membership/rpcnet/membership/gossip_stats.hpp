// What one node's gossip did: datagrams and bytes in and out, and every
// datagram it refused, by reason. Hostile traffic shows up here first.
#pragma once

#include <cstdint>

namespace rpcnet {

struct gossip_stats {
  uint64_t datagrams_received = 0;
  uint64_t bytes_received = 0;
  uint64_t datagrams_sent = 0;
  uint64_t bytes_sent = 0;
  /// Refused: not valid gossip (size, magic, version, any field).
  uint64_t rejected_malformed = 0;
  /// Refused: no cluster key authenticates it, or unsealed while keys are
  /// set, or sealed while none is.
  uint64_t rejected_unauthenticated = 0;
  /// Refused: it claims to come from this node itself.
  uint64_t rejected_forged = 0;
  /// Dropped unread because too many waited for the membership actor.
  uint64_t dropped_backlog = 0;
  /// Not sent: the destination address does not parse.
  uint64_t unsendable = 0;

  /// Every datagram refused or dropped on the way in.
  uint64_t rejected() const noexcept {
    return rejected_malformed + rejected_unauthenticated + rejected_forged + dropped_backlog;
  }
};

} // namespace rpcnet
