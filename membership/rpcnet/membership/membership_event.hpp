// What a node tells its subscribers about other members: one event per
// change of a member's state as this node sees it (the reference's
// NodeJoined, NodeLeft, NodeFailed, NodeSuspect(node, phi), NodeRecovered,
// NodeUpdated).
#pragma once

#include <cstdint>
#include <string_view>

#include <rpcnet/membership/member.hpp>

namespace rpcnet {

struct membership_event {
  enum class kind : uint8_t {
    joined,    ///< a new member, or a dead or departed one back alive
    left,      ///< the member left gracefully
    failed,    ///< the member was declared dead
    suspect,   ///< the member missed probes (or its phi passed the threshold)
    recovered, ///< a suspected member refuted the suspicion
    updated,   ///< a live member changed its address or tags
  };

  kind what = kind::joined;
  /// The member as this node sees it after the change.
  member subject;
  /// This node's phi for the member when the event happened (0 if no acks
  /// were timed yet); the reason for suspicion when it passed the threshold.
  double phi = 0;
};

/// "joined", "left", "failed", "suspect", "recovered" or "updated".
std::string_view to_string_view(membership_event::kind what);

} // namespace rpcnet
