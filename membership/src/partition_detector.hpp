// Tells a network partition from ordinary failures, from the failure and
// join events of one node's view (docs/membership.md, "Partitions"):
//
//  * PartitionDetected fires when, within one window (by default twice the
//    longest a suspicion can last), at least `min_members` members and at
//    least half of the members that were alive (others than this node, at
//    the window's start) were declared failed. `unreachable` lists them,
//    `reachable` the members alive then.
//  * PartitionHealed fires when at least half of those unreachable members
//    (not counting any that left since) are alive again.
//
// One crash in a large cluster is not a partition, however it is timed; a
// whole side going silent is, even if its deaths trickle in over the
// window. In a cluster of three a double crash looks like a partition:
// nothing on the surviving side can tell them apart.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <set>
#include <vector>

#include <rpcnet/membership/membership_event.hpp>
#include <rpcnet/membership/membership_time.hpp>
#include <rpcnet/membership/node_id.hpp>

namespace rpcnet {

class partition_detector {
public:
  struct settings {
    /// Failures are counted over this long.
    duration window = std::chrono::seconds{60};
    /// Fewer failures than this are never a partition.
    size_t min_members = 2;
  };

  explicit partition_detector(settings cfg) : cfg_(cfg) {
  }

  /// Takes one event of this node's view (`alive_now`: how many members
  /// other than this node are alive or suspect after it) and returns the
  /// partition event it completes, if any, with `unreachable` filled in;
  /// the subject and `reachable` are left for the caller.
  std::optional<membership_event> observe(const membership_event& ev, size_t alive_now,
                                          time_point now);

  /// True between a detection and its healing.
  bool partitioned() const noexcept {
    return partitioned_;
  }

private:
  void prune(time_point now);

  settings cfg_;
  /// Failures within the window, oldest first.
  std::deque<std::pair<time_point, node_id>> recent_failures_;
  bool partitioned_ = false;
  /// While partitioned: who was cut off, and who of them is back.
  std::set<node_id> unreachable_;
  std::set<node_id> returned_;
};

} // namespace rpcnet
