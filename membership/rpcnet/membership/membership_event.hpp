// What a node tells its subscribers about other members: one event per
// change of a member's state as this node sees it (the Rust RpcNet's
// NodeJoined, NodeLeft, NodeFailed, NodeSuspect(node, phi), NodeRecovered,
// NodeUpdated), and PartitionDetected / PartitionHealed when many members
// fail or come back together (see partition_detector.hpp).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

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
    partition_detected, ///< many members failed at once (see partition_detector)
    partition_healed,   ///< most of them are back
  };

  kind what = kind::joined;
  /// The member as this node sees it after the change.
  member subject;
  /// This node's phi for the member when the event happened (0 if no acks
  /// were timed yet); the reason for suspicion when it passed the threshold.
  double phi = 0;
  /// Partition events only: the members cut off (detected) or back (healed),
  /// and the members alive when the event fired. The subject is this node.
  std::vector<node_id> unreachable;
  std::vector<node_id> reachable;
};

/// "joined", "left", "failed", "suspect", "recovered", "updated",
/// "partition_detected" or "partition_healed".
std::string_view to_string_view(membership_event::kind what);

} // namespace rpcnet
